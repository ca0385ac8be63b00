import os
import sys
from pathlib import Path

import pytest

from course.dataset import cache_dir


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
