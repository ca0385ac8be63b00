"""No answer crashes or fools the judge: every exercise gets every kind of wrong object,
as the learner's process would send it (``wire.to_wire``, then the bytes), and must
fail with a message that names what was expected. No worker runs here: this is the
grader's side alone, so hypothesis can try hundreds of objects per exercise."""

import importlib
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import framework, runner, snapshots, worker
from autograder.wire import decode, encode, to_wire
from course.chapters import CHAPTERS

EXERCISES = [
    (slug, check)
    for slug in CHAPTERS
    for check in importlib.import_module(f"autograder.checks.{slug}").CHECKS
]


def _first_case(slug, check):
    case = framework.cases(check, ["cpu"], hidden=False)[0]
    return case, snapshots.snapshot_reference(slug)(check.exercise, case)


def _reply(value) -> dict:
    """What the worker sends when the learner's function returns ``value``, through the
    same bytes."""
    return decode(
        encode(worker._run_case(lambda: value, {"device": "cpu", "kwargs": {}}, "submission.py", 0))
    )


class LyingTensor(torch.Tensor):
    """Claims equality with everything, by every comparison torch has."""

    def __eq__(self, other):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("eq", "__eq__", "equal", "allclose", "isclose", "detach", "to"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


class ArrayLike:
    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)

    def __eq__(self, other):
        return True


_DTYPES = st.sampled_from(
    [torch.float32, torch.float64, torch.int64, torch.int32, torch.bool, torch.complex64]
)
_SHAPES = st.lists(st.integers(0, 4), max_size=4).map(tuple)
_numbers = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)  # fmt: skip
_tensors = st.builds(lambda s, d, fill: torch.full(s, fill).to(d), _SHAPES, _DTYPES,
                     st.sampled_from([0.0, 1.0, -3.5, math.nan, math.inf]))  # fmt: skip
_scalars = st.builds(lambda v, d: torch.tensor(v).to(d), st.floats(-10, 10), _DTYPES)
_odd = st.sampled_from([
    dict, lambda: {"a": 1}, lambda: np.zeros(3), lambda: np.float64(1.5), lambda: (x for x in range(3)),
    ArrayLike, object, lambda: torch.zeros(3).as_subclass(LyingTensor), lambda: torch.zeros(2, 2).to_sparse(),
    lambda: torch.zeros(1).expand(2**20), lambda: b"bytes", lambda: 1 + 2j, lambda: Ellipsis,
    lambda: torch.float32, lambda: torch.Size([2, 3]),
]).map(lambda make: make())  # fmt: skip
_leaf = st.one_of(_numbers, _tensors, _scalars, _odd)
WRONG = st.recursive(
    _leaf, lambda kids: st.one_of(st.lists(kids, max_size=4), st.tuples(kids, kids)), max_leaves=6
)


@pytest.mark.parametrize("slug, check", EXERCISES, ids=[f"{s}.{c.exercise}" for s, c in EXERCISES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wrong=WRONG)
def test_every_wrong_object_fails_with_a_message(slug, check, wrong):
    case, expected = _first_case(slug, check)
    problem = runner.problem_of(check, expected, case, _reply(wrong))
    assert isinstance(problem, str) and problem, (wrong, problem)


#: Replies that no honest worker sends, forged by learner code that writes to the
#: channel itself: the judge reads the structure from the value, not from ``meta``.
FORGED = {
    "an empty tuple that its meta calls complete": {"output": [], "meta": {"kind": "tuple", "items": []}},
    "meta that claims a tensor for None": {"output": None, "meta": {"kind": "tensor", "device": "cpu"}},
    "meta that is not a dict": {"output": torch.zeros(3), "meta": ["tensor"]},
    "a zero-stride view of 2**40 elements": {
        "output": torch.zeros(1).expand(2**40), "meta": {"kind": "tensor", "device": "cpu"}},
    "a zero-stride view of 3 GB": {
        "output": torch.zeros(1, dtype=torch.float64).expand(3 << 27), "meta": {"kind": "tensor", "device": "cpu"}},
    "a parameter": {"output": torch.nn.Parameter(torch.zeros(2)), "meta": {"kind": "tensor", "device": "cpu"}},
}  # fmt: skip


@pytest.mark.parametrize("label", FORGED)
@pytest.mark.parametrize("slug, check", EXERCISES[::7], ids=[f"{s}.{c.exercise}" for s, c in EXERCISES[::7]])
def test_forged_replies_fail(slug, check, label):
    case, expected = _first_case(slug, check)
    reply = decode(encode({"status": "ok", "inputs_after": {}, **FORGED[label]}))
    result = runner.ExerciseResult(slug, check.exercise, "failed", 0, 3)
    runner._judge(result, check, [expected], [case], [reply])
    assert result.status == "failed" and result.points == 0, result
    assert result.messages and "expected" in result.messages[0], result.messages


@pytest.mark.parametrize(
    "reply",
    [None, [], "ok", {"status": "ok"}, {"status": "passed"}, {"status": "error", "error": "x" * 10**6},
     {"status": "ok", "output": torch.zeros(2), "meta": {}, "inputs_after": {"x": torch.zeros(1).expand(2**40)}}],
)  # fmt: skip
def test_malformed_replies_fail(reply):
    slug, check = EXERCISES[0]
    case, expected = _first_case(slug, check)
    problem = runner.problem_of(check, expected, case, reply)
    assert isinstance(problem, str) and len(problem) < 2000


def test_messages_count_as_people_do():
    slug, check = next((s, c) for s, c in EXERCISES if c.exercise == "head_circuit_factors")
    case, expected = _first_case(slug, check)
    (q, k), ov = expected
    problem = runner.problem_of(check, expected, case, _reply(((q, k.double()), ov)))
    assert problem.startswith("the second item of the first item of the returned tuple: expected dtype"), (
        problem
    )
    stacked = runner.problem_of(check, expected, case, _reply(torch.stack([q, q])))
    assert "not stacked into one tensor" in stacked, stacked


def test_a_lying_tensor_crosses_as_its_plain_values():
    value, meta = to_wire(torch.ones(3).as_subclass(LyingTensor))
    assert type(value) is torch.Tensor and meta == {"kind": "tensor", "device": "cpu"}
    assert torch.equal(value, torch.ones(3))


def test_edge_case_names_describe_the_exercise():
    """ "one head" names a case only where the exercise's inputs have heads."""

    def names(exercise):
        check = next(c for _, c in EXERCISES if c.exercise == exercise)
        return {c.label.split("'")[1] for c in framework.cases(check, ["cpu"], hidden=False)}

    assert "one head" in names("attention_pattern") and "d_head 1" in names("attention_pattern")
    assert not {"one head", "d_head 1", "one layer"} & names("bigram_log_probs")


def test_judging_has_its_own_time_and_memory_limits():
    import time

    with pytest.raises(runner.JudgingLimit, match="took over"):
        with runner.judging_limits(0.2, 1 << 30):
            time.sleep(2)
    with pytest.raises((MemoryError, RuntimeError), match="memory"):
        with runner.judging_limits(60, 64 << 20):
            torch.empty(1 << 30, dtype=torch.uint8).fill_(1)
    torch.empty(1 << 30, dtype=torch.uint8).fill_(1)  # and the limits are gone afterwards
