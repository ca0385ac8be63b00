"""JupyterLab for the tests, driven in a real browser as a learner would: open a notebook, run
its cells, read what they show.

``running_lab`` starts JupyterLab on 127.0.0.1 as a fresh user (its own HOME and Jupyter,
IPython and matplotlib folders), with no token, and ends it and every kernel it started;
tests/conftest.py's ``jupyter_lab`` fixture wraps it. ``LabNotebook`` opens a notebook of its
folder in a ``Watched`` page (tests/browser.py) and runs cells through JupyterLab's own menu
and keys.

JupyterLab reaches for the internet in a few places, all turned off here so that a test can
demand that no request leave 127.0.0.1: the server's news feed (``news_url``) and its update
check (``check_for_updates_class``), the extension manager's searches of PyPI
(``extension_manager=readonly``), and the page's own news and update notifications
(``fetchNews`` and ``checkForUpdates`` in an overrides.json of the app settings). The
settings also start the notebook's kernel without asking which one, as a notebook without
kernel metadata would otherwise ask.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

JUPYTER_LAB = Path(sys.executable).with_name("jupyter-lab")

#: Server options: on 127.0.0.1 without a token or a password (the tests' own browser is the
#: only client), and nothing fetched from the internet.
SERVER_ARGS = [
    "--no-browser",
    "--allow-root",  # CI and containers run as root
    "--ip=127.0.0.1",
    "--ServerApp.port_retries=0",  # the port asked for, or fail
    "--IdentityProvider.token=",
    "--ServerApp.password=",
    "--ServerApp.disable_check_xsrf=True",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]

#: Settings of the page (overrides.json in the app settings folder).
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address (ending in /) and the folder it serves."""

    url: str
    root: Path


#: Straight to 127.0.0.1, whatever proxy the environment names.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_lab(root: Path, tmp: Path, env: dict | None = None, timeout: float = 90) -> Iterator[Lab]:
    """JupyterLab serving ``root``, every folder of its user under ``tmp``; ``env`` adds to
    the environment of the server and its kernels. Afterwards the server and its kernels are
    ended, and a process of theirs that outlives the shutdown fails the test."""
    folders = {
        name: tmp / name for name in ("home", "config", "data", "runtime", "ipython", "mpl", "settings")
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    (folders["settings"] / "overrides.json").write_text(json.dumps(OVERRIDES))
    full = dict(
        os.environ,
        HOME=str(folders["home"]),
        JUPYTER_CONFIG_DIR=str(folders["config"]),
        JUPYTER_DATA_DIR=str(folders["data"]),
        JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
        IPYTHONDIR=str(folders["ipython"]),
        MPLCONFIGDIR=str(folders["mpl"]),
        **(env or {}),
    )
    port = free_port()
    log = tmp / "jupyter-lab.log"
    command = [
        str(JUPYTER_LAB),
        *SERVER_ARGS,
        f"--port={port}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={folders['settings']}",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=root, env=full, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(server, url, log, timeout)
        yield Lab(url, root)
    finally:
        _end(server, log)


def _wait_until_up(server: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with NO_PROXY.open(url + "api/status", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"jupyter lab did not answer at {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


def _end(server: subprocess.Popen, log: Path) -> None:
    """SIGTERM, which the server answers by shutting its kernels down and exiting; then make
    sure that it and everything it started are gone. Kernels run in sessions of their own,
    so they are found as the server's children before it ends, not by process group."""
    import psutil  # not at the top: the jupyter_lab fixture skips without it

    try:
        started = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise AssertionError(f"jupyter lab ignored SIGTERM for 30 s:\n{log.read_text()[-3000:]}") from None
    _, alive = psutil.wait_procs(started, timeout=10)
    for process in alive:
        process.kill()
    assert not alive, f"processes of jupyter lab outlived it, now killed: {[p.pid for p in alive]}"


#: The code cells' prompts in the page: "[3]:" once run, "[*]:" while queued or running.
PROMPTS = "[...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim())"
RAN = "/^\\[\\d+\\]/"
IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")
ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


class LabNotebook:
    """A notebook open in JupyterLab, in a ``Watched`` page (tests/browser.py), which records
    console errors and every request that leaves 127.0.0.1."""

    def __init__(self, watched, lab: Lab, name: str, timeout: float = 120_000):
        self.watched, self.page, self.timeout = watched, watched.page, timeout
        self.page.goto(f"{lab.url}lab/tree/{name}", wait_until="load")
        self.page.locator(".jp-NotebookPanel .jp-Notebook").wait_for(timeout=timeout)
        self.wait_until_idle()

    def cell(self, index: int):
        """Cell ``index`` (from 0) of the notebook, as a playwright Locator."""
        return self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)

    def output(self, index: int):
        """Cell ``index``'s output area."""
        return self.cell(index).locator(".jp-OutputArea")

    def errors(self) -> list[str]:
        """The text of every error output: a traceback, or what a cell wrote to stderr."""
        return self.page.locator(ERRORS).all_inner_texts()

    def wait_until_idle(self) -> None:
        """Until the notebook has a kernel, started and running nothing: the status bar says
        "Python 3 (ipykernel) | Idle" (before the kernel starts, "No Kernel | ...")."""
        status = self.page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text=IDLE)
        status.wait_for(timeout=self.timeout)

    def run_all(self) -> None:
        """Run > Run All Cells, from JupyterLab's menu. Returns once every code cell has run,
        or once a cell has failed, which stops the run: see ``errors()``."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        self._wait(
            f"""() => {{
                const prompts = {PROMPTS};
                const failed = document.querySelector("{ERRORS}") && !prompts.some(p => p.startsWith("[*]"));
                return prompts.every(p => {RAN}.test(p)) || failed;
            }}"""
        )

    def run_cell(self, index: int) -> None:
        """Select cell ``index`` (counting every cell, Markdown too) and run it with Ctrl+Enter
        (run, and stay on the cell); returns once it has run, failed or not."""
        prompt = (
            "i => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')[i]"
            ".querySelector('.jp-InputPrompt').textContent.trim()"
        )
        before = self.page.evaluate(prompt, index)
        self.cell(index).locator(".jp-InputPrompt").click()  # selects the cell, in command mode
        self.page.keyboard.press("Control+Enter")
        self._wait(
            f"([i, before]) => {{ const p = ({prompt})(i); return {RAN}.test(p) && p !== before; }}",
            [index, before],
        )

    def _wait(self, predicate: str, arg=None) -> None:
        try:
            self.page.wait_for_function(predicate, arg=arg, timeout=self.timeout)
        except Exception as e:
            prompts = self.page.evaluate(f"() => {PROMPTS}")
            raise AssertionError(
                f"the cells did not finish: prompts {prompts}, errors {self.errors()}"
            ) from e
        self.wait_until_idle()
