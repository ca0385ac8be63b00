"""How long ``course check --impl solutions`` takes: the whole course, and each
chapter split into worker start-up and the rest. Grading the reference solutions
exercises the whole path (worker, every case on every device, comparisons) without
failing early."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time

from autograder.paths import module_file
from autograder.runner import Worker, WorkerSlot, grade, grade_chapter
from bench.harness import Row, median_time
from course.chapters import CHAPTERS


def _whole_course() -> None:
    grade(list(CHAPTERS), "solutions")  # what `course check --impl solutions` runs


def _one_exercise_cold() -> None:
    """`course check CHAPTER EXERCISE` from the shell: interpreter, imports, worker, grading."""
    subprocess.run(
        [sys.executable, "-m", "course.cli", "check", "--impl", "solutions", "zero_layer", "bigram_counts"],
        check=True, capture_output=True,
    )  # fmt: skip


def _warm_rows(repeat: int) -> list[Row]:
    """One exercise and one chapter graded again in a warm worker, as `course check --watch`
    does after a save, beside the cold command in the same run."""
    cold = median_time(_one_exercise_cold, repeat, warmup=0)
    path, slot = module_file("solutions", "zero_layer"), WorkerSlot()
    try:
        grade_chapter("zero_layer", "solutions", slot=slot)  # the first call: worker and references

        def again(only):
            slot.worker.reload(path)
            grade_chapter("zero_layer", "solutions", only, slot=slot)

        one = median_time(lambda: again(["bigram_counts"]), repeat, warmup=0)
        chapter = median_time(lambda: again(None), repeat, warmup=0)
    finally:
        slot.close()
    note = "after a save, in the worker that `course check --watch` keeps; the baseline is the cold command"
    return [
        Row("check", "one exercise, warm", one, baselines={"cold `course check`": cold}, note=note),
        Row("check", "one chapter (zero_layer), warm", chapter, note=note),
    ]


def _notebook_rows(repeat: int) -> list[Row]:
    """One exercise checked from a notebook (``check(fn)``): the first check starts the
    kernel's grading process, which later checks reuse. Each check sends an edited module, as a
    learner's re-run cell does, so no verdict is reused."""
    from autograder.nbgrader import cell

    source = module_file("solutions", "zero_layer").read_text()
    edits = itertools.count()

    def check() -> None:
        request = {"chapter": "zero_layer", "exercise": "bigram_counts", "hidden": False}
        reply = cell._ask({**request, "source": f"{source}\n# edit {next(edits)}\n"})
        assert reply["status"] == "passed", reply

    try:
        first = median_time(check, 1, warmup=0)
        warm = median_time(check, repeat, warmup=0)
    finally:
        cell._stop()
    note = "a notebook's check(fn) after its first, in the grading process the kernel keeps"
    return [Row("check", "one exercise in a notebook, warm", warm, baselines={"the first check": first}, note=note)]


def rows(smoke: bool) -> list[Row]:
    repeat = 1 if smoke else 3
    out = [Row("check", "whole course", median_time(_whole_course, repeat, warmup=0))]
    for slug in CHAPTERS if not smoke else list(CHAPTERS)[:1]:
        t = time.perf_counter()
        Worker(module_file("solutions", slug), block_solutions=False, time_limit=60, memory=0).close()
        startup = time.perf_counter() - t
        seconds = median_time(lambda s=slug: grade_chapter(s, "solutions"), repeat, warmup=0)
        out.append(Row("check", slug, seconds, note=f"worker start-up {startup:.2f} s"))
    return out + _warm_rows(repeat) + _notebook_rows(repeat)
