"""The module a notebook's test cell grades: the definitions of every cell run so far.

A test cell cannot name the notebook's file, so the grader rebuilds a module from the
kernel's history, as if the notebook were exported to a ``.py`` file, keeping only
what defines something: imports, functions, classes and assignments of constants.
Everything else at the top level (prints, experiments, a stray ``sys.exit()`` or an
endless loop) stays out, so it can neither slow nor break the grading, and a later
cell's definition replaces an earlier one as it does in the kernel.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Module:
    """Source text, and for each of its lines the cell and line it came from."""

    source: str = ""
    origin: list[tuple[str, int]] = field(default_factory=list)

    def add(self, cell: str, lines: list[str], first_line: int) -> None:
        self.source += "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        self.origin += [(cell, first_line + i) for i in range(len(lines))]

    def defines(self, name: str) -> bool:
        """Whether a top-level statement of the module binds ``name``."""
        for node in ast.parse(self.source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                return True
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                    return True
            elif name in {t.id for t in ast.walk(node) if isinstance(t, ast.Name)}:
                return True
        return False

    def where(self, message: str, filename: str) -> str:
        """``message`` with each ``filename:LINE`` (how the grader names a place in the
        module) turned into the cell and line the learner wrote it in."""

        def cell_line(m: re.Match) -> str:
            n = int(m.group(1))
            if not 1 <= n <= len(self.origin):
                return m.group(0)
            cell, line = self.origin[n - 1]
            return f"{cell}, line {line}"

        return re.sub(re.escape(filename) + r":(\d+)", cell_line, message)


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        return False  # only legal first in a module, and nothing the answers need
    if isinstance(node, _KEPT):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if all(isinstance(t, ast.Name) for t in targets):
            try:
                ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return False
            return True
    return False


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def from_cells(cells: list[tuple[str, str]]) -> Module:
    """The definitions of ``cells``, given as (label, source) in the order they ran.
    A cell that does not parse defined nothing, so it is skipped."""
    module = Module()
    for label, source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        lines = source.splitlines()
        spans = [(_first_line(node), node.end_lineno) for node in tree.body]
        for i, node in enumerate(tree.body):
            if not _is_definition(node):
                continue
            start, end = spans[i]
            shares_a_line = any(s <= end and start <= e for j, (s, e) in enumerate(spans) if j != i)
            if shares_a_line:  # `import a; f()`: keep the definition alone
                module.add(label, ast.unparse(node).splitlines(), node.lineno)
            else:
                module.add(label, lines[start - 1 : end], start)
    return module
