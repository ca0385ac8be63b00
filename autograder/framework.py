"""How a check is written: the cases an exercise is called on, the invariants its
output must satisfy, and the comparison that turns a wrong answer into a lesson.

Tolerances (documented in the README): float32 rtol 1e-4, atol 1e-5; float64 rtol
1e-7, atol 1e-9. They allow any reasonable order of summation and nothing more. The
absolute part is relative to the output's scale: an entry near zero in logits of size 10
carries the rounding of the size-10 terms that summed to it (a CUDA matmul orders those
sums differently from the CPU's), so atol is multiplied by the largest |expected| when
that exceeds 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

TOLERANCES = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-7, 1e-9)}
DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class Shape:
    """The dimensions of one case. ``seed`` drives the random inputs."""

    name: str
    seed: int
    batch: int = 2
    pos: int = 5
    head: int = 3
    d_model: int = 8
    d_head: int = 4
    d_vocab: int = 11
    n_layers: int = 2
    hidden: bool = False  # extra seeds, hidden from learners in nbgrader
    zoo: str = ""  # a zoo model whose weights replace random ones


#: Every check runs these: random seeds, then the edge cases.
SHAPES = (
    Shape("seed 0", 0),
    Shape("seed 1", 1, batch=3, pos=7, head=2, d_model=6, d_head=3),
    Shape("batch 1", 2, batch=1),
    Shape("one head", 3, head=1),
    Shape("d_head 1", 4, d_head=1),
    Shape("sequence length 1", 5, pos=1),
    Shape("one layer", 6, n_layers=1),
    Shape("hidden seed 7", 7, batch=2, pos=9, head=4, d_model=12, d_head=5, d_vocab=17, hidden=True),
    Shape("hidden seed 8", 8, batch=1, pos=4, head=2, d_model=5, d_head=2, n_layers=3, hidden=True),
)

#: An invariant gets the inputs and the learner's output and returns a complaint or None.
Invariant = Callable[[dict, object], "str | None"]


@dataclass(frozen=True)
class Check:
    """One exercise's check: ``inputs(shape, generator)`` builds float64 inputs on the CPU;
    the grader casts them to each dtype and device."""

    exercise: str
    inputs: Callable[[Shape, torch.Generator], dict]
    invariants: tuple[Invariant, ...] = ()
    hint: str = ""
    shapes: tuple[Shape, ...] = SHAPES
    #: Maps an output to what is compared, where the answer is not unique: the product
    #: of two factors, say. Structure (types, shapes, dtypes, devices) is checked first.
    canonical: Callable | None = None
    #: Grades by running, where no single answer is right (weights built by hand, say):
    #: ``judge(inputs, output)`` returns a complaint or None, in place of comparing values
    #: with the reference's. Structure is still compared with the reference's output.
    judge: Invariant | None = None
    #: How the exercise is called, where it is not a plain function: ``driver(module,
    #: **inputs)`` builds the learner's object and calls the graded method, say. It must
    #: be a top-level function of the check module, since the worker imports it by name.
    driver: Callable | None = None


def call(check: Check, module, kwargs: dict):
    """Run ``check``'s exercise from ``module`` (the learner's or the reference)."""
    if check.driver:
        return check.driver(module, **kwargs)
    return getattr(module, check.exercise)(**kwargs)


@dataclass(frozen=True)
class Case:
    shape: Shape
    dtype: torch.dtype
    device: str
    kwargs: dict = field(repr=False)

    @property
    def floating(self) -> bool:
        return _has_floats(self.kwargs)

    @property
    def label(self) -> str:
        """The case as a learner can reproduce it: each input's shape or value."""
        inputs = ", ".join(_describe(k, v) for k, v in self.kwargs.items())
        if len(inputs) > 160:
            inputs = inputs[:157] + "…"
        where = (
            f"{str(self.dtype).removeprefix('torch.')} on {self.device}"
            if self.floating
            else f"on {self.device}"
        )
        return f"case '{self.shape.name}' ({inputs}; {where})"


def _has_floats(inputs: dict) -> bool:
    return any(isinstance(v, Tensor) and v.is_floating_point() for v in inputs.values())


def _describe(name: str, value) -> str:
    if isinstance(value, Tensor):
        kind = "" if value.is_floating_point() else f" {str(value.dtype).removeprefix('torch.')}"
        return f"{name} {list(value.shape)}{kind}"
    if isinstance(value, (bool, int, float, str)):
        return f"{name}={value!r}"
    return f"{name}: {type(value).__name__}"


