"""How long nbgrader takes to grade one learner's whole-chapter submission.

For each chapter: a course folder from ``course nbgrader init`` and ``build``, the
assignment generated, and the reference answers submitted. Two numbers: the wall time
of ``nbgrader autograde`` for that one submission, start-up included, and the median
time to execute the submitted notebook as autograde does (a fresh kernel, every cell,
every test cell's grading), which is what each further learner adds, since nbgrader
grades submissions one after another in one command. The issue's goal is the whole
course in 60 s or less per learner. Run: ``python -m bench nbgrader`` (``--smoke``: one
chapter, once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.nbgrader import build, coursedir
from autograder.sandbox import available
from bench.harness import Row, median_time
from course.chapters import CHAPTERS


def _env(tmp: Path) -> dict:
    (tmp / "home").mkdir()
    return dict(
        os.environ,
        HOME=str(tmp / "home"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )


def _nbgrader(env: dict, course: Path, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - t


def _submit(course: Path, slug: str, student: str) -> None:
    """The reference answers in the released notebook, as ``student`` would hand it in. Each
    answer defines the student's name too, as real answers differ: the grader keeps verdicts by
    the definitions' source (comments are not definitions), and identical notebooks would be
    graded once."""
    source = nbformat.read(course / "source" / slug / f"{slug}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / slug / f"{slug}.ipynb", as_version=4)
    answers = {c.id: c.source for c in source.cells}
    for cell in release.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = f"{answers[cell.id]}\nANSWERED_BY = {student!r}\n"
    folder = course / "submitted" / student / slug
    folder.mkdir(parents=True)
    nbformat.write(release, folder / f"{slug}.ipynb")


def _grade(course: Path, slug: str, notebook: Path) -> None:
    """Grade one submission as autograde's GradeOutsideKernel step does: its definitions, in a
    sandboxed worker, every visible and hidden case (verdicts not kept)."""
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.nbgrader.autograde import private_folders, secret
    from autograder.nbgrader.parallel import _grade, _tests

    config = PyFileConfigLoader(coursedir.CONFIG, path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    masks = tuple(private_folders(config)) if available() else None
    source = course / "source" / slug / f"{slug}.ipynb"
    _grade(notebook, _tests(source), secret(config), masks, None, 60)


def _course(tmp: Path, slug: str, students: int) -> tuple[dict, Path]:
    env = _env(tmp)
    course = tmp / "course"
    coursedir.init(course, course_id="bench")
    build.write(slug, course)
    _nbgrader(env, course, "generate_assignment", slug, "--force")
    for i in range(students):
        _submit(course, slug, f"learner{i:03d}")
    return env, course


def measure(slug: str, repeat: int) -> tuple[float, float]:
    """(seconds of ``nbgrader autograde`` for one submission, median seconds to grade it)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    try:
        env, course = _course(tmp, slug, 1)
        cli = _nbgrader(env, course, "autograde", slug, "--force", "--create")
        notebook = course / "submitted" / "learner000" / slug / f"{slug}.ipynb"
        return cli, median_time(lambda: _grade(course, slug, notebook), repeat, warmup=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def class_rows(students: int, slug: str = "zero_layer") -> list[Row]:
    """``course nbgrader autograde`` of ``students`` submissions at --jobs 1 and at --jobs
    the CPU count, in the same run, with nbgrader's recording included."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-nbgrader-class-"))
    cores = os.cpu_count() or 1
    try:
        seconds = {}
        for jobs in (1, cores):  # each in a course of its own: nbgrader skips what it has recorded
            (tmp / f"jobs-{jobs}").mkdir()
            env, course = _course(tmp / f"jobs-{jobs}", slug, students)
            t = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "course.cli", "nbgrader", "autograde", slug, "--jobs", str(jobs)],
                cwd=course, env=env, capture_output=True, text=True,
            )  # fmt: skip
            if out.returncode:
                raise RuntimeError(f"course nbgrader autograde --jobs {jobs} failed:\n{out.stderr[-3000:]}")
            seconds[jobs] = time.perf_counter() - t
        note = (
            f"{students} submissions of {slug}; --jobs 1 took {seconds[1]:.0f} s, the ratio is the "
            f"speed-up at --jobs {cores} on {cores} cores"
        )
        return [Row("nbgrader", f"class of {students}, --jobs {cores}", seconds[cores],
                    baselines={"--jobs 1": seconds[1]}, note=note)]  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rows(smoke: bool) -> list[Row]:
    out, per_learner = [], 0.0
    for slug in list(CHAPTERS)[:1] if smoke else CHAPTERS:
        cli, execute = measure(slug, 1 if smoke else 3)
        per_learner += execute
        note = f"`nbgrader autograde` of this one submission: {cli:.1f} s"
        out.append(Row("nbgrader", f"{slug}: one learner", execute, note=note))
    out.append(Row("nbgrader", "whole course, per learner", per_learner, note="goal: 60 s or less"))
    return out + class_rows(4 if smoke else 50)


if __name__ == "__main__":
    for row in rows("--smoke" in sys.argv):
        print(f"{row.name:<40} {row.ours:6.1f} s  {row.note}")
