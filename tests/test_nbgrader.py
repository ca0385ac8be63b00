"""The chapters as nbgrader assignments: the notebooks that `course nbgrader build`
writes, the grading behind their test cells, and the whole round trip with real
nbgrader (generate_assignment, autograde, export, generate_feedback) on four
submissions whose scores are known exactly."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import snapshots
from autograder.nbgrader import build, check, definitions, warm_up
from autograder.nbgrader.judge import Judge
from autograder.paths import module_file
from course.chapters import CHAPTERS
from course.cli import main
from course.dataset import cache_dir

SLUG = "zero_layer"  # the smallest chapter: the round trip costs a kernel per student
POINTS = snapshots.points(SLUG, use_snapshots=False)
CELL_TIMEOUT = 20  # the hostile answer's endless loop costs half of it


# --- the module a test cell grades ---------------------------------------------------


def test_the_graded_module_keeps_definitions_and_drops_the_rest():
    cells = [
        ("cell In[1]", "import torch\nEPS = 1e-9\nprint('exploring')\nx = torch.zeros(3)"),
        ("cell In[2]", "def f(a):\n    return a + EPS\n\nwhile True:\n    pass"),
        ("cell In[3]", "import sys; sys.exit(1)\ntorch.allclose = lambda *a, **k: True"),
        ("cell In[4]", "def f(a):\n    return a * 2  # a later definition wins, as in the kernel"),
        ("cell In[5]", "def broken(:"),
    ]
    module = definitions.from_cells(cells)
    namespace: dict = {}
    exec(module.source, namespace)
    assert namespace["EPS"] == 1e-9 and namespace["f"](3) == 6
    assert module.defines("f") and module.defines("torch") and not module.defines("x")
    for dropped in ("print", "torch.zeros", "while", "exit", "allclose", "broken"):
        assert dropped not in module.source, dropped
    line = (
        module.source.splitlines().index("    return a * 2  # a later definition wins, as in the kernel") + 1
    )
    assert (
        module.where(f"ValueError (at m.py:{line}: ...)", "m.py") == "ValueError (at cell In[4], line 2: ...)"
    )


def _solution(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = module_file("solutions", SLUG).read_text()
    assert old in text
    path = tmp_path / "answer.py"
    path.write_text(text.replace(old, new, 1))
    return path


def test_hidden_failures_name_the_exercise_but_not_the_hidden_inputs(tmp_path):
    """A bigram table of fixed size 11 passes every visible case (d_vocab 11) and fails
    the hidden seed with d_vocab 17, without the message saying so."""
    path = _solution(
        tmp_path, "minlength=d_vocab * d_vocab).reshape(d_vocab, d_vocab)", "minlength=121).reshape(11, 11)"
    )
    source = definitions.from_cells([("answer.py", path.read_text())]).source
    judge = Judge(tmp_path, time_limit=10)
    try:
        visible = judge.grade(SLUG, "bigram_counts", source)
        hidden = judge.grade(SLUG, "bigram_counts", source, hidden=True)
    finally:
        judge.close()
    assert visible.status == "passed"
    assert hidden.status == "failed"
    text = " ".join(hidden.messages)
    assert "the hidden tests of bigram_counts fail" in text
    for secret in ("hidden seed", "17", "d_model 12", "expected", "index"):
        assert secret not in text, secret


def test_check_outside_a_notebook_grades_the_file_that_defines_the_answer(tmp_path):
    """Where there is no kernel history, the answer's own file is graded, through the
    same judge process as in a notebook."""
    path = _solution(tmp_path, "return W_E @ W_U + b_U", "return W_E @ W_U.T + b_U")
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    warm_up("no_such_chapter")  # best effort: it gets no reply, and spoils nothing
    warm_up(SLUG)
    check(SLUG, "gap_closed", namespace["gap_closed"])
    line = path.read_text().splitlines().index("    return W_E @ W_U.T + b_U") + 1
    with pytest.raises(
        AssertionError, match=rf"zero_layer_logits fails:\n.*RuntimeError.*\(at answer\.py, line {line}: "
    ):
        check(SLUG, "zero_layer_logits", namespace["zero_layer_logits"])
    stub: dict = {}
    stub_path = module_file("exercises", SLUG)
    exec(compile(stub_path.read_text(), str(stub_path), "exec"), stub)
    with pytest.raises(NotImplementedError, match="not attempted"):
        check(SLUG, "gap_closed", stub["gap_closed"])


# --- the notebooks -------------------------------------------------------------------


@pytest.mark.parametrize("slug", CHAPTERS)
def test_each_chapter_builds_a_valid_nbgrader_notebook(slug):
    nb = build.notebook(slug, "https://example.org/course/")
    nbformat.validate(nb)
    points = snapshots.points(slug, use_snapshots=False)
    code = [c for c in nb.cells if c.cell_type == "code"]
    meta = [c.metadata["nbgrader"] for c in code]
    assert all(
        m["schema_version"] == 3 and {"grade", "solution", "locked", "grade_id"} <= m.keys() for m in meta
    )
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids))
    tests = {m["grade_id"]: m for m in meta if m["grade"]}
    assert {k: m["points"] for k, m in tests.items()} == {
        f"test_{n.replace('.', '-')}": p for n, p in points.items()
    }
    assert all(m["locked"] and not m["solution"] for m in tests.values())
    for c in code:
        if c.metadata["nbgrader"]["solution"]:
            assert "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source
            assert "@exercise" not in c.source
    intro = nb.cells[0].source
    assert f"https://example.org/course/{slug.replace('_', '-')}/" in intro


def test_build_writes_only_the_notebook_and_is_stable(tmp_path):
    first = build.write(SLUG, tmp_path)
    second = build.write(SLUG, tmp_path)
    assert first == (tmp_path / "source" / SLUG / f"{SLUG}.ipynb", "written")
    assert second[1] == "unchanged"
    assert [p.name for p in (tmp_path / "source").rglob("*") if p.is_file()] == [f"{SLUG}.ipynb"]


def test_init_writes_a_course_folder_once_and_build_needs_one(tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["nbgrader", "init", str(course), "--course-id", "c101", "--timeout", "40"]) == 0
    config = (course / "nbgrader_config.py").read_text()
    assert "course_id = 'c101'" in config and "CELL_TIMEOUT = 40" in config
    assert (course / "students.csv").read_text().startswith("id,first_name,last_name,email\n")
    assert (course / "exchange").is_dir() and (course / "source").is_dir()
    capsys.readouterr()
    assert main(["nbgrader", "init", str(course)]) == 1
    assert main(["nbgrader", "build", SLUG, "--course", str(tmp_path)]) == 1
    assert main(["nbgrader", "build", "no_such_chapter", "--course", str(course)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and "already exists" in errors[0] and "not a course folder" in errors[1]
    assert "no chapter named 'no_such_chapter'" in errors[2]


# --- the round trip with real nbgrader -----------------------------------------------


def _nbgrader(env, course: Path, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Exception while loading config" not in out.stdout + out.stderr, out.stdout + out.stderr
    return out


def _answers(
    release: nbformat.NotebookNode, source: nbformat.NotebookNode, edits: dict
) -> nbformat.NotebookNode:
    """A copy of the release where each exercise in ``edits`` gets an answer: "correct"
    (the reference), or a function of the reference's source."""
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells if c.cell_type == "code"}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in edits:
            edit = edits[grade_id]
            cell.source = reference[grade_id] if edit == "correct" else edit(reference[grade_id])
    return nb


