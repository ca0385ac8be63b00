"""Copy KaTeX from node_modules into the built site, so that math renders offline.

`npm ci` at the repository root installs the version pinned in package.json; this hook
copies the files that mkdocs.yml's extra_css and extra_javascript load.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError

DEST = "vendor/katex"
FILES = ["katex.min.css", "katex.min.js", "contrib/auto-render.min.js"]


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _dist(config) -> Path:
    """The katex package's dist folder, after checking it matches package.json's pin."""
    root = _root(config)
    package = root / "node_modules" / "katex"
    missing = [f for f in FILES if not (package / "dist" / f).is_file()]
    if missing or not (package / "dist" / "fonts").is_dir():
        raise PluginError(f"KaTeX is missing from {package}: run `npm ci` in {root} first.")
    pinned = json.loads((root / "package.json").read_text())["devDependencies"]["katex"]
    installed = json.loads((package / "package.json").read_text())["version"]
    if installed != pinned:
        raise PluginError(
            f"node_modules has KaTeX {installed} but package.json pins {pinned}: run `npm ci` in {root}."
        )
    return package / "dist"


def on_config(config):
    _dist(config)  # fail before building the pages, not after


def on_post_build(config):
    dist = _dist(config)
    out = Path(config.site_dir) / DEST
    for name in FILES:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(dist / name, target)
    shutil.copytree(dist / "fonts", out / "fonts", dirs_exist_ok=True)
