"""What a chapter notebook's cells call, in the learner's kernel: ``start``, ``check``,
``figure`` and ``viewer``.

``check(fn)`` grades ``fn`` as the kernel defines it, through the grading process that the
nbgrader notebooks use (``autograder.nbgrader.cell``): it rebuilds the notebook's definitions
from the kernel's history and sends them to a process of its own, which runs them in a worker
with ``course check``'s checks and limits and judges them outside the kernel. That process is
started by ``start`` and kept for the kernel's life, so a check after the first is quick.
Unlike an nbgrader test cell, a check never raises: it shows its verdict, so that a notebook
runs from top to bottom whatever is done.

``figure(name)`` and ``viewer(name)`` draw a page's figure with the learner's own functions:
they run the function ``name`` of ``site/figures/<chapter>.py`` (the code that draws the site's
figure from the reference solutions) with the chapter's ``solutions`` module replaced by the
kernel's definitions, so a learner sees their own heatmap become the site's.
"""

from __future__ import annotations

import html
import io
import re
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path

from autograder.nbgrader import cell
from course.chapters import chapter
from course.errors import CourseError
from course.exercise import anchor

#: Where the code that draws each page's figures is: ``site/figures`` in a checkout of the
#: course, ``notebooks/figures`` in a learner's kit, which has no ``site/``.
ROOT = Path(__file__).resolve().parents[2]
FIGURES = (ROOT / "site" / "figures", ROOT / "notebooks" / "figures")

_chapter: str | None = None


def start(slug: str) -> None:
    """Set the notebook's chapter and start its grading process in the background, so that it
    is ready by the first check."""
    global _chapter
    _chapter = chapter(slug).slug
    cell.warm_up(_chapter)


def _slug() -> str:
    if _chapter is None:
        raise CourseError("run the notebook's first code cell (`start(...)`) before this one")
    return _chapter


@dataclass
class Verdict:
    """A check's outcome, shown as the cell's result: a line, and the grader's reasons."""

    exercise: str
    status: str  # "passed", "failed", "not attempted", "error"
    messages: list[str] = field(default_factory=list)
    url: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def headline(self) -> str:
        return {
            "passed": f"✓ {self.exercise} passes every check",
            "not attempted": f"○ {self.exercise} is not attempted yet: replace `raise NotImplementedError(...)` "
            "with your answer and run its cell",
            "failed": f"✗ {self.exercise} fails",
            "error": f"! {self.exercise} could not be graded",
        }[self.status]

    def __repr__(self) -> str:
        lines = [self.headline(), *(f"  {m}" for m in self.messages)]
        if self.url and not self.passed:
            lines.append(f"  docs: {self.url}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = {"passed": "#1b7f3b", "not attempted": "#666", "failed": "#b3261e", "error": "#b3261e"}
        items = "".join(f"<li><code>{html.escape(m)}</code></li>" for m in self.messages)
        link = (
            f' <a href="{html.escape(self.url)}" target="_blank">the docs</a>'
            if self.url and not self.passed
            else ""
        )
        return (
            f'<div class="course-verdict" data-status="{self.status}">'
            f'<strong style="color:{colour[self.status]}">{html.escape(self.headline())}</strong>{link}'
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )


def check(answer) -> Verdict:
    """Grade the exercise that ``answer`` (a function of the notebook, or a class's method:
    ``check(FactoredMatrix.__mul__)``) implements, with the checks of ``course check``."""
    slug = _slug()
    answer = getattr(answer, "fget", None) or getattr(answer, "func", None) or answer  # a property's
    exercise = getattr(answer, "__qualname__", None)
    if not callable(answer) or not isinstance(exercise, str):
        return Verdict(
            str(exercise), "error", [f"expected one of your functions, got {type(answer).__name__}"]
        )
    url = chapter(slug).url(anchor(exercise))
    module = cell._notebook_module(answer)
    top = exercise.split(".")[0]
    if not module.defines(top):
        return Verdict(exercise, "error", [
            f"the grader finds no definition of `{top}` in the cells run so far: define it at the "
            "top level of a cell (not inside %%time or another cell magic) and run that cell"
        ], url)  # fmt: skip
    try:
        reply = cell._ask({"chapter": slug, "exercise": exercise, "source": module.source, "hidden": False})
    except RuntimeError as e:
        return Verdict(exercise, "error", [str(e)], url)
    messages = [module.where(m, reply["module"]) if reply.get("module") else m for m in reply["messages"]]
    if reply["status"] == "not attempted":
        messages = []
    return Verdict(exercise, reply["status"], messages[:4], url)


# --- the page's figures, drawn with the learner's functions ----------------------------------

_NOT_ATTEMPTED = re.compile(r"^(\w+)\.([\w.]+): not attempted yet")


def _run(name: str):
    """Function ``name`` of the chapter's figure module, run with the kernel's definitions
    posing as ``solutions.<chapter>``."""
    slug = _slug()
    path = next((folder / f"{slug}.py" for folder in FIGURES if (folder / f"{slug}.py").is_file()), None)
    if path is None:
        raise CourseError(
            f"no {slug}.py in {' or '.join(map(str, FIGURES))}: this copy cannot draw the page's figures"
        )
    from IPython import get_ipython

    shell = get_ipython()
    answers = types.ModuleType(f"solutions.{slug}")
    answers.__dict__.update(shell.user_ns if shell is not None else vars(sys.modules["__main__"]))
    package = types.ModuleType("solutions")
    setattr(package, slug, answers)
    saved = {k: sys.modules.get(k) for k in ("solutions", f"solutions.{slug}")}
    sys.modules.update({"solutions": package, f"solutions.{slug}": answers})
    try:
        module = types.ModuleType(f"course_notebook_figures_{slug}")
        module.__file__ = str(path)
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
        if not callable(getattr(module, name, None)):
            raise CourseError(f"{path.name} has no function {name}()")
        return getattr(module, name)()
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value


@dataclass
class _Missing:
    """Why a figure could not be drawn yet, shown in its place."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f'<p class="course-figure-missing"><em>{html.escape(self.text)}</em></p>'


def _drawn(kind: str, name: str):
    try:
        return _run(name)
    except NotImplementedError as e:
        m = _NOT_ATTEMPTED.match(str(e))
        needs = f"`{m.group(2)}`" if m else "an exercise of this chapter"
        return _Missing(f"This {kind} needs {needs}, which is not attempted yet: come back when it passes.")
    except Exception as e:
        where = traceback.extract_tb(e.__traceback__)[-1]
        return _Missing(
            f"This {kind} could not be drawn with your functions: {type(e).__name__}: {e} "
            f"(in {Path(where.filename).name}, line {where.lineno}). Does every check above pass?"
        )


class _Picture:
    """A matplotlib figure shown as the cell's result, whatever backend the kernel uses."""

    def __init__(self, fig):
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        plt.close(fig)  # shown once, here, not again by an inline backend
        self.png = buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return "<the figure, drawn with your functions>"


def figure(name: str):
    """The page's figure ``name``, drawn with the notebook's functions (or why it cannot be)."""
    result = _drawn("figure", name)
    return result if isinstance(result, _Missing) else _Picture(result)


def viewer(name: str):
    """The page's attention viewer ``name``, with the notebook's functions' patterns."""
    result = _drawn("viewer", name)
    if isinstance(result, _Missing):
        return result
    from course import plots

    return plots.attention_viewer(result)
