"""``course nbgrader build``: a chapter's nbgrader source notebook, generated from
``solutions/<chapter>.py``, so that there is no second copy of the exercises.

The notebook holds, in the module's order: a note linking the chapter page, a
read-only cell that starts the grader early, the module's imports (read-only), then
for each exercise a note linking its section, its answer cell (the reference with its
``### BEGIN/END SOLUTION`` region, which ``nbgrader generate_assignment`` turns into
``raise NotImplementedError()``) and a locked test cell worth the exercise's points
that calls ``check``, with the hidden cases between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``. A class whose methods are exercises is one answer cell
followed by a test cell per method.
Nothing but the notebook goes into ``source/``: nbgrader releases every file there.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
from pathlib import Path

import nbformat

from autograder.paths import module_file
from autograder.stubs import BEGIN
from course.chapters import chapter, docs_url
from course.errors import CourseError
from course.exercise import ExerciseInfo, anchor, exercises_in

_KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


#: Where the published site keeps its copy without the reference solutions (see
#: .github/workflows/docs.yml): what graded notebooks link to, so that a student's way to the
#: chapter is not a way to the answers.
GRADED = "graded/"


def site_url() -> str:
    """The site the notebooks link to: $SITE_URL (a site of your own, which should then be built
    with COURSE_HIDE_SOLUTIONS=1), else the published site's copy without solutions."""
    return os.environ.get("SITE_URL") or docs_url(GRADED, published=True) or "http://127.0.0.1:8000/"


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, points: int | None = None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _is_exercise_decorator(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else node
    return (isinstance(func, ast.Name) and func.id == "exercise") or (
        isinstance(func, ast.Attribute) and func.attr == "exercise"
    )


def _exercise_decorator_lines(node: ast.stmt) -> set[int]:
    """The lines of ``@exercise(...)`` decorators in ``node``: the notebook shows their
    difficulty as points and their hints folded instead."""
    lines = set()
    for sub in ast.walk(node):
        for d in getattr(sub, "decorator_list", []):
            if _is_exercise_decorator(d):
                lines.update(range(d.lineno, d.end_lineno + 1))
    return lines


def _defines(node: ast.stmt, names: dict) -> list[str]:
    """The exercises that ``node`` defines: a function, or a class's methods."""
    if isinstance(node, ast.FunctionDef):
        return [node.name] if node.name in names else []
    if isinstance(node, ast.ClassDef):
        return [
            f"{node.name}.{item.name}"
            for item in node.body
            if f"{node.name}.{getattr(item, 'name', '')}" in names
        ]
    return []


def _end(lines: list[str], end: int) -> int:
    """The last line of a statement that ends at ``end``, counting the indented comments
    after its code (``### END SOLUTION``)."""
    last = end
    while last < len(lines) and (not lines[last].strip() or lines[last][0] in " \t"):
        last += 1
        if lines[last - 1].strip():
            end = last
    return end


def _is_exercise_import(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.ImportFrom)
        and node.module == "course.exercise"
        and [a.name for a in node.names] == ["exercise"]
    )


def _intro(slug: str, url: str, doc: str) -> str:
    ch = chapter(slug)
    paragraphs = doc.strip().split("\n\n")
    if paragraphs and paragraphs[0].startswith("Chapter "):
        paragraphs = paragraphs[1:]  # the title, which the heading already gives
    about = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)
    return (
        f"# {ch.title}\n\n"
        f"This notebook is a chapter of *Transformer Circuits, hands-on*. Read the chapter first: "
        f"[{ch.title}]({url}).\n\n"
        f"{about}\n\n"
        "Each exercise is a function: replace `raise NotImplementedError()` with your answer and run "
        "the test cell below it, which runs the same checks as `course check`. When the notebook is "
        "graded, hidden tests with other seeds and sizes run too. The grader sees your imports, "
        "functions, classes and constants; other code in your cells (experiments, prints) is not "
        "graded, so keep it if it helps."
    ).rstrip() + "\n"


def _about(number: int, names: list[str], infos: dict[str, ExerciseInfo], url: str) -> str:
    """The note before an answer cell: points, a link to the section, hints folded."""

    def points(name: str) -> str:
        p = infos[name].points
        return f"{p} point{'s' * (p != 1)}"

    title = names[0].split(".")[0]
    text = f"## {number}. `{title}`"
    if len(names) == 1:
        text += f" · {points(names[0])}\n\nRead [the section]({url}#{anchor(names[0])}) first. "
    else:
        text += "\n\nThis class holds several exercises, each graded by its own test cell:\n\n" + "".join(
            f"- `{n}` · {points(n)}, [its section]({url}#{anchor(n)})\n" for n in names
        )
        text += "\n"
    text += "Replace `raise NotImplementedError()` with your answer, then run the test cells after it.\n"
    for name in names:
        for i, hint in enumerate(infos[name].hints, start=1):
            label = f"Hint {i}" + (f" for `{name}`" if len(names) > 1 else "")
            text += f"\n<details><summary>{label}</summary>\n\n{hint}\n\n</details>\n"
    return text


