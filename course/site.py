"""``course serve`` and ``course site``: build the docs site, and serve it on 127.0.0.1 or
write a copy to read from the disk.

The site is built from a checkout of the course (``mkdocs.yml`` beside the package), with
its figures computed on the zoo models. Its browser code (KaTeX for the math, iframe-worker
for search from ``file://``) comes from npm, pinned in ``package.json``: on the first run
``npm ci`` installs it, where npm is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from course.errors import CourseError

ROOT = Path(__file__).resolve().parent.parent


def hosted_url() -> str:
    """Where the course's site is published: pyproject.toml's Documentation URL."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Documentation"]


def project_root() -> Path:
    if not (ROOT / "mkdocs.yml").is_file():
        raise CourseError(
            f"no mkdocs.yml in {ROOT}: the site is built from a checkout of the full course, "
            f"installed with `pip install -e .`; read it at {hosted_url()}"
        )
    missing = [
        name for name in ("mkdocs", "material", "mkdocstrings") if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise CourseError(f"the site needs {', '.join(missing)}: run `pip install -e '.[dev]'` in {ROOT}")
    return ROOT


def assets_ok(root: Path) -> bool:
    """Whether node_modules holds every package that package.json pins, at its version."""
    pinned = json.loads((root / "package.json").read_text())["devDependencies"]
    for name, version in pinned.items():
        installed = root / "node_modules" / name / "package.json"
        if not installed.is_file() or json.loads(installed.read_text()).get("version") != version:
            return False
    return True


def ensure_assets(root: Path) -> None:
    """Install the pinned npm packages with ``npm ci`` unless they are there already."""
    if assets_ok(root):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise CourseError(
            "the site's math and offline search need packages from npm, and npm is not installed: "
            f"install Node.js and npm (e.g. `apt-get install npm`), then run `npm ci` in {root}"
        )
    print(f"installing the site's KaTeX and iframe-worker: npm ci (in {root})", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root)
    if done.returncode != 0 or not assets_ok(root):
        raise CourseError(
            f"`npm ci` did not install the site's packages; run it in {root} and read its messages"
        )


def build(out: Path, **env: str) -> None:
    """``mkdocs build`` of the course's site into ``out``, with these environment variables."""
    root = project_root()
    ensure_assets(root)
    print(f"building the site into {out}", flush=True)
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(out)]
    full = dict(os.environ, NO_MKDOCS_2_WARNING="1", **env)
    if subprocess.run(command, cwd=root, env=full).returncode != 0:
        raise CourseError("the site did not build; the messages above say why")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would bury the address
        pass


def serve(port: int = 8000, site_dir: Path | None = None) -> int:
    """Build the site into ``site_dir`` (default: mkdocs.yml's build/site) and serve it
    until Ctrl-C. Port 0 picks a free port; the address printed is the one in use."""
    root = project_root()
    try:  # bound before the build: a busy port fails at once, and port 0 gets its number
        httpd = ThreadingHTTPServer(("127.0.0.1", port), _QuietHandler)
    except OSError as e:
        raise CourseError(f"cannot serve on 127.0.0.1:{port} ({e.strerror}); choose another --port") from None
    with httpd:
        address = f"http://127.0.0.1:{httpd.server_address[1]}/"
        out = Path(site_dir or root / "build" / "site").resolve()
        # The material theme's instant navigation needs the address it is served at.
        build(out, SITE_URL=address)
        httpd.RequestHandlerClass = functools.partial(_QuietHandler, directory=str(out))
        print(f"serving the course at {address} (Ctrl-C to stop)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("stopped")
    return 0


def offline_copy(dest: Path, **env: str) -> Path:
    """Build a copy of the site into ``dest`` to open from the disk, without a server: pages
    are linked as ``page.html`` and search runs from ``file://`` (material's offline plugin,
    turned on by COURSE_OFFLINE in mkdocs.yml). ``env`` adds environment variables to the
    build, e.g. COURSE_HIDE_SOLUTIONS. Returns its home page."""
    dest = Path(dest).resolve()
    if dest.exists() and not dest.is_dir():
        raise CourseError(f"{dest} is a file; choose a folder for the site")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / "index.html").is_file():
        # mkdocs empties the folder it builds into: never a folder that is not a site.
        raise CourseError(f"{dest} is not empty and holds no site; choose a new folder")
    # A copy of the hosted site: its pages name the hosted ones as their canonical address.
    build(dest, **{"COURSE_OFFLINE": "true", "SITE_URL": hosted_url(), **env})
    return dest / "index.html"
