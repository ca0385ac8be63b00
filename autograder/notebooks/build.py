"""``course notebooks``: one Jupyter notebook per chapter, for learners who work in Jupyter.

A chapter's notebook is its page, ``site/<page>.md``, read through the page model
(``course.pages``), so that the text exists once. In the page's order:

- the prose and math, as Markdown cells, with each ``{{ value NAME }}`` computed as for the
  site, the theme's admonitions as quotes or folded ``<details>``, and links to other pages
  pointing at the published site;
- for each ``{{ card NAME }}``: the card (difficulty, importance, time, points, hints folded),
  the exercise's stub in a code cell of its own (as ``course exercises build`` writes it, from
  ``solutions/``, never from a learner's edited file; a class whose methods are exercises is
  one cell, at its first card), and a cell ``check(NAME)`` that grades it
  (``autograder.notebooks.kernel``);
- for each ``{{ figure NAME }}``: the site's figure, drawn from the reference solutions, then a
  cell ``figure("NAME")`` that draws it again with the learner's functions; for each
  ``{{ viewer NAME }}``, a cell ``viewer("NAME")``.

The given code of the chapter's module (its imports, constants and helpers) is one cell at
the top, after the cell that starts the grader. As with the ``.py`` stubs, a notebook records
the hash of what was generated (in its metadata), and one whose cells a learner has edited is
never overwritten unasked.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.stubs import stub_source
from course import pages
from course.chapters import CHAPTERS, chapter, docs_url
from course.errors import CourseError
from course.markdown import outside_fences

ROOT = Path(__file__).resolve().parents[2]
_KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_ADMONITION = re.compile(r'^(\s*)(!!!|\?\?\?\+?)\s+(\w+)(?:\s+"([^"]*)")?\s*$')
_HEADING_ID = re.compile(r"^(#+ .*?)\s*\{#[\w-]+\}\s*$")
_PAGE_LINK = re.compile(r"\]\(([a-z0-9-]+)\.md(#[\w-]+)?\)")


# --- the chapter's module: given code and exercises ------------------------------------------


def _is_exercise_decorator(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else node
    return getattr(func, "id", None) == "exercise" or getattr(func, "attr", None) == "exercise"


@dataclass
class _Stubs:
    """A chapter's stub module cut into cells: the given code, and each exercise's cell."""

    given: str
    exercises: dict[str, pages.Exercise]  # each exercise's card, read from the same text
    cells: dict[str, str]  # exercise name -> the cell that defines it ("" after the first
    #                        method of a class, whose cell is the class's)


def stubs(slug: str, text: str | None = None) -> _Stubs:
    """The cells of the chapter's stub module, or of ``text``, a module with the same
    exercises (the reference solutions, for the tests)."""
    if text is None:
        text = stub_source(slug).split("\n", 1)[1]  # without the stamp, which a cell cannot carry
    lines = text.splitlines()
    tree = ast.parse(text)
    exercises = pages.read_exercises(Path(f"exercises/{slug}.py"), text)
    given: list[tuple[bool, str]] = []  # (is an import, its source)
    cells: dict[str, str] = {}
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the module's docstring: the page says it
    for node in body:
        drop: set[int] = set()
        for sub in ast.walk(node):
            for d in getattr(sub, "decorator_list", []):
                if _is_exercise_decorator(d):
                    drop.update(range(d.lineno, d.end_lineno + 1))
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        source = "\n".join(lines[i - 1] for i in range(first, node.end_lineno + 1) if i not in drop)
        if isinstance(node, ast.ImportFrom) and node.module == "course.exercise":
            continue  # only the decorators used it, and the cards say what they said
        if isinstance(node, ast.FunctionDef) and node.name in exercises:
            cells[node.name] = source
        elif isinstance(node, ast.ClassDef) and any(n.startswith(f"{node.name}.") for n in exercises):
            methods = [n for n in exercises if n.startswith(f"{node.name}.")]
            cells.update({m: (source if i == 0 else "") for i, m in enumerate(methods)})
        else:
            given.append((isinstance(node, (ast.Import, ast.ImportFrom)), source))
    text = "".join(
        ("\n" if i and given[i - 1][0] and is_import else "\n\n" if i else "") + source
        for i, (is_import, source) in enumerate(given)
    )
    return _Stubs(text, exercises, cells)


# --- the page's Markdown, for Jupyter -----------------------------------------------------------


def _jupyter_markdown(text: str) -> str:
    """The theme's Markdown as Jupyter renders it: admonitions become quotes (folded ones
    ``<details>``), heading ids are dropped and links to other pages go to the published site."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _ADMONITION.match(lines[i])
        if not m:
            line = _HEADING_ID.sub(r"\1", lines[i])
            out.append(
                _PAGE_LINK.sub(
                    lambda k: f"]({docs_url(k.group(1) + '/' + (k.group(2) or ''), published=True)})", line
                )
            )
            i += 1
            continue
        prefix, marker, kind, title = m.groups()
        body_indent = prefix + "    "
        body: list[str] = []
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(body_indent)):
            body.append(lines[i][len(body_indent) :])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        inner = _jupyter_markdown("\n".join(body))
        title = title or kind.capitalize()
        if marker.startswith("???"):
            out += [f"{prefix}<details><summary>{title}</summary>", "", inner, "", f"{prefix}</details>", ""]
        else:
            quoted = "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
            out += [f"> **{title}**", ">", quoted, ""]
    return "\n".join(out)


