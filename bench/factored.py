"""The reference ``FactoredMatrix`` (solutions/low_rank.py) at vocabulary scale,
d_head 64, against a dense torch computation where that fits in memory and time, and
against TransformerLens 3.9's ``FactoredMatrix`` when the ``tl`` extra is installed.

Every operation works on factors A [n, 64], B [64, n]: at n = 50,257 (GPT-2's
vocabulary) the dense product would be 10 GB in float32, while its non-zero spectrum
lives in a 64 × 64 matrix.

The inputs are drawn on the CPU and moved to the benchmark's device, so that a CUDA run
works on the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from bench.harness import Row, optional_baseline, paired_median_times, peak_extra_mb
from solutions.composition import composition_scores
from solutions.low_rank import FactoredMatrix, top_k_entries

D_HEAD = 64
D_MODEL = 768  # GPT-2 small's width, for the chains and the composition scores
N_HEADS = 12
DENSE_LIMIT = {"eigenvalues": 1000, "svd": 1000, "norm": 8000, "chain": 8000, "top-k": 8000}


def _tl():
    from transformer_lens import FactoredMatrix as TLFactoredMatrix

    return TLFactoredMatrix


def _randn(g: torch.Generator, device: str, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=g).to(device)


def _measure(
    suite_row: str,
    ours: Callable,
    baselines: dict[str, Callable | None],
    repeat: int,
    memory: bool,
    device: str,
) -> Row:
    ran = {name: fn for name, fn in baselines.items() if fn}
    ours_s, *theirs_s = paired_median_times([ours, *ran.values()], repeat)
    row = Row("factored", suite_row, ours_s, {name: None for name in baselines})
    row.baselines.update(zip(ran, theirs_s))
    if memory:
        row.peak_mb["ours"] = peak_extra_mb(ours, device)
        row.peak_mb.update({name: peak_extra_mb(fn, device) for name, fn in ran.items()})
    return row


def _operation_rows(n: int, repeat: int, memory: bool, TL, device: str) -> list[Row]:
    g = torch.Generator().manual_seed(n)
    A, B = _randn(g, device, n, D_HEAD) / D_HEAD**0.5, _randn(g, device, D_HEAD, n)
    dense = (lambda op: n <= DENSE_LIMIT[op]) if n else (lambda op: False)
    W_E, W_U = _randn(g, device, n, D_MODEL), _randn(g, device, D_MODEL, n)
    W_V, W_O = _randn(g, device, D_MODEL, D_HEAD), _randn(g, device, D_HEAD, D_MODEL)
    OV = FactoredMatrix(W_V, W_O)
    TL_OV = TL(W_V, W_O) if TL else None
    # A fresh object per call: TransformerLens caches svd() and eigenvalues on the object.
    ops = {
        "eigenvalues": (lambda: FactoredMatrix(A, B).eigenvalues, lambda: torch.linalg.eigvals(A @ B), TL and (lambda: TL(A, B).eigenvalues)),
        "svd": (lambda: FactoredMatrix(A, B).svd(), lambda: torch.linalg.svd(A @ B, full_matrices=False), TL and (lambda: TL(A, B).svd())),
        "norm": (lambda: FactoredMatrix(A, B).norm(), lambda: (A @ B).norm(), TL and (lambda: TL(A, B).norm())),
        "chain": (lambda: W_E @ OV @ W_U, lambda: W_E @ (W_V @ W_O) @ W_U, TL and (lambda: W_E @ TL_OV @ W_U)),
        "top-k": (lambda: top_k_entries(FactoredMatrix(A, B), 10, 128), lambda: (A @ B).flatten().topk(10), None),
    }  # fmt: skip
    rows = []
    for op, (fn, dense_fn, tl_fn) in ops.items():
        baselines = {"dense": dense_fn if dense(op) else None}
        if op != "top-k":
            baselines["TransformerLens"] = tl_fn
        rows.append(_measure(f"{op}, n={n}", fn, baselines, repeat, memory, device))
    return rows


def _composition_row(repeat: int, TL, device: str) -> Row:
    g = torch.Generator().manual_seed(0)
    W = {k: _randn(g, device, N_HEADS, D_MODEL, D_HEAD) for k in ("V0", "Q1", "K1", "V1")}
    W_O0, W_O1 = (_randn(g, device, N_HEADS, D_HEAD, D_MODEL) for _ in range(2))

    def ours():
        return composition_scores(W["V0"], W_O0, W["Q1"], W["K1"], W["V1"], W_O1)

    def dense():
        OV0 = W["V0"] @ W_O0
        out = []
        for right in (W["Q1"] @ W["K1"].mT, W["K1"] @ W["Q1"].mT, W["V1"] @ W_O1):
            prod = (OV0[None] @ right[:, None]).norm(dim=(-2, -1))
            out.append(prod / (OV0.norm(dim=(-2, -1))[None] * right.norm(dim=(-2, -1))[:, None]))
        return out

    tl = None
    if TL:
        from transformer_lens.utils import composition_scores as tl_scores

        def tl():
            OV0 = TL(W["V0"], W_O0)
            return [
                tl_scores(OV0, TL(W["Q1"], W["K1"].mT)),
                tl_scores(OV0, TL(W["K1"], W["Q1"].mT)),
                tl_scores(OV0, TL(W["V1"], W_O1)),
            ]

    name = f"Q/K/V composition, {N_HEADS}×{N_HEADS} heads, d_model {D_MODEL}"
    return _measure(name, ours, {"dense": dense, "TransformerLens": tl}, repeat, False, device)


#: This suite runs on the device that ``--device`` names.
ON_DEVICE = True


def rows(smoke: bool, device: str = "cpu") -> list[Row]:
    TL = optional_baseline("transformer_lens", _tl)
    sizes = (64,) if smoke else (1000, 8000, 50257)
    repeat = 1 if smoke else 7
    out = []
    with torch.inference_mode():
        for n in sizes:
            out += _operation_rows(n, repeat, not smoke, TL, device)
        out.append(_composition_row(repeat, TL, device))
    return out
