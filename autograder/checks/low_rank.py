"""Checks for chapter "Low-rank circuits: W_QK and W_OV".

The ``FactoredMatrix`` steps are methods, so each check has a driver that builds the
learner's object from ``module.FactoredMatrix`` and calls one method; the reference side
calls the same driver with the solutions module. Factors carry leading dimensions that
broadcast, A [layer, head, l, m] with B [head, m, r], and one extra case has an inner
dimension larger than ldim. Products of tensors with a FactoredMatrix must come back
factored through the smallest inner dimension met (TransformerLens's rule), which the
drivers check with a message of their own. ``top_k_entries`` runs on factors that refuse
to produce any tensor larger than a chunk of rows, so building the whole matrix fails.

The exercises whose docstrings say never to build A B also run on ``LARGE``, where A B
is 4000 × 4000 and the case may allocate far less than that.
"""

import torch

from autograder.framework import SHAPES, Check, Shape, randn, too_large

#: An inner dimension larger than ldim: QR and SVD factors are then ldim wide, and a
#: product with a tensor folds A B rather than the tensor.
WIDE = Shape("inner dimension above ldim", 10, d_model=3, d_head=5, d_vocab=4)
FM_SHAPES = (*SHAPES, WIDE)
#: A B of 4000 × 4000 needs 64 MB in float32, twice the case's budget; the factors, 100 kB.
#: One position keeps the products with tensors thin, so the stored references stay small.
LARGE = too_large("ldim and rdim 4000", 11, d_model=4000, d_vocab=4000, d_head=3, pos=1)
_DENSE = "A B is 4000 × 4000 here: work with the factors, as the docstring says (never build A B)"
_DENSE_TOP_K = (
    "A B is 4000 × 4003 here: compute it chunk_size rows at a time and keep only the best k "
    "(never build the whole of A B)"
)


# --- inputs ----------------------------------------------------------------------------


def _weights(s: Shape, g: torch.Generator) -> dict:
    """A head's weights, with a leading layer axis on odd seeds."""
    lead = (s.n_layers, s.head) if s.seed % 2 else (s.head,)
    return dict(
        W_Q=randn(g, *lead, s.d_model, s.d_head, scale=s.d_model**-0.5),
        W_K=randn(g, *lead, s.d_model, s.d_head, scale=s.d_model**-0.5),
        W_V=randn(g, *lead, s.d_model, s.d_head, scale=s.d_model**-0.5),
        W_O=randn(g, *lead, s.d_head, s.d_model, scale=s.d_head**-0.5),
    )


def _factors(s: Shape, g: torch.Generator, rdim: int) -> dict:
    """A [layer, head, d_model, d_head] and B [head, d_head, rdim]: B broadcasts over layers."""
    return dict(
        A=randn(g, s.n_layers, s.head, s.d_model, s.d_head, scale=s.d_model**-0.5),
        B=randn(g, s.head, s.d_head, rdim, scale=s.d_head**-0.5),
    )


def _rectangular(s: Shape, g: torch.Generator) -> dict:
    return _factors(s, g, s.d_vocab)


def _square(s: Shape, g: torch.Generator) -> dict:
    return _factors(s, g, s.d_model)


def _matmul_inputs(s: Shape, g: torch.Generator) -> dict:
    p = s.d_head + 1 if s.seed % 2 == 0 else max(1, s.d_head - 1)  # the other's inner dimension
    return dict(
        _rectangular(s, g),
        X=randn(g, s.d_vocab, s.pos + 1),
        v=randn(g, s.d_vocab),
        C=randn(g, s.d_vocab, p),
        D=randn(g, p, s.pos + 2),
    )


def _rmatmul_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(_rectangular(s, g), Y=randn(g, s.pos + 1, s.d_model), v=randn(g, s.d_model))


