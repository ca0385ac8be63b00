"""Reading the course's Markdown pages as the site's hooks need: which lines lie outside
fenced code. Directives (``{{ figure NAME }}``) and display math inside a code block are
examples shown to the reader, not instructions to the build."""

from __future__ import annotations

import re
from collections.abc import Iterator

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def outside_fences(markdown: str) -> Iterator[tuple[int, str | None]]:
    """``(line number, line)`` for each line outside fenced code, 1-based, and
    ``(line number, None)`` where a fence opens: what precedes it ends there. A fence closes
    on a line of the same character at least as long, as CommonMark has it."""
    fence: str | None = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            yield number, None
            continue
        yield number, line
