"""``course serve``: build the docs site and serve it on 127.0.0.1.

The site is built from a checkout of the course (``mkdocs.yml`` beside the package), with
its figures computed on the zoo models. Its math needs KaTeX from npm, pinned in
``package.json``: on the first run ``npm ci`` installs it, where npm is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from course.errors import CourseError

ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    if not (ROOT / "mkdocs.yml").is_file():
        raise CourseError(
            f"no mkdocs.yml in {ROOT}: the site is built from a checkout of the course, "
            "installed with `pip install -e .`"
        )
    return ROOT


def katex_ok(root: Path) -> bool:
    """Whether node_modules holds the KaTeX that package.json pins."""
    installed = root / "node_modules" / "katex" / "package.json"
    if not installed.is_file():
        return False
    pinned = json.loads((root / "package.json").read_text())["devDependencies"]["katex"]
    return json.loads(installed.read_text()).get("version") == pinned


def ensure_katex(root: Path) -> None:
    """Install the pinned KaTeX with ``npm ci`` unless it is there already."""
    if katex_ok(root):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise CourseError(
            "the site's math needs KaTeX from npm, and npm is not installed: install Node.js "
            f"and npm (e.g. `apt-get install npm`), then run `npm ci` in {root}"
        )
    print(f"installing KaTeX for the site's math: npm ci (in {root})", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root)
    if done.returncode != 0 or not katex_ok(root):
        raise CourseError(f"`npm ci` did not install KaTeX; run it in {root} and read its messages")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would bury the address
        pass


def serve(port: int = 8000, site_dir: Path | None = None) -> int:
    """Build the site into ``site_dir`` (default: mkdocs.yml's build/site) and serve it
    until Ctrl-C. Port 0 picks a free port; the address printed is the one in use."""
    root = project_root()
    missing = [
        name for name in ("mkdocs", "material", "mkdocstrings") if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise CourseError(f"the site needs {', '.join(missing)}: run `pip install -e '.[dev]'` in {root}")
    try:  # bound before the build: a busy port fails at once, and port 0 gets its number
        httpd = ThreadingHTTPServer(("127.0.0.1", port), _QuietHandler)
    except OSError as e:
        raise CourseError(f"cannot serve on 127.0.0.1:{port} ({e.strerror}); choose another --port") from None
    with httpd:
        ensure_katex(root)
        address = f"http://127.0.0.1:{httpd.server_address[1]}/"
        out = Path(site_dir or root / "build" / "site").resolve()
        print(f"building the site into {out}", flush=True)
        # The material theme's instant navigation needs the address it is served at.
        env = dict(os.environ, SITE_URL=address, NO_MKDOCS_2_WARNING="1")
        build = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-q",
            "-f",
            str(root / "mkdocs.yml"),
            "-d",
            str(out),
        ]
        if subprocess.run(build, cwd=root, env=env).returncode != 0:
            raise CourseError("the site did not build; the messages above say why")
        httpd.RequestHandlerClass = functools.partial(_QuietHandler, directory=str(out))
        print(f"serving the course at {address} (Ctrl-C to stop)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("stopped")
    return 0
