"""The mkdocs adapter of the course's page model (``course.pages``): cards, numbers, figures
and attention viewers in the pages, taken from the code at build time.

``course.pages`` says what each ``{{ card | value | figure | viewer NAME }}`` block becomes and
caches what figure modules compute; this hook runs it on every page, adds the figures to the
build output (under ``assets/figures``), turns every ``PageError`` into a failed build naming
the page and line, and computes cold figure modules in parallel.

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

import html
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File

from course import pages
from course.pages import (
    DIRECTIVE,
    Directive,
    Exercise,
    FigureModule,
    PageError,
    cache_root,
    card_markdown,
    dependency_hash,
    directives,
    hide_solutions,
    indent,
    module_stem,
    read_exercises,
    solution_source,
)

log = get_plugin_logger("course_blocks")
pages.log = log  # what figure modules compute and what fails, in mkdocs's log
FIGURES_URI = "assets/figures"  # where the build output gets the figures


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


def _as_build_errors(event):
    """``event`` with every ``PageError`` (from ``course.pages``) failing the build as mkdocs
    expects, with the message and no traceback."""

    def run(*args, **kwargs):
        try:
            return event(*args, **kwargs)
        except PageError as e:
            raise PluginError(str(e)) from None

    return run


def on_config(config):
    global _build
    _build = Build(config)


@_as_build_errors
def on_files(files, config):
    """Run (or read from the cache) every value and figure that a page asks for, before any
    page is rendered, and add the figures to the build output."""
    blocks = [(f, _page_directives(f.src_uri, f.content_string)) for f in files.documentation_pages()]
    work: dict[str, list[tuple[str, str]]] = {}
    for file, found in blocks:
        stem = module_stem(file.src_uri)
        for d in found:
            if d.kind == "card":
                continue
            try:
                module = _build.module(stem)
            except (PluginError, PageError):
                continue  # reported below, with the page and the line
            item = (d.kind, d.name)
            if not module.cached(*item) and item not in work.get(stem, []):
                work.setdefault(stem, []).append(item)
    precompute(_build, work)
    for file, found in blocks:
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
            except (PluginError, PageError) as e:
                raise PluginError(f"{file.src_uri}:{d.line}: {e}") from None
    _build.save_costs()
    return files


@_as_build_errors
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
            lines[index] = "\n" + indent(viewer_html(*_build.viewers[(stem, d.name)]), prefix) + "\n"
        else:
            lines[index] = "\n" + indent(_card(uri, stem, d), prefix) + "\n"
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