def _circuit_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(W_E=randn(g, s.d_vocab, s.d_model), W_U=randn(g, s.d_model, s.d_vocab, scale=s.d_model**-0.5),
                **_weights(s, g))  # fmt: skip


def _rank_inputs(s: Shape, g: torch.Generator) -> dict:
    """One matrix per head, of a known rank, at scales from 1e-2 to 1e4: the tolerance must
    be relative to each matrix's own largest singular value. Kept singular values are at
    least 5e-2 of the largest, dropped ones at most 1e-4, on either side of rtol."""
    rows, cols = s.d_model, s.d_vocab
    n = min(rows, cols)
    ms = []
    for h in range(s.head):
        rank = 1 + (h + s.seed) % n
        kept = 0.05 + 1.95 * torch.rand(rank, generator=g, dtype=torch.float64)
        kept[0] = 2.0
        dropped = torch.tensor([1e-4, 1e-6, 0.0], dtype=torch.float64).repeat(n)[: n - rank]
        sigma = torch.cat([kept, dropped]) * 10.0 ** (h % 4 * 2 - 2)
        U = torch.linalg.qr(randn(g, rows, n))[0]
        V = torch.linalg.qr(randn(g, cols, n))[0]
        ms.append((U * sigma) @ V.T)
    return dict(M=torch.stack(ms), rtol=1e-3 if s.seed % 2 == 0 else 1e-2)


def _top_k_inputs(s: Shape, g: torch.Generator) -> dict:
    # One case where a chunk holds every row (or, in LARGE, a hundred of its 4000).
    chunk = 100 if s.pos == 1 else 1 + s.seed % 4
    return dict(
        A=randn(g, s.d_vocab, s.d_head),
        B=randn(g, s.d_head, s.d_vocab + 3),
        k=3 + s.seed % 4,
        chunk_size=chunk,
    )


# --- drivers: top-level, since the worker imports them by name --------------------------


def _factored(module, out, what: str, mdim: int):
    """``out``'s dense value, after checking that it is a FactoredMatrix of inner dimension ``mdim``."""
    if not isinstance(out, module.FactoredMatrix):
        raise TypeError(f"{what} must return a FactoredMatrix, got {type(out).__name__}")
    if out.A.shape[-1] != mdim:
        raise ValueError(
            f"{what} must stay factored through the smallest inner dimension, {mdim}; "
            f"its inner dimension is {out.A.shape[-1]}"
        )
    return out.A @ out.B


def drive_AB(module, A, B):
    return module.FactoredMatrix(A, B).AB


def drive_BA(module, A, B):
    return module.FactoredMatrix(A, B).BA


def drive_T(module, A, B):
    t = module.FactoredMatrix(A, B).T
    if not isinstance(t, module.FactoredMatrix):
        raise TypeError(f"T must return a FactoredMatrix, got {type(t).__name__}")
    return t.A, t.B


def drive_matmul(module, A, B, X, v, C, D):
    """(M X, M v, M N) for a matrix X, a vector v and a FactoredMatrix N = C D."""
    M = module.FactoredMatrix(A, B)
    m, r = A.shape[-1], B.shape[-1]
    MX = _factored(module, M @ X, "FactoredMatrix @ matrix", min(m, r))
    MN = _factored(module, M @ module.FactoredMatrix(C, D), "FactoredMatrix @ FactoredMatrix",
                   min(m, r, C.shape[-1]))  # fmt: skip
    return MX, M @ v, MN


def drive_rmatmul(module, A, B, Y, v):
    """(Y M, v M) for a matrix Y and a vector v."""
    M = module.FactoredMatrix(A, B)
    l, m = A.shape[-2:]
    return _factored(module, Y @ M, "matrix @ FactoredMatrix", min(l, m)), v @ M


def drive_svd(module, A, B):
    return module.FactoredMatrix(A, B).svd()


def drive_eigenvalues(module, A, B):
    return module.FactoredMatrix(A, B).eigenvalues


