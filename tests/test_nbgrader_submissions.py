"""Submissions as `course nbgrader autograde` and `place` meet them, without running
nbgrader: what counts as tampering with locked cells, what nbgrader's log says about the
notebooks it failed on, and a notebook placed by hand (tests/test_nbgrader_parallel.py
grades all of this with real nbgrader)."""

import nbformat
import pytest
from nbgrader.utils import parse_utc

from autograder.nbgrader import build, coursedir
from autograder.nbgrader.outcome import Outcome, missing, nbgrader_failures
from autograder.nbgrader.place import place
from autograder.nbgrader.tamper import tampering
from course.errors import CourseError

SLUG = "zero_layer"


@pytest.fixture(scope="module")
def release():
    return build.notebook(SLUG, "https://example.org/")


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def test_an_answered_notebook_tampers_with_nothing(release):
    answered = nbformat.from_dict(release)
    _cell(answered, "bigram_counts").source += "\n    return None"
    answered.cells.append(nbformat.v4.new_code_cell("print('an experiment')"))
    assert tampering(answered, release) == []


@pytest.mark.parametrize(
    "tamper, found",
    [
        (lambda nb: nb.cells.remove(_cell(nb, "test_gap_closed")), ["test cell test_gap_closed deleted"]),
        (lambda nb: nb.cells.remove(_cell(nb, "imports")), ["read-only cell imports deleted"]),
        (lambda nb: setattr(_cell(nb, "imports"), "source", "import os"), ["read-only cell imports changed"]),
        (lambda nb: _cell(nb, "test_gap_closed").metadata.nbgrader.update(points=99), ["test cell test_gap_closed changed"]),
        (lambda nb: _cell(nb, "test_gap_closed").metadata.nbgrader.update(solution=True), ["test cell test_gap_closed changed"]),
        (lambda nb: _cell(nb, "test_gap_closed").metadata.nbgrader.pop("points"), ["test cell test_gap_closed changed"]),
        (lambda nb: nb.cells.append(nbformat.from_dict(_cell(nb, "test_gap_closed"))), ["test cell test_gap_closed copied"]),
        (
            lambda nb: nb.cells.append(
                nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "bonus", "points": 50}})
            ),
            ["cell bonus marked as graded"],
        ),
    ],
)  # fmt: skip
def test_each_change_to_a_locked_cell_is_named(release, tamper, found):
    submitted = nbformat.from_dict(release)
    tamper(submitted)
    assert tampering(submitted, release) == found


NBGRADER_LOG = """\
[AutogradeApp | INFO] Converting notebook /c/submitted/broken/zero_layer/zero_layer.ipynb
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/broken/zero_layer
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "/nbformat/reader.py", line 19, in parse_json
        nb_dict = json.loads(s, **kwargs)
    json.decoder.JSONDecodeError: Expecting value: line 1 column 12 (char 11)

    The above exception was the direct cause of the following exception:

    Traceback (most recent call last):
      File "/nbformat/reader.py", line 25, in parse_json
        raise NotJSONError(message) from e
    nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{"cells": ['

[AutogradeApp | INFO] Overwriting files with master versions from the source directory
  for notebook in submission.assignment.notebooks:
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/badmeta/zero_layer
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "/nbgrader/preprocessors/deduplicateids.py", line 33, in preprocess_cell
        grade_id = cell.metadata.nbgrader['grade_id']
    KeyError: 'grade_id'

[AutogradeApp | WARNING] Attribute 'checksum' for cell test_gap_closed has changed!
[AutogradeApp | ERROR] There was an error processing assignment 'zero_layer' for student 'broken'
"""


def test_nbgraders_log_gives_the_cause_of_each_failure():
    assert nbgrader_failures(NBGRADER_LOG.splitlines(keepends=True)) == {
        "broken": "NotJSONError: Notebook does not appear to be JSON: '{\"cells\": ['",
        "badmeta": "KeyError: 'grade_id'",
    }


