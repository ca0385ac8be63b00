"""Submissions as `course nbgrader autograde` meets them, without running nbgrader: what
counts as tampering with locked cells, and what nbgrader's log says about the notebooks it
failed on."""

import nbformat
import pytest

from autograder.nbgrader import build
from autograder.nbgrader.outcome import Outcome, missing, nbgrader_failures
from autograder.nbgrader.tamper import tampering

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
