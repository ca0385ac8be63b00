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

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

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
    #: Bytes the learner's code may allocate during this case (0: the worker's cap).
    #: A case too large for a product that the docstring says never to build sets it
    #: below that product's size, so building it fails here, cheaply, on the CPU.
    memory: int = 0


#: What the learner's code may allocate during a case too large for a product that its
#: docstring says never to build: far less than the product, plenty for the factored way.
NEVER_BUILD_MEMORY = 32 << 20


def too_large(name: str, seed: int, **dims) -> Shape:
    """A case too large for the product an exercise must never build: one batch, head
    and layer, its large dimensions given in ``dims``, and ``NEVER_BUILD_MEMORY`` to
    spend. The product's size in float32 must be well above that budget."""
    return Shape(name, seed, **{"batch": 1, "head": 1, "n_layers": 1, **dims}, memory=NEVER_BUILD_MEMORY)


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
    #: The exercise returns counts or ranks: integers in value, in any real dtype (the
    #: next exercise may well take float counts). Otherwise an integer answer holds
    #: indices or token ids, which need an integer dtype, of any width.
    counts: bool = False
    #: What the docstring says never to build, and what to do instead. Said when a
    #: case runs out of memory; the check has a case too large for that product.
    never_build: str = ""
    #: Why a literal reading of the formula can miss in float32, said when float32
    #: values are off.
    fragile: str = ""


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
    #: The case's name in messages: the shape's, unless this exercise's inputs do not show
    #: what makes that shape an edge case ("one head" for inputs without heads).
    name: str = ""

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
        return f"case '{self.name or self.shape.name}' ({inputs}; {where})"


def _has_floats(inputs: dict) -> bool:
    return any(isinstance(v, Tensor) and v.is_floating_point() for v in inputs.values())


def _describe(name: str, value) -> str:
    if isinstance(value, Tensor):
        kind = "" if value.is_floating_point() else f" {str(value.dtype).removeprefix('torch.')}"
        return f"{name} {list(value.shape)}{kind}"
    if isinstance(value, (bool, int, float, str)):
        return f"{name}={value!r}"
    return f"{name}: {type(value).__name__}"


def cases(check: Check, devices: list[str], hidden: bool = True, secret: str | None = None) -> list[Case]:
    """Every case of ``check``: each shape, on each device, in each float dtype. Inputs
    without floats (token ids, say) run once per device, as float64's case. With a
    ``secret`` (an nbgrader course's), the hidden shapes draw their inputs from seeds
    derived from it, which no student can know or precompute answers for."""
    out = []
    first = None
    for shape in check.shapes:
        if shape.hidden and not hidden:
            continue
        if shape.hidden and secret:
            shape = replace(shape, seed=secret_seed(secret, check.exercise, shape.name))
        base = check.inputs(shape, torch.Generator().manual_seed(shape.seed))
        first = first or _dims(base)
        edge = not shape.name.startswith(("seed", "hidden")) and not shape.zoo and not shape.memory
        name = f"seed {shape.seed}" if edge and _dims(base) == first else shape.name
        for device in devices:
            for dtype in DTYPES if _has_floats(base) else (torch.float64,):
                kwargs = {
                    k: v.to(dtype) if isinstance(v, Tensor) and v.is_floating_point() else v
                    for k, v in base.items()
                }
                out.append(Case(shape, dtype, device, kwargs, name))
    return out


def secret_seed(secret: str, exercise: str, shape: str) -> int:
    """A hidden case's seed: known to whoever holds the secret, and to no one else."""
    return int.from_bytes(hashlib.sha256(f"{secret}|{exercise}|{shape}".encode()).digest()[:4], "big")


def _dims(inputs: dict) -> dict:
    """The shapes of a case's tensors: what an edge case (one head, say) changes."""
    return {k: tuple(v.shape) for k, v in inputs.items() if isinstance(v, Tensor)}