def test_the_reports_say_who_and_why():
    outcome = Outcome(
        1, {"b/x.ipynb": "not readable"}, {"a/x.ipynb": ["test cell t deleted", "read-only cell r changed"]}
    )
    assert not outcome.ok and not Outcome(1).ok and Outcome(0).ok
    assert outcome.failure_report().splitlines()[1:] == ["  b/x.ipynb: not readable"]
    assert outcome.tampering_report().splitlines()[1:] == [
        "  a/x.ipynb: test cell t deleted; read-only cell r changed"
    ]
    assert Outcome(0).failure_report() == Outcome(0).tampering_report() == ""


def test_a_missing_notebook_says_what_the_folder_holds(tmp_path):
    folder = tmp_path / "submitted" / "jdoe" / SLUG
    folder.mkdir(parents=True)
    assert missing(folder, f"{SLUG}.ipynb").endswith(f"submitted/jdoe/{SLUG}/ (it holds no notebook)")
    (folder / "Untitled.ipynb").write_text("{}")
    assert missing(folder, f"{SLUG}.ipynb").endswith("(it holds Untitled.ipynb)")


# --- place ------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path):
    course = tmp_path / "course"
    coursedir.init(course)
    build.write(SLUG, course)
    return course


def test_place_writes_what_collect_would(course, release, tmp_path):
    sent = tmp_path / "jdoe's answers.ipynb"
    nbformat.write(release, sent)
    folder = place(course, SLUG, "jdoe", [sent], "2025-03-01 17:00:00 UTC")
    assert folder == course / "submitted" / "jdoe" / SLUG
    assert sorted(p.name for p in folder.iterdir()) == [
        "submission_secret.txt",
        "timestamp.txt",
        f"{SLUG}.ipynb",
    ]
    assert (folder / f"{SLUG}.ipynb").read_bytes() == sent.read_bytes()
    assert str(parse_utc((folder / "timestamp.txt").read_text())) == "2025-03-01 17:00:00"
    secret = (folder / "submission_secret.txt").read_text()
    assert len(secret) == 128 and int(secret, 16) >= 0
    (folder / "stale.py").write_text("")
    again = place(course, SLUG, "jdoe", [folder / f"{SLUG}.ipynb"])  # from the submission itself
    assert sorted(p.name for p in again.iterdir()) == [
        "submission_secret.txt",
        "timestamp.txt",
        f"{SLUG}.ipynb",
    ]
    assert (again / f"{SLUG}.ipynb").read_bytes() == sent.read_bytes()
    assert (again / "submission_secret.txt").read_text() != secret  # a new submission


@pytest.mark.parametrize(
    "student, files, timestamp, message",
    [
        ("a+b", ["ok.ipynb"], None, "not a student id"),
        ("../x", ["ok.ipynb"], None, "not a student id"),
        ("jdoe", ["bad.ipynb"], None, "bad.ipynb is not a notebook (NotJSONError"),
        ("jdoe", ["ok.ipynb", "ok.ipynb"], None, f"{SLUG} has one notebook, {SLUG}.ipynb: give one file"),
        ("jdoe", ["ok.ipynb"], "yesterday", "not a time nbgrader can read"),
    ],
)
def test_place_refuses_what_nbgrader_would_trip_on(
    course, release, tmp_path, student, files, timestamp, message
):
    nbformat.write(release, tmp_path / "ok.ipynb")
    (tmp_path / "bad.ipynb").write_text('{"cells": [')
    with pytest.raises(CourseError, match=message.replace("+", r"\+").replace("(", r"\(")):
        place(course, SLUG, student, [tmp_path / f for f in files], timestamp)
    assert not (course / "submitted").exists()


def test_place_needs_a_built_assignment(course, tmp_path):
    with pytest.raises(CourseError, match="holds no notebook: build the assignment first"):
        place(course, "composition", "jdoe", [tmp_path / "x.ipynb"])
    with pytest.raises(CourseError, match="is not a course folder"):
        place(tmp_path, SLUG, "jdoe", [tmp_path / "x.ipynb"])
