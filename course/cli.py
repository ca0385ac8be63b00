"""The ``course`` command: train, zoo, info, check, exercises build, notebooks, kit, serve, site,
nbgrader.

Errors the user can fix print one line and exit non-zero; only bugs print tracebacks.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from course.errors import CourseError

MODELS = ("0l", "1l", "2l")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _cmd_train(args: argparse.Namespace) -> int:
    from course import zoo
    from course.dataset import load_streams
    from course.train import QUICK, RECIPES, save_run, train

    cfg = (QUICK if args.quick else RECIPES)[args.model]
    if args.seed is not None:
        cfg = replace(cfg, seed=args.seed)
    name = f"attn-only-{args.model}"
    out = (
        zoo.ZOO_DIR / name
        if args.into_zoo
        else Path(args.out or f"runs/{name}{'-quick' if args.quick else ''}")
    )
    if not args.into_zoo and out.exists() and any(out.iterdir()) and not args.force:
        raise CourseError(f"{out} already holds a run; pass --force to overwrite it, or choose --out")
    print(f"training {name} for {cfg.steps} steps → {out}")
    streams = load_streams()
    result = train(cfg, streams, progress=not args.no_progress)
    save_run(result, out, streams)
    digest = zoo.sha256_file(out / zoo.WEIGHTS)
    print(f"done in {result.seconds:.0f} s; held-out loss {result.final['val_loss']:.3f}")
    print(f"sha256 {digest}")
    if args.into_zoo:
        zoo.record(name, _train_command(args.model, args.seed))
        print(f"recorded {name} in {zoo.MANIFEST}")
    elif not args.quick and args.seed is None and name in zoo.entries():
        same = digest == zoo.entry(name).sha256
        print(f"identical to the shipped {name}: {'yes' if same else 'no'}")
    return 0


def _train_command(model: str, seed: int | None) -> str:
    return f"course train {model}" + (f" --seed {seed}" if seed is not None else "")


def _cmd_zoo(args: argparse.Namespace) -> int:
    from course import zoo

    rows = [("model", "layers", "d_model", "heads", "MB", "held-out loss", "headline", "file")]
    loadable = {}
    for e in zoo.entries().values():
        cfg, m = e.config["model"], e.metrics
        try:
            zoo.load_checkpoint(e.path, e.sha256)
            status = "ok"
        except CourseError as err:
            status = f"BAD: {err}"
        loadable[e.name] = status == "ok"
        size = (e.path / zoo.WEIGHTS).stat().st_size / 1e6 if (e.path / zoo.WEIGHTS).exists() else 0
        rows.append((
            e.name, str(cfg["n_layers"]), str(cfg["d_model"]),
            f"{cfg['n_heads']}×{cfg['d_head']}" if cfg["n_layers"] else "-",
            f"{size:.1f}", f"{m['val_loss']:.3f}", _headline(m), status,
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for name, ok in loadable.items():
        if ok and zoo.entry(name).config["model"]["n_layers"] >= 2:
            _print_bars(name, zoo.load(name))
    print("\nload one with: from course import zoo; model = zoo.load('attn-only-2l')")
    return 0


def _print_bars(name: str, model) -> None:
    """The induction bars of ``course.heldout.BARS``, measured now on token sets and text that
    training never repeated (a few seconds: it reads the corpus's token streams)."""
    from course.dataset import load_streams
    from course.heldout import BARS, measure_all

    results = measure_all(model, load_streams())
    print(f"\n{name}, induction measured where it was not trained (BOS + 50 tokens, repeated once):")
    for test_set, min_induction, max_ratio in BARS:
        m = results[test_set]
        cells = [f"{test_set:<16}", f"best L1 induction {m.induction:.3f} (bar > {min_induction})"]
        ok = m.induction > min_induction
        if max_ratio is not None:
            cells.append(f"loss 2nd/1st half {m.ratio:.3f} (bar < {max_ratio})")
            ok = ok and m.ratio < max_ratio
        print("  " + "  ".join(cells) + ("  ok" if ok else "  MISSED"))


def _headline(m: dict) -> str:
    """The number each model is in the zoo for."""
    if "gap_closed" in m:
        return f"closes {m['gap_closed']:.0%} of the unigram→bigram gap"
    if "induction" in m and len(m["induction"]) >= 2:
        return (
            f"induction {max(m['induction'][-1]):.2f}, previous-token {max(m['previous_token'][0]):.2f} "
            "(on trained tokens; held-out below)"
        )
    if "copying" in m:
        n = sum(c > 0.5 for c in m["copying"][0])
        return f"{n} of {len(m['copying'][0])} heads copy (score > 0.5)"
    return ""


def _cmd_info(args: argparse.Namespace) -> int:
    import importlib.metadata as md
    import platform

    import torch

    from course.corpus import load_corpus, stdlib_dir

    def version(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "not installed"

    print(f"python       {platform.python_version()} ({sys.executable})")
    for pkg in ("course-circuits", "torch", "numpy", "tokenizers", "safetensors", "nbgrader",
                "mkdocs-material", "transformer-lens"):  # fmt: skip
        print(f"{pkg:<12} {version(pkg)}")
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    print(f"devices      {', '.join(devices)}")
    corpus = load_corpus()
    print(f"corpus       {corpus.n_files} files from {stdlib_dir()}, sha256 {corpus.sha256[:16]}…")
    from course import zoo

    shipped = {e.config.get("corpus_sha256") for e in zoo.entries().values()}
    same = shipped == {corpus.sha256}
    print(
        f"zoo corpus   {'the same: `course train` reproduces the zoo' if same else 'different Python build: retraining gives other weights'}"
    )
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    import json

    from autograder import report, runner
    from course.chapters import CHAPTERS, chapter

    if args.watch:
        return _watch(args)
    try:
        if args.chapter:
            chapter(args.chapter)
        slugs = [args.chapter] if args.chapter else list(CHAPTERS)
        results = runner.grade(slugs, args.impl, [args.exercise] if args.exercise else None)
    except Exception as e:  # --json promises JSON on stdout, whatever happens
        if not args.json:
            raise
        error = str(e) if isinstance(e, CourseError) else f"{type(e).__name__}: {e}"
        print(json.dumps({"error": error}))
        print(f"course: error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        report.show(results)
    ok = all(e.status == "passed" for r in results for e in r.exercises)
    return 0 if ok else 1


def _watch(args: argparse.Namespace) -> int:
    import time

    from autograder import report
    from autograder.paths import module_file
    from autograder.watch import watch
    from course.chapters import CHAPTERS

    if args.json:
        raise CourseError("--watch shows a table on every save; it does not combine with --json")
    slugs = [args.chapter] if args.chapter else list(CHAPTERS)
    files = {s: module_file(args.impl, s) for s in slugs}

    def show(results):
        print(f"\n— graded at {time.strftime('%H:%M:%S')}; save to grade again, Ctrl-C to stop", flush=True)
        report.show(results)

    watch(files, args.impl, [args.exercise] if args.exercise else None, show)
    return 0


def _cmd_exercises_build(args: argparse.Namespace) -> int:
    from autograder import snapshots, stubs
    from autograder.paths import module_file
    from course.chapters import CHAPTERS, chapter

    for slug in args.chapters:
        chapter(slug)
    if not snapshots.have_solutions():
        raise CourseError(
            "this copy of the course is a learner's kit: it has no solutions/ to build the stubs and "
            "snapshots from, so there is nothing to build. Your exercises/*.py are yours to edit, and "
            "`course check` grades them against the stored snapshots"
        )
    kept = []
    for slug in args.chapters or list(CHAPTERS):
        try:
            result = stubs.build(slug, force=args.force, new=args.new)
            print(f"{result.action:<10} {result.path}")
        except CourseError as e:  # an edited stub: say so, and go on with the other chapters
            kept.append(str(e))
            print(f"{'kept':<10} {module_file('exercises', slug)} (it has your edits)")
        path, changed = snapshots.write(slug)
        print(f"{'written' if changed else 'unchanged':<10} {path}")
    if kept:
        raise CourseError(kept[0] if len(kept) == 1 else "\n".join(kept))
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from autograder import snapshots
    from autograder.notebooks import build

    slugs = build.chapters(args.chapters)
    if not snapshots.have_solutions():
        raise CourseError(
            "this copy of the course is a learner's kit: its notebooks are in notebooks/ already, and "
            "writing them again needs the full course's solutions/ and site/"
        )
    kept = []
    for slug in slugs:
        try:
            result = build.write(slug, Path(args.dir), force=args.force, new=args.new)
            print(f"{result.action:<10} {result.path}", flush=True)
        except build.Edited as e:  # say so, and go on with the other chapters
            kept.append(str(e))
            print(f"{'kept':<10} {Path(args.dir) / (slug + '.ipynb')} (it has your edits)")
    if kept:
        raise CourseError(kept[0] if len(kept) == 1 else "\n".join(kept))
    print(f"Open them with `jupyter lab {args.dir}`.")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    """The benchmarks live beside the package in a clone, not in an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "bench" / "__main__.py").exists():
        raise CourseError(
            f"no bench/ folder beside {root / 'course'}: the benchmarks run from a clone of the course"
        )
    return subprocess.run([sys.executable, "-m", "bench", *args.args], cwd=root).returncode


def _cmd_kit(args: argparse.Namespace) -> int:
    from autograder.kit import make_kit

    copied = make_kit(Path(args.dir), site=args.site)
    print(f"wrote a learner's copy without solutions/ to {args.dir}: {', '.join(copied)}")
    print(f"install it with: pip install -e {args.dir}")
    return 0


def _cmd_nbgrader_init(args: argparse.Namespace) -> int:
    from autograder.nbgrader import coursedir

    for path in coursedir.init(Path(args.dir), args.course_id, args.timeout, args.exchange, args.db_url):
        print(f"{'written':<10} {path}")
    print(
        f"next: edit {Path(args.dir) / coursedir.STUDENTS}, then `course nbgrader build --course {args.dir}`"
    )
    return 0


def _cmd_nbgrader_build(args: argparse.Namespace) -> int:
    from autograder.nbgrader import build
    from course.chapters import CHAPTERS, chapter

    if not (Path(args.course) / "nbgrader_config.py").exists():
        raise CourseError(f"{args.course} is not a course folder; create it with `course nbgrader init`")
    for slug in args.chapters:
        chapter(slug)
    for slug in args.chapters or list(CHAPTERS):
        path, action = build.write(slug, Path(args.course), args.site_url)
        print(f"{action:<10} {path}")
    return 0


def _cmd_nbgrader_autograde(args: argparse.Namespace) -> int:
    import os

    from autograder.nbgrader import parallel

    jobs = args.jobs or os.cpu_count() or 1
    outcome = parallel.autograde(Path(args.course), args.assignment, jobs, args.unsandboxed)
    if outcome.tampered:
        print(outcome.tampering_report())
    if outcome.not_graded:
        print(outcome.failure_report(), file=sys.stderr)
    return 0 if outcome.ok else 1


def _cmd_nbgrader_place(args: argparse.Namespace) -> int:
    from autograder.nbgrader.place import place

    folder = place(Path(args.course), args.assignment, args.student, args.notebooks, args.timestamp)
    stamp = (folder / "timestamp.txt").read_text()
    for path in sorted(folder.glob("*.ipynb")):
        print(f"{'placed':<10} {path}")
    print(f"submitted at {stamp}, with a submission secret, as `nbgrader collect` would have it")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from course.site import serve

    return serve(args.port, Path(args.site_dir) if args.site_dir else None)


def _cmd_site(args: argparse.Namespace) -> int:
    from course.site import offline_copy

    home = offline_copy(Path(args.dir))
    print(f"wrote the course's site to {home.parent}; open {home.as_uri()} in a browser")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="course", description="Transformer Circuits, hands-on.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train an attention-only model of 0, 1 or 2 layers")
    t.add_argument("model", choices=MODELS)
    t.add_argument("--quick", action="store_true", help="a short run (2l still shows the phase change)")
    t.add_argument("--out", help="output folder (default runs/attn-only-<model>[-quick])")
    t.add_argument("--seed", type=int, help="seed (default: the zoo's)")
    t.add_argument("--force", action="store_true", help="overwrite the output folder")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--into-zoo", action="store_true", help=argparse.SUPPRESS)  # maintainers
    t.set_defaults(func=_cmd_train)

    z = sub.add_parser("zoo", help="list the shipped models and their metrics")
    z.set_defaults(func=_cmd_zoo)

    i = sub.add_parser("info", help="versions, devices and the corpus")
    i.set_defaults(func=_cmd_info)

    c = sub.add_parser("check", help="grade your exercises (or the reference solutions)")
    c.add_argument("chapter", nargs="?", help="a chapter, e.g. residual_stream (default: all)")
    c.add_argument("exercise", nargs="?", help="one exercise of that chapter")
    c.add_argument("--impl", choices=("exercises", "solutions"), default="exercises")
    c.add_argument("--json", action="store_true", help="print the results as JSON")
    c.add_argument("--watch", action="store_true", help="grade again on every save, with a warm worker")
    c.set_defaults(func=_cmd_check)

    e = sub.add_parser("exercises", help="generate the learner stubs from solutions/")
    esub = e.add_subparsers(dest="action", required=True, parser_class=_Parser)
    b = esub.add_parser("build", help="write exercises/<chapter>.py; an edited file is never overwritten")
    b.add_argument("chapters", nargs="*", help="chapters (default: all)")
    how = b.add_mutually_exclusive_group()
    how.add_argument("--force", action="store_true", help="replace edited files, keeping them as .bak")
    how.add_argument("--new", action="store_true", help="write the fresh stub beside an edited file as .new")
    b.set_defaults(func=_cmd_exercises_build)

    nbk = sub.add_parser("notebooks", help="write each chapter as a Jupyter notebook, with inline checks")
    nbk.add_argument("chapters", nargs="*", help="chapters (default: all)")
    nbk.add_argument("--dir", default="notebooks", help="where to write them (default: notebooks/)")
    how = nbk.add_mutually_exclusive_group()
    how.add_argument("--force", action="store_true", help="replace edited notebooks, keeping them as .bak.ipynb")
    how.add_argument("--new", action="store_true", help="write the fresh notebook beside an edited one as .new.ipynb")
    nbk.set_defaults(func=_cmd_notebooks)

    bm = sub.add_parser("bench", help="run the benchmarks (python -m bench) and print the table")
    bm.add_argument("args", nargs=argparse.REMAINDER, help="suites and options, e.g. factored --smoke")
    bm.set_defaults(func=_cmd_bench)

    k = sub.add_parser("kit", help="write a learner's copy of the course without solutions/")
    k.add_argument("dir", help="a new, empty folder")
    k.add_argument("--site", action="store_true", help="add a built copy of the site, without the solutions")
    k.set_defaults(func=_cmd_kit)

    s = sub.add_parser("serve", help="build the course's site and serve it on 127.0.0.1")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--site-dir", help="build into this folder (default build/site)")
    s.set_defaults(func=_cmd_serve)

    o = sub.add_parser("site", help="build a copy of the course's site to read from disk, without a server")
    o.add_argument("dir", help="the folder to build it into (replaced if it holds a site already)")
    o.set_defaults(func=_cmd_site)

    n = sub.add_parser("nbgrader", help="the chapters as nbgrader assignments")
    nsub = n.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ni = nsub.add_parser("init", help="create an nbgrader course folder")
    ni.add_argument("dir", help="the course folder")
    ni.add_argument("--course-id", default="circuits", help="nbgrader's course id (default circuits)")
    ni.add_argument("--timeout", type=int, default=60, help="seconds a notebook cell may run (default 60)")
    ni.add_argument("--exchange", help="the exchange folder (default DIR/exchange)")
    ni.add_argument(
        "--db-url", help="the gradebook's SQLAlchemy URL, e.g. postgresql+psycopg2://grader@db/circuits "
        "(default: sqlite, gradebook.db in DIR)",
    )  # fmt: skip
    ni.set_defaults(func=_cmd_nbgrader_init)
    nb = nsub.add_parser("build", help="write source/<chapter>/<chapter>.ipynb from solutions/")
    nb.add_argument("chapters", nargs="*", help="chapters (default: all)")
    nb.add_argument("--course", required=True, help="the course folder made by `course nbgrader init`")
    nb.add_argument(
        "--site-url", help="the docs site the notebooks link to (default $SITE_URL, else the published site)"
    )
    nb.set_defaults(func=_cmd_nbgrader_build)
    na = nsub.add_parser(
        "autograde", help="grade every submission of an assignment, N at a time, each sandboxed"
    )
    na.add_argument("assignment", help="the assignment (a chapter's name)")
    na.add_argument("--course", default=".", help="the course folder (default: this folder)")
    na.add_argument("--jobs", type=int, default=0, help="submissions graded at once (default: the CPU count)")
    na.add_argument(
        "--unsandboxed", action="store_true",
        help="grade without bubblewrap, each student's code running as you (see the instructor guide)",
    )  # fmt: skip
    na.set_defaults(func=_cmd_nbgrader_autograde)
    npl = nsub.add_parser(
        "place", help="put a submission that came outside the exchange into submitted/, as collect would"
    )
    npl.add_argument("assignment", help="the assignment (a chapter's name)")
    npl.add_argument("student", help="the student's id")
    npl.add_argument("notebooks", nargs="+", help="the notebook(s) the student handed in")
    npl.add_argument("--course", default=".", help="the course folder (default: this folder)")
    npl.add_argument(
        "--timestamp", help="when it was handed in, e.g. '2025-03-01 17:00:00 UTC' (default: now)"
    )
    npl.set_defaults(func=_cmd_nbgrader_place)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "quick", False) and getattr(args, "into_zoo", False):
        print("course: error: --quick runs do not go into the zoo", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (CourseError, OSError) as e:
        print(f"course: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("course: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
