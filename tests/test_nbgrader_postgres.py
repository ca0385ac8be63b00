"""A PostgreSQL gradebook, for graders on several machines: a class graded with
`course nbgrader autograde` into a real server, whose scores read back through the same
URL, and the server's socket out of reach of the students' code."""

import subprocess
import sys

import nbformat
import pytest
from traitlets.config import Config

from autograder.nbgrader.autograde import private_folders
from autograder.sandbox import Sandbox, available
from tests import postgres
from tests.test_nbgrader import (
    POINTS,
    SLUG,
    _answers,
    _expected,
    _gradebook_scores,
    _replace,
    nbgrader_env,
    released_course,
)

pytestmark = pytest.mark.skipif(not available(), reason="bubblewrap is not usable here")
pytest.importorskip("psycopg2", reason="psycopg2 is not installed (the dev extra has it)")

STUDENTS = {
    "correct": dict.fromkeys(POINTS, "correct"),
    "wrong": {
        "bigram_counts": _replace(
            "pairs = tokens[:-1] * d_vocab + tokens[1:]", "pairs = tokens[1:] * d_vocab + tokens[:-1]"
        )
    },
}


@pytest.fixture(scope="module")
def gradebook():
    with postgres.server() as url:
        yield url


def test_a_class_is_graded_into_postgresql(gradebook, tmp_path):
    env = nbgrader_env(tmp_path)
    course, release, source = released_course(tmp_path, env, list(STUDENTS), db_url=gradebook)
    for student, edits in STUDENTS.items():
        (course / "submitted" / student / SLUG).mkdir(parents=True)
        nbformat.write(
            _answers(release, source, edits), course / "submitted" / student / SLUG / f"{SLUG}.ipynb"
        )
    out = subprocess.run(
        [sys.executable, "-m", "course.cli", "nbgrader", "autograde", SLUG, "--jobs", "2"],
        cwd=course, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert not (course / "gradebook.db").exists()
    scores = _gradebook_scores(course, list(STUDENTS), db_url=gradebook)
    for student, edits in STUDENTS.items():
        assert scores[student]["grades"] == _expected(edits), student
    assert scores["correct"]["score"] == sum(POINTS.values())


def test_the_sandbox_cannot_reach_the_gradebooks_socket(gradebook, tmp_path):
    """A socket is a file, so the sandbox's lack of network does not keep code from it; the
    course's sandbox hides its folder."""
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.db_url = gradebook
    libpq = gradebook.replace("+psycopg2", "")
    connect = [sys.executable, "-c", f"import psycopg2; psycopg2.connect({libpq!r}).close()"]
    reached = subprocess.run(Sandbox().wrap(connect, tmp_path), capture_output=True, text=True, timeout=60)
    assert reached.returncode == 0, reached.stderr  # what an unmasked sandbox would allow
    masked = Sandbox(hidden=tuple(private_folders(config)))
    refused = subprocess.run(masked.wrap(connect, tmp_path), capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "No such file or directory" in refused.stderr, refused.stderr
