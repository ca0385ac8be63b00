import os
import sys
from pathlib import Path

import pytest

from course.dataset import cache_dir
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Watched
from tests.jupyter_lab import JUPYTER_LAB, running_lab

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--retrain", action="store_true", help="also run the tests marked retrain (half an hour or more on a 2-core CPU)"
    )


def pytest_collection_modifyitems(config, items):
    """Tests marked ``retrain`` regenerate a zoo model whose recipe outlasts the suite: they
    skip, saying how to run them, unless pytest gets ``--retrain``."""
    if config.getoption("--retrain"):
        return
    skip = pytest.mark.skip(reason="retrains for half an hour or more: run with pytest --retrain")
    for item in items:
        if "retrain" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user_env(tmp_path):
    """The environment of a subprocess that runs as a fresh user: its own HOME and
    matplotlib config, but the token cache that the tests already filled. PATH starts
    with this interpreter's bin folder, so `course` and `pytest` are the ones under test."""
    home = tmp_path / "home"
    home.mkdir()
    return dict(
        os.environ,
        HOME=str(home),
        MPLCONFIGDIR=str(tmp_path / "mpl"),
        COURSE_CACHE_DIR=str(cache_dir()),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless (tests/browser.py)."""
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def watched(browser):
    """A fresh page that records console errors and requests leaving 127.0.0.1."""
    w = Watched(browser)
    yield w
    w.close()


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """A running JupyterLab (tests/jupyter_lab.py), serving an empty folder, ``lab.root``,
    that the tests fill with notebooks; its kernels import this checkout's packages and
    share the tests' token cache. Ended, kernels and all, after the module's tests."""
    if not JUPYTER_LAB.is_file():
        pytest.skip(f"no {JUPYTER_LAB} (JupyterLab comes with nbgrader: pip install -e '.[dev]')")
    pytest.importorskip("psutil", reason="psutil, which ipykernel brings, is not installed")
    tmp = tmp_path_factory.mktemp("jupyter-lab")
    root = tmp / "notebooks"
    root.mkdir()
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "COURSE_CACHE_DIR": str(cache_dir()),
    }
    with running_lab(root, tmp, env=env) as lab:
        yield lab
