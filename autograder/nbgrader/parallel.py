"""``course nbgrader autograde ASSIGNMENT --jobs N``: a class graded N submissions at a time.

nbgrader grades one submission after another in one process. Each submission is graded
here in a sandbox of its own (see ``autograde``), so nothing stops N of them running at
once: a pool of N processes grades the submitted notebooks, each with its own judge and
sandboxed worker (a warm worker never serves two students), and keeps the verdicts in
the course folder, out of every sandbox's sight. Then ``nbgrader autograde`` runs as
usual; its ``GradeOutsideKernel`` step finds each verdict already decided, and nbgrader's
own process alone writes the gradebook. A submission whose module differs from what was
graded beforehand (a tampered locked cell that nbgrader puts back) is graded again there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

from autograder import runner
from autograder.nbgrader.autograde import _is_test, exercise_of, graded_module, private_folders, secret
from autograder.nbgrader.coursedir import CONFIG
from autograder.nbgrader.judge import Judge
from autograder.sandbox import Sandbox, available, unavailable_message
from course.errors import CourseError

VERDICTS = ".verdicts"  # in the course folder, hidden from every sandbox


def _tests(source: Path) -> list[tuple[str, str, bool]]:
    """The exercises that a source notebook's test cells grade (the trusted copy)."""
    nb = nbformat.read(source, as_version=4)
    return [t for c in nb.cells if _is_test(c) and (t := exercise_of(c.source))]


def _grade(submission: Path, tests: list, key: str, masks: tuple, verdicts: Path, time_limit: float) -> str:
    module = graded_module(nbformat.read(submission, as_version=4))
    sandbox = Sandbox(hidden=masks) if masks is not None else None
    with tempfile.TemporaryDirectory(prefix="course-pregrade-") as tmp:
        judge = Judge(Path(tmp), time_limit=time_limit, sandbox=sandbox, secret=key, verdicts=verdicts)
        try:
            for slug, exercise, hidden in tests:
                name = exercise.split(".")[0]
                if module.defines(name):
                    judge.grade(slug, exercise, module.source, hidden)
        finally:
            judge.close()
    return str(submission)


def autograde(
    course: Path, assignment: str, jobs: int, unsandboxed: bool = False, extra: list[str] = ()
) -> int:
    """Grade every submission of ``assignment`` with ``jobs`` processes, then record the grades
    with ``nbgrader autograde``; returns nbgrader's exit status."""
    course = Path(course).resolve()
    if not (course / CONFIG).exists():
        raise CourseError(f"{course} is not a course folder; create it with `course nbgrader init`")
    sources = sorted((course / "source" / assignment).glob("*.ipynb"))
    if not sources:
        raise CourseError(f"{course / 'source' / assignment} holds no notebook: build the assignment first")
    config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    masks = tuple(private_folders(config))
    if not available():
        if not unsandboxed:
            raise CourseError(unavailable_message(Sandbox(hidden=masks)))
        masks = None
    verdicts = course / VERDICTS / assignment
    shutil.rmtree(verdicts, ignore_errors=True)  # a verdict serves one run only
    time_limit = float(config.get("GradeOutsideKernel", {}).get("time_limit", runner.TIME_LIMIT))
    key = secret(config)
    tasks = [
        (submission, _tests(source))
        for source in sources
        for submission in sorted(course.glob(f"submitted/*/{assignment}/{source.name}"))
    ]
    with ProcessPoolExecutor(max(1, jobs)) as pool:
        futures = [pool.submit(_grade, s, t, key, masks, verdicts, time_limit) for s, t in tasks]
        for future in futures:
            future.result()
    flags = [f"--GradeOutsideKernel.verdicts={verdicts}"]
    if unsandboxed:
        flags.append("--GradeOutsideKernel.allow_unsandboxed=True")
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, *flags, *extra]
    return subprocess.run(command, cwd=course).returncode
