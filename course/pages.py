"""The course's pages as a model: the blocks a ``site/*.md`` page asks for, and how each is made.

The docs site (``site/hooks/course_blocks.py``, a thin mkdocs adapter) and the learner
notebooks (``autograder.notebooks``) read the same pages through this module, so that a
chapter has one text, one set of exercise cards and one set of figures. A page's numbers and
figures about the zoo models come from running code, never from typing, so they cannot drift
from the models and the solutions. The contract for a page ``site/<page>.md``, whose *module
stem* is ``<page>`` with ``-`` replaced by ``_``:

``{{ card NAME }}``, on a line of its own, on a chapter page (the module stem is a slug in
``course.chapters.CHAPTERS``: ``site/zero-layer.md`` is chapter ``zero_layer``)
    becomes exercise NAME's card (NAME is a function, or ``Class.method`` for a method, as
    ``course.exercise.exercises_in`` names them): its signature and docstring from
    ``exercises/<slug>.py``, its difficulty, importance, minutes and points from its
    ``@exercise(...)`` decorator, each hint in a folded ``??? tip`` block, the command that
    grades it (``course check <slug> NAME``), and the reference answer from
    ``solutions/<slug>.py`` in a folded ``??? success "Solution"`` block. With ``COURSE_HIDE_SOLUTIONS=1`` the solution blocks are left out, for instructors
    who grade. An unknown NAME fails the build; an exercise without a card on its chapter's page
    is a warning, so ``mkdocs build --strict`` fails.

``{{ value NAME }}``, anywhere in a line
    is replaced by the ``str`` that the zero-argument function NAME of ``site/figures/<stem>.py``
    returns. It is inserted as Markdown.

``{{ figure NAME }}``, on a line of its own
    becomes an image of the matplotlib Figure that the zero-argument function NAME of
    ``site/figures/<stem>.py`` returns, saved as SVG. The function's docstring (its first
    paragraph) is the alt text and the caption, so a figure without a docstring fails.

``{{ viewer NAME }}``, on a line of its own
    becomes an interactive attention-pattern viewer (``course/assets/attention-viewer.js``,
    vanilla JavaScript, nothing fetched) fed by the dict that the zero-argument function NAME
    of ``site/figures/<stem>.py`` returns::

        {"tokens": [label, ...],                       # the sequence, as shown
         "heads": [{"name": "L0H2", "note": "...",     # a title, and a line under it
                    "pattern": [[w_00], [w_10, w_11], ...]}, ...]}  # row q: keys 0..q

    Hovering or focusing a token shows where every head attends from it. The data is written
    into the page as JSON, in the figure's ``data-viewer`` attribute: not in a separate file,
    since browsers refuse to fetch files from ``file://``, and not in a ``<script>``, which the
    theme's instant navigation would run as code; search does not index attributes. Like a
    figure's, the function's docstring is the caption.

Directives inside fenced code blocks are left as they are. A figure module is run with the
Agg backend, and only when its results are not cached: values, figures and viewers' data are
cached under ``$COURSE_CACHE_DIR/site`` (else ``build/cache/site``), keyed by the hash of the
figure module, of the ``solutions/`` modules it imports, of every ``course/`` source and of the
data files under ``course/data/`` (the zoo's manifest pins the weights). Figures are added to the
build output only, never written into ``site/``, so ``mkdocs serve`` does not rebuild in a
loop. An exception in a figure function fails the build with the function's name and
traceback. Each function computed is logged with its time, to find what slows a cold build.

Every problem with a page or a figure module raises ``PageError``, naming the file and what
to do; the site's hook turns it into a failed build.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import logging
import os
import re
import sys
import textwrap
import time
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

from course.errors import CourseError
from course.markdown import outside_fences

#: Where figure modules report what they computed and what failed; the site's hook points it
#: at mkdocs's log.
log = logging.getLogger(__name__)


class PageError(CourseError):
    """A page, an exercise module or a figure module that cannot give what a page asks for."""


DIRECTIVE = re.compile(r"\{\{\s*([a-z]+)\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\}\}")
#: Anything that looks like a block, to catch the ones DIRECTIVE cannot read.
LOOKALIKE = re.compile(r"\{\{\s*[a-z]+\s[^{}]*\}\}")
KINDS = ("card", "value", "figure", "viewer")
#: The cached result of each kind of block, by function name.
CACHED = {"value": "value-{}.txt", "figure": "figure-{}.svg", "viewer": "viewer-{}.json"}
#: Bump when the cached format changes, so that old caches are not read.
CACHE_VERSION = "1"


# --- finding the directives -------------------------------------------------------------


@dataclass(frozen=True)
class Directive:
    kind: str
    name: str
    line: int  # 1-based, in the page's Markdown


def directives(markdown: str) -> list[Directive]:
    """Every directive outside fenced code. An unknown kind, or a card or figure that
    shares its line with other text, raises ValueError naming the line."""
    found: list[Directive] = []
    for number, line in outside_fences(markdown):
        if line is None:
            continue
        stray = LOOKALIKE.search(DIRECTIVE.sub("", line))
        if stray:
            raise ValueError(
                f"{number}: cannot read {stray.group(0)}: write {{{{ {'|'.join(KINDS)} NAME }}}}"
            )
        for m in DIRECTIVE.finditer(line):
            kind, name = m.groups()
            if kind not in KINDS:
                raise ValueError(
                    f"{number}: unknown block {{{{ {kind} ... }}}}; use one of {', '.join(KINDS)}"
                )
            if kind != "card" and "." in name:
                raise ValueError(f"{number}: {name!r} is not a function name of site/figures/")
            if kind != "value" and line.strip() != m.group(0):
                raise ValueError(f"{number}: {{{{ {kind} {name} }}}} must be alone on its line")
            found.append(Directive(kind, name, number))
    return found


def module_stem(page_uri: str) -> str:
    """``zero-layer.md`` → ``zero_layer``: the chapter slug and the figure module's name."""
    return Path(page_uri).stem.replace("-", "_")


