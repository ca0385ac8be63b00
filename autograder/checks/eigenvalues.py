"""Checks for chapter "Eigenvalue analysis: copying"."""

import torch

from autograder.framework import SHAPES, Check, Shape, randn, too_large

_ZOO = Shape("the zoo's attn-only-2l", 9, zoo="attn-only-2l")
#: Cases too large for the exercises' forbidden products: a 4000 × 4000 matrix needs 64 MB
#: in float32, twice what the case may allocate; the factors take a few hundred kB.
_LARGE_N = too_large("n 4000", 11, d_model=4000, d_head=3)
_LARGE_VOCAB = too_large("d_vocab 4000", 12, d_vocab=4000)


def _factors(s: Shape, g: torch.Generator) -> dict:
    """A [batch, head, n, r] and B [batch, head, r, n]: on even seeds B leans towards Aᵀ,
    so that A B leans towards copying (positive eigenvalues); on odd seeds both are random."""
    n, r = s.d_model, s.d_head
    A = randn(g, s.batch, s.head, n, r)
    B = randn(g, s.batch, s.head, r, n, scale=n**-0.5)
    if s.seed % 2 == 0:
        B = B + A.mT / n
    return dict(A=A, B=B)


def _weights(*names: str):
    """A stack of heads' weights [layer, head, ...] and the embeddings: random, or the zoo's."""

    def inputs(s: Shape, g: torch.Generator) -> dict:
        if s.zoo:
            from course import zoo

            model = zoo.load(s.zoo, dtype=torch.float64)
            return {n: getattr(model, n).detach() for n in names}
        L, h, d, e, v = s.n_layers, s.head, s.d_model, s.d_head, s.d_vocab
        full = dict(
            W_E=randn(g, v, d),
            W_Q=randn(g, L, h, d, e, scale=d**-0.5),
            W_K=randn(g, L, h, d, e, scale=d**-0.5),
            W_V=randn(g, L, h, d, e, scale=d**-0.5),
            W_O=randn(g, L, h, e, d, scale=e**-0.5),
            W_U=randn(g, d, v, scale=d**-0.5),
        )
        return {n: full[n] for n in names}

    return inputs


def _diagonal(s: Shape, g: torch.Generator) -> dict:
    """Chunks of 4 rows, or of 100 in a large vocabulary (40 chunks rather than 1000)."""
    chunk = 4 if s.d_vocab < 400 else 100
    return dict(_weights("W_E", "W_V", "W_O", "W_U")(s, g), k=1 + s.seed % 3, chunk=chunk)


def sorted_parts(eigenvalues):
    """The real parts sorted, then the imaginary parts sorted: the same for every order in
    which the eigenvalues come, and close whenever the eigenvalues are."""
    return torch.cat([eigenvalues.real.sort(-1).values, eigenvalues.imag.sort(-1).values], -1).double()


def _trace(inputs) -> torch.Tensor:
    return (inputs["A"].double() * inputs["B"].double().mT).sum((-2, -1))


def eigenvalues_sum_to_the_trace(inputs, eigenvalues):
    err = (eigenvalues.real.double().sum(-1) - _trace(inputs)).abs().max()
    return (
        f"the eigenvalues must sum to trace(A B) = Σ_ij A[i, j] B[j, i]; yours are off by {err:.3g}"
        if err > 1e-3
        else None
    )


def between_minus_one_and_one(inputs, scores):
    worst = scores.double().abs().max()
    return (
        f"Re(Σλ) / Σ|λ| lies between −1 and 1, but you return {worst:.3g}"
        if worst > 1 + 1e-4 or worst.isnan()
        else None
    )


def trace_is_the_sum_of_the_eigenvalues(inputs, trace):
    eigenvalues = torch.linalg.eigvals(inputs["B"].double() @ inputs["A"].double())
    err = (trace.double() - eigenvalues.sum(-1).real).abs().max()
    return (
        f"the trace must equal the sum of the eigenvalues of A B (those of B A); yours is off by {err:.3g}"
        if err > 1e-3
        else None
    )


def a_multiple_of_one_over_d_vocab(inputs, shares):
    counts = shares.double() * inputs["W_E"].shape[0]
    err = (counts - counts.round()).abs().max()
    return (
        f"a share of tokens is a whole number of tokens over d_vocab = {inputs['W_E'].shape[0]}; "
        f"yours is {err:.3g} tokens away from one"
        if err > 1e-3 or (shares.double() < 0).any() or (shares.double() > 1).any()
        else None
    )


def largest_modulus_is_one(inputs, spectra):
    err = (spectra.abs().double().amax(-1) - 1).abs().max()
    return (
        f"each head's largest |λ| must be 1 after normalising; yours is off by {err:.3g}"
        if err > 1e-3
        else None
    )


_FRAGILE = (
    "If you took the eigenvalues of the n × n A B: in float32 its n − r zero eigenvalues come out as "
    "rounding noise of about 1e-7 × |λ_max| each, and Σ|λ| adds up all n − r of them. Take the r "
    "eigenvalues of the small B A, which has no zero eigenvalues to spoil"
)
_SORTED = "the grader sorts the real parts and, apart, the imaginary parts, so their order does not matter"

CHECKS = [
    Check("factored_eigenvalues", _factors, canonical=sorted_parts, invariants=(eigenvalues_sum_to_the_trace,),
          hint=f"torch.linalg.eigvals of the small matrix B @ A, r complex values per matrix ({_SORTED})"),
    Check("copying_score", _factors, invariants=(between_minus_one_and_one,), fragile=_FRAGILE,
          hint="the real part of the sum of the eigenvalues of B @ A over the sum of their moduli"),
    Check("ov_copying_scores", _weights("W_E", "W_V", "W_O", "W_U"), invariants=(between_minus_one_and_one,),
          shapes=(*SHAPES, _ZOO),
          hint="the eigenvalues of W_O @ W_U @ W_E @ W_V for every layer and head, then Re(Σλ) / Σ|λ|"),
    Check("qk_same_token_scores", _weights("W_E", "W_Q", "W_K"), invariants=(between_minus_one_and_one,),
          shapes=(*SHAPES, _ZOO),
          hint="the eigenvalues of W_Kᵀ @ W_Eᵀ @ W_E @ W_Q for every layer and head, then Re(Σλ) / Σ|λ|"),
    Check("diagonal_share", _diagonal, invariants=(a_multiple_of_one_over_d_vocab,), shapes=(*SHAPES, _LARGE_VOCAB),
          never_build="the full OV circuit is 4000 × 4000 here: compute its rows `chunk` at a time "
          "(never build the d_vocab × d_vocab circuit)",
          hint="for the rows of a chunk, W_E[rows] @ W_V @ W_O @ W_U, test whether each row's own token id is "
          "among its top k; divide the count by d_vocab"),
    Check("factored_trace", _factors, invariants=(trace_is_the_sum_of_the_eigenvalues,), shapes=(*SHAPES, _LARGE_N),
          never_build="A B is 4000 × 4000 here: sum A[i, j] B[j, i] from the factors (never build A B)",
          hint="sum A[..., i, j] * B[..., j, i] over i and j: (A * B.mT).sum over the last two axes"),
    Check("normalised_ov_spectra", _weights("W_E", "W_V", "W_O", "W_U"), canonical=sorted_parts,
          invariants=(largest_modulus_is_one,), shapes=(*SHAPES, _ZOO),
          hint=f"the eigenvalues of W_O @ W_U @ W_E @ W_V, each head's divided by its largest modulus ({_SORTED})"),
]  # fmt: skip