def drive_norm(module, A, B):
    return module.FactoredMatrix(A, B).norm()


def _mul_inputs(s: Shape, g: torch.Generator) -> dict:
    """Factors, a Python number and a 0-dimensional tensor."""
    return dict(_rectangular(s, g), c=float(randn(g, 1)[0] * 3), t=randn(g) * 3)


def drive_mul(module, A, B, c, t):
    """(M * c, c * M, M * t) for a number c and a 0-dimensional tensor t, each still factored."""
    M = module.FactoredMatrix(A, B)
    m = A.shape[-1]
    return (_factored(module, M * c, "FactoredMatrix * number", m),
            _factored(module, c * M, "number * FactoredMatrix", m),
            _factored(module, M * t, "FactoredMatrix * 0-d tensor", m))  # fmt: skip


def drive_collapse_l(module, A, B):
    return module.FactoredMatrix(A, B).collapse_l()


def drive_collapse_r(module, A, B):
    return module.FactoredMatrix(A, B).collapse_r()


def drive_make_even(module, A, B):
    """(A' B', A'ᵀ A', B' B'ᵀ) of the even factorisation: the product and both Gram matrices,
    which the signs of singular vectors do not change."""
    even = module.FactoredMatrix(A, B).make_even()
    k = min(A.shape[-2], A.shape[-1], B.shape[-1])
    _factored(module, even, "make_even", k)
    return even.A @ even.B, even.A.transpose(-1, -2) @ even.A, even.B @ even.B.transpose(-1, -2)


def drive_full_qk(module, W_E, W_Q, W_K, **_):
    out = module.full_qk_circuit(W_E, W_Q, W_K)
    return _factored(module, out, "full_qk_circuit", W_Q.shape[-1])


def drive_full_ov(module, W_E, W_V, W_O, W_U, **_):
    out = module.full_ov_circuit(W_E, W_V, W_O, W_U)
    return _factored(module, out, "full_ov_circuit", W_V.shape[-1])


class MaterialisedError(RuntimeError):
    pass


class _Bounded(torch.Tensor):
    """A tensor whose operations fail when a result holds more than ``limit`` values: the
    grader's way of seeing that a matrix was never built. Results of operations on it are
    bounded too, so the check follows the computation wherever it goes."""

    limit = 0
    advice = ""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        out = super().__torch_function__(func, types, args, kwargs or {})
        if out is NotImplemented:
            return out
        with torch._C.DisableTorchFunctionSubclass():
            for t in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(t, torch.Tensor) and t.numel() > cls.limit:
                    raise MaterialisedError(
                        f"a tensor of shape {tuple(t.shape)} was built ({t.numel()} values, "
                        f"more than {cls.limit}); {cls.advice}"
                    )
        return out


def bounded(tensors: tuple[torch.Tensor, ...], limit: int, advice: str) -> tuple[torch.Tensor, ...]:
    """``tensors``, refusing to produce any tensor of more than ``limit`` values. They share
    one class, since torch declines to combine two unrelated tensor subclasses."""
    cls = type("Bounded", (_Bounded,), {"limit": limit, "advice": advice})
    return tuple(t.as_subclass(cls) for t in tensors)


def plain(t):
    with torch._C.DisableTorchFunctionSubclass():
        return t.as_subclass(torch.Tensor) if isinstance(t, torch.Tensor) else t


def drive_top_k(module, A, B, k, chunk_size):
    """On factors that allow nothing larger than themselves or a chunk of rows and one row more."""
    limit = max((chunk_size + 1) * B.shape[-1], A.numel(), B.numel())
    advice = (f"with chunk_size {chunk_size} nothing needs more than max((chunk_size + 1) × rdim, the factors' "
              f"sizes) = {limit}: compute A B a chunk of rows at a time and keep only the best k")  # fmt: skip
    M = module.FactoredMatrix(*bounded((A, B), limit, advice))
    out = module.top_k_entries(M, k, chunk_size)
    return tuple(plain(t) for t in out) if isinstance(out, (tuple, list)) else plain(out)


