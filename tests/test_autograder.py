"""The grader: passes the references, reads stubs as not attempted, fails planted
wrong answers with a relevant message, and survives hostile submissions."""

import importlib
import re
import subprocess
from pathlib import Path

import pytest

from autograder import framework, runner
from autograder.checks.residual_stream import CHECKS
from autograder.paths import module_file
from course.chapters import CHAPTERS
from course.exercise import anchor

N = len(CHECKS)  # exercises in the chapter
N_ALL = sum(len(importlib.import_module(f"autograder.checks.{c}").CHECKS) for c in CHAPTERS)


def _first_in_an_answer(text: str, old: str) -> int:
    """Where ``old`` first occurs between solution markers, else anywhere: a mutant
    changes an answer, not a hint or docstring that quotes the same code."""
    for m in re.finditer(r"### BEGIN SOLUTION.*?### END SOLUTION", text, flags=re.S):
        at = text.find(old, m.start(), m.end())
        if at >= 0:
            return at
    assert old in text, old
    return text.index(old)


def variant(tmp_path: Path, *edits: tuple[str, str], prelude: str = "", chapter="residual_stream") -> Path:
    """A copy of the reference with textual edits, written as a learner's file."""
    text = module_file("solutions", chapter).read_text()
    for old, new in edits:
        at = _first_in_an_answer(text, old)
        text = text[:at] + new + text[at + len(old) :]
    path = tmp_path / "submission.py"
    path.write_text(prelude + text)
    return path


def grade(path, only=None, chapter="residual_stream", **kw):
    result = runner.grade_chapter(chapter, path=path, only=only, **kw)
    return {r.exercise: r for r in result.exercises}, result


def test_references_pass():
    results, chapter = grade(module_file("solutions", "residual_stream"))
    assert all(r.status == "passed" and r.points == r.max_points for r in results.values()), results


def test_fresh_stubs_are_not_attempted():
    results, _ = grade(module_file("exercises", "residual_stream"))
    assert {r.status for r in results.values()} == {"not attempted"}
    assert all(not r.messages for r in results.values())  # no tracebacks for untried work


ALL_MUTATIONS = {c: importlib.import_module(f"tests.mutants.{c}").MUTATIONS for c in CHAPTERS}


@pytest.mark.parametrize(
    "chapter, exercise, label, edit, message",
    [
        (c, ex, label, edit, msg)
        for c, m in ALL_MUTATIONS.items()
        for ex, ms in m.items()
        for label, edit, msg in ms
    ],
    ids=[f"{c}.{ex}-{label}" for c, m in ALL_MUTATIONS.items() for ex, ms in m.items() for label, *_ in ms],
)
def test_planted_mistakes_fail_with_a_relevant_message(tmp_path, chapter, exercise, label, edit, message):
    results, _ = grade(variant(tmp_path, edit, chapter=chapter), only=[exercise], chapter=chapter)
    r = results[exercise]
    text = "\n".join(r.messages)
    assert r.status == "failed" and r.points == 0, label
    assert message in text, text
    assert "hint:" in text and f"#{anchor(exercise)}" in text
    assert "case '" in text and "on cpu" in text  # names the input case, dtype and device


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_at_least_two_mutations(chapter):
    checks = importlib.import_module(f"autograder.checks.{chapter}").CHECKS
    assert all(len(ALL_MUTATIONS[chapter][c.exercise]) >= 2 for c in checks)


HOSTILE = {
    "infinite loop": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    while True:\n        pass\n    q = ",
        "timed out",
    ),
    "os._exit": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    import os; os._exit(0)\n    q = ",
        "ended the grading process",
    ),
    "sys.exit": ("    ### BEGIN SOLUTION\n    q = ", "    import sys; sys.exit(0)\n    q = ", "SystemExit"),
    "30 GB allocation": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    big = torch.ones(30 * 2**30 // 8, dtype=torch.float64)\n    q = ",
        "memory",
    ),
    "patched comparisons": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    torch.allclose = lambda *a, **k: True\n    torch.testing.assert_close = lambda *a, **k: None\n"
        "    torch.equal = lambda *a, **k: True\n    return torch.zeros(x.shape[0], W_Q.shape[0], x.shape[1], x.shape[1], dtype=x.dtype)\n    q = ",
        "values are off",
    ),
    "import of solutions": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    from solutions.residual_stream import attention_pattern as ref\n    return ref(x, W_Q, b_Q, W_K, b_K)\n    q = ",
        "imports `solutions`",
    ),
    "wrong dtype": (
        "    return scores.masked_fill",
        "    return scores.double().masked_fill",
        "expected dtype torch.float32",
    ),
    "input mutated in place": (
        "    ### BEGIN SOLUTION\n    q = ",
        "    x.mul_(1.0).add_(1e-3)\n    q = ",
        "changed its input `x` in place",
    ),
}


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_submission_costs_only_its_exercise(tmp_path, label):
    old, new, message = HOSTILE[label]
    results, chapter = grade(variant(tmp_path, (old, new)), time_limit=8, memory=4 << 30)
    hostile = results["attention_pattern"]
    assert hostile.status == "failed" and hostile.points == 0
    assert message in "\n".join(hostile.messages), hostile.messages
    # attn_only_forward calls the learner's own attention_pattern, so it shares its fate.
    others = [r for name, r in results.items() if name not in ("attention_pattern", "attn_only_forward")]
    assert all(r.status == "passed" for r in others), others


