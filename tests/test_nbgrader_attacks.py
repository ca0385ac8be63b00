"""A hostile class graded by real nbgrader with the course's sandboxed autograde: one
student per attack in tests/attacks/, a correct student graded first and one graded
last, and an untouched release. Every attacker scores 0 with no extra credit, both
correct students get full marks, everyone is graded, and nothing an attack aimed at
(the gradebook, classmates' files, source/, processes) is changed."""

import sqlite3

import nbformat
import pytest

from autograder.sandbox import available
from tests import attacks
from tests.test_nbgrader import POINTS, SLUG, _answers, _nbgrader, nbgrader_env, released_course

pytestmark = pytest.mark.skipif(not available(), reason="bubblewrap is not usable here")

WRONG = "    return torch.zeros(d_vocab, d_vocab, dtype=torch.long)\n"
STUDENTS = ["a_correct", *(f"attack_{n}" for n in attacks.NAMES), "untouched", "zz_correct"]


def _attack(release, source, name: str):
    attack = attacks.load(name)

    def answer(reference: str) -> str:
        head = reference[: reference.index("def bigram_counts")]
        signature = reference[reference.index("def bigram_counts") :].split(":\n", 1)[0] + ":\n"
        return head + getattr(attack, "CELL", "") + "\n" + signature + attack.BODY + WRONG

    nb = _answers(release, source, {"bigram_counts": answer})
    return attack.tamper(nb) if hasattr(attack, "tamper") else nb


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    env = nbgrader_env(tmp)
    course, release, source = released_course(tmp, env, STUDENTS)
    for student in STUDENTS:
        folder = course / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        if student.endswith("correct"):
            nb = _answers(release, source, dict.fromkeys(POINTS, "correct"))
        elif student == "untouched":
            nb = release
        else:
            name = student.removeprefix("attack_")
            nb = _attack(release, source, name)
            for rel, text in getattr(attacks.load(name), "FILES", {}).items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_text(text)
        nbformat.write(nb, folder / f"{SLUG}.ipynb")
    before = {str(p.relative_to(course)): p.read_text() for p in course.glob("submitted/*/*/*.ipynb")}
    out = _nbgrader(env, course, "autograde", SLUG, "--force")
    return course, before, out


def _scores(course):
    con = sqlite3.connect(str(course / "gradebook.db"))
    rows = con.execute(
        "SELECT student.id, SUM(grade.auto_score), SUM(COALESCE(grade.extra_credit, 0)) "
        "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"
    ).fetchall()
    return {sid: (auto, extra) for sid, auto, extra in rows}


def test_every_student_is_graded_and_only_correct_answers_score(attacked):
    course, _, _ = attacked
    scores = _scores(course)
    assert set(scores) == set(STUDENTS)
    total = sum(POINTS.values())
    for student, (auto, extra) in scores.items():
        assert extra == 0, student
        assert auto == (total if student.endswith("correct") else 0), (student, auto)


@pytest.mark.parametrize("name", attacks.NAMES)
def test_the_attack_harms_nothing_else(attacked, name):
    course, before, _ = attacked
    harmless = getattr(attacks.load(name), "harmless", None)
    if harmless:
        harmless(course, before)


def test_nothing_of_a_student_runs_in_a_kernel(attacked):
    course, _, _ = attacked
    nb = nbformat.read(course / "autograded" / "attack_patch_checker" / SLUG / f"{SLUG}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert all(
        o.get("ename") in ("AssertionError", "NotImplementedError")
        for o in outputs
        if o.output_type == "error"
    )
    assert not any("✓ passes\n" == o.get("text") for o in outputs)