# --- canonical forms and invariants -----------------------------------------------------


def svd_canonical(out):
    """What a thin SVD determines: U diag(S) Vᵀ, S, UᵀU and VᵀV (singular vectors are
    unique only up to sign)."""
    U, S, V = (t.double() for t in out)
    product = (U * S[..., None, :]) @ V.transpose(-1, -2)
    gram_U, gram_V = U.transpose(-1, -2) @ U, V.transpose(-1, -2) @ V
    return torch.cat([product.flatten(-2), S, gram_U.flatten(-2), gram_V.flatten(-2)], dim=-1)


def svd_reconstructs(inputs, out):
    U, S, V = (t.double() for t in out)
    target = inputs["A"].double() @ inputs["B"].double()
    err = ((U * S[..., None, :]) @ V.transpose(-1, -2) - target).abs().max()
    return f"U diag(S) Vᵀ differs from A B by up to {err:.3g}" if err > 1e-3 else None


def orthonormal_columns(inputs, out):
    for name, Q in (("U", out[0]), ("V", out[2])):
        Q = Q.double()
        err = (Q.transpose(-1, -2) @ Q - torch.eye(Q.shape[-1], dtype=Q.dtype)).abs().max()
        if err > 1e-3:
            return f"the columns of {name} must be orthonormal; {name}ᵀ{name} differs from the identity by {err:.3g}"
    return None


def singular_values_descend(inputs, out):
    S = out[1].double()
    if (S < -1e-6).any() or (S[..., 1:] > S[..., :-1] + 1e-6).any():
        return "S must be non-negative and in descending order"
    return None


def eigenvalue_canonical(ev):
    """Sorted real parts, then sorted imaginary parts: independent of the order."""
    return torch.cat([ev.real.sort(-1).values, ev.imag.sort(-1).values], -1).double()


def eigenvalues_sum_to_trace(inputs, ev):
    trace = (inputs["B"].double() @ inputs["A"].double()).diagonal(dim1=-2, dim2=-1).sum(-1)
    err = (ev.real.double().sum(-1) - trace).abs().max()
    return f"the eigenvalues must sum to the trace of A B; they are off by {err:.3g}" if err > 1e-3 else None


def collapsed_rows(out):
    """What diag(S) Vᵀ determines whatever the signs of the singular vectors: its Gram matrix
    (A B)ᵀ (A B) and its row norms, S."""
    out = out.double()
    return torch.cat([(out.transpose(-1, -2) @ out).flatten(-2), out.norm(dim=-1)], dim=-1)


def collapsed_columns(out):
    """The same for U diag(S): (A B)(A B)ᵀ and its column norms, S."""
    out = out.double()
    return torch.cat([(out @ out.transpose(-1, -2)).flatten(-2), out.norm(dim=-2)], dim=-1)


def rank_in_range(inputs, rank):
    M = inputs["M"]
    if (rank < 1).any() or (rank > min(M.shape[-2:])).any():
        return f"a non-zero matrix's rank lies between 1 and min(rows, cols) = {min(M.shape[-2:])}"
    return None


