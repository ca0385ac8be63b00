"""Checks for chapter "Virtual weights and residual-stream subspaces".

Subspace bases are not unique, so their projectors QQᵀ are compared. Rank-deficient
matrices are built from their SVD with singular values in [0.5, 2]: in float32 the
rounding leaves the "zero" singular values near eps · σ_1, under the documented
tolerance max(rows, cols) · eps · σ_1, and the others far above it.
"""

import math

import torch

from autograder.framework import SHAPES, Check, Shape, randn


def _orthogonal(g: torch.Generator, n: int) -> torch.Tensor:
    """A random n × n orthogonal matrix."""
    q, r = torch.linalg.qr(randn(g, n, n))
    return q * r.diagonal().sign()


def _low_rank(g: torch.Generator, rows: int, cols: int, rank: int) -> torch.Tensor:
    """A random rows × cols matrix of the given rank (at most min(rows, cols)), its
    singular values in [0.5, 2]."""
    rank = min(rank, rows, cols)
    sigma = 0.5 + 1.5 * torch.rand(rank, generator=g, dtype=torch.float64)
    return (_orthogonal(g, rows)[:, :rank] * sigma) @ _orthogonal(g, cols)[:rank]


def _deficiency(s: Shape, size: int) -> int:
    """How many dimensions a case's matrix lacks: 0, 1 or 2, never its whole rank."""
    return min(size - 1, s.seed % 3)


# --- virtual weights -------------------------------------------------------------------


def _virtual_inputs(s: Shape, g: torch.Generator) -> dict:
    later = s.head + s.seed % 2  # the later layer may have another number of heads
    return dict(
        W_O=randn(g, s.head, s.d_head, s.d_model, scale=s.d_head**-0.5),
        W_in=randn(g, later, s.d_model, s.d_head, scale=s.d_model**-0.5),
    )


def _token_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(
        W_E=randn(g, s.d_vocab, s.d_model),
        W_in=randn(g, s.head, s.d_model, s.d_head, scale=s.d_model**-0.5),
    )


def _pairs_in_order(inputs, out):
    W_O, W_in = inputs["W_O"].double(), inputs["W_in"].double()
    right = torch.einsum("aed,bdf->baef", W_O, W_in)
    out = out.double()
    if right.shape[0] == right.shape[1] and torch.allclose(out, right.transpose(0, 1), atol=1e-3):
        return "your heads are in the wrong order: the first axis is the later head h2, the second the earlier h1"
    if right.shape[-1] == right.shape[-2] and torch.allclose(out, right.transpose(-1, -2), atol=1e-3):
        return "each block is transposed: V[h2, h1] = W_O[h1] @ W_in[h2] maps the earlier head's d_head (rows) to the later head's (columns)"
    return None


# --- subspaces -------------------------------------------------------------------------


def _read_inputs(s: Shape, g: torch.Generator) -> dict:
    rank = s.d_head - _deficiency(s, s.d_head)
    return dict(W_in=_low_rank(g, s.d_model, s.d_head, rank))


def _write_inputs(s: Shape, g: torch.Generator) -> dict:
    rank = s.d_head - _deficiency(s, s.d_head)
    return dict(W_O=_low_rank(g, s.d_head, s.d_model, rank))


def projector(Q):
    Q = Q.double()
    return Q @ Q.T


def _orthonormal(inputs, Q):
    Q = Q.double()
    err = (Q.T @ Q - torch.eye(Q.shape[1], dtype=Q.dtype)).abs().max()
    return (
        f"the columns of your basis must be orthonormal (QᵀQ = I); QᵀQ is off by up to {err:.3g}"
        if err > 1e-4
        else None
    )


def _spans(column_space_of):
    def inside(inputs, Q):
        W = column_space_of(inputs).double()
        P = W @ torch.linalg.pinv(W, rtol=1e-5)  # the projector onto W's column space
        err = (Q.double() - P @ Q.double()).norm(dim=0).max()
        return (
            f"a basis vector lies {err:.3g} outside the subspace (its norm outside it)"
            if err > 1e-4
            else None
        )

    return inside


# --- principal angles and overlaps ---------------------------------------------------------


