"""Grading without solutions/: the stored snapshots, and a learner's kit installed in a
fresh virtual environment."""

import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import torch

from autograder import framework, snapshots
from autograder.paths import module_file
from autograder.runner import grade_chapter
from course.chapters import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent
HOSTED = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Documentation"]


def _leaves(value) -> list:
    """The tensors and numbers of an output, tuples of tuples included, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("slug", CHAPTERS)
def test_snapshots_are_in_sync_with_the_solutions(slug):
    live, stored = snapshots.live_reference(slug), snapshots.snapshot_reference(slug)
    for check in importlib.import_module(f"autograder.checks.{slug}").CHECKS:
        for case in framework.cases(check, ["cpu"], hidden=False):
            a, b = live(check.exercise, case), stored(check.exercise, case)
            for x, y in zip(_leaves(a), _leaves(b), strict=True):
                torch.testing.assert_close(
                    torch.as_tensor(y), torch.as_tensor(x), rtol=1e-12, atol=1e-12,
                    msg=f"{snapshots.key(check.exercise, case)} is stale: run `course exercises build {slug}`",
                )  # fmt: skip
    assert snapshots.points(slug, use_snapshots=True) == snapshots.points(slug, use_snapshots=False)


def test_snapshots_hold_no_hidden_case():
    """A learner's copy must not hold the answers of the cases that nbgrader hides."""
    for slug in CHAPTERS:
        specs = snapshots._load(snapshots.SNAPSHOT_DIR / f"{slug}.safetensors")[0]
        hidden = {
            s.name
            for c in importlib.import_module(f"autograder.checks.{slug}").CHECKS
            for s in c.shapes
            if s.hidden
        }
        assert not [k for k in specs if k.split("|")[1] in hidden], slug


def test_a_secret_draws_other_hidden_inputs():
    check = importlib.import_module("autograder.checks.zero_layer").CHECKS[0]
    plain, a, b = (framework.cases(check, ["cpu"], secret=s) for s in (None, "one secret", "another"))
    hidden = [i for i, c in enumerate(plain) if c.shape.hidden]
    assert hidden and all(plain[i].shape.seed != a[i].shape.seed != b[i].shape.seed for i in hidden)
    assert all(plain[i].shape.seed == a[i].shape.seed for i in range(len(plain)) if i not in hidden)


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
    n = len(importlib.import_module("autograder.checks.residual_stream").CHECKS)
    assert todo.returncode == 1 and f"0 failed, {n} not attempted" in todo.stdout, todo.stdout + todo.stderr
    serve = subprocess.run([course, "serve"], capture_output=True, text=True, env=user_env, cwd=elsewhere)
    assert serve.returncode == 1 and f"read it at {HOSTED}" in serve.stderr, serve.stderr

    # The kit's notebook grades an answer written in it, with the kit's own Python.
    verdict = _notebook_check(kit, venv, user_env, tmp_path)
    assert "passes every check" in verdict, verdict

    # The learner answers every exercise; the snapshots grade it.
    answer = module_file("solutions", "residual_stream").read_text()
    (kit / "exercises" / "residual_stream.py").write_text(answer)
    done = check()
    assert done.returncode == 0 and f"{n} of {n} exercises passed" in done.stdout, done.stdout + done.stderr

    # The kit's own commands: pytest grades it, and a rebuild says there is nothing to build from.
    tests = subprocess.run(
        [str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "autograder", "-k", "residual_stream"],
        capture_output=True, text=True, env=user_env, cwd=kit,
    )  # fmt: skip
    assert tests.returncode == 0 and f"{n} passed" in tests.stdout, tests.stdout + tests.stderr
    build = subprocess.run(
        [course, "exercises", "build"], capture_output=True, text=True, env=user_env, cwd=kit
    )
    assert build.returncode == 1 and "learner's kit" in build.stderr, build.stdout + build.stderr
    assert (
        "Traceback" not in build.stderr and (kit / "exercises" / "residual_stream.py").read_text() == answer
    )
    reference = subprocess.run(
        [course, "check", "--impl", "solutions"], capture_output=True, text=True, env=user_env, cwd=kit
    )
    assert reference.returncode == 1 and "no reference solutions" in reference.stderr, reference.stderr


NOTEBOOK_RUN = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
first = next(i for i, c in enumerate(nb.cells) if c.source.startswith("check("))
nb.cells[first - 1].source = open(sys.argv[2]).read()
nb.cells = nb.cells[: first + 1]
NotebookClient(nb, timeout=300, kernel_name="python3").execute()
print("".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[first].outputs))
"""


def _notebook_check(kit, venv, user_env, tmp_path) -> str:
    """The first check cell's verdict in the kit's residual-stream notebook, run by the kit's
    venv with the first exercise answered."""
    from autograder.notebooks import build

    reference = build.stubs("residual_stream", module_file("solutions", "residual_stream").read_text())
    answer = tmp_path / "answer.py"
    answer.write_text(next(src for src in reference.cells.values() if src))
    env = dict(user_env, **{v: str(tmp_path / v.lower()) for v in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")})
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", NOTEBOOK_RUN, str(kit / "notebooks" / "residual_stream.ipynb"), str(answer)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    return run.stdout + run.stderr


def test_a_kit_carries_no_site_sources_and_says_where_to_read_the_course(tmp_path, monkeypatch):
    from autograder.kit import make_kit
    from course import site
    from course.errors import CourseError

    kit = tmp_path / "kit"
    copied = make_kit(kit)
    assert "site" not in copied and not (kit / "site").exists() and not (kit / "mkdocs.yml").exists()
    assert not (kit / "solutions").exists() and (kit / "exercises" / "residual_stream.py").is_file()
    assert (kit / "notebooks" / "residual_stream.ipynb").is_file() and (kit / "notebooks" / "figures" / "induction.py").is_file()
    assert "/notebooks/" not in (kit / ".gitignore").read_text(), "a learner's notebooks are work to keep"
    readme = (kit / "README.md").read_text()
    assert f"<{HOSTED}>" in readme and "course check residual_stream" in readme
    pinned = re.search(r"pip install (torch==\S+)", (ROOT / "README.md").read_text()).group(1)
    assert f"pip install {pinned} -e ." in readme and "download.pytorch.org" not in readme
    assert "site/index.html" not in readme, "no --site: the README must not promise a local copy"

    # The kit's own `course serve` and `course site` say where the site is instead.
    monkeypatch.setattr(site, "ROOT", kit)
    with pytest.raises(CourseError, match=f"full course.*read it at {HOSTED}"):
        site.project_root()


def test_a_kit_with_site_has_a_built_copy_without_the_solutions(tmp_path, user_env):
    from course.site import assets_ok

    if not assets_ok(ROOT):
        pytest.skip("the site's npm packages are not installed: run `npm ci` at the repository root")
    kit = tmp_path / "kit"
    out = subprocess.run(["course", "kit", str(kit), "--site"], capture_output=True, text=True, env=user_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "site/index.html" in (kit / "README.md").read_text()
    built = kit / "site"
    assert (built / "search" / "search_index.js").is_file(), "search from file:// needs the inlined index"
    assert (built / "vendor" / "iframe-worker" / "shim.js").is_file()
    page = (built / "zero-layer.html").read_text()
    assert page.count('<details class="tip">') >= 4 and "course check zero_layer" in page
    assert '<details class="success">' not in page, "the kit's site must leave out the solutions"
