# stub-sha256: d360007d5dddd1d96560cbc09d8385cfee1ee4c47b15b87019fb439b0f7788e3
# Generated from solutions/low_rank.py by `course exercises build`. Replace each
# `raise NotImplementedError` with your answer, then run `course check`.
"""Chapter "Low-rank circuits: W_QK and W_OV".

A head's queries, keys and values are intermediate results of two matrices on the
residual stream: the attention score between positions i and j is x_i W_Q W_Kᵀ x_jᵀ, and
what the head writes when attending to j is x_j W_V W_O. Both W_QK = W_Q W_Kᵀ and
W_OV = W_V W_O are d_model × d_model but of rank at most d_head, so they are best kept as
their two factors: a ``FactoredMatrix``. Its interface is TransformerLens's, so what you
learn here carries over. Row-vector convention throughout (x @ W); shapes follow
TransformerLens: W_Q [..., head, d_model, d_head], W_O [..., head, d_head, d_model].
"""

from typing import Self

import torch
from jaxtyping import Complex, Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=1,
    importance=5,
    minutes=5,
    hints=("The score is q · k = (x_i W_Q)(x_j W_K)ᵀ = x_i (W_Q W_Kᵀ) x_jᵀ: which two factors give W_QK?",),
)
def head_circuit_factors(
    W_Q: Float[Tensor, "... head d_model d_head"],
    W_K: Float[Tensor, "... head d_model d_head"],
    W_V: Float[Tensor, "... head d_model d_head"],
    W_O: Float[Tensor, "... head d_head d_model"],
) -> tuple[
    tuple[Float[Tensor, "... head d_model d_head"], Float[Tensor, "... head d_head d_model"]],
    tuple[Float[Tensor, "... head d_model d_head"], Float[Tensor, "... head d_head d_model"]],
]:
    """Every head's QK and OV circuits as pairs of factors, left factor first:

    W_QK = W_Q W_Kᵀ   (the score of query x_i for key x_j is x_i W_QK x_jᵀ),
    W_OV = W_V W_O    (attending to x_j adds x_j W_OV to the residual stream).

    Return ((left_QK, right_QK), (left_OV, right_OV)). Keep them factored: each product
    is d_model × d_model, yet passes through only d_head dimensions.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.head_circuit_factors: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#head_circuit_factors')


class FactoredMatrix:
    """The matrix M = A B, kept as its factors A [..., ldim, mdim] and B [..., mdim, rdim].

    With mdim small, M has rank at most mdim, and everything worth knowing about it (its
    products, singular values, eigenvalues, norm) costs O((ldim + rdim) · mdim²) from the
    factors, where the ldim × rdim matrix would cost O(ldim · rdim) just to write down.
    Leading dimensions (layers, heads) broadcast, as for torch.matmul. The interface is
    TransformerLens's ``FactoredMatrix``.
    """

    def __init__(self, A: Float[Tensor, "... ldim mdim"], B: Float[Tensor, "... mdim rdim"]):
        if A.shape[-1] != B.shape[-2]:
            raise ValueError(
                "A's last dimension must equal B's second to last (the inner dimension, mdim); "
                f"got A {tuple(A.shape)} and B {tuple(B.shape)}"
            )
        leading = torch.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        self.A = A.broadcast_to(leading + A.shape[-2:])
        self.B = B.broadcast_to(leading + B.shape[-2:])

    @property
    def ldim(self) -> int:
        return self.A.shape[-2]

    @property
    def mdim(self) -> int:
        return self.A.shape[-1]

    @property
    def rdim(self) -> int:
        return self.B.shape[-1]

    @property
    def shape(self) -> torch.Size:
        """The shape of A B: the leading dimensions, then (ldim, rdim)."""
        return self.A.shape[:-1] + self.B.shape[-1:]

    def __repr__(self) -> str:
        return f"FactoredMatrix(shape={tuple(self.shape)}, mdim={self.mdim})"

    def __getitem__(self, index) -> Self:
        """Index the leading dimensions only: ``model_QK[layer, head]`` is one head's circuit."""
        index = index if isinstance(index, tuple) else (index,)
        if sum(i is not None for i in index) > len(self.shape) - 2:
            raise IndexError(f"only the {len(self.shape) - 2} leading dimensions can be indexed")
        return FactoredMatrix(self.A[index], self.B[index])

    def get_corner(self, k: int = 3) -> Float[Tensor, "..."]:
        """The top-left k × k corner of A B (and the first k of each leading dimension),
        from k rows of A and k columns of B: a look at the matrix without building it."""
        corner = self.A[..., :k, :] @ self.B[..., :, :k]
        return corner[tuple(slice(k) for _ in range(corner.ndim))]

    @property
    @exercise(difficulty=1, importance=3, minutes=3)
    def AB(self) -> Float[Tensor, "... ldim rdim"]:
        """The matrix itself, M = A B, ldim × rdim. Fine for a d_model × d_model W_QK;
        never call it on a d_vocab × d_vocab circuit."""
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.AB: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-AB')

    @property
    @exercise(
        difficulty=1,
        importance=3,
        minutes=3,
        hints=("Only the order of the product changes; the result is mdim × mdim.",),
    )
    def BA(self) -> Float[Tensor, "... mdim mdim"]:
        """The factors multiplied the other way round, B A, mdim × mdim (needs ldim = rdim).

        It is small, and it shares its non-zero eigenvalues with A B: if B A v = λ v then
        A B (A v) = λ (A v).
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.BA: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-BA')

    @property
    @exercise(
        difficulty=1,
        importance=3,
        minutes=5,
        hints=("(A B)ᵀ = Bᵀ Aᵀ: transpose the last two dimensions of each factor and swap them.",),
    )
    def T(self) -> Self:
        """The transpose, (A B)ᵀ = Bᵀ Aᵀ, still factored: FactoredMatrix(Bᵀ, Aᵀ).

        W_QKᵀ swaps the roles of query and key, which is how K-composition reads a circuit.
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.T: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-T')

    @exercise(
        difficulty=3,
        importance=4,
        minutes=20,
        hints=(
            "Another FactoredMatrix: (A B)(C D) = ((A B) C) D, two products with tensors. "
            "A vector v: A (B v), which never builds A B.",
            "A matrix X [rdim, n]: keep A and fold X into B (A, B X) when rdim > mdim, else "
            "(A B, X); either way the new inner dimension is the smaller one.",
        ),
    )
    def __matmul__(
        self, other: Float[Tensor, "... rdim n"] | Float[Tensor, "rdim"] | Self
    ) -> Self | Float[Tensor, "... ldim"]:
        """``self @ other``: M X for a matrix X, M v for a vector v, M N for another
        FactoredMatrix N.

        A matrix or a FactoredMatrix gives a FactoredMatrix whose inner dimension is the
        smallest one met on the way, so that a chain such as W_E W_QK W_Eᵀ stays as thin
        as its thinnest factor. A vector (1-D) gives a tensor [..., ldim].
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.__matmul__: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-__matmul__')

    @exercise(
        difficulty=2,
        importance=4,
        minutes=15,
        hints=(
            "The mirror image of __matmul__: X M = (X A) B. Fold X into A when ldim > mdim.",
            "For a vector v, treat it as a row [1, ldim]: v.unsqueeze(-2) @ A @ B, then drop that axis.",
        ),
    )
    def __rmatmul__(
        self, other: Float[Tensor, "... n ldim"] | Float[Tensor, "ldim"]
    ) -> Self | Float[Tensor, "... rdim"]:
        """``other @ self``, where ``other`` is a tensor: X M for a matrix X [..., n, ldim]
        (a FactoredMatrix, inner dimension the smaller of ldim and mdim), v M for a vector
        v (a tensor [..., rdim]). This is how W_E @ W_QK works: Python asks the tensor
        first, and torch hands the product over to this method."""
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.__rmatmul__: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-__rmatmul__')

    @exercise(
        difficulty=4,
        importance=5,
        minutes=30,
        hints=(
            "Thin QR decompositions A = Q_a R_a and Bᵀ = Q_b R_b give A B = Q_a (R_a R_bᵀ) Q_bᵀ, "
            "with a small core R_a R_bᵀ and orthonormal columns on both sides.",
            "Take the SVD of the core, U_c S V_cᵀ; then U = Q_a U_c and V = Q_b V_c. Return V, "
            "not Vᵀ, as TransformerLens does.",
        ),
    )
    def svd(
        self,
    ) -> tuple[Float[Tensor, "... ldim k"], Float[Tensor, "... k"], Float[Tensor, "... rdim k"]]:
        """The thin singular value decomposition of A B, without building A B:

        A B = U diag(S) Vᵀ,  U [..., ldim, k] and V [..., rdim, k] with orthonormal
        columns, S [..., k] non-negative and descending, k = min(ldim, mdim, rdim).

        Returns (U, S, V), V and not Vᵀ, in TransformerLens's convention. The cost is
        O((ldim + rdim) · mdim² + mdim³): thin decompositions of the factors, then the
        SVD of an mdim × mdim core. Never form A B or ask for full_matrices.
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.svd: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-svd')

    @property
    @exercise(
        difficulty=2,
        importance=4,
        minutes=10,
        hints=(
            "The non-zero eigenvalues of A B are those of the small B A; torch.linalg.eigvals returns them.",
        ),
    )
    def eigenvalues(self) -> Complex[Tensor, "... mdim"]:
        """The eigenvalues of A B (which needs ldim = rdim) that can be non-zero: those of
        the mdim × mdim matrix B A, as a complex tensor [..., mdim] in any order.

        A B has ldim − mdim more eigenvalues, all zero, that this leaves out. Real
        matrices can have complex eigenvalues, in conjugate pairs.
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.eigenvalues: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-eigenvalues')

    @exercise(
        difficulty=2,
        importance=3,
        minutes=10,
        hints=(
            "‖A B‖²_F = tr(Bᵀ Aᵀ A B) = tr((Aᵀ A)(B Bᵀ)): two mdim × mdim Gram matrices.",
            "For symmetric X and Y, tr(X Y) is the sum of the entries of X * Y.",
        ),
    )
    def norm(self) -> Float[Tensor, "..."]:
        """The Frobenius norm of A B, ‖A B‖_F = sqrt(Σ_ij (A B)_ij²) = sqrt(Σ S²), from
        mdim × mdim products only."""
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.norm: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-norm')


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=(
        "Token a's query input is W_E[a], token b's key input is W_E[b]: the table is W_E W_QK W_Eᵀ.",
        "Build FactoredMatrix(W_Q, W_Kᵀ) and multiply tensors onto either side; your @ keeps it thin.",
    ),
)
def full_qk_circuit(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_Q: Float[Tensor, "... head d_model d_head"],
    W_K: Float[Tensor, "... head d_model d_head"],
) -> FactoredMatrix:
    """The full QK circuit of every head, W_E W_QK W_Eᵀ, as a FactoredMatrix
    [..., head, d_vocab, d_vocab] of inner dimension d_head: entry (a, b) is the
    attention score (before scaling by 1/sqrt(d_head)) of a query token a for a key token b.

    Unscaled, as TransformerLens's ``model.QK`` is: this chapter reads the circuit's
    spectrum and its largest entries, which a constant factor does not change. The
    one-layer and induction chapters' ``qk_circuit_row``, ``top_skip_trigrams`` and
    ``induction_qk_circuit`` do scale by 1/sqrt(d_head), because they read entries in the
    units of the attention logits the softmax sees.

    Only the tokens' part: with standard positions, W_pos adds to both sides; with the
    zoo's shortformer positions, W_pos enters queries and keys (never values), adding
    position terms that this token-to-token table leaves out.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.full_qk_circuit: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#full_qk_circuit')


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=("Attending to token b writes W_E[b] W_OV into the stream, which W_U reads as logits.",),
)
def full_ov_circuit(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "... head d_model d_head"],
    W_O: Float[Tensor, "... head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
) -> FactoredMatrix:
    """The full OV circuit of every head, W_E W_OV W_U, as a FactoredMatrix
    [..., head, d_vocab, d_vocab] of inner dimension d_head: row b is how attending to
    token b changes the logit of each next token (for a head that reads the embeddings
    directly, as a first-layer head does).

    Values never see positions, even with shortformer positions, so this is the whole
    of what a first-layer head's attention to a token does to the logits.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.full_ov_circuit: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#full_ov_circuit')


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=(
        "torch.linalg.svdvals gives the singular values, largest first; compare each with "
        "rtol times the largest of its own matrix.",
    ),
)
def numerical_rank(M: Float[Tensor, "... rows cols"], rtol: float = 1e-8) -> Int[Tensor, "..."]:
    """The numerical rank of each matrix: how many of its singular values σ_i exceed
    rtol · σ_max, with σ_max the largest singular value of that same matrix.

    Rounding leaves an exactly rank-r matrix with further singular values of about
    1e-16 · σ_max in float64 (1e-7 in float32), never exactly zero, so a rank needs a
    tolerance. The default 1e-8 sits far above float64 rounding and far below any
    direction a trained head uses; torch.linalg.matrix_rank(M, rtol=rtol) agrees.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.numerical_rank: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#numerical_rank')


@exercise(
    difficulty=3,
    importance=4,
    minutes=25,
    hints=(
        "Rows start..start+chunk_size of A B are A[start:start + chunk_size] @ B. Take their top "
        "k, and merge them with the best k so far.",
        "Keep flat indices row · rdim + col; divmod by rdim at the end.",
    ),
)
def top_k_entries(
    M: FactoredMatrix, k: int, chunk_size: int
) -> tuple[Float[Tensor, "k"], Int[Tensor, "k"], Int[Tensor, "k"]]:
    """The k largest entries of a 2-D FactoredMatrix M = A B [ldim, rdim], largest first:
    (values, rows, cols) with values[i] = (A B)[rows[i], cols[i]].

    Compute A B chunk_size rows at a time and keep only the best k so far, so that memory
    stays at O(chunk_size · rdim + k) however large ldim is: a full circuit of a real
    vocabulary, 50,257², would take 10 GB in float32.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.top_k_entries: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#top_k_entries')
