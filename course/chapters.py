"""The course's chapters, in the paper's order. Each slug names a module in
``solutions/`` and ``exercises/``, a check module in ``autograder/checks/`` and a docs
page ``site/<slug>.md``."""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass

from course.errors import CourseError


@dataclass(frozen=True)
class Chapter:
    slug: str
    title: str

    @property
    def page(self) -> str:
        """The chapter's address on the docs site, relative to its root."""
        return f"{self.slug.replace('_', '-')}/"

    def url(self, anchor: str = "", published: bool = False) -> str:
        """The chapter's full address, at a section if ``anchor`` is given; with
        ``published``, always the published site's (for generated files, which must
        not depend on who generated them)."""
        return docs_url(self.page + (f"#{anchor}" if anchor else ""), published)


def docs_url(path: str = "", published: bool = False) -> str:
    """A page of the course's site: under $SITE_URL when set (a site of one's own, as
    mkdocs.yml reads it too) and not ``published``, else under the published site that
    the installed package's metadata names; relative when neither is known."""
    base = (not published and os.environ.get("SITE_URL")) or _published()
    return f"{base.rstrip('/')}/{path}" if base else path


def _published() -> str:
    try:
        urls = importlib.metadata.metadata("course-circuits").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return ""
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip() == "Documentation":
            return url.strip()
    return ""


CHAPTERS: dict[str, Chapter] = {
    c.slug: c
    for c in [
        Chapter("residual_stream", "The residual stream and independent heads"),
        Chapter("zero_layer", "Zero-layer transformers are bigram models"),
        Chapter("virtual_weights", "Virtual weights and residual-stream subspaces"),
        Chapter("low_rank", "Low-rank circuits: W_QK and W_OV"),
        Chapter("one_layer", "One-layer models: path expansion and skip-trigrams"),
        Chapter("eigenvalues", "Eigenvalue analysis: copying"),
        Chapter("composition", "Composition: Q-, K- and V-composition and virtual heads"),
        Chapter("induction", "Induction heads"),
    ]
}


def chapter(slug: str) -> Chapter:
    if slug not in CHAPTERS:
        raise CourseError(f"no chapter named {slug!r}; the chapters are: {', '.join(CHAPTERS)}")
    return CHAPTERS[slug]
