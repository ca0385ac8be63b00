"""The docs site: a strict mkdocs build, the display-math lint, the course blocks (exercise
cards, values and figures from the code), and the pages in a real browser.

The browser tests need Debian's chromium at /usr/bin/chromium and the PyPI playwright package,
and skip without them (never `playwright install`: it downloads browsers); their ``browser``
and ``watched`` fixtures are in tests/conftest.py. The build needs KaTeX
from npm: run `npm ci` at the repository root first, or the build tests skip. Screenshots go to
$COURSE_TEST_ARTEFACTS when it is set, else to a temporary folder that the test prints.
"""

import functools
import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from course.dataset import cache_dir

ROOT = Path(__file__).resolve().parent.parent
#: Every page of the site, so that a new chapter is tested as soon as it exists.
PAGES = sorted("" if p.stem == "index" else f"{p.stem}/" for p in (ROOT / "site").glob("*.md"))
KATEX_ERROR_RGB = "rgb(204, 0, 0)"  # KaTeX's #cc0000 for a macro it does not know


def mkdocs(tmp: Path, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run mkdocs as a fresh user would: its own HOME and matplotlib config, but the token
    and figure caches that the tests share (see tests/conftest.py)."""
    return as_a_user(tmp, "mkdocs", *args, cwd=cwd, env=env)


def as_a_user(
    tmp: Path, module: str, *args: str, cwd: Path = ROOT, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``python -m module args`` as a fresh user, as mkdocs() runs mkdocs."""
    home, mpl = tmp / "home", tmp / "mpl"
    home.mkdir(exist_ok=True)
    mpl.mkdir(exist_ok=True)
    full = dict(os.environ, HOME=str(home), MPLCONFIGDIR=str(mpl), NO_MKDOCS_2_WARNING="1")
    full["COURSE_CACHE_DIR"] = str(cache_dir())
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def needs_katex() -> None:
    if not (ROOT / "node_modules" / "katex" / "dist" / "katex.min.js").is_file():
        pytest.skip("KaTeX is not installed: run `npm ci` at the repository root")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A local HTTP server for the built site, started before the build: Material's instant
    navigation only works when the site is served at its site_url, port included."""
    out = tmp_path_factory.mktemp("site") / "out"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", out
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def site(served) -> Path:
    needs_katex()
    url, out = served
    result = mkdocs(out.parent, "build", "--strict", "-d", str(out), env={"SITE_URL": url})
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def server(served, site) -> str:
    return served[0]


def test_strict_build_writes_every_page_and_katex(site):
    for page in PAGES:
        assert (site / page / "index.html").is_file(), page
    katex = site / "vendor" / "katex"
    for name in [
        "katex.min.css",
        "katex.min.js",
        "contrib/auto-render.min.js",
        "fonts/KaTeX_Main-Regular.woff2",
    ]:
        assert (katex / name).is_file(), name
    assert (site / "javascripts" / "katex-init.js").is_file()
    assert not (site / "vendor" / "iframe-worker").exists(), "only the offline copy needs the shim"
    assert "iframe-worker" not in (site / "index.html").read_text()
    assert not (site / "hooks").exists(), "the build hooks must not be published"
    glossary = (site / "glossary" / "index.html").read_text()
    assert glossary.count('<div class="arithmatex">') >= 5
    assert "$$" not in glossary


def test_the_site_serves_the_viewer_files_that_notebooks_inline(site):
    """One source for the attention viewer's script and styles, course/assets/, which
    site/hooks/course_assets.py gives the site at the addresses it has always had."""
    assets = ROOT / "course" / "assets"
    script = (site / "javascripts" / "attention-viewer.js").read_text()
    assert script == (assets / "attention-viewer.js").read_text()
    css = (site / "stylesheets" / "course.css").read_text()
    assert css.startswith((ROOT / "site" / "stylesheets" / "course.css").read_text().rstrip("\n"))
    assert css.endswith((assets / "attention-viewer.css").read_text())


BAD = {
    "text before": ("# Page\n\nSome text $$x = 1$$ inline.\n", 3),
    "no blank line above": ("# Page\n\nThe sum:\n$$\na + b\n$$\n", 4),
    "no blank line below": ("# Page\n\n$$\na + b\n$$\nand more text.\n", 3),
    "after front matter": ("---\ntitle: T\n---\n# Page\n\nx $$y$$\n", 6),
}


def throwaway_site(tmp: Path, text: str) -> Path:
    """A docs folder with one page and only the lint hook."""
    (tmp / "docs").mkdir(parents=True)
    (tmp / "docs" / "index.md").write_text(text)
    (tmp / "mkdocs.yml").write_text(
        "site_name: lint\n"
        f"hooks:\n  - {ROOT / 'site' / 'hooks' / 'math_lint.py'}\n"
        "markdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\n"
    )
    return tmp


@pytest.mark.parametrize("case", list(BAD))
def test_lint_fails_a_strict_build_on_misplaced_display_math(tmp_path, case):
    text, line = BAD[case]
    docs = throwaway_site(tmp_path / "docs-site", text)
    result = mkdocs(tmp_path, "build", "--strict", "-d", str(tmp_path / "out"), cwd=docs)
    assert result.returncode != 0
    assert f"index.md:{line}: display math" in result.stderr


def test_fenced_code_is_skipped_until_a_fence_as_long_closes_it():
    from course.markdown import outside_fences

    page = "a\n````md\n```\n{{ figure x }}\n```\n````\nb\n~~~\nc\n~~~\n"
    assert list(outside_fences(page)) == [(1, "a"), (2, None), (7, "b"), (8, None)]


def test_lint_passes_display_math_on_its_own_lines(tmp_path):
    text = "# Page\n\nThe sum:\n\n$$\na + b\n$$\n\n```\ncode with $$ is fine\n```\n\nInline $x$ too.\n"
    docs = throwaway_site(tmp_path / "docs-site", text)
    result = mkdocs(tmp_path, "build", "--strict", "-d", str(tmp_path / "out"), cwd=docs)
    assert result.returncode == 0, result.stderr


def test_build_without_node_modules_says_to_run_npm_ci(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", clone)
    shutil.copy(ROOT / "package.json", clone)
    shutil.copytree(ROOT / "site", clone / "site")
    shutil.copytree(ROOT / "course" / "assets", clone / "course" / "assets")  # mkdocs.yml watches it
    result = mkdocs(tmp_path, "build", "--strict", "-d", str(tmp_path / "out"), cwd=clone)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "npm ci" in line]
    assert len(errors) == 1 and "KaTeX" in errors[0], result.stderr


# --- course blocks: exercise cards, values and figures --------------------------------------


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(f"hook_{name}", ROOT / "site" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


blocks = load_hook("course_blocks")

FAKE_FIGURES = '''"""Figures for the hook's tests; every call is logged, so that a test sees the cache work."""

from pathlib import Path

import matplotlib.pyplot as plt

LOG = Path(__file__).resolve().parents[2] / "calls.log"


def _called(name):
    with LOG.open("a") as f:
        f.write(name + "\\n")


def answer():
    _called("answer")
    return "forty-two"


def line():
    """A straight line, for the test."""
    _called("line")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


def broken():
    """A figure whose code fails."""
    raise RuntimeError("no data here")


def _reads_the_reference():  # never called: the import alone ties the cache to solutions/zero_layer.py
    from solutions import zero_layer  # noqa: F401


def nodoc():
    return plt.subplots()[0]


def pattern():
    """Two tokens and one head, for the test."""
    return {"tokens": ["</script>", "b"], "heads": [{"name": "L0H0", "pattern": [[1.0], [0.25, 0.75]]}]}


def not_a_string():
    return 42
'''


def exercise_names(slug: str) -> list[str]:
    return list(blocks.read_exercises(ROOT / "exercises" / f"{slug}.py"))


#: A line of the reference answer of best_rank_k, which the hints do not give away.
ANSWER_LINE = "U, S, Vh = torch.linalg.svd(log_probs, full_matrices=False)"


def text_of(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


def blocks_project(tmp: Path, page: str) -> Path:
    """A project with the real zero_layer exercises and solutions, a fake figure module, one
    page and only the course-blocks hook."""
    project = tmp / "project"
    (project / "site" / "figures").mkdir(parents=True)
    for package in ("exercises", "solutions"):
        (project / package).mkdir()
        shutil.copy(ROOT / package / "zero_layer.py", project / package)
    (project / "solutions" / "other_chapter.py").write_text('"""Not used by the figures."""\n')
    (project / "site" / "figures" / "zero_layer.py").write_text(FAKE_FIGURES)
    (project / "site" / "zero-layer.md").write_text(page)
    (project / "mkdocs.yml").write_text(
        "site_name: blocks\ndocs_dir: site\n"
        f"hooks:\n  - {ROOT / 'site' / 'hooks' / 'course_blocks.py'}\n"
        "exclude_docs: |\n  /figures/\n"
        "markdown_extensions:\n  - admonition\n  - pymdownx.details\n  - pymdownx.superfences\n"
    )
    return project


def build_blocks(tmp: Path, project: Path, **env) -> tuple[subprocess.CompletedProcess, str]:
    out = tmp / "out"
    env = {"COURSE_CACHE_DIR": str(tmp / "cache"), **env}
    result = mkdocs(tmp, "build", "--strict", "-d", str(out), cwd=project, env=env)
    page = out / "zero-layer" / "index.html"
    return result, page.read_text() if page.exists() else ""


def full_page() -> str:
    cards = "\n\n".join(f"## {name}\n\n{{{{ card {name} }}}}" for name in exercise_names("zero_layer"))
    return (
        "# Zero layer\n\nThe answer is {{ value answer }}.\n\n{{ figure line }}\n\n{{ viewer pattern }}\n\n"
        "```\n{{ card left_alone_in_code }}\n```\n\n" + cards + "\n"
    )


def test_blocks_build_cards_values_and_cached_figures(tmp_path):
    project = blocks_project(tmp_path, full_page())
    sources = sorted(p.relative_to(project) for p in (project / "site").rglob("*"))
    result, doc = build_blocks(tmp_path, project)
    assert result.returncode == 0, result.stderr

    names = exercise_names("zero_layer")
    hints = sum(len(e.hints) for e in blocks.read_exercises(ROOT / "exercises" / "zero_layer.py").values())
    assert doc.count('class="admonition example"') == len(names)
    assert doc.count('<details class="tip">') == hints >= len(names)
    assert doc.count('<details class="success">') == len(names)
    for name in names:
        assert f"course check zero_layer {name}</code>" in doc
    assert ANSWER_LINE in text_of(doc)
    assert "The answer is forty-two." in doc
    assert "{{ card left_alone_in_code }}" in doc
    assert '<img src="../assets/figures/zero_layer/line.svg" alt="A straight line, for the test.">' in doc
    viewer = re.search(r'<figure class="course-figure course-viewer" data-viewer="([^"]*)">', doc)
    assert json.loads(html.unescape(viewer.group(1)))["tokens"] == ["</script>", "b"]
    assert "<figcaption>Two tokens and one head, for the test.</figcaption>" in doc
    svg = tmp_path / "out" / "assets" / "figures" / "zero_layer" / "line.svg"
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()

    calls = tmp_path / "project" / "calls.log"
    assert calls.read_text().split() == ["answer", "line"]
    assert sorted(p.relative_to(project) for p in (project / "site").rglob("*")) == sources, (
        "the build wrote into the docs folder"
    )

    result, doc = build_blocks(tmp_path, project)  # cached: nothing runs again
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == ["answer", "line"]
    assert svg.is_file() and "forty-two" in doc

    def edit_and_build(path: Path) -> list[str]:
        path.write_text(path.read_text() + "\n# an edit\n")
        result, _ = build_blocks(tmp_path, project)
        assert result.returncode == 0, result.stderr
        return calls.read_text().split()

    assert edit_and_build(project / "solutions" / "other_chapter.py") == ["answer", "line"]
    # What the figure module imports changed, or the module itself: everything runs again.
    assert edit_and_build(project / "solutions" / "zero_layer.py") == ["answer", "line"] * 2
    assert edit_and_build(project / "site" / "figures" / "zero_layer.py") == ["answer", "line"] * 3


def test_blocks_compute_figure_modules_in_worker_processes(tmp_path):
    """Two figure modules with work: each runs once, in a worker, and the pages read the cache."""
    project = blocks_project(tmp_path, full_page())
    (project / "site" / "figures" / "models.py").write_text(FAKE_FIGURES)
    models = project / "site" / "models.md"
    models.write_text("# Models\n\nAlso {{ value answer }}.\n\n{{ figure line }}\n")
    result, doc = build_blocks(tmp_path, project, COURSE_SITE_JOBS="2")
    assert result.returncode == 0, result.stderr
    assert "computing 2 figure modules in 2 processes" in result.stderr
    assert result.stderr.count(": answer() in") == 2 and "in a worker" in result.stderr
    assert "The answer is forty-two." in doc
    assert "Also forty-two." in (tmp_path / "out" / "models" / "index.html").read_text()
    assert (tmp_path / "out" / "assets" / "figures" / "models" / "line.svg").is_file()
    calls = project / "calls.log"
    assert sorted(calls.read_text().split()) == ["answer", "answer", "line", "line"]

    # A function that fails in a worker runs again in the build's process, which reports it.
    models.write_text("# Models\n\n{{ figure broken }}\n")
    (project / "site" / "figures" / "models.py").write_text(FAKE_FIGURES + "\n# edited\n")
    (project / "site" / "figures" / "zero_layer.py").write_text(FAKE_FIGURES + "\n# edited\n")
    result, _ = build_blocks(tmp_path, project, COURSE_SITE_JOBS="2")
    assert result.returncode != 0
    assert "models.md:3: " in result.stderr and "broken() failed: RuntimeError: no data here" in result.stderr


def test_cards_name_methods_class_dot_method(tmp_path):
    path = tmp_path / "chapter.py"
    path.write_text(
        "from course.exercise import exercise\n\n\nclass Box:\n"
        '    @exercise(difficulty=2, importance=3, minutes=5, hints=("Look inside.",))\n'
        "    def open(self) -> int:\n"
        '        """Open it."""\n'
        "        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    )
    (card,) = blocks.read_exercises(path).values()
    assert (card.name, card.stub, card.hints) == (
        "Box.open",
        'def open(self) -> int:\n    """Open it."""',
        ("Look inside.",),
    )
    assert blocks.solution_source(path, "Box.open") == "def open(self) -> int:\n    return 1"


def test_hidden_solutions_leave_the_answers_out(tmp_path):
    project = blocks_project(tmp_path, full_page())
    result, doc = build_blocks(tmp_path, project, COURSE_HIDE_SOLUTIONS="1")
    assert result.returncode == 0, result.stderr
    assert '<details class="tip">' in doc and "course check zero_layer bigram_counts" in doc
    assert '<details class="success">' not in doc and "Solution" not in doc
    assert ANSWER_LINE not in text_of(doc)


@pytest.mark.parametrize(
    "line, message",
    [
        ("{{ card nope }}", "zero-layer.md:3: no exercise 'nope' in exercises/zero_layer.py"),
        ("{{ figure broken }}", "broken() failed: RuntimeError: no data here"),
        ("{{ figure nodoc }}", "nodoc() needs a docstring"),
        ("{{ value missing }}", "has no function missing()"),
        ("{{ value not_a_string }}", "not_a_string() must return a str"),
        ("{{ viewer answer }}", "answer() needs a docstring"),
        ("{{ viewer line }}", "line() must return a dict with tokens and heads"),
        ("Text {{ viewer pattern }}", "zero-layer.md:3: {{ viewer pattern }} must be alone"),
        ("Text {{ card bigram_counts }} inline.", "zero-layer.md:3: {{ card bigram_counts }} must be alone"),
        ("{{ cards bigram_counts }}", "unknown block {{ cards ... }}"),
        ("{{ card bigram counts }}", "cannot read {{ card bigram counts }}"),
        ("{{ card bigram_counts }}", "no {{ card NAME }} for exercise(s) bigram_log_probs"),
    ],
)
def test_blocks_fail_the_build_with_a_clear_message(tmp_path, line, message):
    project = blocks_project(tmp_path, f"# Zero layer\n\n{line}\n")
    result, _ = build_blocks(tmp_path, project)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_every_chapter_page_has_a_card_per_exercise(site):
    from course.chapters import CHAPTERS

    for slug, chapter in CHAPTERS.items():
        page = site / chapter.page / "index.html"
        if not page.exists():
            continue
        doc = page.read_text()
        names = exercise_names(slug)
        assert doc.count('class="admonition example"') == len(names), slug
        for name in names:
            anchor = name.replace(".", "-")  # a method's section: FactoredMatrix.svd → FactoredMatrix-svd
            assert f'id="{anchor}"' in doc, f"{chapter.page} has no section #{anchor}"
            assert f"course check {slug} {name}</code>" in doc, (slug, name)


def test_page_numbers_agree_with_the_zoo_metrics(site):
    """The numbers on the pages are computed at build time from the data and the reference
    solutions; the zoo's metrics were measured by the training code. They must agree."""
    from course import zoo
    from course.dataset import load_streams

    if load_streams().corpus_sha256 != zoo.entry("attn-only-0l").config["corpus_sha256"]:
        pytest.skip("this Python's standard library is not the corpus the zoo was trained on")
    doc = (site / "zero-layer" / "index.html").read_text()
    printed = float(re.search(r"closes <strong>([\d.]+)%</strong> of the gap", doc).group(1))
    assert abs(printed / 100 - zoo.entry("attn-only-0l").metrics["gap_closed"]) <= 0.0005 + 1e-9

    # The head that adds most of the correct logit on held-out repeats is an induction head there.
    from course import heldout

    doc = (site / "residual-stream" / "index.html").read_text()
    head = re.search(r"the largest is (L\dH\d)", doc).group(1)
    circuit = heldout.circuit(zoo.load("attn-only-2l"), load_streams())
    assert head in {f"L1H{h}" for h in circuit.induction}, (head, circuit)

    models = (site / "models" / "index.html").read_text()
    gap = zoo.entry("attn-only-0l").metrics["gap_closed"]
    assert f"closes {gap:.1%} of the unigram → bigram gap" in models


# --- a real browser -------------------------------------------------------------------------


def article_text(page) -> str:
    """The article's visible text, without code and without KaTeX's MathML copy of the TeX."""
    return page.evaluate(
        """() => {
            const article = document.querySelector("article").cloneNode(true);
            article.querySelectorAll("pre, code, .katex-mathml").forEach(e => e.remove());
            return article.textContent;
        }"""
    )


def assert_math_rendered(page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))",
        timeout=10_000,
    )
    text = article_text(page)
    for raw in ["$$", "\\(", "\\)", "\\[", "\\begin{"]:
        assert raw not in text, f"raw {raw} left in the page"
    red = page.evaluate(
        """(rgb) => [...document.querySelectorAll("article *")]
                .filter(e => getComputedStyle(e).color === rgb).map(e => e.textContent)""",
        KATEX_ERROR_RGB,
    )
    assert not red, f"KaTeX could not render: {red}"
    assert page.locator(".katex-error").count() == 0


def assert_images_loaded(page) -> int:
    """Every image of the article decoded (naturalWidth > 0); returns how many there are."""
    sizes = page.evaluate(
        """() => Promise.all([...document.querySelectorAll("article img")].map(
            i => i.decode().then(() => [i.src, i.naturalWidth], () => [i.src, 0])))"""
    )
    broken = [src for src, width in sizes if width <= 0]
    assert not broken, f"images that did not load: {broken}"
    return len(sizes)


#: Pages with build-time figures from site/figures/.
FIGURE_PAGES = ["zero-layer/", "residual-stream/", "models/"]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_offline_in_a_browser(server, watched, path):
    page = watched.page
    page.goto(server + path, wait_until="load")
    assert_math_rendered(page)
    count = page.locator(".arithmatex").count()
    if count:
        fonts = page.evaluate(
            """async () => {
                await document.fonts.ready;
                const loaded = [...document.fonts].filter(
                    f => f.family.replace(/["']/g, "") === "KaTeX_Main" && f.status === "loaded");
                return {loaded: loaded.length, check: document.fonts.check("16px KaTeX_Main")};
            }"""
        )
        assert fonts["loaded"] > 0 and fonts["check"], fonts
    if path == "glossary/":
        assert count >= 20
    page.wait_for_load_state("networkidle")
    images = assert_images_loaded(page)
    if path in FIGURE_PAGES:
        assert images >= 1, "the page's figures are missing"
    assert not watched.foreign, f"requests left 127.0.0.1: {watched.foreign}"
    assert not watched.errors, watched.errors


def test_math_is_rendered_again_after_instant_navigation(server, watched):
    page = watched.page
    page.goto(server, wait_until="networkidle")  # the sitemap, which instant navigation needs
    page.evaluate("() => { window.sameDocument = true; }")
    page.locator("nav.md-nav--primary a[href$='glossary/']").first.click()
    page.wait_for_url("**/glossary/")
    assert page.evaluate("() => window.sameDocument === true"), "instant navigation reloaded the page"
    assert_math_rendered(page)
    assert page.locator(".arithmatex .katex").count() >= 20
    assert not watched.foreign and not watched.errors, (watched.foreign, watched.errors)


def test_search_finds_a_page(server, watched):
    page = watched.page
    page.goto(server, wait_until="load")
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially("induction", delay=20)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 1
    assert not watched.foreign and not watched.errors, (watched.foreign, watched.errors)


def test_a_hint_opens_on_a_chapter_page(server, watched):
    page = watched.page
    page.goto(server + "zero-layer/", wait_until="load")
    hint = page.locator("article details.tip").first
    text = hint.locator("p").first
    assert hint.get_attribute("open") is None and not text.is_visible(), "a hint must start folded"
    hint.locator("summary").click()
    page.wait_for_function("() => document.querySelector('article details.tip').open")
    assert text.is_visible() and len(text.inner_text()) > 10
    assert not watched.foreign and not watched.errors, (watched.foreign, watched.errors)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    folder = os.environ.get("COURSE_TEST_ARTEFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("artefacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_screenshots_of_the_home_page_and_a_chapter(server, watched, artefacts):
    page = watched.page
    page.set_viewport_size({"width": 1280, "height": 900})
    for name, path in [("home", ""), ("zero-layer", "zero-layer/")]:
        page.goto(server + path, wait_until="networkidle")
        assert_math_rendered(page)
        assert_images_loaded(page)
        shot = artefacts / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, shot
    print(f"screenshots in {artefacts}")


def test_the_built_site_works_from_file_urls(site, watched):
    """Opened from the disk, without a server: the math and the figures still render."""
    page = watched.page
    page.goto((site / "zero-layer" / "index.html").as_uri(), wait_until="load")
    assert_math_rendered(page)
    assert page.locator(".arithmatex .katex").count() >= 3
    assert assert_images_loaded(page) >= 1
    remote = [u for u in watched.foreign if not u.startswith("file:")]
    assert not remote, f"requests left the disk: {remote}"


@pytest.fixture(scope="module")
def offline_copy(tmp_path_factory) -> Path:
    """``course site DIR``: the copy of the site to read from the disk."""
    needs_katex()
    out = tmp_path_factory.mktemp("offline") / "site"
    result = as_a_user(out.parent, "course.cli", "site", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "index.html").as_uri() in result.stdout
    return out


def test_the_offline_copy_searches_from_file_urls(offline_copy, watched):
    """Search needs a web worker, which browsers refuse to pages from file://: the offline copy
    inlines the index and loads iframe-worker's shim from the copy itself, never from a CDN."""
    assert (offline_copy / "zero-layer.html").is_file() and (
        offline_copy / "vendor/iframe-worker/shim.js"
    ).is_file()
    page = watched.page
    page.goto((offline_copy / "index.html").as_uri(), wait_until="load")
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially("induction", delay=20)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 1
    results.first.locator("a").first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith("file://") and ".html" in page.url and "index.html" not in page.url, page.url
    assert_math_rendered(page)
    page.goto((offline_copy / "residual-stream.html").as_uri(), wait_until="load")
    page.locator("figure.course-viewer.is-ready").wait_for(timeout=10_000)  # its data is in the page
    remote = [u for u in watched.foreign if not u.startswith("file:")]
    assert not remote, f"requests left the disk: {remote}"
    assert not watched.errors, watched.errors


def test_the_attention_viewer_follows_the_hovered_token(server, watched):
    """On the residual-stream page, reached by instant navigation: hovering a token redraws
    every head's row, and the rows show the zoo's heads at their jobs on the repeat."""
    from course import zoo

    metrics = zoo.entry("attn-only-2l").metrics
    best = lambda scores: max(range(len(scores)), key=scores.__getitem__)  # noqa: E731
    previous = f"L0H{best(metrics['previous_token'][0])}"
    last = len(metrics["induction"]) - 1
    induction = f"L{last}H{best(metrics['induction'][last])}"

    page = watched.page
    page.goto(server, wait_until="networkidle")
    page.locator("nav.md-nav--primary a[href$='residual-stream/']").first.click()
    page.wait_for_url("**/residual-stream/")
    viewer = page.locator("figure.course-viewer.is-ready")
    viewer.wait_for(timeout=10_000)
    tokens = viewer.locator(".course-viewer__token")
    n = tokens.count()
    period = (n - 1) // 2  # BOS, then the sequence twice

    def hover(query: int) -> dict[str, int]:
        """Hover a token; each head's most-attended position, as the viewer shows it."""
        tokens.nth(query).hover()
        page.wait_for_function(
            "q => document.querySelector('figure.course-viewer').dataset.query === q", arg=str(query)
        )
        return page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll(".course-viewer__head")].map(
                row => [row.dataset.head, Number(row.querySelector(".course-viewer__top").dataset.position)]))"""
        )

    def shading(head: str) -> list[str]:
        return page.evaluate(
            """h => [...document.querySelectorAll(`.course-viewer__head[data-head="${h}"] .course-viewer__cell`)]
                .map(c => getComputedStyle(c).backgroundColor)""",
            head,
        )

    repeats = range(period + 2, n)  # tokens whose earlier copy has a successor to look at
    hits = {previous: 0, induction: 0}
    for query in repeats:
        before = shading(previous)
        tops = hover(query)
        assert shading(previous) != before, "hovering a token must redraw the rows"
        hits[previous] += tops[previous] == query - 1
        hits[induction] += tops[induction] == query - period + 1
    assert hits[previous] >= 0.8 * len(repeats), hits
    assert hits[induction] >= 0.5 * len(repeats), hits
    assert not watched.foreign and not watched.errors, (watched.foreign, watched.errors)
