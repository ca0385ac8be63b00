"""The site's attention viewer as a notebook output (``course.plots.attention`` makes one).

The output is one piece of self-contained HTML, as CircuitsVis draws in a notebook but with
nothing fetched: the figure that the site's pages hold, its data as JSON in the
``data-viewer`` attribute, then the viewer's stylesheet and script from ``course/assets/``
inlined: the very files the site serves (site/hooks/course_assets.py), so the two cannot
drift apart. JupyterLab and VS Code run a script in a trusted output; the script builds the
figure beside it only. Each output gets a fresh element id, so that two viewers in one
notebook, or one viewer shown twice, are distinct elements.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).parent / "assets"

#: The site's theme (Material for MkDocs) defines the variables that the viewer's rules use; a
#: notebook does not, so the output gives them values from JupyterLab's theme, else VS Code's,
#: else plain ones, and the viewer follows a dark theme too.
THEME = """
.course-viewer-notebook {
  --md-code-font-family: var(--jp-code-font-family, var(--vscode-editor-font-family, monospace));
  --md-code-bg-color: var(--jp-layout-color2, var(--vscode-textCodeBlock-background, rgb(0 0 0 / 6%)));
  --md-accent-fg-color: var(--jp-brand-color1, var(--vscode-focusBorder, rgb(82 108 254)));
  --md-default-fg-color--light: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, rgb(0 0 0 / 54%)));
}
.course-viewer-notebook figure {
  margin: 0.5em 0;
}
"""

#: What shows where the script did not run: a notebook reopened from the disk is not trusted,
#: and JupyterLab then strips its outputs' scripts until the cell runs again.
FALLBACK = "The attention viewer needs JavaScript: run this cell again to see it."


@dataclass(frozen=True)
class AttentionViewer:
    """Attention patterns that a notebook draws as the site's interactive viewer.

    ``data`` is what the site's viewers read: ``{"tokens": [label, ...], "heads": [{"name",
    "note", "pattern"}, ...]}``, each pattern's row q holding the weights of keys 0..q."""

    data: dict
    caption: str = ""

    def _repr_html_(self) -> str:
        element = f"course-viewer-{uuid.uuid4().hex}"  # per output, not per object
        data = json.dumps(self.data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        caption = f"<figcaption>{html.escape(self.caption)}</figcaption>\n" if self.caption else ""
        return (
            '<div class="course-viewer-notebook">\n'
            f"<style>\n{asset('attention-viewer.css')}{THEME}</style>\n"
            f'<figure class="course-figure course-viewer" id="{element}" data-viewer="{html.escape(data)}">\n'
            f'<p class="course-viewer__fallback">{FALLBACK}</p>\n'
            f"{caption}</figure>\n"
            f"<script>\n{asset('attention-viewer.js')}</script>\n"
            "</div>"
        )

    def __repr__(self) -> str:
        """What a terminal shows, where there is no HTML."""
        heads = ", ".join(head["name"] for head in self.data["heads"])
        return f"<attention viewer: {len(self.data['tokens'])} tokens; heads {heads}>"


def asset(name: str) -> str:
    """A file of ``course/assets/``, as text."""
    return (ASSETS / name).read_text(encoding="utf-8")
