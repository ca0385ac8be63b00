"""The course's chapters, in the paper's order. Each slug names a module in
``solutions/`` and ``exercises/``, a check module in ``autograder/checks/`` and a docs
page ``site/<slug>.md``."""

from __future__ import annotations

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
