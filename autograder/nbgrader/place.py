"""``course nbgrader place ASSIGNMENT STUDENT NOTEBOOK…``: a submission that reached the
instructor some other way than the exchange (e-mail, a learning platform), put where
``nbgrader collect`` puts one, with what collect would bring along.

``nbgrader submit`` writes ``timestamp.txt`` (when it was handed in: late penalties count
from it) and ``submission_secret.txt`` beside the notebooks; ``collect`` copies both into
``submitted/<student>/<assignment>/``, autograde and generate_feedback carry them on, and
``release_feedback`` names the feedback in the exchange by a hash of the secret and fails
on a submission without one. A notebook copied there by hand has neither, so the first
such student stops ``release_feedback`` for the whole class. Here both are written.
"""

from __future__ import annotations

import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from autograder.nbgrader.coursedir import CONFIG
from course.errors import CourseError

#: nbgrader's ``Exchange.timestamp_format``, in UTC as its exchange writes it.
TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f %Z"
#: What nbgrader's exchange accepts as a student id ("+" separates its file names' parts).
_STUDENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*")


def _timestamp(text: str | None) -> str:
    if text is None:
        return datetime.now(UTC).strftime(TIMESTAMP)
    from nbgrader.utils import parse_utc  # nbgrader's reading of timestamp.txt

    try:
        return parse_utc(text).replace(tzinfo=UTC).strftime(TIMESTAMP)
    except (ValueError, OverflowError) as e:
        raise CourseError(f"--timestamp {text!r} is not a time nbgrader can read ({e})") from None


def _targets(notebooks: list[Path], names: list[str], assignment: str) -> dict[str, Path]:
    """The file name in the submission of each notebook given: an assignment of one
    notebook takes one under any name; otherwise each must be named as in ``source/``."""
    if len(names) == 1:
        if len(notebooks) != 1:
            raise CourseError(f"{assignment} has one notebook, {names[0]}: give one file")
        return {names[0]: notebooks[0]}
    targets = {}
    for notebook in notebooks:
        if notebook.name not in names:
            raise CourseError(
                f"{assignment} has the notebooks {', '.join(names)}; {notebook.name} is none of them: "
                "rename it as the one it is"
            )
        if notebook.name in targets:
            raise CourseError(f"{notebook.name} is given twice")
        targets[notebook.name] = notebook
    return targets


def place(
    course: Path, assignment: str, student: str, notebooks: list[Path], timestamp: str | None = None
) -> Path:
    """Make ``notebooks`` the submission of ``student`` for ``assignment`` (replacing any
    earlier one, as a new submission does); returns its folder."""
    course = Path(course).resolve()
    if not (course / CONFIG).exists():
        raise CourseError(f"{course} is not a course folder; create it with `course nbgrader init`")
    names = sorted(p.name for p in (course / "source" / assignment).glob("*.ipynb"))
    if not names:
        raise CourseError(f"{course / 'source' / assignment} holds no notebook: build the assignment first")
    if not _STUDENT.fullmatch(student):
        raise CourseError(f"{student!r} is not a student id nbgrader takes: use letters, digits, _ . @ -")
    contents = {}  # read before the folder is replaced: a notebook may come from it
    for name, notebook in _targets([Path(n) for n in notebooks], names, assignment).items():
        contents[name] = notebook.read_bytes()
        try:
            nbformat.reads(contents[name].decode("utf-8"), as_version=4)
        except Exception as e:  # whatever was sent: say so now, not at grading time
            raise CourseError(f"{notebook} is not a notebook ({type(e).__name__}: {e})") from None
    stamp = _timestamp(timestamp)
    folder = course / "submitted" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
    return folder