CHECKS = [
    Check("head_circuit_factors", _weights,
          hint="W_QK = W_Q W_Kᵀ and W_OV = W_V W_O: return (W_Q, W_Kᵀ) and (W_V, W_O), transposing only "
          "the last two axes of W_K"),
    Check("FactoredMatrix.AB", _rectangular, driver=drive_AB, shapes=FM_SHAPES,
          hint="A @ B, with the leading dimensions broadcast by torch.matmul"),
    Check("FactoredMatrix.BA", _square, driver=drive_BA, shapes=FM_SHAPES,
          hint="B @ A: mdim × mdim"),
    Check("FactoredMatrix.T", _rectangular, driver=drive_T, shapes=FM_SHAPES,
          hint="FactoredMatrix(Bᵀ, Aᵀ), transposing the last two axes of each factor"),
    Check("FactoredMatrix.__matmul__", _matmul_inputs, driver=drive_matmul, shapes=(*FM_SHAPES, LARGE),
          never_build=_DENSE,
          hint="the grader checks, in this order, M @ matrix (a FactoredMatrix), M @ vector (a tensor) "
          "and M @ FactoredMatrix (a FactoredMatrix)"),
    Check("FactoredMatrix.__rmatmul__", _rmatmul_inputs, driver=drive_rmatmul, shapes=FM_SHAPES,
          hint="the grader checks, in this order, matrix @ M (a FactoredMatrix) and vector @ M (a tensor)"),
    Check("FactoredMatrix.svd", _rectangular, driver=drive_svd, shapes=(*FM_SHAPES, LARGE), canonical=svd_canonical,
          never_build=_DENSE,
          invariants=(svd_reconstructs, orthonormal_columns, singular_values_descend),
          hint="QR of A and of Bᵀ, SVD of the small core R_a R_bᵀ, then U = Q_a U_c and V = Q_b V_c; "
          "return (U, S, V) with V, not Vᵀ"),
    Check("FactoredMatrix.eigenvalues", _square, driver=drive_eigenvalues, shapes=FM_SHAPES,
          canonical=eigenvalue_canonical, invariants=(eigenvalues_sum_to_trace,),
          hint="torch.linalg.eig of the small B A, as a complex tensor of mdim values"),
    Check("FactoredMatrix.norm", _rectangular, driver=drive_norm, shapes=(*FM_SHAPES, LARGE),
          never_build=_DENSE,
          hint="sqrt of the sum over entries of (Aᵀ A) * (B Bᵀ), one number per leading index"),
    Check("FactoredMatrix.__mul__", _mul_inputs, driver=drive_mul, shapes=FM_SHAPES,
          hint="FactoredMatrix(A * c, B): scale one factor only; the grader checks M * c, c * M and M * "
          "a 0-d tensor, in that order"),
    Check("FactoredMatrix.collapse_l", _rectangular, driver=drive_collapse_l, shapes=FM_SHAPES,
          canonical=collapsed_rows,
          hint="S[..., :, None] * V.transpose(-1, -2): diag(S) Vᵀ, k × rdim, from self.S and self.V"),
    Check("FactoredMatrix.collapse_r", _rectangular, driver=drive_collapse_r, shapes=FM_SHAPES,
          canonical=collapsed_columns,
          hint="U * S[..., None, :]: U diag(S), ldim × k, from self.U and self.S"),
    Check("FactoredMatrix.make_even", _rectangular, driver=drive_make_even, shapes=FM_SHAPES,
          hint="FactoredMatrix(U * √S[..., None, :], √S[..., :, None] * Vᵀ): the grader compares the "
          "product and the Gram matrices A'ᵀ A' and B' B'ᵀ, both diag(S)"),
    Check("full_qk_circuit", _circuit_inputs, driver=drive_full_qk,
          hint="W_E @ FactoredMatrix(W_Q, W_Kᵀ) @ W_Eᵀ: queries on the left, keys on the right"),
    Check("full_ov_circuit", _circuit_inputs, driver=drive_full_ov,
          hint="W_E @ FactoredMatrix(W_V, W_O) @ W_U: the token attended to on the left, the logits on the right"),
    Check("numerical_rank", _rank_inputs, invariants=(rank_in_range,), counts=True,
          hint="count the singular values above rtol times the largest singular value of the same matrix"),
    Check("top_k_entries", _top_k_inputs, driver=drive_top_k, shapes=(*SHAPES, LARGE),
          never_build=_DENSE_TOP_K,
          hint="for each chunk of rows, A[rows] @ B, its top k, merged with the best k so far; "
          "flat index row · rdim + col"),
]  # fmt: skip