def _card(slug: str, ex: pages.Exercise) -> str:
    text = (
        f"### Exercise `{ex.name}`\n\n{pages.card_meta(ex)}\n\n"
        "Replace `raise NotImplementedError(...)` in the cell below with your answer, run it, then "
        "run the check after it."
    )
    for i, hint in enumerate(ex.hints, start=1):
        title = "Hint" if len(ex.hints) == 1 else f"Hint {i}"
        text += f"\n\n<details><summary>{title}</summary>\n\n{hint}\n\n</details>"
    return text


# --- the notebook --------------------------------------------------------------------------------


class _Blocks:
    """A page's values and reference figures, computed (or read from the site's cache) as the
    site's build does."""

    def __init__(self, slug: str):
        path = ROOT / "site" / "figures" / f"{slug}.py"
        self.module = (
            pages.FigureModule(path, ROOT, pages.cache_root(ROOT), pages.dependency_hash(ROOT))
            if path.is_file()
            else None
        )

    def get(self, kind: str, name: str):
        if self.module is None:
            raise CourseError(
                f"the page asks for {{{{ {kind} {name} }}}}, but site/figures has no module for it"
            )
        return self.module.compute(kind, name)


def _intro(slug: str) -> str:
    ch = chapter(slug)
    return (
        f"*Transformer Circuits, hands-on* · chapter notebook · [the page on the site]({ch.url(published=True)})\n\n"
        "Run the next cell first: it starts the grader. Each exercise's cell is followed by a `check` "
        "cell that grades the function as you defined it, with the same checks as `course check`. "
        "Your answers here and in `exercises/"
        f"{slug}.py` are separate: `course check` grades the file; see the getting-started page to "
        "move an answer from one to the other."
    )