def randn(g: torch.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(shape, generator=g, dtype=torch.float64) * scale


#: The most elements an answer's tensor may have before the grader looks at it: more
#: than any reference here, so a learner-made giant (a zero-stride view of 2⁴⁰ elements,
#: say) is refused before anything is allocated for it.
MAX_ELEMENTS = 1 << 28

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(i: int) -> str:
    """``ordinal(0) == "first"``: messages count as people do."""
    return _ORDINALS[i] if i < len(_ORDINALS) else f"{i + 1}th"


@dataclass(frozen=True)
class Foreign:
    """A value the learner's process could not send (a numpy array, a dict, a
    generator): only its type's name crosses, for the message."""

    type_name: str


def describe(value) -> str:
    """What a value is, in the words a message uses: "a float32 tensor of shape (2, 3)"."""
    if isinstance(value, Foreign):
        advice = " (return a torch tensor: torch.from_numpy)" if value.type_name.startswith("numpy") else ""
        return f"a {value.type_name}{advice}"
    if isinstance(value, Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        if value.layout != torch.strided:
            return f"a {str(value.layout).removeprefix('torch.')} {dtype} tensor"
        return (
            f"a 0-d {dtype} tensor" if value.ndim == 0 else f"a {dtype} tensor of shape {tuple(value.shape)}"
        )
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    if value is None:
        return "None (a missing `return`?)"
    return f"a {type(value).__name__}"


def _expected(value) -> str:
    if (
        isinstance(value, Tensor)
        and value.ndim == 0
        or isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        return "a single number (a Python number or a 0-d tensor)"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values"
    return describe(value)


def compare(expected, got, meta: dict, case: Case, values: bool = True, counts: bool = False) -> str | None:
    """None if ``got`` matches ``expected``; otherwise what differs, most useful first.
    With ``values`` false, only the structure is compared.

    The structure is read from ``got`` itself, never from ``meta``, which comes from the
    learner's process: ``meta`` only says on which device each tensor was (tensors cross
    to the grader on the CPU). The type policy (README, "How answers are compared"):
    a Python number and a 0-d tensor are the same answer, and a list serves for a tuple;
    floating tensors keep the inputs' dtype, since the check asks for their precision;
    integer answers may have any integer width; indices and token ids must be integers,
    since a float cannot index; counts and ranks (``counts``) may be any real dtype."""
    return _compare(expected, got, meta if isinstance(meta, dict) else {}, case, values, counts, "")


def _compare(expected, got, meta: dict, case: Case, values: bool, counts: bool, where: str) -> str | None:
    said = f"{where}: " if where else ""
    if got is None and meta.get("kind") == "unsupported":
        got = Foreign(str(meta.get("type"))[:60])
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            problem = f"expected {_expected(expected)}, got {describe(got)}"
            if isinstance(got, Tensor) and got.ndim and got.shape[0] == len(expected):
                problem += " (return the values as a tuple, `return a, b`, not stacked into one tensor)"
            return said + problem
        if len(got) != len(expected):
            return f"{said}expected {_expected(expected)}, got {describe(got)}"
        items = meta.get("items")
        items = items if isinstance(items, list) and len(items) == len(got) else [{}] * len(got)
        for i, (e, g, m) in enumerate(zip(expected, got, items)):
            part = f"the {ordinal(i)} item of {where or 'the returned tuple'}"
            problem = _compare(e, g, m if isinstance(m, dict) else {}, case, values, counts, part)
            if problem:
                return problem
        return None
    if (
        isinstance(expected, Tensor)
        and expected.ndim == 0
        or (isinstance(expected, (int, float)) and not isinstance(expected, bool))
    ):
        return _compare_number(expected, got, case, values, counts, said)
    if isinstance(expected, Tensor):
        return _compare_tensor(expected, got, meta, case, values, counts, said)
    if type(got) is not type(expected) or got != expected:
        return f"{said}expected {expected!r}, got {describe(got)}"
    return None


def _compare_number(expected, got, case: Case, values: bool, counts: bool, said: str) -> str | None:
    """A single number: a Python number or a 0-d tensor, on any device, either way."""
    if isinstance(got, Tensor) and got.ndim == 0 and got.layout == torch.strided and not got.is_complex():
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"{said}expected {_expected(expected)}, got {describe(got)}"
    want = expected.item() if isinstance(expected, Tensor) else expected
    if isinstance(want, int) and not counts and not isinstance(got, int):
        return f"{said}expected an integer, got {describe(got)} (an index must be a whole number)"
    if not values:
        return None
    rtol, atol = TOLERANCES[case.dtype]
    if not math.isclose(got, want, rel_tol=rtol, abs_tol=atol):
        return f"{said}the value is off: expected {want:.6g}, got {got:.6g} (tolerance: atol {atol:g} + rtol {rtol:g} × |expected|)"
    return None


def _dtype_problem(expected: Tensor, got: Tensor, counts: bool) -> str | None:
    e, g = expected.dtype, got.dtype
    name = str(g).removeprefix("torch.")
    if e.is_floating_point or e.is_complex:
        if g != e:
            kind = "complex" if e.is_complex else "floating"
            return f"expected dtype {e} (a {kind} answer keeps the precision of the inputs' dtype), got {g}"
        return None
    if e == torch.bool:
        return None if g == torch.bool else f"expected a boolean tensor, got dtype {g}"
    integer = not (g.is_floating_point or g.is_complex or g == torch.bool)
    if counts:
        if g.is_complex or g == torch.bool:
            return f"expected counts (any real dtype), got dtype {g}"
        return None
    if not integer:
        return (
            f"expected an integer tensor (token ids and indices: a float cannot index), got dtype {name}; "
            "any integer width passes"
        )
    return None


def _compare_tensor(
    expected: Tensor, got, meta: dict, case: Case, values: bool, counts: bool, said: str
) -> str | None:
    if not isinstance(got, Tensor):
        return f"{said}expected {describe(expected)}, got {describe(got)}"
    if got.layout != torch.strided:
        return f"{said}expected a dense tensor, got {describe(got)} (use .to_dense())"
    if got.numel() > MAX_ELEMENTS:
        return f"{said}expected {describe(expected)}, got a tensor of {got.numel()} elements"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{said}expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    problem = _dtype_problem(expected, got, counts)
    if problem:
        return said + problem
    device = meta.get("device")
    device = device[:40] if isinstance(device, str) else "an unknown device"
    if device.split(":")[0] != case.device.split(":")[0]:
        return f"{said}expected the output on {case.device} (the inputs' device), got it on {device}"
    if not values:
        return None
    if not (expected.is_floating_point() or expected.is_complex()):
        return _compare_exact(expected, got, said)
    return _compare_close(expected, got, case, said)


def _compare_exact(expected: Tensor, got: Tensor, said: str) -> str | None:
    """Integers (and counts given as floats) must match exactly."""
    e, g = expected.double(), got.double()
    bad = ~((g - e).abs() < 1e-3)  # nan-safe: a nan is bad
    if not bad.any():
        return None
    first = tuple(int(i) for i in torch.unravel_index(bad.flatten().nonzero()[0, 0], e.shape))
    return (
        f"{said}{int(bad.sum())} of {e.numel()} values are off, first at index {list(first)}: "
        f"expected {int(e[first])}, got {float(g[first]):g}"
    )


def nonfinite(expected, got) -> str | None:
    """Where ``got`` has inf or nan and the reference is finite, said before anything
    (a canonical form, an invariant) computes with the broken values."""
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(got) == len(expected):
        for i, (e, g) in enumerate(zip(expected, got)):
            problem = nonfinite(e, g)
            if problem:
                return f"the {ordinal(i)} item of the returned tuple: {problem}"
        return None
    if not (isinstance(expected, Tensor) and isinstance(got, Tensor)):
        return None
    if got.layout != torch.strided or tuple(got.shape) != tuple(expected.shape):
        return None
    if not (got.is_floating_point() or got.is_complex()):
        return None
    broken = torch.isfinite(expected) & ~torch.isfinite(got)
    if not broken.any():
        return None
    idx = tuple(int(i) for i in torch.unravel_index(broken.flatten().nonzero()[0, 0], expected.shape))
    return (
        f"{int(broken.sum())} of {expected.numel()} values are inf or nan where the reference is finite, "
        f"first at index {list(idx)}: expected {complex(expected[idx]) if expected.is_complex() else float(expected[idx]):.6g}, "
        f"got {got[idx].item()} (a division by zero, or the log of 0?)"
    )


def _compare_close(expected: Tensor, got: Tensor, case: Case, said: str) -> str | None:
    rtol, atol = TOLERANCES[case.dtype]
    broken = nonfinite(expected, got)
    if broken:
        return said + broken
    e, g = (expected.cdouble(), got.cdouble()) if expected.is_complex() else (expected.double(), got.double())
    both_inf = torch.isinf(e) & (e == g)
    err = torch.where(both_inf, torch.zeros(e.shape, dtype=torch.float64), (g - e).abs())
    err = torch.nan_to_num(err, nan=math.inf)
    size = e.abs().nan_to_num(posinf=0, neginf=0)
    scale = max(1.0, float(size.max())) if size.numel() else 1.0
    bad = err > atol * scale + rtol * size
    if not bad.any():
        return None
    worst = torch.where(bad, err, torch.zeros_like(err)).flatten().argmax()
    idx = tuple(int(i) for i in torch.unravel_index(worst, e.shape))
    scaled = f" × {scale:.3g} (the largest |expected|)" if scale > 1 else ""
    want, have = (e[idx].item(), g[idx].item())
    return (
        f"{said}{int(bad.sum())} of {e.numel()} values are off; the largest error is "
        f"{float(err[idx]):.3g} at index {list(idx)}: expected {want:.6g}, got {have:.6g} "
        f"(tolerance: atol {atol:g}{scaled} + rtol {rtol:g} × |expected|)"
    )


def mutated_inputs(case: Case, after) -> str | None:
    """The name of an input the learner's function changed in place, if any. ``after``
    comes from the learner's process: whatever is not a same-shaped tensor is ignored."""
    if not isinstance(after, dict):
        return None
    for name, before in case.kwargs.items():
        now = after.get(name)
        if not (isinstance(before, Tensor) and isinstance(now, Tensor)):
            continue
        if now.layout != torch.strided or now.shape != before.shape or now.dtype != before.dtype:
            continue
        if not torch.equal(before, now):
            return f"your function changed its input `{name}` in place; work on a copy (e.g. `{name}.clone()`) or use out-of-place operations"
    return None
