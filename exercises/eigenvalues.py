# stub-sha256: 512f68f3f49a9e9a1a889969f8f3af3aa70d1fb2084ab796ec42bfd13b36c745
# Generated from solutions/eigenvalues.py by `course exercises build`. Replace each
# `raise NotImplementedError` with your answer, then run `course check`.
"""Chapter "Eigenvalue analysis: copying".

A head's full OV circuit W_E W_V W_O W_U maps each token it attends to onto logits for
every token: a square d_vocab × d_vocab matrix, so it has eigenvalues. An eigenvector
with a positive eigenvalue is a set of tokens that raises its own logits: copying. A
negative eigenvalue lowers them (anti-copying), and a complex one maps tokens onto
other tokens. The full QK circuit W_E W_Q W_Kᵀ W_Eᵀ reads the same way: positive
eigenvalues make a token attend to copies of itself.

Both circuits have rank at most d_head, so their non-zero eigenvalues are those of a
d_head × d_head matrix: the eigenvalues of A B (n × n) are those of B A (r × r) plus
n − r zeros. Nothing here builds a d_vocab × d_vocab matrix. Weights are stacked over
layers as TransformerLens exposes them: W_V [layer, head, d_model, d_head].
"""

import torch
from jaxtyping import Complex, Float
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "If A B v = λ v with λ ≠ 0, then B A (B v) = λ (B v): the same eigenvalue, with eigenvector B v.",
        "torch.linalg.eigvals works on the last two dimensions and returns complex numbers.",
    ),
)
def factored_eigenvalues(
    A: Float[Tensor, "... n r"], B: Float[Tensor, "... r n"]
) -> Complex[Tensor, "... r"]:
    """The eigenvalues of the n × n matrix A B that can be non-zero, from its factors:

    eig(A B) = eig(B A) ∪ {0, …, 0}  (n − r zeros),

    so the r eigenvalues of the small r × r matrix B A are returned, batched over the
    leading dimensions. They are complex in general, since A B need not be symmetric;
    their order is up to you (the grader sorts them).
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.factored_eigenvalues: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#factored_eigenvalues')


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=("Reuse factored_eigenvalues; the real part of a sum is the sum of the real parts.",),
)
def copying_score(A: Float[Tensor, "... n r"], B: Float[Tensor, "... r n"]) -> Float[Tensor, "..."]:
    """How much A B copies, from the eigenvalues λ of A B:

    score = Re(Σ λ) / Σ |λ|,

    between −1 and 1. +1 when every eigenvalue is positive (the matrix maps every
    direction onto itself), −1 when every one is negative, and near 0 when they are
    complex or cancel. Zero eigenvalues count for nothing, so B A's eigenvalues suffice;
    they are also the safe ones: in float32 the n − r zero eigenvalues of the n × n A B
    come out as rounding noise, which adds up in Σ |λ|.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.copying_score: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#copying_score')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "The full OV circuit is A B with A = W_E W_V [.., d_vocab, d_head] and B = W_O W_U [.., d_head, d_vocab].",
        "W_U W_E is only d_model × d_model: computing it once makes B A cheap for every head.",
    ),
)
def ov_copying_scores(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
) -> Float[Tensor, "layer head"]:
    """The copying score of every head's full OV circuit W_E W_V^h W_O^h W_U (in the
    paper's column vectors, W_U W_OV^h W_E): Re(Σ λ) / Σ |λ| over its eigenvalues.

    A copying head, one that raises the logit of the token it attends to, scores near +1.
    The non-zero eigenvalues are those of the d_head × d_head matrix W_O W_U W_E W_V.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.ov_copying_scores: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#ov_copying_scores')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "The full QK circuit is A B with A = W_E W_Q and B = W_Kᵀ W_Eᵀ.",
        "The 1/sqrt(d_head) scale changes every eigenvalue alike, so it cannot change the score.",
    ),
)
def qk_same_token_scores(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_Q: Float[Tensor, "layer head d_model d_head"],
    W_K: Float[Tensor, "layer head d_model d_head"],
) -> Float[Tensor, "layer head"]:
    """How much every head's full QK circuit W_E W_Q^h W_K^hᵀ W_Eᵀ makes a token attend to
    copies of itself: Re(Σ λ) / Σ |λ| over its eigenvalues.

    Row B, column A of the circuit is how much destination token B attends to source A.
    Positive eigenvalues mean attending to the same token, negative ones avoiding it.
    The non-zero eigenvalues are those of the d_head × d_head matrix W_Kᵀ W_Eᵀ W_E W_Q.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.qk_same_token_scores: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#qk_same_token_scores')


@exercise(
    difficulty=3,
    importance=4,
    minutes=25,
    hints=(
        "Rows start:start + chunk of every head's circuit are W_E[start:start + chunk] @ W_V @ W_O @ W_U.",
        "Row t belongs to token t: compare the top-k indices with the row's own token id, not its index in the chunk.",
    ),
)
def diagonal_share(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    k: int,
    chunk: int,
) -> Float[Tensor, "layer head"]:
    """A direct measure of copying, token by token: the share of tokens t whose own logit
    is among the k largest of row t of the head's full OV circuit,

    share = #{ t : t ∈ top-k of W_E[t] W_V^h W_O^h W_U } / d_vocab,

    that is, when the head attends to t, t is among the k tokens it raises most. By
    chance the share would be k / d_vocab. Rows are computed ``chunk`` at a time for all
    heads at once, so memory grows with chunk · d_vocab, not d_vocab²: never build the
    d_vocab × d_vocab circuit.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.diagonal_share: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#diagonal_share')


@exercise(
    difficulty=2,
    importance=3,
    minutes=10,
    hints=("trace(A B) = Σ_i Σ_j A[i, j] B[j, i]: an elementwise product and a sum.",),
)
def factored_trace(A: Float[Tensor, "... n r"], B: Float[Tensor, "... r n"]) -> Float[Tensor, "..."]:
    """The trace of A B from its factors, batched over the leading dimensions (never build A B):

    trace(A B) = trace(B A) = Σ_{i, j} A[i, j] B[j, i],

    which costs n · r multiplications where A B costs n² · r. The trace is also the sum
    of the eigenvalues, so it is the numerator of the copying score, Re(Σ λ), for free.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.factored_trace: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#factored_trace')


@exercise(
    difficulty=2,
    importance=3,
    minutes=15,
    hints=("Divide each head's eigenvalues by the largest modulus among them.",),
)
def normalised_ov_spectra(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
) -> Complex[Tensor, "layer head d_head"]:
    """The data of an eigenvalue scatter plot: the d_head eigenvalues of every head's full
    OV circuit that can be non-zero, each head's divided by its largest modulus,

    λ_i / max_j |λ_j|,

    so that every head's spectrum lies in the unit disk and heads of different scales
    share one plot. A copying head's points lie on the positive real axis. Their order
    within a head is up to you (the grader sorts them).
    """
    # YOUR CODE HERE
    raise NotImplementedError('eigenvalues.normalised_ov_spectra: not attempted yet. See the docs: Eigenvalue analysis: copying, https://course-circuits.github.io/course-circuits/eigenvalues/#normalised_ov_spectra')