def notebook(slug: str) -> nbformat.NotebookNode:
    """Chapter ``slug``'s notebook, built from its page and its stub module."""
    ch = chapter(slug)
    page = ROOT / "site" / f"{ch.page.rstrip('/')}.md"
    if not page.is_file():
        raise CourseError(f"{page} is missing: `course notebooks` needs a checkout of the full course")
    markdown = page.read_text()
    try:
        found = pages.directives(markdown)
    except ValueError as e:
        raise CourseError(f"{page}:{e}") from None
    cut = stubs(slug)
    exercises = cut.exercises
    blocks = _Blocks(slug)
    by_line = {d.line: d for d in found if d.kind != "value"}
    values = {d.name for d in found if d.kind == "value"}
    computed = {name: blocks.get("value", name) for name in values}

    cells: list = []
    prose: list[str] = []

    def flush() -> None:
        text = "\n".join(prose).strip("\n")
        if text:
            cells.append(nbformat.v4.new_markdown_cell(_jupyter_markdown(text)))
        prose.clear()

    outside = {n for n, line in outside_fences(markdown) if line is not None}
    title_done = False
    for number, line in enumerate(markdown.split("\n"), start=1):
        d = by_line.get(number)
        if d is None:
            prose.append(_values(line, computed) if number in outside else line)
            if not title_done and line.startswith("# "):  # the title, then how to use the notebook
                title_done = True
                cells.append(nbformat.v4.new_markdown_cell(line + "\n\n" + _intro(slug)))
                prose.clear()
                start = f"from autograder.notebooks import check, figure, start, viewer\n\nstart({json.dumps(slug)})"
                cells.append(nbformat.v4.new_code_cell(start))
                if cut.given:
                    cells.append(
                        nbformat.v4.new_code_cell("# Given: the chapter's imports and helpers.\n" + cut.given)
                    )
            continue
        flush()
        if d.kind == "card":
            if d.name not in exercises:
                raise CourseError(f"{page}:{d.line}: no exercise {d.name!r} in the chapter's module")
            cells.append(nbformat.v4.new_markdown_cell(_card(slug, exercises[d.name])))
            if cut.cells.get(d.name):
                cells.append(nbformat.v4.new_code_cell(cut.cells[d.name]))
            elif "." in d.name:
                cells[
                    -1
                ].source += f"\n\nThis method is in the class `{d.name.split('.')[0]}`'s cell above: edit it there, run that cell, then this check."
            cells.append(nbformat.v4.new_code_cell(f"check({d.name})"))
        elif d.kind == "figure":
            svg = blocks.get("figure", d.name)
            caption = blocks.module.alt(d.name)
            attachment = f"{d.name}.svg"
            reference = nbformat.v4.new_markdown_cell(
                f"**The site's figure** (from the reference solutions): {caption}\n\n![{d.name}](attachment:{attachment})"
            )
            reference.attachments = {attachment: {"image/svg+xml": base64.b64encode(svg).decode()}}
            cells.append(reference)
            cells.append(
                nbformat.v4.new_code_cell(
                    f'# The same figure, drawn with your functions.\nfigure("{d.name}")'
                )
            )
        elif d.kind == "viewer":
            caption = blocks.module.alt(d.name)
            cells.append(nbformat.v4.new_markdown_cell(f"**An attention viewer**: {caption}"))
            cells.append(
                nbformat.v4.new_code_cell(
                    f'# Hover over a token to see where each head attends from it.\nviewer("{d.name}")'
                )
            )
    flush()
    for i, c in enumerate(cells):
        c.id = f"{slug}-{i}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": _KERNEL, "language_info": {"name": "python"}}
    nb.metadata["course"] = {"chapter": slug, "sha256": _sha(nb)}
    return nb


def _values(line: str, computed: dict[str, str]) -> str:
    return pages.DIRECTIVE.sub(lambda m: computed[m.group(2)] if m.group(1) == "value" else m.group(0), line)


def _sha(nb) -> str:
    """The hash of a notebook's cells as written: outputs and execution counts, which running
    it changes, are left out, so a notebook that was only run is not an edited one."""
    cells = [(c.cell_type, c.source) for c in nb.cells]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def is_edited(nb) -> bool:
    recorded = nb.metadata.get("course", {}).get("sha256")
    return recorded != _sha(nb)


# --- writing ----------------------------------------------------------------------------------


class Edited(CourseError):
    """A notebook that a learner has edited, which is not overwritten unasked."""


@dataclass
class Written:
    path: Path
    action: str  # "written", "unchanged", "new", "forced"


def write(slug: str, directory: Path, force: bool = False, new: bool = False) -> Written:
    """Write ``directory/<slug>.ipynb``. An edited notebook is kept: with ``new`` the fresh
    one goes to ``<slug>.new.ipynb`` beside it; with ``force`` the edited one is copied to
    ``<slug>.bak.ipynb`` first."""
    directory = Path(directory)
    target = directory / f"{slug}.ipynb"
    nb = notebook(slug)
    text = nbformat.writes(nb)
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return Written(target, "written")
    current = target.read_text()
    if current == text:
        return Written(target, "unchanged")
    try:
        edited = is_edited(nbformat.reads(current, as_version=4))
    except Exception:  # not a notebook any more: someone's file, so kept
        edited = True
    if not edited:
        target.write_text(text)
        return Written(target, "written")
    if new:
        dest = directory / f"{slug}.new.ipynb"
        dest.write_text(text)
        return Written(dest, "new")
    if force:
        shutil.copy2(target, directory / f"{slug}.bak.ipynb")
        target.write_text(text)
        return Written(target, "forced")
    raise Edited(
        f"{target} has your edits, so it was not overwritten. Pass --new to write the fresh notebook "
        f"to {slug}.new.ipynb beside it, or --force to replace it (yours is kept as {slug}.bak.ipynb)."
    )


def chapters(names: list[str]) -> list[str]:
    return [chapter(n).slug for n in names] if names else list(CHAPTERS)