# --- exercise cards ---------------------------------------------------------------------

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
INFO_FIELDS = ("difficulty", "importance", "minutes", "hints")


@dataclass(frozen=True)
class Exercise:
    name: str
    stub: str  # the signature and docstring, as the learner's file has them
    difficulty: int
    importance: int
    minutes: int
    hints: tuple[str, ...]


def _functions(path: Path, source: str | None = None) -> tuple[list[str], dict[str, ast.FunctionDef]]:
    """A module's lines, and its functions by name: top-level functions by their name,
    methods of its top-level classes as ``Class.method`` (as course.exercise names them).
    ``source`` is the module's text, when it is not read from ``path``."""
    try:
        source = path.read_text() if source is None else source
    except FileNotFoundError:
        raise PageError(f"{path} is missing") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise PageError(f"{path}:{e.lineno}: cannot parse it: {e.msg}") from None
    defs = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = node
        elif isinstance(node, ast.ClassDef):
            defs.update({f"{node.name}.{f.name}": f for f in node.body if isinstance(f, ast.FunctionDef)})
    return source.splitlines(), defs


def _decorator_info(node: ast.FunctionDef) -> dict | None:
    """The keyword values of an ``@exercise(...)`` decorator, or None without one."""
    for dec in node.decorator_list:
        func = dec.func if isinstance(dec, ast.Call) else None
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if name == "exercise":
            values = dict(zip(INFO_FIELDS, (ast.literal_eval(a) for a in dec.args)))
            values.update({k.arg: ast.literal_eval(k.value) for k in dec.keywords})
            return values
    return None


def _has_docstring(node: ast.FunctionDef) -> bool:
    first = node.body[0]
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def read_exercises(path: Path, source: str | None = None) -> dict[str, Exercise]:
    """The exercises of a stub module (``path``, or its text ``source``), read with ``ast``:
    the build never runs learner code."""
    lines, defs = _functions(path, source)
    out = {}
    for name, node in sorted(defs.items(), key=lambda item: item[1].lineno):
        info = _decorator_info(node)
        if info is None:
            continue
        end = node.body[0].end_lineno if _has_docstring(node) else node.body[0].lineno - 1
        out[name] = Exercise(
            name=name,
            stub=textwrap.dedent("\n".join(lines[node.lineno - 1 : end])),
            difficulty=int(info["difficulty"]),
            importance=int(info["importance"]),
            minutes=int(info["minutes"]),
            hints=tuple(info.get("hints", ())),
        )
    return out


