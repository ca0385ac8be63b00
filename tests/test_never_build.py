"""Every "never build" in an exercise's docstring or card hints is enforced: the exercise's
check has a case too large for the product it forbids, a message for answers that build it
anyway, and a planted dense answer that the check fails by running out of memory.

The list of such exercises comes from the docstrings themselves, so a new "never build"
needs its case, and a check that says "never build" needs the docstring's rule.
"""

import importlib
import re

import pytest

from course.chapters import CHAPTERS
from course.exercise import exercises_in

#: The rule, in the words every docstring uses for it ("Never build A B", "never\n build").
RULE = re.compile(r"\bnever\s+build\b", re.IGNORECASE)
#: The same rule in other words ("is never built", "without forming it", "no … product is
#: formed"): every exercise saying it must also say "never build", so that it is enforced.
OTHER_WORDS = re.compile(
    r"\bnever\W+(?:\w+\W+){0,3}?(?:builds?|built|building|forms?|formed|forming|materiali[sz]\w*)\b"
    r"|\bwithout\s+(?:build|form|materiali[sz])\w*"
    r"|\bno\s+(?:\S+\s+){0,4}?(?:product|matrix)\s+(?:is|are)\s+(?:formed|built)",
    re.IGNORECASE,
)
#: A case also counts as too large when a dimension is this wide: a d_model × d_model or
#: d_vocab × d_vocab matrix then exceeds the worker's memory cap (composition_score's
#: d_model 60000, diagonal_top1_rate's d_vocab 200000).
WIDE = 40_000


def _texts() -> dict[tuple[str, str], str]:
    """(chapter, exercise) → its docstring and card hints."""
    out = {}
    for chapter in CHAPTERS:
        for name, fn in exercises_in(importlib.import_module(f"solutions.{chapter}")).items():
            out[chapter, name] = "\n".join([fn.__doc__ or "", *fn.__exercise__.hints])
    return out


TEXTS = _texts()
NEVER_BUILD = sorted(key for key, text in TEXTS.items() if RULE.search(text))
CHECKS = {
    (chapter, c.exercise): c
    for chapter in CHAPTERS
    for c in importlib.import_module(f"autograder.checks.{chapter}").CHECKS
}


def test_some_exercises_say_never_build():
    assert NEVER_BUILD


def test_no_rule_hides_in_other_words():
    hidden = {key: m.group(0) for key, text in TEXTS.items() if (m := OTHER_WORDS.search(text))}
    assert set(hidden) <= set(NEVER_BUILD), {k: v for k, v in hidden.items() if k not in NEVER_BUILD}


@pytest.mark.parametrize("chapter, exercise", NEVER_BUILD, ids=[f"{c}.{e}" for c, e in NEVER_BUILD])
def test_a_never_build_is_enforced(chapter, exercise):
    check = CHECKS[chapter, exercise]
    assert check.never_build, "the check must say what is too large here and what to do instead"
    assert re.search(r"\d+ × \d+", check.never_build), "the message must name the product's size"
    large = [s for s in check.shapes if s.memory > 0 or max(s.d_model, s.d_vocab) >= WIDE]
    assert large, "the check needs a case too large for the product (framework.too_large)"

    mutants = importlib.import_module(f"tests.mutants.{chapter}").MUTATIONS[exercise]
    killed = [label for label, _, message in mutants if message in check.never_build]
    assert killed, (
        "a planted answer that builds the product must expect a phrase of never_build, which the "
        "grader says only when a case runs out of memory"
    )
    for label, _, message in mutants:
        if message in check.never_build:
            assert message not in check.hint, f"{label}: the hint says {message!r} on every failure"


def test_only_exercises_that_say_never_build_have_a_never_build_message():
    with_message = sorted(key for key, check in CHECKS.items() if check.never_build)
    assert set(with_message) <= set(NEVER_BUILD), set(with_message) - set(NEVER_BUILD)