def _dims(s: Shape) -> tuple[int, int]:
    """k1 and k2: unequal on odd seeds, swapped on every third, with k1 + k2 ≤ d_model."""
    k1, k2 = s.d_head, max(1, min(s.d_head - s.seed % 2, s.d_model - s.d_head))
    return (k2, k1) if s.seed % 3 == 0 else (k1, k2)


def _angle_inputs(s: Shape, g: torch.Generator) -> dict:
    """Two subspaces at known principal angles, kept away from 0 where arccos is too
    steep for any dtype to resolve, then given random bases."""
    k1, k2 = _dims(s)
    m = min(k1, k2)
    U = _orthogonal(g, s.d_model)
    angles = 0.2 + torch.rand(m, generator=g, dtype=torch.float64) * (math.pi / 2 - 0.2)
    Q1 = U[:, :k1]
    Q2 = U[:, k1 : k1 + k2].clone()  # orthogonal to Q1; its first m columns are turned below
    Q2[:, :m] = U[:, :m] * angles.cos() + U[:, k1 : k1 + m] * angles.sin()
    return dict(Q1=Q1 @ _orthogonal(g, k1), Q2=Q2 @ _orthogonal(g, k2))


def _angles_in_range(inputs, angles):
    a = angles.double()
    if (a < -1e-6).any() or (a > math.pi / 2 + 1e-6).any():
        return f"principal angles lie in [0, π/2] radians; yours range from {a.min():.4g} to {a.max():.4g}"
    if (a.diff() < -1e-6).any():
        return "the angles must be sorted smallest first"
    return None


def _overlap_in_range(inputs, overlap):
    v = float(overlap)
    return f"an overlap lies between 0 and 1; yours is {v:.4g}" if not -1e-6 <= v <= 1 + 1e-6 else None


def _baseline_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(k1=s.d_head, k2=1 + (3 * s.seed) % s.d_model, d_model=s.d_model)


# --- bandwidth -------------------------------------------------------------------------


def _rank_inputs(s: Shape, g: torch.Generator) -> dict:
    """Components of controlled rank: W_E and W_pos below full rank, and heads of rank
    d_head or d_head − 1, so that counting rows or d_head gives the wrong answer."""
    heads = [
        _low_rank(g, s.d_head, s.d_model, s.d_head - (l + h + s.seed) % min(2, s.d_head))
        for l in range(s.n_layers)
        for h in range(s.head)
    ]
    return dict(
        W_E=_low_rank(g, s.d_vocab, s.d_model, s.d_model - 2),
        W_pos=_low_rank(g, s.pos + 2, s.d_model, 2 + s.seed % 3),
        W_O=torch.stack(heads).reshape(s.n_layers, s.head, s.d_head, s.d_model),
        shortformer=s.seed % 2 == 1,
    )


# --- the paper's Exercise 1 ------------------------------------------------------------------

PAPER = Shape("the paper's Exercise 1 (dims 0–3 into 8–11 of 16)", 9, d_model=16, d_head=4)


def _copy_inputs(s: Shape, g: torch.Generator) -> dict:
    if s == PAPER:
        return dict(basis=torch.eye(16, dtype=torch.float64), d_head=4, src=0, dst=8)
    src = s.seed % (s.d_model - 2 * s.d_head + 1)
    dst = src + s.d_head
    if s.seed % 2:
        src, dst = dst, src
    basis = torch.eye(s.d_model, dtype=torch.float64) if s.seed == 0 else _orthogonal(g, s.d_model)
    return dict(basis=basis, d_head=s.d_head, src=src, dst=dst)


def ov_product(factors):
    W_V, W_O = factors
    return W_V.double() @ W_O.double()


def _copies_the_right_dimensions(inputs, factors):
    """Read the learner's W_V W_O in the case's basis: coordinate src+i must land on dst+i."""
    B = inputs["basis"].double()
    coords = B.T @ ov_product(factors) @ B
    src, dst, k = inputs["src"], inputs["dst"], inputs["d_head"]
    for i in range(coords.shape[0]):
        want = torch.zeros_like(coords[i])
        if src <= i < src + k:
            want[dst + i - src] = 1
        if (coords[i] - want).abs().max() > 1e-3:
            lands = [j for j in range(coords.shape[1]) if coords[i, j].abs() > 1e-3]
            goal = f"land on dimension {dst + i - src} only" if src <= i < src + k else "not be copied"
            return f"dimension {i} of the attended token should {goal}; yours lands on {lands or 'nothing'}"
    return None