def solution_source(path: Path, name: str) -> str:
    """Function ``name`` of a solutions module, without its decorator, its docstring (the
    card shows it already) and the solution markers."""
    lines, defs = _functions(path)
    if name not in defs:
        raise PageError(f"{path} has no function {name!r}")
    node = defs[name]
    skip = set(range(node.body[0].lineno, node.body[0].end_lineno + 1)) if _has_docstring(node) else set()
    kept = [
        lines[n - 1]
        for n in range(node.lineno, node.end_lineno + 1)
        if n not in skip and lines[n - 1].strip() not in (BEGIN, END)
    ]
    return textwrap.dedent("\n".join(kept))


def hide_solutions() -> bool:
    return os.environ.get("COURSE_HIDE_SOLUTIONS", "").strip().lower() in ("1", "true", "yes")


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.splitlines())


def card_meta(ex: Exercise) -> str:
    """The card's line of difficulty, importance, time and points, as the site and the
    notebooks show it."""
    points = f"{ex.difficulty} point{'s' if ex.difficulty != 1 else ''}"
    return (
        f"**Difficulty** {'●' * ex.difficulty}{'○' * (5 - ex.difficulty)} ·"
        f" **Importance** {'★' * ex.importance}{'☆' * (5 - ex.importance)} ·"
        f" **about {ex.minutes} min** · **{points}**"
    )


def card_markdown(slug: str, ex: Exercise, solution: str | None) -> str:
    """The card as Markdown for admonition, details and superfences."""
    body = [
        card_meta(ex),
        f"```python\n{ex.stub}\n```",
        f"Write it in `exercises/{slug}.py` and grade it with `course check {slug} {ex.name}`.",
    ]
    for i, hint in enumerate(ex.hints, start=1):
        title = "Hint" if len(ex.hints) == 1 else f"Hint {i}"
        body.append(f'??? tip "{title}"\n\n' + indent(hint, "    "))
    if solution is not None:
        body.append('??? success "Solution"\n\n' + indent(f"```python\n{solution}\n```", "    "))
    inner = "\n\n".join(body)
    return f'!!! example "Exercise `{ex.name}`"\n\n{indent(inner, "    ")}\n'


# --- values and figures -----------------------------------------------------------------


def cache_root(root: Path) -> Path:
    env = os.environ.get("COURSE_CACHE_DIR")
    return Path(env) / "site" if env else root / "build" / "cache" / "site"


