import os
import sys
from pathlib import Path

import pytest

from course.dataset import cache_dir
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Watched


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
