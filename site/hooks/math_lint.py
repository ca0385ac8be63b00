"""Warn on display math that would render as raw dollar signs.

pymdownx.arithmatex renders a `$$ ... $$` block only when it is a paragraph of its own: the
opening and closing `$$` each on a line by themselves, with a blank line before and after.
Anything else reaches the page as literal dollar signs, and `mkdocs build --strict` passes
anyway. This hook logs a warning for each such block, so a strict build fails.
"""

from __future__ import annotations

import re

from mkdocs.plugins import get_plugin_logger

from course.markdown import outside_fences

log = get_plugin_logger("math_lint")

CODE_SPAN = re.compile(r"(`+).+?\1")
RULE = (
    "display math `$$` must stand on its own lines, with a blank line before and after "
    "(otherwise it renders as raw dollar signs)"
)


def problems(markdown: str) -> list[int]:
    """The 1-based line numbers of display-math paragraphs that arithmatex will not render."""
    found: list[int] = []
    paragraph: list[tuple[int, str]] = []

    def check() -> None:
        lines = [(n, CODE_SPAN.sub("", text).strip()) for n, text in paragraph]
        marked = [(n, text) for n, text in lines if "$$" in text]
        if not marked:
            return
        ok = (
            len(lines) >= 3
            and lines[0][1] == "$$"
            and lines[-1][1] == "$$"
            and sum(text.count("$$") for _, text in lines) == 2
        )
        if not ok:
            found.append(marked[0][0])

    for number, line in outside_fences(markdown):
        if line is None:  # a fence opens: the paragraph before it ends
            check()
            paragraph = []
        elif line.strip():
            paragraph.append((number, line))
        else:
            check()
            paragraph = []
    check()
    return found


def _offset(page, markdown: str) -> int:
    """Lines that mkdocs removed from the top of the file (front matter) before this hook."""
    try:
        source = page.file.content_string
    except Exception:  # a generated page without a source file
        return 0
    body = markdown.lstrip("\n")
    start = source.find(body[:200]) if body else -1
    if start <= 0:
        return 0
    return source.count("\n", 0, start) - (len(markdown) - len(body))


def on_page_markdown(markdown, page, config, files):
    offset = _offset(page, markdown)
    for line in problems(markdown):
        log.warning("%s:%d: %s", page.file.src_uri, line + offset, RULE)
    return markdown
