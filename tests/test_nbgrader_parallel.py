"""`course nbgrader autograde --jobs N`: submissions graded in parallel sandboxes first, then
recorded by nbgrader's own autograde, with the same scores as grading one by one."""

import subprocess
import sys

import nbformat
import pytest

from autograder.nbgrader.parallel import VERDICTS
from autograder.sandbox import available
from tests.test_nbgrader import (
    HALF,
    POINTS,
    SLUG,
    _answers,
    _expected,
    _gradebook_scores,
    nbgrader_env,
    released_course,
)

pytestmark = pytest.mark.skipif(not available(), reason="bubblewrap is not usable here")
SUBMISSIONS = {"all_correct": dict.fromkeys(POINTS, "correct"), "half": HALF, "untouched": {}}


def test_parallel_grading_gives_the_same_scores(tmp_path):
    env = nbgrader_env(tmp_path)
    course, release, source = released_course(tmp_path, env, list(SUBMISSIONS))
    for student, edits in SUBMISSIONS.items():
        folder = course / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(_answers(release, source, edits), folder / f"{SLUG}.ipynb")
    out = subprocess.run(
        [sys.executable, "-m", "course.cli", "nbgrader", "autograde", SLUG, "--jobs", "2"],
        cwd=course, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(list((course / VERDICTS / SLUG).glob("*.json"))) >= len(POINTS)  # graded beforehand
    scores = _gradebook_scores(course, list(SUBMISSIONS))
    for student, edits in SUBMISSIONS.items():
        assert scores[student]["grades"] == _expected(edits), student
