"""Grading without solutions/: the stored snapshots, and a learner's kit installed in a
fresh virtual environment."""

import importlib
import subprocess
import sys

import pytest
import torch

from autograder import framework, snapshots
from autograder.paths import module_file
from autograder.runner import grade_chapter
from course.chapters import CHAPTERS


def _leaves(value) -> list:
    """The tensors of an output, tuples of tuples included, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("slug", CHAPTERS)
def test_snapshots_are_in_sync_with_the_solutions(slug):
    live, stored = snapshots.live_reference(slug), snapshots.snapshot_reference(slug)
    for check in importlib.import_module(f"autograder.checks.{slug}").CHECKS:
        for case in framework.cases(check, ["cpu"]):
            a, b = live(check.exercise, case), stored(check.exercise, case)
            for x, y in zip(_leaves(a), _leaves(b), strict=True):
                assert torch.allclose(x, y, rtol=1e-12, atol=1e-12), (
                    f"{snapshots.key(check.exercise, case)} is stale: run `course exercises build {slug}`"
                )
    assert snapshots.points(slug, use_snapshots=True) == snapshots.points(slug, use_snapshots=False)


def test_snapshots_grade_like_the_solutions():
    path = module_file("solutions", "residual_stream")
    result = grade_chapter("residual_stream", path=path, use_snapshots=True)
    assert {e.status for e in result.exercises} == {"passed"}


@pytest.mark.slow
def test_a_kit_installs_in_a_fresh_venv_and_grades_without_solutions(tmp_path, user_env):
    kit, venv = tmp_path / "kit", tmp_path / "venv"
    out = subprocess.run(["course", "kit", str(kit)], capture_output=True, text=True, env=user_env)
    assert out.returncode == 0, out.stderr
    assert not (kit / "solutions").exists() and (kit / "autograder" / "snapshots").is_dir()

    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet"]
    torch_req = f"torch=={torch.__version__.split('+')[0]}"  # the build this machine already has
    subprocess.run([*pip, torch_req, "-e", str(kit)], check=True, env=user_env)
    course = str(venv / "bin" / "course")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def check():
        return subprocess.run(
            [course, "check", "residual_stream"], capture_output=True, text=True, env=user_env, cwd=elsewhere
        )

    no_solutions = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import solutions"], capture_output=True, cwd=elsewhere
    )
    assert no_solutions.returncode != 0
    todo = check()
    assert todo.returncode == 1 and "0 failed, 8 not attempted" in todo.stdout, todo.stdout + todo.stderr

    # The learner answers every exercise; the snapshots grade it.
    answer = module_file("solutions", "residual_stream").read_text()
    (kit / "exercises" / "residual_stream.py").write_text(answer)
    done = check()
    assert done.returncode == 0 and "8 of 8 exercises passed" in done.stdout, done.stdout + done.stderr
