"""nbgrader's autograde step without running the student's notebook: the verdict is
decided here, in the instructor's process, never where the student's code runs.

``GradeOutsideKernel`` takes the place of nbgrader's ``Execute`` preprocessor (the
course folder's ``nbgrader_config.py`` sets it; see ``coursedir``). It reads the
submitted notebook as a file: the definitions of its code cells (imports, functions,
classes, constants; see ``definitions``) make the module that is graded, and each test
cell, whose source nbgrader has already restored from the gradebook, names the
exercise it grades. The judge (``judge.Judge``) runs that module in a worker inside a
bubblewrap sandbox that cannot see the solutions, the references, the course folder
or other students, and this process writes each test cell's output: a line on success,
an error with the grader's reasons on failure, which nbgrader scores as 0. Whatever a
cell of the student's does, it never runs in a kernel whose outputs nbgrader reads.
"""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from sqlalchemy.engine import make_url
from traitlets import Bool, Float, Unicode

from autograder import runner
from autograder.nbgrader import definitions
from autograder.nbgrader.coursedir import SECRET
from autograder.nbgrader.judge import Judge
from autograder.sandbox import Sandbox, available, unavailable_message
from course.errors import CourseError

#: Where libpq (psycopg2's, Debian's) looks for a local server when the URL names no host.
LIBPQ_SOCKETS = Path("/var/run/postgresql")


def _grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {}) if cell.cell_type == "code" else {}


def _is_test(cell) -> bool:
    meta = _grading(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def exercise_of(source: str) -> tuple[str, str, bool] | None:
    """(chapter, exercise, has hidden tests) from a test cell's ``check(...)`` calls."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "check"
        and len(n.args) >= 2 and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in n.args[:2])
    ]  # fmt: skip
    if not calls:
        return None
    hidden = any(
        k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value
        for c in calls
        for k in c.keywords
    )
    return calls[0].args[0].value, calls[0].args[1].value, hidden


def graded_module(nb) -> definitions.Module:
    """The module a submission is graded as: the definitions of its code cells but the tests."""
    cells = [
        (f"cell {i + 1}", c.source)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and not _is_test(c)
    ]
    return definitions.from_cells(cells)


def course_root(config) -> Path:
    root = config.get("CourseDirectory", {}).get("root")
    return Path(root) if isinstance(root, str) and root else Path.cwd()


def secret(config) -> str:
    """The course's secret for the hidden cases' seeds (``course nbgrader init`` wrote it)."""
    path = course_root(config) / SECRET
    if not path.exists():
        raise CourseError(f"{path} is missing: `course nbgrader init` writes it (the hidden cases' seeds)")
    return path.read_text().strip()


def gradebook_sockets(db_url: str) -> list[Path]:
    """The folders of the unix sockets through which a PostgreSQL gradebook is reached. The
    sandbox has no network, but a socket is a file: code that connected to it would be known
    to the server as the grading user (peer authentication sees through the sandbox's user),
    free to write grades."""
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        return []
    hosts = url.query.get("host") or url.host or os.environ.get("PGHOST") or ""
    named = [unquote(h) for part in ([hosts] if isinstance(hosts, str) else hosts) for h in part.split(",")]
    if not any(named):
        return [LIBPQ_SOCKETS]
    return [Path(h) for h in named if h.startswith("/")]


def private_folders(config) -> list[Path]:
    """What no sandbox may see: the course folder (gradebook, source, submissions, feedback,
    verdicts), the exchange, and a PostgreSQL gradebook's socket."""
    folders = [course_root(config)]
    exchange = config.get("Exchange", {}).get("root")
    if isinstance(exchange, str) and exchange:
        folders.append(Path(exchange))
    db_url = config.get("CourseDirectory", {}).get("db_url")
    if isinstance(db_url, str) and db_url:
        folders += gradebook_sockets(db_url)
    return folders


class GradeOutsideKernel(NbGraderPreprocessor):
    """Grades the test cells of a submission from its file, in a sandbox."""

    time_limit = Float(runner.TIME_LIMIT, help="Seconds one exercise's cases may take").tag(config=True)
    allow_unsandboxed = Bool(
        False,
        help="Grade without bubblewrap, letting each submission's code read and write what the "
        "grading user can. Only for a machine that holds nothing a student must not see.",
    ).tag(config=True)

    verdicts = Unicode(
        "", help="A folder of verdicts graded beforehand (`course nbgrader autograde --jobs N`)"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        sandbox = Sandbox(hidden=tuple(private_folders(self.config)))
        if not available():
            if not self.allow_unsandboxed:
                raise CourseError(
                    unavailable_message(sandbox) + ". To grade anyway, exposed as that says, pass "
                    "--GradeOutsideKernel.allow_unsandboxed=True"
                )
            self.log.warning("grading WITHOUT a sandbox: %s", unavailable_message(sandbox))
            sandbox = None
        module = graded_module(nb)
        with tempfile.TemporaryDirectory(prefix="course-autograde-") as tmp:
            judge = Judge(
                Path(tmp), time_limit=self.time_limit, sandbox=sandbox, secret=secret(self.config),
                verdicts=Path(self.verdicts) if self.verdicts else None,
            )  # fmt: skip
            try:
                for cell in nb.cells:
                    if _is_test(cell):
                        cell.outputs = self._outputs(judge, module, cell)
            finally:
                judge.close()
        return nb, resources

    def _outputs(self, judge: Judge, module: definitions.Module, cell) -> list:
        target = exercise_of(cell.source)
        if target is None:
            return [_error("a test cell without a check(...) call: it cannot be graded")]
        slug, exercise, hidden = target
        name = exercise.split(".")[0]
        if not module.defines(name):
            return [_error(f"{exercise} fails: the notebook defines no `{name}` at the top level of a cell")]
        try:
            results = [
                judge.grade(slug, exercise, module.source, h) for h in ((False, True) if hidden else (False,))
            ]
        except CourseError as e:
            return [_error(str(e))]
        where = judge.module_path(slug, module.source).name
        for result in results:
            if result.status == "not attempted":
                return [_error(f"{exercise} is not attempted yet", "NotImplementedError")]
            if result.status != "passed":
                lines = [module.where(m, where) for m in result.messages]
                return [_error(f"{exercise} fails:\n" + "\n".join(f"  {m}" for m in lines))]
        text = f"✓ {exercise} passes the tests{' and the hidden tests' if hidden else ''}\n"
        return [nbformat.v4.new_output("stream", name="stdout", text=text)]


def _error(message: str, ename: str = "AssertionError"):
    return nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])
