"""``course nbgrader autograde ASSIGNMENT --jobs N``: a class graded N submissions at a time.

nbgrader grades one submission after another in one process. Each submission is graded
here in a sandbox of its own (see ``autograde``), so nothing stops N of them running at
once: a pool of N processes grades the submitted notebooks, each with its own judge and
sandboxed worker (a warm worker never serves two students), and keeps the verdicts in
the course folder, out of every sandbox's sight. Then ``nbgrader autograde`` runs as
usual; its ``GradeOutsideKernel`` step finds each verdict already decided, and nbgrader's
own process alone writes the gradebook. A submission whose module differs from what was
graded beforehand (a tampered locked cell that nbgrader puts back) is graded again there.
Whoever cannot be graded is named at the end, with the reason (see ``outcome``), and so is
whoever tampered with the notebook's locked cells (see ``tamper``).
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
from autograder.nbgrader import outcome
from autograder.nbgrader.autograde import _is_test, exercise_of, graded_module, private_folders, secret
from autograder.nbgrader.coursedir import CONFIG
from autograder.nbgrader.judge import Judge
from autograder.nbgrader.outcome import Outcome
from autograder.nbgrader.tamper import tampering
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


def _read(path: Path):
    try:
        return nbformat.read(path, as_version=4)
    except Exception as e:  # a student's file: anything but a notebook
        reason = str(e).splitlines()[0][:200] if str(e) else ""
        raise CourseError(f"not readable as a notebook ({type(e).__name__}: {reason})") from None


def _run(command: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run ``command``, passing its output on (to stderr, where nbgrader logs), and keep it."""
    log = []
    with subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        for line in process.stdout:
            sys.stderr.write(line)
            log.append(line)
    return process.returncode, log


def _survey(course: Path, assignment: str, names: list[str]) -> tuple[dict, dict, dict]:
    """Every ``student/notebook`` expected in ``submitted/``: why it cannot be graded where that
    is known now (no such file, not a notebook) or "", what it changed of the release's locked
    cells, and the path of each one to grade."""
    released = course / "release" / assignment  # what the students were given
    releases = {n: nbformat.read(released / n, as_version=4) for n in names if (released / n).exists()}
    expected, tampered, readable = {}, {}, {}
    folders = course.glob(f"submitted/*/{assignment}")  # as nbgrader's glob: no hidden folders
    for folder in sorted(p for p in folders if p.is_dir() and not p.parent.name.startswith(".")):
        for name in names:
            where, submission = f"{folder.parent.name}/{name}", folder / name
            expected[where] = ""
            if not submission.exists():
                expected[where] = outcome.missing(folder, name)
                continue
            try:
                nb = _read(submission)
            except CourseError as e:
                expected[where] = str(e)
                continue
            if name in releases and (problems := tampering(nb, releases[name])):
                tampered[where] = problems
            readable[where] = submission
    return expected, tampered, readable


def _pregrade(readable: dict, tests: dict, jobs: int, *args) -> dict[str, str]:
    """Grade ``readable`` submissions with ``jobs`` processes (``args``: ``_grade``'s after the
    tests); returns why grading failed, per ``student/notebook``, for those where it did."""
    failed = {}
    with ProcessPoolExecutor(max(1, jobs)) as pool:
        futures = {w: pool.submit(_grade, s, tests[s.name], *args) for w, s in readable.items()}
        for where, future in futures.items():
            try:
                future.result()
            except Exception as e:  # nbgrader grades it again; this says why, should that fail too
                failed[where] = f"grading it failed ({type(e).__name__}: {e})"
    return failed


def autograde(
    course: Path, assignment: str, jobs: int, unsandboxed: bool = False, extra: list[str] = ()
) -> Outcome:
    """Grade every submission of ``assignment`` with ``jobs`` processes, then record the grades
    with ``nbgrader autograde``; returns what could not be graded and what was tampered with."""
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
    tests = {source.name: _tests(source) for source in sources}
    expected, tampered, readable = _survey(course, assignment, list(tests))
    expected |= _pregrade(readable, tests, jobs, secret(config), masks, verdicts, time_limit)
    flags = [f"--GradeOutsideKernel.verdicts={verdicts}"]
    if unsandboxed:
        flags.append("--GradeOutsideKernel.allow_unsandboxed=True")
    command = [sys.executable, "-m", "nbgrader", "autograde", assignment, *flags, *extra]
    returncode, log = _run(command, course)
    return Outcome(returncode, outcome.not_graded(course, assignment, expected, returncode, log), tampered)
