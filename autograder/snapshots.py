"""Reference outputs stored as files, so that a learner's copy of the course grades
without ``solutions/``.

``autograder/snapshots/<chapter>.safetensors`` holds, for every exercise, visible case
and dtype, what the reference returns on the CPU. Hidden cases are not stored: whoever
grades them (an instructor, with a secret of the course's for their seeds) has
``solutions/``, and a learner's copy must not hold their answers. Inputs are regenerated from their
seeds, so only outputs are stored. Non-tensor outputs (numbers, text) and the shape
of tuples go into the file's JSON metadata; complex tensors, which safetensors cannot
hold in double precision, are stored as their real views.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from functools import cache
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from autograder import framework
from course.errors import CourseError
from course.exercise import exercises_in

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


def have_solutions() -> bool:
    return importlib.util.find_spec("solutions") is not None


def preferred(slug: str, directory: Path = SNAPSHOT_DIR) -> bool:
    """Whether grading should read the stored references: whenever they exist, since
    computing them again doubles the cost of grading (the tests keep them in sync with
    ``solutions/``), and always without ``solutions/``."""
    return (directory / f"{slug}.safetensors").exists() or not have_solutions()


def key(exercise: str, case: framework.Case) -> str:
    return f"{exercise}|{case.shape.name}|{str(case.dtype).removeprefix('torch.')}"


def _flatten(value, name: str, tensors: dict) -> dict:
    """Tensors go to ``tensors`` under ``name``; the returned spec rebuilds the value."""
    if isinstance(value, torch.Tensor) and value.is_complex():  # safetensors has no complex128
        tensors[name] = torch.view_as_real(value.detach().cpu().resolve_conj()).contiguous()
        return {"t": "complex", "k": name}
    if isinstance(value, torch.Tensor):
        tensors[name] = value.detach().cpu().contiguous()
        return {"t": "tensor", "k": name}
    if isinstance(value, (tuple, list)):
        items = [_flatten(v, f"{name}/{i}", tensors) for i, v in enumerate(value)]
        return {"t": type(value).__name__, "items": items}
    return {"t": "json", "v": value}


def _rebuild(spec: dict, tensors: dict):
    if spec["t"] == "tensor":
        return tensors[spec["k"]]
    if spec["t"] == "complex":  # a copy: the file's buffer need not be aligned for complex
        return torch.view_as_complex(tensors[spec["k"]].clone())
    if spec["t"] in ("tuple", "list"):
        items = [_rebuild(s, tensors) for s in spec["items"]]
        return tuple(items) if spec["t"] == "tuple" else items
    return spec["v"]


def live_reference(slug: str):
    module = importlib.import_module(f"solutions.{slug}")
    checks = {c.exercise: c for c in importlib.import_module(f"autograder.checks.{slug}").CHECKS}

    def reference(exercise: str, case: framework.Case):
        kwargs = {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in case.kwargs.items()}
        return framework.call(checks[exercise], module, kwargs)

    return reference


def write(slug: str, directory: Path = SNAPSHOT_DIR) -> tuple[Path, bool]:
    """Record the references of chapter ``slug`` (needs ``solutions/``). A file whose
    references agree with the new ones to rounding (threaded reductions need not sum in
    the same order twice) is not touched, so a rebuild leaves a clean git tree. Returns
    the path and whether it was written."""
    checks = importlib.import_module(f"autograder.checks.{slug}").CHECKS
    reference = live_reference(slug)
    tensors: dict[str, torch.Tensor] = {}
    specs = {}
    for check in checks:
        for case in framework.cases(check, ["cpu"], hidden=False):  # hidden ones never leave solutions/
            k = key(check.exercise, case)
            specs[k] = _flatten(reference(check.exercise, case), k, tensors)
    meta = {
        "specs": json.dumps(specs, sort_keys=True),
        "points": json.dumps(points(slug, use_snapshots=False), sort_keys=True),
    }
    path = directory / f"{slug}.safetensors"
    if path.exists() and _same(path, tensors, meta):
        return path, False
    directory.mkdir(parents=True, exist_ok=True)
    path.write_bytes(save(tensors, metadata=meta))
    _load.cache_clear()  # a process that reads after writing must see the new file
    return path, True


def _same(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> bool:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        if f.metadata() != meta or set(f.keys()) != set(tensors):
            return False
        for name, new in tensors.items():
            old = f.get_tensor(name)
            if old.dtype != new.dtype or old.shape != new.shape:
                return False
            if not torch.allclose(old, new, rtol=1e-12, atol=1e-14, equal_nan=True):
                return False
    return True


@cache
def _load(path: Path):
    from safetensors import safe_open

    if not path.exists():
        raise CourseError(f"{path} is missing: without solutions/, grading needs the reference snapshots")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    return json.loads(meta["specs"]), json.loads(meta["points"]), load_file(str(path))


def points(slug: str, use_snapshots: bool, directory: Path = SNAPSHOT_DIR) -> dict[str, int]:
    """Each exercise's points, from a trusted source: never from the learner's file."""
    if use_snapshots:
        return _load(directory / f"{slug}.safetensors")[1]
    module = importlib.import_module(f"solutions.{slug}")
    return {name: fn.__exercise__.points for name, fn in exercises_in(module).items()}


def snapshot_reference(slug: str, directory: Path = SNAPSHOT_DIR):
    specs, _, tensors = _load(directory / f"{slug}.safetensors")

    def reference(exercise: str, case: framework.Case):
        k = key(exercise, case)
        if k not in specs:
            raise CourseError(
                f"the snapshot of {slug} has no {k}; regenerate it with `course exercises build`"
            )
        return _rebuild(specs[k], tensors)

    return reference


def reference(slug: str, use_snapshots: bool):
    """The chapter's references: stored for visible cases when ``use_snapshots``, and
    computed from ``solutions/`` otherwise and for every hidden case."""
    stored = snapshot_reference(slug) if use_snapshots else None
    live = live_reference(slug) if have_solutions() else None

    def get(exercise: str, case: framework.Case):
        if stored is not None and not case.shape.hidden:
            return stored(exercise, case)
        if live is None:
            raise CourseError(
                "hidden cases are graded with the reference solutions, which this copy does not have"
            )
        return live(exercise, case)

    return get
