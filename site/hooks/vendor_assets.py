"""Copy the site's third-party browser code from node_modules into the build, so that the
site needs no network: nothing is fetched from a CDN and nothing third-party is committed.

`npm ci` at the repository root installs the versions that package.json pins:

- KaTeX, which renders the math: the files that mkdocs.yml's extra_css and extra_javascript
  load, and its fonts.
- iframe-worker, which lets material's search run from ``file://``, where browsers refuse
  web workers. Only a build for reading from the disk needs it: with ``COURSE_OFFLINE=1``
  (``course site DIR``), mkdocs.yml turns on material's offline plugin, which inlines the
  search index and asks for the shim from unpkg.com. This hook replaces that address with
  the local copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

#: What each npm package is for, and what it gives the build: its files (relative to the package) by their path
#: in the built site, and folders copied whole.
PACKAGES = {
    "katex": {
        "for": "the math needs KaTeX",
        "files": {
            "vendor/katex/katex.min.css": "dist/katex.min.css",
            "vendor/katex/katex.min.js": "dist/katex.min.js",
            "vendor/katex/contrib/auto-render.min.js": "dist/contrib/auto-render.min.js",
        },
        "folders": {"vendor/katex/fonts": "dist/fonts"},
    },
    "iframe-worker": {
        "for": "search from file:// needs iframe-worker",
        "files": {"vendor/iframe-worker/shim.js": "shim/index.js"},
        "folders": {},
    },
}
SHIM = "vendor/iframe-worker/shim.js"


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _package(config, name: str) -> Path:
    """The installed npm package, after checking it holds the version package.json pins."""
    root = _root(config)
    package = root / "node_modules" / name
    parts = PACKAGES[name]
    missing = [src for src in parts["files"].values() if not (package / src).is_file()]
    missing += [src for src in parts["folders"].values() if not (package / src).is_dir()]
    if missing:
        raise PluginError(f"{parts['for']}, which is missing from {package}: run `npm ci` in {root} first.")
    pinned = json.loads((root / "package.json").read_text())["devDependencies"][name]
    installed = json.loads((package / "package.json").read_text())["version"]
    if installed != pinned:
        raise PluginError(
            f"node_modules has {name} {installed} but package.json pins {pinned}: run `npm ci` in {root}."
        )
    return package


def _uses_shim(config) -> bool:
    return SHIM in config.extra.get("polyfills", [])


@event_priority(-100)  # after the offline plugin has asked for the shim
def on_config(config):
    for name in PACKAGES:  # fail before building the pages, not after
        _package(config, name)
    polyfills = config.extra.get("polyfills", [])
    if any("iframe-worker" in str(p) for p in polyfills):
        config.extra["polyfills"] = [p for p in polyfills if "iframe-worker" not in str(p)] + [SHIM]
    return config


def on_post_build(config):
    out = Path(config.site_dir)
    for name, parts in PACKAGES.items():
        if name == "iframe-worker" and not _uses_shim(config):
            continue
        package = _package(config, name)
        for dest, src in parts["files"].items():
            (out / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(package / src, out / dest)
        for dest, src in parts["folders"].items():
            shutil.copytree(package / src, out / dest, dirs_exist_ok=True)
