"""Chapter notebooks for self-learners: ``build`` writes them (``course notebooks``), and
their cells call ``check``, ``figure``, ``viewer`` and ``start`` from ``kernel``."""

from autograder.notebooks.kernel import check, figure, start, viewer

__all__ = ["check", "figure", "start", "viewer"]
