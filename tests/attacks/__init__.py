"""Attacks on nbgrader grading, one file each: the next attack found is one more file.

Each module defines what a hostile student submits for chapter zero_layer:
- ``CELL``: code for the top of the ``bigram_counts`` answer cell (it runs whenever the
  submission's definitions are loaded), optional;
- ``BODY``: code run inside ``bigram_counts`` when it is graded, before a WRONG answer;
- ``FILES``: extra files submitted beside the notebook, optional;
- ``tamper(nb)``: the submitted notebook changed further (cells deleted, say), optional;
- ``harmless(course, before)``: asserts that the attack changed nothing it must not
  (``before`` is what the course folder held before autograde), optional.
tests/test_nbgrader_attacks.py grades them all with real nbgrader and expects 0 points.
"""

import importlib
import pkgutil

NAMES = sorted(m.name for m in pkgutil.iter_modules(__path__))


def load(name: str):
    return importlib.import_module(f"{__name__}.{name}")
