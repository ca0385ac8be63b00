"""The reference ``FactoredMatrix`` (solutions/low_rank.py) at vocabulary scale,
d_head 64, against a dense torch computation where that fits in memory and time, and
against TransformerLens 3.9's ``FactoredMatrix`` when the ``tl`` extra is installed.

Every operation works on factors A [n, 64], B [64, n]: at n = 50,257 (GPT-2's
vocabulary) the dense product would be 10 GB in float32, while its non-zero spectrum
lives in a 64 × 64 matrix.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import torch

from bench.harness import Row, median_time, peak_extra_mb
from solutions.composition import composition_scores
from solutions.low_rank import FactoredMatrix, top_k_entries

D_HEAD = 64
D_MODEL = 768  # GPT-2 small's width, for the chains and the composition scores
N_HEADS = 12
DENSE_LIMIT = {"eigenvalues": 1000, "svd": 1000, "norm": 8000, "chain": 8000, "top-k": 8000}


def _tl():
    if not importlib.util.find_spec("transformer_lens"):
        return None
    from transformer_lens import FactoredMatrix as TLFactoredMatrix

    return TLFactoredMatrix


def _factors(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, D_HEAD, generator=g) / D_HEAD**0.5, torch.randn(D_HEAD, n, generator=g)


def _measure(
    suite_row: str, ours: Callable, baselines: dict[str, Callable | None], repeat: int, memory: bool
) -> Row:
    row = Row("factored", suite_row, median_time(ours, repeat))
    if memory:
        row.peak_mb["ours"] = peak_extra_mb(ours)
    for name, fn in baselines.items():
        row.baselines[name] = median_time(fn, max(1, repeat // 2)) if fn else None
        if fn and memory:
            row.peak_mb[name] = peak_extra_mb(fn)
    return row


def _operation_rows(n: int, repeat: int, memory: bool, TL) -> list[Row]:
    g = torch.Generator().manual_seed(n)
    A, B = _factors(n, g)
    dense = (lambda op: n <= DENSE_LIMIT[op]) if n else (lambda op: False)
    W_E, W_U = torch.randn(n, D_MODEL, generator=g), torch.randn(D_MODEL, n, generator=g)
    W_V, W_O = torch.randn(D_MODEL, D_HEAD, generator=g), torch.randn(D_HEAD, D_MODEL, generator=g)
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
        rows.append(_measure(f"{op}, n={n}", fn, baselines, repeat, memory))
    return rows


def _composition_row(repeat: int, TL) -> Row:
    g = torch.Generator().manual_seed(0)
    W = {k: torch.randn(N_HEADS, D_MODEL, D_HEAD, generator=g) for k in ("V0", "Q1", "K1", "V1")}
    W_O0, W_O1 = (torch.randn(N_HEADS, D_HEAD, D_MODEL, generator=g) for _ in range(2))

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
    return _measure(name, ours, {"dense": dense, "TransformerLens": tl}, repeat, memory=False)


def rows(smoke: bool) -> list[Row]:
    TL = _tl()
    sizes = (64,) if smoke else (1000, 8000, 50257)
    repeat = 1 if smoke else 7
    out = []
    with torch.inference_mode():
        for n in sizes:
            out += _operation_rows(n, repeat, memory=not smoke, TL=TL)
        out.append(_composition_row(repeat, TL))
    return out
