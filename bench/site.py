"""How long ``mkdocs build --strict`` of the course's site takes, figures included.

Three rows: from cold caches (the corpus encoded to tokens, every value and figure computed,
matplotlib's font cache built: a fresh machine's first build), with only the token cache warm
(what editing a figure module or the course costs), and a rebuild with every cache warm. The
issue's target for the cold build is 60 s on the 2-core development machine. Each build runs
in a fresh process into a temporary folder; the repository's own build folder is not touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Row, median_time
from course.dataset import cache_dir, load_streams

ROOT = Path(__file__).resolve().parent.parent


def _build(cache: Path, mpl: Path, out: Path) -> None:
    env = dict(os.environ, COURSE_CACHE_DIR=str(cache), MPLCONFIGDIR=str(mpl), NO_MKDOCS_2_WARNING="1")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the site did not build:\n{done.stderr}")


def _timed_cold(tmp: Path, keep_tokens: bool) -> float:
    """One build from empty caches; with ``keep_tokens`` the token streams are copied in first."""
    cache, mpl = tmp / "cache", tmp / "mpl"
    for folder in (cache, mpl):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    if keep_tokens:
        load_streams()  # make sure the shared token cache exists
        for f in cache_dir().glob("tokens-*.npz"):
            shutil.copy2(f, cache / f.name)
    start = time.perf_counter()
    _build(cache, mpl, tmp / "out")
    return time.perf_counter() - start


def rows(smoke: bool) -> list[Row]:
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-site-") as name:
        tmp = Path(name)
        if not smoke:
            out.append(
                Row("site", "strict build, cold caches", _timed_cold(tmp, False), note="target ≤ 60 s")
            )
        cold = _timed_cold(tmp, True)
        out.append(Row("site", "strict build, figures cold, tokens cached", cold))
        warm = median_time(
            lambda: _build(tmp / "cache", tmp / "mpl", tmp / "out"), 1 if smoke else 3, warmup=0
        )
        out.append(Row("site", "strict rebuild, every cache warm", warm))
    return out