def _hash_files(h, root: Path, paths) -> None:
    for path in sorted(p for p in paths if "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def dependency_hash(root: Path) -> str:
    """What every figure module may depend on: the course package and its data files (the
    zoo's manifest pins the weights), and the Python and matplotlib in use."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        mpl = version("matplotlib")
    except PackageNotFoundError:
        mpl = "none"
    h = hashlib.sha256(f"{CACHE_VERSION}|{sys.version}|{mpl}".encode())
    _hash_files(h, root, [*root.glob("course/**/*.py"), *root.glob("course/data/**/*.json")])
    return h.hexdigest()


def solutions_used(tree: ast.Module, root: Path) -> list[Path]:
    """The ``solutions/`` modules that a figure module imports (solutions import only
    ``course``, so these are all it reaches); every one of them if it imports the package
    as a whole, which a name-by-name reading cannot follow."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "solutions":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("solutions."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "solutions":
                    return sorted(root.glob("solutions/*.py"))
                if alias.name.startswith("solutions."):
                    names.add(alias.name.split(".")[1])
    return [
        root / "solutions" / f"{name}.py"
        for name in sorted(names)
        if (root / "solutions" / f"{name}.py").is_file()
    ]


class FigureModule:
    """One ``site/figures/<stem>.py``: its results, from the cache or from running it."""

    def __init__(self, path: Path, root: Path, cache: Path, deps: str):
        self.path = path
        self.source = path.read_text()
        try:
            tree = ast.parse(self.source, filename=str(path))
        except SyntaxError as e:
            raise PageError(f"{path}:{e.lineno}: cannot parse it: {e.msg}") from None
        self.defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        h = hashlib.sha256((deps + "\0" + self.source).encode())
        _hash_files(h, root, solutions_used(tree, root))
        self.dir = cache / f"{path.stem}-{h.hexdigest()[:20]}"
        self._module: types.ModuleType | None = None
        self.timings: dict[str, float] = {}  # seconds, of each function this process ran

    def _call(self, name: str):
        if name not in self.defs:
            raise PageError(
                f"{self.path} has no function {name}(); it has: {', '.join(self.defs) or 'none'}"
            )
        if self._module is None:
            import matplotlib

            matplotlib.use("Agg")
            module = types.ModuleType(f"course_site_figures_{self.path.stem}")
            module.__file__ = str(self.path)
            try:  # compiled by hand, so no __pycache__ appears inside the docs folder
                exec(compile(self.source, str(self.path), "exec"), module.__dict__)
            except Exception as e:
                log.error("".join(traceback.format_exc()))
                raise PageError(f"{self.path}: importing it failed: {type(e).__name__}: {e}") from e
            self._module = module
        start = time.perf_counter()
        try:
            result = getattr(self._module, name)()
            self.timings[name] = time.perf_counter() - start
            log.info("computed %s: %s() in %.1f s", self.path.name, name, self.timings[name])
            return result
        except Exception as e:
            log.error("".join(traceback.format_exc()))
            raise PageError(f"{self.path}: {name}() failed: {type(e).__name__}: {e}") from e

    def _store(self, filename: str, data: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in self.dir.parent.glob(f"{self.path.stem}-*"):
            if stale != self.dir and stale.is_dir():  # an older version of this module
                for f in stale.iterdir():
                    f.unlink()
                stale.rmdir()
        tmp = self.dir / f".{filename}.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.dir / filename)  # atomic: an interrupted build leaves no half file

    def cached(self, kind: str, name: str) -> bool:
        return (self.dir / CACHED[kind].format(name)).is_file()

    def compute(self, kind: str, name: str):
        """A block's result, from the cache or by running its function; a figure's and a
        viewer's docstring is checked first, so that a missing one fails before any work."""
        if kind != "value":
            self.alt(name)
        return getattr(self, kind)(name)

    def viewer(self, name: str) -> str:
        """The data of ``{{ viewer NAME }}``, as compact JSON."""
        cached = self.dir / CACHED["viewer"].format(name)
        if cached.is_file():
            return cached.read_text()
        result = self._call(name)
        if not isinstance(result, dict) or not {"tokens", "heads"} <= result.keys():
            raise PageError(
                f"{self.path}: {name}() must return a dict with tokens and heads for {{{{ viewer }}}}"
            )
        try:
            text = json.dumps(result, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise PageError(f"{self.path}: {name}() returned data that is not JSON: {e}") from None
        self._store(cached.name, text.encode())
        return text

    def value(self, name: str) -> str:
        cached = self.dir / f"value-{name}.txt"
        if cached.is_file():
            return cached.read_text()
        result = self._call(name)
        if not isinstance(result, str):
            raise PageError(
                f"{self.path}: {name}() must return a str for {{{{ value }}}}, not {type(result).__name__}"
            )
        self._store(cached.name, result.encode())
        return result

    def alt(self, name: str) -> str:
        node = self.defs.get(name)
        doc = ast.get_docstring(node) if node else None
        if node and not doc:
            raise PageError(
                f"{self.path}: {name}() needs a docstring: it is the figure's alt text and caption"
            )
        return " ".join((doc or "").split("\n\n")[0].split())

    def figure(self, name: str) -> bytes:
        cached = self.dir / f"figure-{name}.svg"
        if cached.is_file():
            return cached.read_bytes()
        fig = self._call(name)
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise PageError(
                f"{self.path}: {name}() must return a matplotlib Figure for {{{{ figure }}}}, not {type(fig).__name__}"
            )
        import matplotlib
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
        self._store(cached.name, buf.getvalue())
        return buf.getvalue()
