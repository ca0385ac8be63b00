"""``course exercises build``: learner stubs generated from ``solutions/``.

Each answer between nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
``raise NotImplementedError(...)`` naming the docs section. The stub's second line
records the sha256 of what was generated, so a later build can tell a file that a
learner edited from one it may replace, and never overwrites the former unasked.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import module_file
from course.chapters import chapter
from course.errors import CourseError
from course.exercise import anchor

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_STAMP = re.compile(r"^# stub-sha256: ([0-9a-f]{64})\n")


def _enclosing_function(tree: ast.Module, lineno: int) -> str:
    """The exercise a line belongs to: ``function``, or ``Class.method`` for a method."""
    for node in tree.body:
        if node.lineno <= lineno <= node.end_lineno:
            if isinstance(node, ast.FunctionDef):
                return node.name
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.lineno <= lineno <= item.end_lineno:
                        return f"{node.name}.{item.name}"
    raise CourseError(f"line {lineno}: a solution region outside a function")


def stub_source(slug: str) -> str:
    """The stub text for chapter ``slug``, stamped with its own hash."""
    src_path = module_file("solutions", slug)
    source = src_path.read_text()
    tree = ast.parse(source, filename=str(src_path))
    ch = chapter(slug)
    out: list[str] = []
    inside = False
    for lineno, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise CourseError(f"{src_path}:{lineno}: {BEGIN} inside another solution region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            fn = _enclosing_function(tree, lineno)
            message = f"{slug}.{fn}: not attempted yet. See the docs: {ch.title}, {ch.url(anchor(fn), published=True)}"
            out.append(f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError({message!r})\n")
        elif marker == END:
            if not inside:
                raise CourseError(f"{src_path}:{lineno}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise CourseError(f"{src_path}: {BEGIN} is never closed")
    body = (
        f"# Generated from solutions/{slug}.py by `course exercises build`. Replace each\n"
        "# `raise NotImplementedError` with your answer, then run `course check`.\n" + "".join(out)
    )
    return stamp(body)


def stamp(body: str) -> str:
    """``body`` with a first line recording its hash."""
    return f"# stub-sha256: {_sha(body)}\n{body}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def is_edited(text: str) -> bool:
    """True unless ``text`` is exactly what a build wrote (its stamp matches its body)."""
    m = _STAMP.match(text)
    return not m or _sha(text[m.end() :]) != m.group(1)


@dataclass
class BuildResult:
    path: Path
    action: str  # "written", "unchanged", "kept-edited", "new", "forced"


def build(slug: str, force: bool = False, new: bool = False, directory: Path | None = None) -> BuildResult:
    """Write ``exercises/<slug>.py`` (or ``directory/<slug>.py``). An edited stub is kept:
    with ``new`` the stub goes to ``<slug>.py.new`` beside it; with ``force`` the edited
    file is copied to ``<slug>.py.bak`` first, so that even then no work is lost."""
    target = directory / f"{slug}.py" if directory else module_file("exercises", slug)
    text = stub_source(slug)
    if not target.exists():
        target.write_text(text)
        return BuildResult(target, "written")
    current = target.read_text()
    if current == text:
        return BuildResult(target, "unchanged")
    if not is_edited(current):
        target.write_text(text)
        return BuildResult(target, "written")
    if new:
        dest = target.with_name(target.name + ".new")
        dest.write_text(text)
        return BuildResult(dest, "new")
    if force:
        shutil.copy2(target, target.with_name(target.name + ".bak"))
        target.write_text(text)
        return BuildResult(target, "forced")
    raise CourseError(
        f"{target} has your edits, so it was not overwritten. Pass --new to write the fresh "
        f"stub to {target.name}.new beside it, or --force to replace it (your file is kept as "
        f"{target.name}.bak)."
    )