def test_a_module_level_import_of_solutions_scores_zero_everywhere(tmp_path):
    path = variant(
        tmp_path, prelude="import importlib\n_ref = importlib.import_module('solutions.residual_stream')\n"
    )
    results, chapter = grade(path)
    assert chapter.error and "imports `solutions`" in chapter.error
    assert all(r.points == 0 for r in results.values())


def test_the_import_of_solutions_is_also_blocked_at_run_time(tmp_path):
    hidden = "__import__('sol' + 'utions.residual_stream')"  # invisible to the static scan
    path = variant(
        tmp_path,
        (
            '    ### BEGIN SOLUTION\n    return einops.einsum(z, W_O, "b p h e, h e d -> b p h d")',
            f"    ### BEGIN SOLUTION\n    return {hidden}.head_results(z, W_O)",
        ),
    )
    results, _ = grade(path, only=["head_results"])
    assert results["head_results"].status == "failed"
    assert "does not let graded code import `solutions`" in "\n".join(results["head_results"].messages)


def test_a_syntax_error_names_the_file_and_line(tmp_path):
    path = variant(tmp_path, ("    n = x.shape[1]\n", "    n = x.shape[1\n"))
    results, chapter = grade(path)
    assert chapter.error.startswith(f"{path}:") and "SyntaxError" in chapter.error
    assert all(r.status == "failed" for r in results.values())


def test_wrong_device_is_reported():
    """A GPU is not always at hand, so this one is tested on the comparison itself."""
    import torch

    case = framework.cases(CHECKS[2], ["cpu"])[0]
    out = torch.zeros(2, 5, 3, 8, dtype=torch.float32)
    meta = {"kind": "tensor", "dtype": "torch.float32", "device": "cuda:0"}
    problem = framework.compare(out, out, meta, case)
    assert problem == "expected the output on cpu (the inputs' device), got it on cuda:0"


def test_the_memory_cap_holds_on_the_gpu_too(monkeypatch):
    """On a GPU with more memory than the cap, a dense answer must still fail by running out
    of memory (as on the CPU) rather than run until the time limit. No GPU is needed to
    check the fraction the worker asks torch for."""
    import torch

    from autograder import worker

    asked = []
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(
        torch.cuda, "get_device_properties", lambda i: type("P", (), {"total_memory": 80 << 30})
    )
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", lambda f, *a: asked.append(f))
    worker._limit_cuda_memory.__wrapped__(8 << 30)
    worker._limit_cuda_memory.__wrapped__(0)  # no cap: torch is not asked
    assert asked == [0.1]


def test_course_check_from_any_directory(tmp_path, user_env):
    ok = subprocess.run(
        ["course", "check", "--impl", "solutions"], cwd=tmp_path, capture_output=True, text=True, env=user_env
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"{N_ALL} of {N_ALL} exercises passed" in ok.stdout
    todo = subprocess.run(
        ["course", "check", "residual_stream", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=user_env,
    )
    assert todo.returncode == 1
    import json

    statuses = {e["status"] for ch in json.loads(todo.stdout) for e in ch["exercises"]}
    assert statuses == {"not attempted"}
    bad = subprocess.run(
        ["course", "check", "chapter_nine"], cwd=tmp_path, capture_output=True, text=True, env=user_env
    )
    assert bad.returncode == 1 and "no chapter named 'chapter_nine'" in bad.stderr


def test_pytest_grades_too(user_env):
    root = Path(__file__).resolve().parent.parent
    ok = subprocess.run(
        ["pytest", "-q", "-p", "no:cacheprovider", str(root / "autograder"), "--impl", "solutions"],
        capture_output=True,
        text=True,
        env=user_env,
        cwd=root,
    )
    assert ok.returncode == 0 and f"{N_ALL} passed" in ok.stdout, ok.stdout
    todo = subprocess.run(
        ["pytest", "-q", "-p", "no:cacheprovider", str(root / "autograder")],
        capture_output=True,
        text=True,
        env=user_env,
        cwd=root,
    )
    assert todo.returncode == 1 and "not attempted yet" in todo.stdout and "Traceback" not in todo.stdout


def test_one_worker_serves_every_chapter(monkeypatch):
    started = []
    init = runner.Worker.__init__
    monkeypatch.setattr(
        runner.Worker, "__init__", lambda self, *a, **k: started.append(1) or init(self, *a, **k)
    )
    results = runner.grade(["zero_layer", "eigenvalues"], "solutions")
    assert all(r.status == "passed" for c in results for r in c.exercises)
    assert len(started) == 1


def test_a_file_that_fails_to_import_does_not_spoil_the_shared_worker(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom at import')\n")
    slot = runner.WorkerSlot()
    try:
        first = runner.grade_chapter("zero_layer", path=broken, slot=slot)
        assert "boom at import" in first.error
        second = runner.grade_chapter("zero_layer", "solutions", slot=slot)
        assert {r.status for r in second.exercises} == {"passed"}
    finally:
        slot.close()