def _test(slug: str, name: str, hidden: bool) -> str:
    call = f"check({json.dumps(slug)}, {json.dumps(name)}, {name.split('.')[0]}"
    text = f"from autograder.nbgrader import check\n\n{call})\n"
    if hidden:
        text += f"### BEGIN HIDDEN TESTS\n{call}, hidden=True)\n### END HIDDEN TESTS\n"
    return text


def notebook(slug: str, url: str | None = None) -> nbformat.NotebookNode:
    """The source notebook of chapter ``slug``, linking to the site at ``url``."""
    ch = chapter(slug)
    page = (url or site_url()).rstrip("/") + "/" + ch.page
    path = module_file("solutions", slug)
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    infos = {
        n: fn.__exercise__ for n, fn in exercises_in(importlib.import_module(f"solutions.{slug}")).items()
    }
    try:
        checks = importlib.import_module(f"autograder.checks.{slug}").CHECKS
    except ModuleNotFoundError:
        raise CourseError(f"chapter {slug} has no checks yet (autograder/checks/{slug}.py)") from None
    if [c.exercise for c in checks] != list(infos):
        raise CourseError(
            f"the exercises of solutions/{slug}.py ({', '.join(infos)}) and of autograder/checks/"
            f"{slug}.py ({', '.join(c.exercise for c in checks)}) differ; fix them before building"
        )
    hidden = {c.exercise: any(s.hidden for s in c.shapes) for c in checks}

    lines = text.splitlines(keepends=True)
    body = tree.body
    start = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        start, body = body[0].end_lineno, body[1:]  # the docstring, which the intro cell tells
    grader = (
        "# Starts the test cells' grader in the background, so that it is ready by the first one.\n"
        f"from autograder.nbgrader import warm_up\n\nwarm_up({json.dumps(slug)})"
    )
    cells = [
        nbformat.v4.new_markdown_cell(_intro(slug, page, ast.get_docstring(tree) or ""), id="intro"),
        nbformat.v4.new_code_cell(grader, metadata=_meta("grader"), id="grader"),
    ]
    pending: list[str] = []  # consecutive imports or given code, one read-only cell
    pending_kind = ""

    def flush() -> None:
        nonlocal pending, pending_kind
        code = "".join(pending).strip("\n")
        if code:
            grade_id = "imports" if pending_kind == "imports" else f"given_{len(cells)}"
            cells.append(nbformat.v4.new_code_cell(code, metadata=_meta(grade_id), id=grade_id))
        pending, pending_kind = [], ""

    number = 0
    for node in body:
        drop = _exercise_decorator_lines(node)
        end = _end(lines, node.end_lineno)
        segment = "".join(line for i, line in enumerate(lines[start:end], start + 1) if i not in drop)
        start = end
        if _is_exercise_import(node):
            continue
        names = _defines(node, infos)
        if not names and BEGIN not in segment:
            kind = "imports" if isinstance(node, (ast.Import, ast.ImportFrom)) else "given"
            if kind != pending_kind:
                flush()
            pending.append(segment)
            pending_kind = kind
            continue
        flush()
        answer_id = getattr(node, "name", f"answer_{len(cells)}")
        if names:
            number += 1
            about = _about(number, names, infos, page)
            cells.append(nbformat.v4.new_markdown_cell(about, id=f"about-{answer_id}"))
        code = segment.strip("\n")
        cells.append(nbformat.v4.new_code_cell(code, metadata=_meta(answer_id, solution=True), id=answer_id))
        for name in names:
            test_id = f"test_{anchor(name)}"
            meta = _meta(test_id, grade=True, points=infos[name].points)
            cells.append(
                nbformat.v4.new_code_cell(_test(slug, name, hidden[name]), metadata=meta, id=test_id)
            )
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": _KERNEL, "language_info": {"name": "python"}}
    return nb


def write(slug: str, course: Path, url: str | None = None) -> tuple[Path, str]:
    """Write ``course/source/<slug>/<slug>.ipynb``; returns its path and "written" or
    "unchanged"."""
    target = Path(course) / "source" / slug / f"{slug}.ipynb"
    text = nbformat.writes(notebook(slug, url))
    if target.exists() and target.read_text() == text:
        return target, "unchanged"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target, "written"