def _replace(old: str, new: str, prelude: str = "", after: str = ""):
    def edit(text: str) -> str:
        assert old in text, old
        return prelude + text.replace(old, new) + after

    return edit


ALL_CORRECT = dict.fromkeys(POINTS, "correct")
HALF = {
    "bigram_log_probs": "correct",
    "zero_layer_logits": "correct",
    "best_rank_k": "correct",
    # right on every visible case, wrong on the hidden d_vocab 17
    "bigram_counts": _replace(
        "minlength=d_vocab * d_vocab).reshape(d_vocab, d_vocab)", "minlength=121).reshape(11, 11)"
    ),
    "table_cross_entropy": _replace("log_probs = table.log_softmax(dim=-1)", "log_probs = table"),
    "gap_closed": _replace(
        "(unigram_ce - model_ce) / (unigram_ce - bigram_ce)",
        "(model_ce - unigram_ce) / (unigram_ce - bigram_ce)",
    ),
    # top_next_tokens: left as released
}
HOSTILE = {
    # patches the comparison in the kernel and in the grader's worker, with a wrong answer
    "bigram_counts": _replace(
        "    pairs = tokens[:-1] * d_vocab + tokens[1:]\n",
        "    torch.allclose = lambda *a, **k: True\n    pairs = tokens[1:] * d_vocab + tokens[:-1]\n",
        prelude="torch.allclose = lambda *a, **k: True\n",
    ),
    # ends the process it runs in, inside the answer and at the cell's top level
    "bigram_log_probs": _replace(
        "    smoothed = counts + alpha\n", "    sys.exit(0)\n", prelude="import sys\n", after="\nsys.exit(1)"
    ),
    "zero_layer_logits": _replace("    return W_E @ W_U + b_U\n", "    while True:\n        pass\n"),
    "gap_closed": _replace(
        "    return (unigram_ce - model_ce) / (unigram_ce - bigram_ce)\n",
        "    from solutions.zero_layer import gap_closed\n\n    return gap_closed(unigram_ce, model_ce, bigram_ce)\n",
    ),
    "table_cross_entropy": "correct",
    "best_rank_k": "correct",
    "top_next_tokens": "correct",
}
SUBMISSIONS = {"a_hostile": HOSTILE, "all_correct": ALL_CORRECT, "half": HALF, "untouched": {}}


