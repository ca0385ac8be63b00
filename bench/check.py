"""How long ``course check --impl solutions`` takes: the whole course, and each
chapter split into worker start-up and the rest. Grading the reference solutions
exercises the whole path (worker, every case on every device, comparisons) without
failing early."""

from __future__ import annotations

import time

from autograder.paths import module_file
from autograder.runner import Worker, grade, grade_chapter
from bench.harness import Row, median_time
from course.chapters import CHAPTERS


def _whole_course() -> None:
    grade(list(CHAPTERS), "solutions")  # what `course check --impl solutions` runs


def rows(smoke: bool) -> list[Row]:
    repeat = 1 if smoke else 3
    out = [Row("check", "whole course", median_time(_whole_course, repeat, warmup=0))]
    for slug in CHAPTERS if not smoke else list(CHAPTERS)[:1]:
        t = time.perf_counter()
        Worker(module_file("solutions", slug), block_solutions=False, time_limit=60, memory=0).close()
        startup = time.perf_counter() - t
        seconds = median_time(lambda s=slug: grade_chapter(s, "solutions"), repeat, warmup=0)
        out.append(Row("check", slug, seconds, note=f"worker start-up {startup:.2f} s"))
    return out
