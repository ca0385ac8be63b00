"""The written type policy (README, "How answers are compared"), applied by the checks:
every reference, with its result converted in each allowed way, still earns full points;
converted in a way the policy forbids, it fails and the message says why.

Each conversion wraps the reference functions in a learner's file that the real worker
grades, so the whole path (the worker, the bytes, the judge) is under test."""

import importlib
from pathlib import Path

import pytest
import torch

from autograder import framework, snapshots
from autograder.runner import grade_chapter
from course.chapters import CHAPTERS

#: How each conversion changes a value; the same code runs in the learner's file.
CONVERSIONS = {
    "any integer width": "lambda v: v.to(torch.int32) if _int(v) else v",
    "counts as floats": "lambda v: v.to(torch.float64) if _int(v) else v",
    "a Python number for a 0-d tensor": "lambda v: v.item() if isinstance(v, torch.Tensor) and v.ndim == 0 else v",
    "a 0-d tensor for a Python number": "lambda v: torch.tensor(v) if type(v) in (int, float) else v",
    "a list for a tuple": "lambda v: list(v) if type(v) is tuple else v",
}
#: The conversions that some exercises must refuse, and what they must say.
FORBIDDEN = {"indices as floats": ("lambda v: v.to(torch.float64) if _int(v) else v", "a float cannot index")}

_PRELUDE = """
import torch
from solutions.{slug} import *
import solutions.{slug} as _ref


def _int(v):
    return isinstance(v, torch.Tensor) and not (v.is_floating_point() or v.is_complex() or v.dtype == torch.bool)


_leaf = {conversion}


def _convert(v):
    v = _leaf(v)
    return type(v)(_convert(x) for x in v) if type(v) in (tuple, list) else v


"""


def _checks(slug):
    return importlib.import_module(f"autograder.checks.{slug}").CHECKS


def _applies(value, conversion: str, counts: bool) -> bool:
    """Whether ``conversion`` changes ``value`` (the reference's output of one case)."""
    if isinstance(value, (tuple, list)):
        return (conversion == "a list for a tuple" and isinstance(value, tuple)) or any(
            _applies(v, conversion, counts) for v in value
        )
    integer = isinstance(value, torch.Tensor) and not (value.is_floating_point() or value.is_complex())
    return {
        "any integer width": integer,
        "counts as floats": integer and counts,
        "indices as floats": integer and not counts,
        "a Python number for a 0-d tensor": isinstance(value, torch.Tensor) and value.ndim == 0,
        "a 0-d tensor for a Python number": type(value) in (int, float),
        "a list for a tuple": False,
    }[conversion]


def _converted(tmp_path: Path, slug: str, conversion: str, code: str, names: list[str]) -> Path:
    """A learner's file: the reference, each named exercise's result converted."""
    text = _PRELUDE.format(slug=slug, conversion=code)
    for name in names:
        if "." in name:  # a method: patched on the class, in the worker's process only
            cls, method = name.split(".")
            text += (
                f"_orig_{method} = {cls}.{method}\n"
                f"{cls}.{method} = lambda self, *a, **k: _convert(_orig_{method}(self, *a, **k))\n"
            )
        else:
            text += f"def {name}(*a, **k):\n    return _convert(_ref.{name}(*a, **k))\n\n"
    path = tmp_path / f"{slug}_{conversion.replace(' ', '_')}.py"
    path.write_text(text)
    return path


def _affected(slug: str, conversion: str) -> list[str]:
    reference = snapshots.snapshot_reference(slug)
    names = []
    module = importlib.import_module(f"solutions.{slug}")
    for check in _checks(slug):
        owner, _, attr = check.exercise.rpartition(".")
        if owner and isinstance(getattr(module, owner).__dict__[attr], property):
            continue  # the driver, not the learner, makes a tuple of what a property returns
        case = framework.cases(check, ["cpu"], hidden=False)[0]
        if _applies(reference(check.exercise, case), conversion, check.counts):
            names.append(check.exercise)
    return names


TABLE = [(s, c) for c in CONVERSIONS for s in CHAPTERS if _affected(s, c)]


def test_every_allowed_conversion_is_tried_somewhere():
    assert {c for _, c in TABLE} == set(CONVERSIONS)


@pytest.mark.parametrize("slug, conversion", TABLE, ids=[f"{c}-{s}" for s, c in TABLE])
def test_allowed_conversions_earn_full_points(tmp_path, slug, conversion):
    names = _affected(slug, conversion)
    path = _converted(tmp_path, slug, conversion, CONVERSIONS[conversion], names)
    result = grade_chapter(slug, "solutions", only=names, path=path)
    failed = {r.exercise: r.messages for r in result.exercises if r.status != "passed"}
    assert not failed and result.error is None, failed or result.error


@pytest.mark.parametrize("slug", [s for s in CHAPTERS if _affected(s, "indices as floats")])
def test_float_indices_fail_and_say_why(tmp_path, slug):
    names = _affected(slug, "indices as floats")
    code, message = FORBIDDEN["indices as floats"]
    result = grade_chapter(
        slug, "solutions", only=names, path=_converted(tmp_path, slug, "floats", code, names)
    )
    for r in result.exercises:
        assert r.status == "failed" and message in "\n".join(r.messages), (r.exercise, r.messages)