def _expected(edits: dict) -> dict[str, float]:
    return {f"test_{n}": float(p if edits.get(n) == "correct" else 0) for n, p in POINTS.items()}


def nbgrader_env(tmp: Path) -> dict:
    """The environment of nbgrader's processes: Jupyter's folders and HOME temporary."""
    env = dict(
        os.environ,
        HOME=str(tmp / "home"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        MPLCONFIGDIR=str(tmp / "mpl"),
        COURSE_CACHE_DIR=str(cache_dir()),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    env.pop("COURSE_CHECK_TIME_LIMIT", None)  # the course's config sets it
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _course(env, *args: str) -> None:
    """``course ARGS`` with this interpreter; it must succeed."""
    out = subprocess.run([sys.executable, "-m", "course.cli", *args], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def released_course(
    tmp: Path, env: dict, students: list[str], db_url: str | None = None
) -> tuple[Path, nbformat.NotebookNode, nbformat.NotebookNode]:
    """A course folder after init, build and generate_assignment of SLUG, with
    ``students`` in its gradebook (``db_url``, else sqlite in the folder); returns it, the
    release and the source notebook."""
    course = tmp / "course"

    def run_course(*args):
        _course(env, *args)

    gradebook = ["--db-url", db_url] if db_url else []
    run_course(
        "nbgrader", "init", str(course), "--course-id", "test", "--timeout", str(CELL_TIMEOUT), *gradebook
    )
    run_course("nbgrader", "build", SLUG, "--course", str(course))
    _nbgrader(env, course, "generate_assignment", SLUG, "--force")
    release = nbformat.read(course / "release" / SLUG / f"{SLUG}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / SLUG / f"{SLUG}.ipynb", as_version=4)
    csv_path = course / "students.csv"
    csv_path.write_text("id,first_name,last_name,email\n" + "".join(f"{s},{s},Test,\n" for s in students))
    _nbgrader(env, course, "db", "student", "import", str(csv_path))
    return course, release, source


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course folder after init, build, generate_assignment, four submissions,
    autograde, export and generate_feedback; Jupyter's folders are temporary."""
    tmp = tmp_path_factory.mktemp("nbgrader")
    env = nbgrader_env(tmp)
    course, release, source = released_course(tmp, env, list(SUBMISSIONS))
    for student, edits in SUBMISSIONS.items():
        folder = course / "submitted" / student / SLUG
        folder.mkdir(parents=True)
        nbformat.write(_answers(release, source, edits), folder / f"{SLUG}.ipynb")
    _nbgrader(env, course, "autograde", SLUG, "--force")
    _nbgrader(env, course, "generate_feedback", SLUG, "--force")
    _nbgrader(env, course, "export", "--to", str(course / "grades.csv"))
    return course


def test_the_release_has_stubs_and_no_hidden_tests_or_answers(graded):
    folder = graded / "release" / SLUG
    assert [p.name for p in folder.iterdir()] == [f"{SLUG}.ipynb"]
    nb = nbformat.read(folder / f"{SLUG}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("raise NotImplementedError()") == len(POINTS)
    for secret in ("BEGIN HIDDEN TESTS", "hidden=True", "BEGIN SOLUTION", "torch.bincount", "topk"):
        assert secret not in code, secret


def _gradebook_scores(course: Path, students=SUBMISSIONS, db_url: str | None = None) -> dict[str, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}", course_id="test") as gb:
        out = {}
        for student in students:
            nb = gb.find_submission_notebook(SLUG, SLUG, student)
            submission = gb.find_submission(SLUG, student)
            out[student] = {
                "grades": {g.name: g.auto_score for g in nb.grades},
                "score": submission.score,
                "max_score": submission.max_score,
            }
        return out


@pytest.mark.parametrize("student", SUBMISSIONS)
def test_each_submission_earns_exactly_its_points(graded, student):
    scores = _gradebook_scores(graded)[student]
    expected = _expected(SUBMISSIONS[student])
    assert scores["grades"] == expected
    assert scores["score"] == sum(expected.values())
    assert scores["max_score"] == sum(POINTS.values())


def test_the_scores_are_full_zero_and_half(graded):
    scores = _gradebook_scores(graded)
    total = sum(POINTS.values())
    assert scores["all_correct"]["score"] == total
    assert scores["untouched"]["score"] == 0
    assert scores["half"]["score"] == total / 2  # zero_layer's half: 2 + 1 + 3 of 12 points


def test_export_matches_the_gradebook(graded):
    rows = {r["student_id"]: r for r in csv.DictReader((graded / "grades.csv").open())}
    scores = _gradebook_scores(graded)
    assert rows.keys() == scores.keys()
    for student, row in rows.items():
        assert row["assignment"] == SLUG
        assert float(row["score"]) == scores[student]["score"]
        assert float(row["max_score"]) == scores[student]["max_score"]


def _test_outputs(course: Path, student: str) -> dict[str, str]:
    nb = nbformat.read(course / "autograded" / student / SLUG / f"{SLUG}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            out[meta["grade_id"]] = "\n".join(
                o.get("text", "") + o.get("evalue", "") + "".join(o.get("traceback", []))
                for o in cell.outputs
            )
    return out


def test_hostile_answers_fail_for_the_right_reasons(graded):
    out = _test_outputs(graded, "a_hostile")
    assert "values are off" in out["test_bigram_counts"]
    assert "SystemExit" in out["test_bigram_log_probs"]
    assert f"timed out after {CELL_TIMEOUT // 2} s" in out["test_zero_layer_logits"]
    assert "imports `solutions`" in out["test_gap_closed"]
    assert "passes the tests and the hidden tests" in out["test_top_next_tokens"]


def test_feedback_for_every_student_without_hidden_inputs(graded):
    for student, scores in _gradebook_scores(graded).items():
        html = (graded / "feedback" / student / SLUG / f"{SLUG}.html").read_text()
        assert f"Score: {scores['score']:.1f} / {scores['max_score']:.1f}" in html
    half = (graded / "feedback" / "half" / SLUG / f"{SLUG}.html").read_text()
    assert "the hidden tests of bigram_counts fail" in half
    assert "hidden seed" not in half


def test_graded_notebooks_link_to_the_site_without_solutions(monkeypatch):
    """The published site has a copy without the reference answers under graded/ (built by
    the docs workflow); notebooks for grading link there unless told otherwise."""
    monkeypatch.delenv("SITE_URL", raising=False)
    assert build.site_url().endswith("/" + build.GRADED)
    workflow = (Path(__file__).resolve().parent.parent / ".github" / "workflows" / "docs.yml").read_text()
    step = workflow[workflow.index("Build the copy without solutions") :]
    assert 'COURSE_HIDE_SOLUTIONS: "1"' in step and f"-d build/site/{build.GRADED.rstrip('/')}" in step
