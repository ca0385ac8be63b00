"""A hostile class graded by real nbgrader with the course's sandboxed autograde: one
student per attack in tests/attacks/, a correct student graded first and one graded
last, and an untouched release. Every attacker scores 0 with no extra credit, both
correct students get full marks, everyone is graded, and nothing an attack aimed at
(the gradebook, classmates' files, source/, processes) is changed.

A second assignment follows in the same course folder, graded after the first: the two
correct students, the untouched release, and a student whose answers read the classmates'
submissions of both assignments, by their real paths. It checks that grading one
assignment leaves nothing that helps or harms the next."""

import sqlite3

import nbformat
import pytest

from autograder import snapshots
from autograder.sandbox import available
from tests import attacks
from tests.test_nbgrader import POINTS, SLUG, _answers, _course, _nbgrader, nbgrader_env, released_course

pytestmark = pytest.mark.skipif(not available(), reason="bubblewrap is not usable here")

WRONG = "    return torch.zeros(d_vocab, d_vocab, dtype=torch.long)\n"
STUDENTS = ["a_correct", *(f"attack_{n}" for n in attacks.NAMES), "untouched", "zz_correct"]
SECOND = "eigenvalues"  # the second assignment
SECOND_STUDENTS = ["a_correct", "attack_copy_both", "untouched", "zz_correct"]
SECOND_POINTS = snapshots.points(SECOND, use_snapshots=False)

#: The copying student's every answer: run the same function of a classmate's submission,
#: of this assignment or the first, found at its real path in the course folder (every code
#: cell of it but the tests, for its imports). Outside the sandbox it scores full marks
#: (test_the_copying_answer_works_where_the_files_can_be_read).
COPY_BOTH = """
    import json, pathlib
    for nb in sorted(pathlib.Path({course!r}).glob("submitted/*/*/*.ipynb")):
        if "attack_copy_both" in str(nb):
            continue
        scope = {{}}
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code" and "check(" not in "".join(cell["source"]):
                try:
                    exec("".join(cell["source"]), scope)
                except Exception:
                    pass
        if "{name}" in scope:
            return scope["{name}"](*args, **kwargs)
    raise NotImplementedError()
"""


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
    _second_assignment(env, course)
    return course, before, out


def _copy_both(course, reference: str) -> str:
    """An answer cell whose function, whatever its signature, runs a classmate's."""
    head = reference.split("def ", 1)[0]
    name = reference.split("def ", 1)[1].split("(", 1)[0]
    return f"{head}def {name}(*args, **kwargs):" + COPY_BOTH.format(course=str(course), name=name)


def _second_assignment(env, course) -> None:
    _course(env, "nbgrader", "build", SECOND, "--course", str(course))
    _nbgrader(env, course, "generate_assignment", SECOND, "--force")
    release = nbformat.read(course / "release" / SECOND / f"{SECOND}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / SECOND / f"{SECOND}.ipynb", as_version=4)
    for student in SECOND_STUDENTS:
        if student.endswith("correct"):
            nb = _answers(release, source, dict.fromkeys(SECOND_POINTS, "correct"))
        elif student == "untouched":
            nb = release
        else:
            nb = _answers(release, source, {n: lambda ref: _copy_both(course, ref) for n in SECOND_POINTS})
        folder = course / "submitted" / student / SECOND
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{SECOND}.ipynb")
    _nbgrader(env, course, "autograde", SECOND, "--force")


def _scores(course, assignment: str = SLUG):
    con = sqlite3.connect(str(course / "gradebook.db"))
    rows = con.execute(
        "SELECT student.id, SUM(grade.auto_score), SUM(COALESCE(grade.extra_credit, 0)) "
        "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
        "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
        "JOIN assignment ON submitted_assignment.assignment_id = assignment.id "
        "JOIN student ON submitted_assignment.student_id = student.id "
        "WHERE assignment.name = ? GROUP BY student.id",
        (assignment,),
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


def test_the_copying_answer_works_where_the_files_can_be_read(tmp_path):
    """Without the sandbox, the copying student's answer would pass: its 0 is the sandbox's."""
    import torch

    from autograder.notebooks import build
    from autograder.paths import module_file

    reference = build.stubs(SECOND, module_file("solutions", SECOND).read_text())
    imports = "import torch\nfrom jaxtyping import Complex, Float, Int\nfrom torch import Tensor\n"
    folder = tmp_path / "submitted" / "a_correct" / SECOND
    folder.mkdir(parents=True)
    cells = [imports, reference.cells["factored_eigenvalues"], 'check("eigenvalues", "x", None)']
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), folder / "e.ipynb")
    scope: dict = {}
    exec(imports + _copy_both(tmp_path, reference.cells["factored_eigenvalues"]), scope)
    A, B = torch.randn(6, 2, dtype=torch.float64), torch.randn(2, 6, dtype=torch.float64)
    expected = torch.linalg.eigvals(B @ A)
    got = scope["factored_eigenvalues"](A, B)
    assert torch.allclose(got.abs().sort().values, expected.abs().sort().values)


def test_the_second_assignment_is_graded_as_fairly(attacked):
    course, _, _ = attacked
    scores = _scores(course, SECOND)
    assert set(scores) == set(SECOND_STUDENTS)
    total = sum(SECOND_POINTS.values())
    for student, (auto, extra) in scores.items():
        assert extra == 0, student
        assert auto == (total if student.endswith("correct") else 0), (student, auto)
    assert set(_scores(course)) == set(STUDENTS), "grading the second assignment changed the first's"


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
