"""Exercise cards, numbers and figures in the pages, taken from the code at build time.

A page's numbers and figures about the zoo models come from running code, never from typing,
so they cannot drift from the models and the solutions. The contract for a page
``site/<page>.md``, whose *module stem* is ``<page>`` with ``-`` replaced by ``_``:

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
    becomes an interactive attention-pattern viewer (``site/javascripts/attention-viewer.js``,
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

When two or more figure modules have work to do, they run in parallel worker processes, one
module at a time per worker (a module's functions share what they load), the slowest first
by the times that earlier builds recorded in ``costs.json`` beside the cache. There are as many
workers as CPUs, and ``COURSE_SITE_JOBS=N`` sets how many (1: everything in the build's own
process). A worker only fills the cache: the build then reads every result from it, and
anything that failed in a worker runs again in the build's own process, which reports it.
When a module reads the corpus's token streams (``load_streams``), every worker loads them
first, under a lock: with a cold cache one worker encodes them, on every CPU, while the others
wait instead of slowing it down.
"""

from __future__ import annotations

import ast
import hashlib
import html
import io
import json
import multiprocessing
import os
import re
import sys
import textwrap
import time
import traceback
import types
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File

from course.markdown import outside_fences

log = get_plugin_logger("course_blocks")

DIRECTIVE = re.compile(r"\{\{\s*([a-z]+)\s+([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*\}\}")
#: Anything that looks like a block, to catch the ones DIRECTIVE cannot read.
LOOKALIKE = re.compile(r"\{\{\s*[a-z]+\s[^{}]*\}\}")
KINDS = ("card", "value", "figure", "viewer")
#: The cached result of each kind of block, by function name.
CACHED = {"value": "value-{}.txt", "figure": "figure-{}.svg", "viewer": "viewer-{}.json"}
FIGURES_URI = "assets/figures"  # where the build output gets the figures
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


def _functions(path: Path) -> tuple[list[str], dict[str, ast.FunctionDef]]:
    """A module's lines, and its functions by name: top-level functions by their name,
    methods of its top-level classes as ``Class.method`` (as course.exercise names them)."""
    try:
        source = path.read_text()
    except FileNotFoundError:
        raise PluginError(f"{path} is missing") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise PluginError(f"{path}:{e.lineno}: cannot parse it: {e.msg}") from None
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


def read_exercises(path: Path) -> dict[str, Exercise]:
    """The exercises of a stub module, read with ``ast``: the build never runs learner code."""
    lines, defs = _functions(path)
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
        raise PluginError(f"{path} has no function {name!r}")
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


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.splitlines())


