"""The docs site: a strict mkdocs build, the display-math lint, and the pages in a real browser.

The browser tests need Debian's chromium at /usr/bin/chromium and the PyPI playwright package,
and skip without them (never `playwright install`: it downloads browsers). The build needs KaTeX
from npm: run `npm ci` at the repository root first, or the build tests skip.
"""

import functools
import os
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: Every page of the site, so that a new chapter is tested as soon as it exists.
PAGES = sorted("" if p.stem == "index" else f"{p.stem}/" for p in (ROOT / "site").glob("*.md"))
KATEX_ERROR_RGB = "rgb(204, 0, 0)"  # KaTeX's #cc0000 for a macro it does not know


def mkdocs(tmp: Path, *args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run mkdocs as a fresh user would: its own HOME and matplotlib config."""
    home, mpl = tmp / "home", tmp / "mpl"
    home.mkdir(exist_ok=True)
    mpl.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), MPLCONFIGDIR=str(mpl), NO_MKDOCS_2_WARNING="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
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
    assert not (site / "hooks").exists(), "the build hooks must not be published"
    glossary = (site / "glossary" / "index.html").read_text()
    assert glossary.count('<div class="arithmatex">') >= 5
    assert "$$" not in glossary


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
    result = mkdocs(tmp_path, "build", "--strict", "-d", str(tmp_path / "out"), cwd=clone)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "npm ci" in line]
    assert len(errors) == 1 and "KaTeX" in errors[0], result.stderr


# --- a real browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, failed requests and foreign hosts are recorded."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"{r.status}: {r.url}"))
        self.page.on("request", self._request)

    def _request(self, request):
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
            self.foreign.append(request.url)

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    yield w
    w.close()


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
