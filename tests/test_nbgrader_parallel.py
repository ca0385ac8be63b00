"""`course nbgrader autograde --jobs N` on a class whose submissions came every way: through
the exchange (submit, collect), placed with `course nbgrader place`, and copied by hand, two
of those broken. Submissions are graded in parallel sandboxes first, then recorded by
nbgrader's own autograde, with the same scores as grading one by one; feedback reaches
every graded student, through the exchange too; the two that cannot be graded are named
with the reason and fail the run; tampering is reported apart from nbgrader's warnings."""

import hashlib
import subprocess
import sys

import nbformat
import pytest
from nbgrader.utils import get_username

from autograder.nbgrader.parallel import VERDICTS
from autograder.sandbox import available
from tests.test_nbgrader import (
    HALF,
    POINTS,
    SLUG,
    _answers,
    _expected,
    _gradebook_scores,
    _nbgrader,
    nbgrader_env,
    released_course,
)

pytestmark = pytest.mark.skipif(not available(), reason="bubblewrap is not usable here")
EXCHANGED = get_username()  # `nbgrader submit` names the submission after the OS user
GRADED = {"all_correct": dict.fromkeys(POINTS, "correct"), "half": HALF, EXCHANGED: {}}
# half's notebook, tampered with in the three ways nbgrader undoes before grading
TAMPERING = (
    "read-only cell imports changed; test cell test_bigram_log_probs deleted; "
    "test cell test_top_next_tokens changed"
)


def _tampered(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    kept = []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == "test_bigram_log_probs":  # the test of a correct answer
            continue
        if grade_id == "imports":
            cell.source += "\nimport os"
        if grade_id == "test_top_next_tokens":  # an unanswered exercise, now worth 100
            cell.metadata.nbgrader.points = 100
        kept.append(cell)
    nb.cells = kept
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded, its feedback generated and released, and fetched by the student
    who submitted through the exchange; returns the course folder, that student's folder
    and the completed `course nbgrader autograde`."""
    tmp = tmp_path_factory.mktemp("parallel")
    env = nbgrader_env(tmp)
    course, release, source = released_course(tmp, env, list(GRADED))
    exchange = f"--Exchange.root={course / 'exchange'}"
    _nbgrader(env, course, "release_assignment", SLUG)
    student = tmp / "student"  # what fetch_assignment gives, handed in as the guide says
    (student / SLUG).mkdir(parents=True)
    nbformat.write(release, student / SLUG / f"{SLUG}.ipynb")
    _nbgrader(env, student, "submit", SLUG, "--course", "test", exchange)
    _nbgrader(env, course, "collect", SLUG)
    for name, nb in (
        ("all_correct", _answers(release, source, GRADED["all_correct"])),
        ("half", _tampered(_answers(release, source, HALF))),
    ):
        mail = tmp / f"{name} by mail.ipynb"
        nbformat.write(nb, mail)
        placed = subprocess.run(
            [sys.executable, "-m", "course.cli", "nbgrader", "place", SLUG, name, str(mail)],
            cwd=course, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert placed.returncode == 0, placed.stderr
    for name, file, text in (
        ("broken", f"{SLUG}.ipynb", '{"cells": ['),
        ("misnamed", f"{SLUG} (1).ipynb", nbformat.writes(release)),
    ):
        (course / "submitted" / name / SLUG).mkdir(parents=True)
        (course / "submitted" / name / SLUG / file).write_text(text)
    autograde = subprocess.run(
        [sys.executable, "-m", "course.cli", "nbgrader", "autograde", SLUG, "--jobs", "2"],
        cwd=course, env=env, capture_output=True, text=True,
    )  # fmt: skip
    _nbgrader(env, course, "generate_feedback", SLUG)
    _nbgrader(env, course, "release_feedback", SLUG)
    _nbgrader(env, student, "fetch_feedback", SLUG, "--course", "test", exchange)
    return course, student, autograde


def test_parallel_grading_gives_the_same_scores(graded):
    course, _, _ = graded
    assert len(list((course / VERDICTS / SLUG).glob("*.json"))) >= len(POINTS)  # graded beforehand
    scores = _gradebook_scores(course, list(GRADED))
    for student, edits in GRADED.items():
        assert scores[student]["grades"] == _expected(edits), student


def test_what_cannot_be_graded_is_named_with_why_and_fails_the_run(graded):
    _, _, out = graded
    assert out.returncode == 1, out.stderr
    report = out.stderr[out.stderr.index("2 notebook(s) could not be graded") :].splitlines()
    assert report[1].startswith(
        f"  broken/{SLUG}.ipynb: not readable as a notebook (NotJSONError: Notebook does not appear to be JSON"
    )
    assert report[2] == (
        f"  misnamed/{SLUG}.ipynb: no {SLUG}.ipynb in submitted/misnamed/{SLUG}/ (it holds {SLUG} (1).ipynb)"
    )
    assert len(report) == 3


def test_tampering_is_reported_apart_from_the_checksum_warnings(graded):
    _, _, out = graded
    assert "Attribute 'checksum' for cell test_bigram_counts has changed" in out.stderr  # everyone's
    assert out.stdout.startswith("Tampering with locked cells")
    assert out.stdout.splitlines()[1:] == [f"  half/{SLUG}.ipynb: {TAMPERING}"]


def test_feedback_reaches_placed_and_exchanged_submissions(graded):
    """release_feedback names each file by the submission's secret, which place wrote; the
    student who submitted through the exchange fetches theirs with the guide's command."""
    course, student, _ = graded
    scores = _gradebook_scores(course, list(GRADED))
    for name in ("all_correct", "half"):
        secret = (course / "submitted" / name / SLUG / "submission_secret.txt").read_text()
        released = (
            course
            / "exchange"
            / "test"
            / "feedback"
            / f"{hashlib.md5((secret + SLUG).encode()).hexdigest()}.html"
        )
        assert f"Score: {scores[name]['score']:.1f} / {scores[name]['max_score']:.1f}" in released.read_text()
    fetched = list(student.glob(f"{SLUG}/feedback/*/{SLUG}.html"))
    assert len(fetched) == 1
    assert f"Score: 0.0 / {sum(POINTS.values()):.1f}" in fetched[0].read_text()