def cases(check: Check, devices: list[str], hidden: bool = True) -> list[Case]:
    """Every case of ``check``: each shape, on each device, in each float dtype. Inputs
    without floats (token ids, say) run once per device, as float64's case."""
    out = []
    for shape in check.shapes:
        if shape.hidden and not hidden:
            continue
        base = check.inputs(shape, torch.Generator().manual_seed(shape.seed))
        for device in devices:
            for dtype in DTYPES if _has_floats(base) else (torch.float64,):
                kwargs = {
                    k: v.to(dtype) if isinstance(v, Tensor) and v.is_floating_point() else v
                    for k, v in base.items()
                }
                out.append(Case(shape, dtype, device, kwargs))
    return out


def randn(g: torch.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(shape, generator=g, dtype=torch.float64) * scale


def compare(expected, got, meta: dict, case: Case, values: bool = True) -> str | None:
    """None if ``got`` matches ``expected``; otherwise what differs, most useful first.
    With ``values`` false, only the structure is compared."""
    if isinstance(expected, (tuple, list)):
        if meta.get("kind") not in ("tuple", "list") or len(got) != len(expected):
            return f"expected a tuple of {len(expected)} values, got {_kind(meta)}"
        for i, (e, g, m) in enumerate(zip(expected, got, meta["items"])):
            problem = compare(e, g, m, case, values)
            if problem:
                return f"item {i} of the returned tuple: {problem}"
        return None
    if isinstance(expected, Tensor):
        return _compare_tensor(expected, got, meta, case, values)
    if isinstance(expected, (int, float)):
        if meta.get("kind") not in ("int", "float", "bool"):
            return f"expected a number, got {_kind(meta)}"
        if not values:
            return None
        rtol, atol = TOLERANCES[case.dtype]
        if not math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
            return f"expected {expected:.6g}, got {got:.6g}"
        return None
    return None if got == expected else f"expected {expected!r}, got {got!r}"


def _kind(meta: dict) -> str:
    return meta.get("type", meta.get("kind", "nothing"))


def _compare_tensor(expected: Tensor, got, meta: dict, case: Case, values: bool = True) -> str | None:
    if meta.get("kind") != "tensor":
        return f"expected a tensor, got {_kind(meta)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    want_dtype = str(expected.dtype)
    if meta["dtype"] != want_dtype:
        return f"expected dtype {want_dtype} (the inputs' dtype), got {meta['dtype']}"
    if meta["device"].split(":")[0] != case.device.split(":")[0]:
        return f"expected the output on {case.device} (the inputs' device), got it on {meta['device']}"
    if not values:
        return None
    rtol, atol = TOLERANCES[case.dtype]
    e, g = expected.double(), got.double()
    broken = torch.isfinite(e) & ~torch.isfinite(g)
    if broken.any():
        idx = tuple(int(i) for i in torch.unravel_index(broken.flatten().nonzero()[0, 0], e.shape))
        return (
            f"{int(broken.sum())} of {e.numel()} values are inf or nan where the reference is finite, "
            f"first at index {list(idx)}: expected {float(e[idx]):.6g}, got {float(g[idx])} "
            "(a division by zero, or the log of 0?)"
        )
    both_inf = torch.isinf(e) & (e == g)
    err = torch.where(both_inf, torch.zeros_like(e), (g - e).abs())
    err = torch.nan_to_num(err, nan=math.inf)
    size = e.abs().nan_to_num(posinf=0, neginf=0)
    scale = max(1.0, float(size.max())) if size.numel() else 1.0
    bad = err > atol * scale + rtol * size
    if not bad.any():
        return None
    worst = torch.where(bad, err, torch.zeros_like(err)).flatten().argmax()
    idx = tuple(int(i) for i in torch.unravel_index(worst, e.shape))
    scaled = f" × {scale:.3g} (the largest |expected|)" if scale > 1 else ""
    return (
        f"{int(bad.sum())} of {e.numel()} values are off; the largest error is "
        f"{float(err[idx]):.3g} at index {list(idx)}: expected {float(e[idx]):.6g}, got {float(g[idx]):.6g} "
        f"(tolerance: atol {atol:g}{scaled} + rtol {rtol:g} × |expected|)"
    )


def mutated_inputs(case: Case, after: dict) -> str | None:
    """The name of an input the learner's function changed in place, if any."""
    for name, before in case.kwargs.items():
        if (
            isinstance(before, Tensor)
            and name in after
            and not torch.equal(before, after[name].to(before.dtype))
        ):
            return f"your function changed its input `{name}` in place; work on a copy (e.g. `{name}.clone()`) or use out-of-place operations"
    return None