COPY_CHAIN = Shape("two copy heads: 0–3 into 8–11, then 8–11 into 12–15", 10, d_model=16, d_head=4)


def _compose_inputs(s: Shape, g: torch.Generator) -> dict:
    if s == COPY_CHAIN:
        eye = torch.eye(16, dtype=torch.float64)

        def head(src: int, dst: int) -> tuple[torch.Tensor, torch.Tensor]:
            M = _orthogonal(g, 4) * (0.5 + torch.rand(4, generator=g, dtype=torch.float64))
            return eye[:, src : src + 4] @ M, torch.linalg.inv(M) @ eye[:, dst : dst + 4].T

        (W_V1, W_O1), (W_V2, W_O2) = head(0, 8), head(8, 12)
        return dict(W_V1=W_V1, W_O1=W_O1, W_V2=W_V2, W_O2=W_O2)
    d, e = s.d_model, s.d_head
    return dict(
        W_V1=randn(g, d, e, scale=d**-0.5), W_O1=randn(g, e, d, scale=e**-0.5),
        W_V2=randn(g, d, e, scale=d**-0.5), W_O2=randn(g, e, d, scale=e**-0.5),
    )  # fmt: skip


def _head_one_first(inputs, factors):
    i = {k: v.double() for k, v in inputs.items()}
    backwards = i["W_V2"] @ i["W_O2"] @ i["W_V1"] @ i["W_O1"]
    if torch.allclose(ov_product(factors), backwards, atol=1e-3):
        return (
            "your virtual head applies head 2 before head 1; with row vectors the first head's OV comes first"
        )
    return None


CHECKS = [
    Check("virtual_weights", _virtual_inputs, invariants=(_pairs_in_order,),
          hint="V[h2, h1] = W_O[h1] @ W_in[h2]: later head first, earlier head second"),
    Check("token_virtual_weights", _token_inputs,
          hint="T[h] = W_E @ W_in[h], stacked over heads as [head, d_vocab, d_head]"),
    Check("read_subspace", _read_inputs, canonical=projector,
          invariants=(_orthonormal, _spans(lambda i: i["W_in"])),
          hint="keep the left singular vectors of W_in whose singular values pass the rank tolerance"),
    Check("write_subspace", _write_inputs, canonical=projector,
          invariants=(_orthonormal, _spans(lambda i: i["W_O"].T)),
          hint="the head writes combinations of W_O's rows: a basis of the column space of W_O.T"),
    Check("principal_angles", _angle_inputs, invariants=(_angles_in_range,),
          hint="arccos of the singular values of Q1.T @ Q2, clamped to [-1, 1], in radians, smallest angle first"),
    Check("subspace_overlap", _angle_inputs, invariants=(_overlap_in_range,),
          hint="sum the squares of Q1.T @ Q2 and divide by the smaller dimension"),
    Check("random_overlap_baseline", _baseline_inputs,
          hint="E‖Q1ᵀQ2‖² = k1·k2/d_model for random subspaces; divide it by min(k1, k2)"),
    Check("write_ranks", _rank_inputs, counts=True,
          hint="numerical ranks of W_E, W_pos (0 with shortformer) and every head's W_O, in that order"),
    Check("copy_head", _copy_inputs, canonical=ov_product, invariants=(_copies_the_right_dimensions,),
          shapes=(*SHAPES, PAPER),
          hint="W_V's columns are the basis vectors to read, W_O's rows the ones to write to"),
    Check("compose_heads", _compose_inputs, canonical=ov_product, invariants=(_head_one_first,),
          shapes=(*SHAPES, COPY_CHAIN),
          hint="the virtual head is (W_V1 @ W_O1 @ W_V2, W_O2): head 1's output is head 2's input"),
]  # fmt: skip
