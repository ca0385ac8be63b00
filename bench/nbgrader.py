"""How long nbgrader takes to grade one learner's whole-chapter submission.

For each chapter: a course folder from ``course nbgrader init`` and ``build``, the
assignment generated, and the reference answers submitted. Two numbers: the wall time
of ``nbgrader autograde`` for that one submission, start-up included, and the median
time to execute the submitted notebook as autograde does (a fresh kernel, every cell,
every test cell's grading), which is what each further learner adds, since nbgrader
grades submissions one after another in one command. The issue's goal is the whole
course in 60 s or less per learner. Run: ``python -m bench nbgrader`` (``--smoke``: one
chapter, once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.nbgrader import build, coursedir
from bench.harness import Row, median_time
from course.chapters import CHAPTERS


def _env(tmp: Path) -> dict:
    (tmp / "home").mkdir()
    return dict(
        os.environ,
        HOME=str(tmp / "home"),
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )


def _nbgrader(env: dict, course: Path, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - t


def _submit(course: Path, slug: str, student: str) -> None:
    """The reference answers in the released notebook, as ``student`` would hand it in."""
    source = nbformat.read(course / "source" / slug / f"{slug}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / slug / f"{slug}.ipynb", as_version=4)
    answers = {c.id: c.source for c in source.cells}
    for cell in release.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.id]
    folder = course / "submitted" / student / slug
    folder.mkdir(parents=True)
    nbformat.write(release, folder / f"{slug}.ipynb")


def _execute(path: Path, env: dict, timeout: int) -> None:
    """Run the notebook at ``path`` in a fresh kernel, as nbgrader's Execute does."""
    from nbclient import NotebookClient

    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits Jupyter's temporary folders
    try:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure(slug: str, repeat: int) -> tuple[float, float]:
    """(seconds of ``nbgrader autograde`` for one submission, median seconds to execute
    the submission)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    try:
        env = _env(tmp)
        course = tmp / "course"
        coursedir.init(course, course_id="bench")
        build.write(slug, course)
        _nbgrader(env, course, "generate_assignment", slug, "--force")
        _submit(course, slug, "learner")
        cli = _nbgrader(env, course, "autograde", slug, "--force", "--create")
        notebook = course / "submitted" / "learner" / slug / f"{slug}.ipynb"
        return cli, median_time(lambda: _execute(notebook, env, timeout=60), repeat, warmup=0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rows(smoke: bool) -> list[Row]:
    out, per_learner = [], 0.0
    for slug in list(CHAPTERS)[:1] if smoke else CHAPTERS:
        cli, execute = measure(slug, 1 if smoke else 3)
        per_learner += execute
        note = f"`nbgrader autograde` of this one submission: {cli:.1f} s"
        out.append(Row("nbgrader", f"{slug}: one learner", execute, note=note))
    out.append(Row("nbgrader", "whole course, per learner", per_learner, note="goal: 60 s or less"))
    return out


if __name__ == "__main__":
    for row in rows("--smoke" in sys.argv):
        print(f"{row.name:<40} {row.ours:6.1f} s  {row.note}")
