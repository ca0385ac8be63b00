"""The chapters as nbgrader assignments, built from the same ``solutions/`` as the
exercises: ``coursedir`` writes an nbgrader course folder, ``build`` a chapter's
source notebook, and ``check`` is what the notebook's test cells call (``cell``,
``definitions`` and ``judge`` say how it grades safely)."""

from autograder.nbgrader.cell import check, warm_up

__all__ = ["check", "warm_up"]
