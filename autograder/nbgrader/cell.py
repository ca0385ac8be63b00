"""What a notebook's test cells call: ``check(chapter, exercise, function)``.

It runs in the learner's kernel, so it trusts nothing there. It rebuilds the
notebook's definitions from the kernel's history (see ``definitions``) and sends them
to a grading process of its own (see ``judge``), started with the kernel's Python by
the notebook's first cell (``warm_up``) or first check, and kept for the rest of it. The cell passes when the
exercise passes, and otherwise raises with the grader's reasons, which nbgrader
scores as 0 and shows in the feedback.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

from autograder.nbgrader import definitions

#: The package's parent folder: the judge starts there, so that files that a
#: submission brought along into the kernel's folder cannot shadow the grader's modules.
_HOME = Path(__file__).resolve().parents[2]

_judge: subprocess.Popen | None = None


def check(chapter: str, exercise: str, answer, hidden: bool = False) -> None:
    """Grade ``exercise`` of ``chapter``, which ``answer`` (the learner's function, or
    the class whose method it is) implements. ``hidden`` runs the hidden cases."""
    if not callable(answer):
        raise TypeError(f"{exercise}: expected your function, got {type(answer).__name__}")
    module = _notebook_module(answer)
    name = exercise.split(".")[0]
    if not module.defines(name):
        raise AssertionError(
            f"{exercise} fails: the grader finds no definition of `{name}` in the notebook's cells. "
            "It reads the cells' imports, functions, classes and constants, so define it at the top "
            "level of a cell, outside cell magics such as %%time."
        )
    reply = _ask({"chapter": chapter, "exercise": exercise, "source": module.source, "hidden": hidden})
    messages = [
        module.where(m, reply.get("module", "")) if reply.get("module") else m for m in reply["messages"]
    ]
    status = reply["status"]
    if status == "passed":
        print(f"✓ {exercise} passes {'the hidden tests' if hidden else 'the tests'}")
        return
    if status == "not attempted":
        raise NotImplementedError(f"{exercise} is not attempted yet: replace `raise NotImplementedError()`")
    if status == "error":
        raise RuntimeError("the grader could not grade this: " + "; ".join(messages))
    raise AssertionError(f"{exercise} fails:\n" + "\n".join(f"  {m}" for m in messages))


def _notebook_module(answer) -> definitions.Module:
    """The definitions of every cell run so far or, outside a notebook, of the file
    that defines ``answer``."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        history = shell.history_manager.input_hist_parsed
        return definitions.from_cells([(f"cell In[{n}]", src) for n, src in enumerate(history) if n])
    path = inspect.getsourcefile(answer)
    return definitions.from_cells([(Path(path).name, Path(path).read_text())])


def warm_up(chapter: str) -> None:
    """Start the grading process now, in the background, and let it prepare
    ``chapter``, so that it is ready by the first test cell. Optional: a check starts
    it anyway."""
    try:
        _send({"warm": chapter})
    except BaseException:
        _stop()
        raise


def _send(request: dict) -> None:
    judge = _start()
    judge.stdin.write(json.dumps(request) + "\n")
    judge.stdin.flush()


def _ask(request: dict) -> dict:
    try:
        _send(request)
        line = _judge.stdout.readline()
    except BaseException:  # interrupted mid-request: its reply would answer the next one
        _stop()
        raise
    if not line:
        code = _stop()
        raise RuntimeError(f"the grading process ended unexpectedly (exit status {code})")
    return json.loads(line)


def _start() -> subprocess.Popen:
    global _judge
    if _judge is None or _judge.poll() is not None:
        _judge = subprocess.Popen(
            [sys.executable, "-m", "autograder.nbgrader.judge"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_HOME,
            text=True,
            encoding="utf-8",
            start_new_session=True,  # an interrupt of the kernel is handled here, not there
        )
    return _judge


def _stop() -> int | None:
    global _judge
    judge, _judge = _judge, None
    if judge is None:
        return None
    judge.kill()
    return judge.wait()
