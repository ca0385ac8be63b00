"""``course nbgrader init``: an nbgrader course folder that works without root and
without JupyterHub: its own config, an sqlite gradebook and exchange inside it, and a
template of the students' CSV, and
the secret that the hidden cases' seeds come from."""

from __future__ import annotations

import secrets
from pathlib import Path

from course.errors import CourseError

CONFIG = "nbgrader_config.py"
STUDENTS = "students.csv"
#: The secret from which the hidden cases' seeds are drawn at grading time.
SECRET = "hidden_cases_secret.txt"

_CONFIG_TEXT = '''"""nbgrader's configuration for the course "Transformer Circuits, hands-on",
written by `course nbgrader init`. Run nbgrader from this folder; paths are relative
to it, so the folder can move."""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (nbgrader provides it)
HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = str(HERE)
# The gradebook: any SQLAlchemy URL. A PostgreSQL one lets graders on several machines share
# it (see the instructor guide); sqlite's file suits one machine.
c.CourseDirectory.db_url = {db_url}
# Where release_assignment puts assignments and students submit them. nbgrader's
# default, /usr/local/share/nbgrader/exchange, needs root; on JupyterHub use a folder that every
# user can read and write (see the instructor guide).
c.Exchange.root = {exchange}

# Seconds one cell may run under `nbgrader autograde` and `validate`; a cell that takes
# longer is interrupted and scores 0. Each test cell grades its exercise in a separate
# process that stops an answer after COURSE_CHECK_TIME_LIMIT seconds, well within the
# cell's time, so that a runaway answer fails with a message and grading goes on. The
# kernels inherit this process's environment, which is how they see the limit.
CELL_TIMEOUT = {timeout}
c.Execute.timeout = CELL_TIMEOUT
os.environ["COURSE_CHECK_TIME_LIMIT"] = str(max(1, CELL_TIMEOUT // 2))

# `nbgrader autograde` runs none of the student's notebook: GradeOutsideKernel, in place of
# nbgrader's Execute, reads the submitted file, grades its definitions in a bubblewrap sandbox
# and writes each test cell's output itself, so no cell of the student's can decide a verdict.
# Without bubblewrap it refuses to grade (see the instructor guide).
from nbgrader.converters.autograde import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from autograder.nbgrader.autograde import GradeOutsideKernel  # noqa: E402

c.Autograde.autograde_preprocessors = [
    GradeOutsideKernel if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
]
c.GradeOutsideKernel.time_limit = max(1, CELL_TIMEOUT // 2)
# A student who deletes a test cell (or an answer cell) does not escape it: nbgrader puts the
# cell back from the source, with a note saying so, and it is graded like the others.
c.OverwriteCells.add_missing_cells = True
'''

#: The default gradebook, as the config's Python: gradebook.db beside it.
_SQLITE = "f\"sqlite:///{HERE / 'gradebook.db'}\""
_STUDENTS_TEXT = "id,first_name,last_name,email\njdoe,Jane,Doe,jdoe@example.org\n"


def init(
    directory: Path,
    course_id: str = "circuits",
    timeout: int = 60,
    exchange: Path | None = None,
    db_url: str | None = None,
) -> list[Path]:
    """Write the course folder ``directory``; returns the files written."""
    directory = Path(directory)
    if (directory / CONFIG).exists():
        raise CourseError(f"{directory / CONFIG} already exists; edit it, or choose a new folder")
    if timeout < 2:
        raise CourseError("the cell timeout must be at least 2 seconds")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "source").mkdir(exist_ok=True)
    if exchange is None:
        (directory / "exchange").mkdir(exist_ok=True)
        exchange_text = 'str(HERE / "exchange")'
    else:
        exchange_text = repr(str(Path(exchange).resolve()))
    written = [directory / CONFIG]
    secret = directory / SECRET
    if not secret.exists():  # the hidden cases' seeds: never released, never in the kit
        secret.write_text(secrets.token_hex(16) + "\n")
        secret.chmod(0o600)
        written.append(secret)
    (directory / CONFIG).write_text(
        _CONFIG_TEXT.format(
            course_id=course_id,
            exchange=exchange_text,
            timeout=int(timeout),
            db_url=repr(db_url) if db_url else _SQLITE,
        )
    )
    if not (directory / STUDENTS).exists():
        (directory / STUDENTS).write_text(_STUDENTS_TEXT)
        written.append(directory / STUDENTS)
    return written