def card_markdown(slug: str, ex: Exercise, solution: str | None) -> str:
    """The card as Markdown for admonition, details and superfences."""
    points = f"{ex.difficulty} point{'s' if ex.difficulty != 1 else ''}"
    meta = (
        f"**Difficulty** {'●' * ex.difficulty}{'○' * (5 - ex.difficulty)} ·"
        f" **Importance** {'★' * ex.importance}{'☆' * (5 - ex.importance)} ·"
        f" **about {ex.minutes} min** · **{points}**"
    )
    body = [
        meta,
        f"```python\n{ex.stub}\n```",
        f"Write it in `exercises/{slug}.py` and grade it with `course check {slug} {ex.name}`.",
    ]
    for i, hint in enumerate(ex.hints, start=1):
        title = "Hint" if len(ex.hints) == 1 else f"Hint {i}"
        body.append(f'??? tip "{title}"\n\n' + _indent(hint, "    "))
    if solution is not None:
        body.append('??? success "Solution"\n\n' + _indent(f"```python\n{solution}\n```", "    "))
    inner = "\n\n".join(body)
    return f'!!! example "Exercise `{ex.name}`"\n\n{_indent(inner, "    ")}\n'


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
            raise PluginError(f"{path}:{e.lineno}: cannot parse it: {e.msg}") from None
        self.defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        h = hashlib.sha256((deps + "\0" + self.source).encode())
        _hash_files(h, root, solutions_used(tree, root))
        self.dir = cache / f"{path.stem}-{h.hexdigest()[:20]}"
        self._module: types.ModuleType | None = None
        self.timings: dict[str, float] = {}  # seconds, of each function this process ran

    def _call(self, name: str):
        if name not in self.defs:
            raise PluginError(
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
                raise PluginError(f"{self.path}: importing it failed: {type(e).__name__}: {e}") from e
            self._module = module
        start = time.perf_counter()
        try:
            result = getattr(self._module, name)()
            self.timings[name] = time.perf_counter() - start
            log.info("computed %s: %s() in %.1f s", self.path.name, name, self.timings[name])
            return result
        except Exception as e:
            log.error("".join(traceback.format_exc()))
            raise PluginError(f"{self.path}: {name}() failed: {type(e).__name__}: {e}") from e

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
            raise PluginError(
                f"{self.path}: {name}() must return a dict with tokens and heads for {{{{ viewer }}}}"
            )
        try:
            text = json.dumps(result, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise PluginError(f"{self.path}: {name}() returned data that is not JSON: {e}") from None
        self._store(cached.name, text.encode())
        return text

    def value(self, name: str) -> str:
        cached = self.dir / f"value-{name}.txt"
        if cached.is_file():
            return cached.read_text()
        result = self._call(name)
        if not isinstance(result, str):
            raise PluginError(
                f"{self.path}: {name}() must return a str for {{{{ value }}}}, not {type(result).__name__}"
            )
        self._store(cached.name, result.encode())
        return result

    def alt(self, name: str) -> str:
        node = self.defs.get(name)
        doc = ast.get_docstring(node) if node else None
        if node and not doc:
            raise PluginError(
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
            raise PluginError(
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


# --- computing in parallel ----------------------------------------------------------------

#: The name under which worker processes import this hook: mkdocs names it by its path.
WORKER_MODULE = "course_blocks"
COSTS = "costs.json"  # in the cache: each function's time when a build last computed it
UNKNOWN_COST = 1.0  # seconds, for a function that no build has timed yet


def jobs() -> int:
    """How many processes compute figure modules: ``COURSE_SITE_JOBS``, else the CPUs."""
    setting = os.environ.get("COURSE_SITE_JOBS", "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise PluginError(f"COURSE_SITE_JOBS={setting!r} is not a number of processes") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _init_worker(threads: int, streams: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(threads)  # the workers share the CPUs
    log.logger.disabled = True  # the build's own process reports what fails
    if streams:
        _streams_once()


def _streams_once() -> None:
    """Load the corpus's token streams under a lock: with a cold cache, one worker encodes
    them on every CPU while the others wait, idle, then read the cached file."""
    from course.dataset import cache_dir, load_streams

    try:
        import fcntl
    except ImportError:  # not POSIX: each worker may encode them
        load_streams()
        return
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".tokens.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            load_streams()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _compute(path: str, root: str, cache: str, deps: str, items: list[tuple[str, str]]):
    """In a worker: compute and cache these (kind, name) items of one figure module. Returns
    each function's time and the names that failed."""
    module = FigureModule(Path(path), Path(root), Path(cache), deps)
    failed = []
    for kind, name in items:
        try:
            module.compute(kind, name)
        except Exception:
            failed.append(name)
    return module.timings, failed


def _reads_streams(module: FigureModule) -> bool:
    return "load_streams" in module.source


# Pickled by reference into spawned workers, which import this file as WORKER_MODULE.
_init_worker.__module__ = _compute.__module__ = WORKER_MODULE


def precompute(build: Build, work: dict[str, list[tuple[str, str]]]) -> None:
    """Fill the cache with ``work``, each figure module's uncached (kind, name) items, in
    worker processes, the slowest module first. Nothing happens with fewer than two modules
    to run or one job: the build's own process then computes them as it reads them."""
    workers = min(jobs(), len(work))
    if workers < 2:
        return
    costs = build.costs
    order = sorted(work, key=lambda stem: -sum(costs.get(f"{stem}:{n}", UNKNOWN_COST) for _, n in work[stem]))
    streams = any(_reads_streams(build.module(stem)) for stem in work)
    log.info("computing %d figure modules in %d processes", len(work), workers)
    hooks = str(Path(__file__).resolve().parent)
    sys.modules[WORKER_MODULE] = sys.modules[__name__]
    sys.path.append(hooks)  # inherited by the workers, which import this file from there
    try:
        context = multiprocessing.get_context("spawn")  # not fork: this process may hold threads
        init = (max(1, jobs() // workers), streams)
        with ProcessPoolExecutor(workers, context, _init_worker, init) as pool:
            args = (str(build.root), str(build.cache), build.deps())
            futures = {s: pool.submit(_compute, str(build.module(s).path), *args, work[s]) for s in order}
            for stem, future in futures.items():
                try:
                    timings, failed = future.result()
                except Exception as e:  # a worker died: the build's own process runs the module
                    log.info("a worker could not run %s.py (%s); running it here", stem, e)
                    continue
                for name, seconds in timings.items():
                    log.info("computed %s.py: %s() in %.1f s, in a worker", stem, name, seconds)
                build.record(stem, timings)
    except OSError as e:  # no processes to be had: the build's own process computes everything
        log.info("cannot start worker processes (%s); computing the figures here", e)
    finally:
        sys.path.remove(hooks)


# --- the build --------------------------------------------------------------------------


class Build:
    """What one build has computed: the pages' values, their figures' files, the exercises."""

    def __init__(self, config):
        self.root = Path(config.config_file_path).resolve().parent
        self.docs = Path(config.docs_dir)
        self.cache = cache_root(self.root)
        self._deps: str | None = None
        self.costs = self._read_costs()
        self._saved_costs = dict(self.costs)
        self._modules: dict[str, FigureModule] = {}
        self.values: dict[tuple[str, str], str] = {}
        self.figures: dict[tuple[str, str], tuple[File, str]] = {}
        self.viewers: dict[tuple[str, str], tuple[str, str]] = {}  # their JSON and caption
        self._exercises: dict[str, dict[str, Exercise]] = {}

    def exercises(self, slug: str) -> dict[str, Exercise]:
        if slug not in self._exercises:
            self._exercises[slug] = read_exercises(self.root / "exercises" / f"{slug}.py")
        return self._exercises[slug]

    def deps(self) -> str:
        if self._deps is None:
            self._deps = dependency_hash(self.root)
        return self._deps

    def module(self, stem: str) -> FigureModule:
        if stem not in self._modules:
            path = self.docs / "figures" / f"{stem}.py"
            if not path.is_file():
                raise PluginError(f"{path.relative_to(self.root)} is missing")
            self._modules[stem] = FigureModule(path, self.root, self.cache, self.deps())
        return self._modules[stem]

    def _read_costs(self) -> dict[str, float]:
        try:
            return json.loads((self.cache / COSTS).read_text())
        except (OSError, ValueError):
            return {}

    def record(self, stem: str, timings: dict[str, float]) -> None:
        self.costs.update({f"{stem}:{name}": round(seconds, 2) for name, seconds in timings.items()})

    def save_costs(self) -> None:
        """Keep the times of what this build computed, to order the next cold build's work."""
        for stem, module in self._modules.items():
            self.record(stem, module.timings)
        if self.costs == self._saved_costs:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = self.cache / f".{COSTS}.tmp"
        tmp.write_text(json.dumps(dict(sorted(self.costs.items())), indent=0))
        tmp.replace(self.cache / COSTS)
        self._saved_costs = dict(self.costs)


_build: Build | None = None


def _page_directives(uri: str, markdown: str) -> list[Directive]:
    try:
        return directives(markdown)
    except ValueError as e:
        raise PluginError(f"{uri}:{e}") from None


def on_config(config):
    global _build
    _build = Build(config)


def on_files(files, config):
    """Run (or read from the cache) every value and figure that a page asks for, before any
    page is rendered, and add the figures to the build output."""
    pages = [(f, _page_directives(f.src_uri, f.content_string)) for f in files.documentation_pages()]
    work: dict[str, list[tuple[str, str]]] = {}
    for file, found in pages:
        stem = module_stem(file.src_uri)
        for d in found:
            if d.kind == "card":
                continue
            try:
                module = _build.module(stem)
            except PluginError:
                continue  # reported below, with the page and the line
            item = (d.kind, d.name)
            if not module.cached(*item) and item not in work.get(stem, []):
                work.setdefault(stem, []).append(item)
    precompute(_build, work)
    for file, found in pages:
        stem = module_stem(file.src_uri)
        for d in found:
            key = (stem, d.name)
            try:
                if d.kind == "value" and key not in _build.values:
                    _build.values[key] = _build.module(stem).value(d.name)
                elif d.kind == "figure" and key not in _build.figures:
                    module = _build.module(stem)
                    alt = module.alt(d.name)  # before running it: no docstring fails at once
                    svg = module.figure(d.name)
                    out = File.generated(config, f"{FIGURES_URI}/{stem}/{d.name}.svg", content=svg)
                    files.append(out)
                    _build.figures[key] = (out, alt)
                elif d.kind == "viewer" and key not in _build.viewers:
                    module = _build.module(stem)
                    _build.viewers[key] = (module.compute("viewer", d.name), module.alt(d.name))
            except PluginError as e:
                raise PluginError(f"{file.src_uri}:{d.line}: {e}") from None
    _build.save_costs()
    return files


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    found = _page_directives(uri, markdown)
    if not found and module_stem(uri) not in _chapters():
        return markdown
    stem = module_stem(uri)
    lines = markdown.splitlines()
    carded: list[str] = []
    for d in found:
        index = d.line - 1
        line = lines[index]
        prefix = line[: len(line) - len(line.lstrip())]
        if d.kind == "value":
            lines[index] = DIRECTIVE.sub(
                lambda m: _build.values[(stem, m.group(2))] if m.group(1) == "value" else m.group(0), line
            )
        elif d.kind == "figure":
            out, alt = _build.figures[(stem, d.name)]
            text = html.escape(alt)
            lines[index] = (
                f'{prefix}<figure class="course-figure">\n{prefix}<img src="{out.url_relative_to(page.file)}" '
                f'alt="{text}">\n{prefix}<figcaption>{text}</figcaption>\n{prefix}</figure>'
            )
        elif d.kind == "viewer":
            lines[index] = "\n" + _indent(viewer_html(*_build.viewers[(stem, d.name)]), prefix) + "\n"
        else:
            lines[index] = "\n" + _indent(_card(uri, stem, d), prefix) + "\n"
            carded.append(d.name)
    _check_cards(uri, stem, carded)
    return "\n".join(lines) + "\n"


def viewer_html(data: str, caption: str) -> str:
    """A viewer's block, its JSON in an attribute that attention-viewer.js reads."""
    return (
        f'<figure class="course-figure course-viewer" data-viewer="{html.escape(data)}">\n'
        '<p class="course-viewer__fallback">This viewer needs JavaScript.</p>\n'
        f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>"
    )


def _chapters() -> dict:
    from course.chapters import CHAPTERS

    return CHAPTERS


def _card(uri: str, slug: str, d: Directive) -> str:
    if slug not in _chapters():
        raise PluginError(f"{uri}:{d.line}: {{{{ card {d.name} }}}} on a page that is not a chapter's")
    exercises = _build.exercises(slug)
    if d.name not in exercises:
        raise PluginError(
            f"{uri}:{d.line}: no exercise {d.name!r} in exercises/{slug}.py; "
            f"its exercises are: {', '.join(exercises) or 'none'}"
        )
    solution = None
    if not hide_solutions():
        path = _build.root / "solutions" / f"{slug}.py"
        if not path.is_file():
            raise PluginError(f"{path} is missing: build with COURSE_HIDE_SOLUTIONS=1 to leave solutions out")
        solution = solution_source(path, d.name)
    return card_markdown(slug, exercises[d.name], solution)


def _check_cards(uri: str, slug: str, carded: list[str]) -> None:
    """Every exercise of a chapter has one card on its page."""
    path = _build.root / "exercises" / f"{slug}.py"
    if slug not in _chapters() or not path.is_file():
        return
    missing = [name for name in _build.exercises(slug) if name not in carded]
    if missing:
        log.warning(
            "%s: no {{ card NAME }} for exercise(s) %s of exercises/%s.py", uri, ", ".join(missing), slug
        )
    twice = sorted({n for n in carded if carded.count(n) > 1})
    if twice:
        log.warning("%s: more than one card for %s", uri, ", ".join(twice))
