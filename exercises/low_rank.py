# stub-sha256: 002153ec8323ab5df2e994d0bec4dec024a95fa01c1a67fdfa42f17dd1c51593
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

from functools import cached_property
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
    TransformerLens's ``FactoredMatrix`` (3.9): the same attributes and methods, values,
    shapes and exception types for bad shapes (AssertionError for inner dimensions that do not
    match, RuntimeError for leading dimensions that do not broadcast, ValueError for an index
    too long). Deliberate differences:

    - ``svd()`` thins the factors with QR rather than SVD (the same decomposition, up to the
      signs of singular vectors), and computes afresh on each call; ``U``, ``S``, ``V``,
      ``collapse_l``, ``collapse_r`` and ``make_even`` share one decomposition, cached on the
      instance (freed with it, unlike the class-level cache of TransformerLens's issue #796).
    - ``norm()`` comes from two mdim × mdim Gram matrices, not from the SVD.
    - Only tensors are accepted as factors (not TransformerLens's duck-typed TensorLike).
    - The inner-dimension checks raise AssertionError explicitly, so ``python -O`` keeps them.
    """

    def __init__(self, A: Float[Tensor, "... ldim mdim"], B: Float[Tensor, "... mdim rdim"]):
        if A.shape[-1] != B.shape[-2]:
            raise AssertionError(
                "A's last dimension must equal B's second to last (the inner dimension, mdim); "
                f"got A {tuple(A.shape)} and B {tuple(B.shape)}"
            )
        try:
            leading = torch.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        except RuntimeError as e:
            raise RuntimeError(
                f"Shape mismatch: cannot broadcast the leading dimensions of A {tuple(A.shape)} and "
                f"B {tuple(B.shape)}: {e}"
            ) from e
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

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def has_leading_dims(self) -> bool:
        """Whether there are dimensions before (ldim, rdim): layers, heads."""
        return self.ndim > 2

    @property
    def pair(self) -> tuple[Float[Tensor, "... ldim mdim"], Float[Tensor, "... mdim rdim"]]:
        """The factors (A, B), leading dimensions broadcast."""
        return self.A, self.B

    def __repr__(self) -> str:
        return f"FactoredMatrix(shape={tuple(self.shape)}, mdim={self.mdim})"

    def __getitem__(self, index) -> Self:
        """Index the leading dimensions: ``model_QK[layer, head]`` is one head's circuit. One
        index more selects rows (of A), two more rows and columns (of B); an integer there
        keeps its dimension, as a slice of length 1, so that the result is still a matrix."""
        index = index if isinstance(index, tuple) else (index,)
        n = sum(i is not None for i in index)
        lead = self.ndim - 2

        def keep(i):  # an integer row or column becomes a slice of one, as in TransformerLens
            return slice(i, i + 1 if i != -1 else None) if isinstance(i, int) else i

        if n <= lead:
            return FactoredMatrix(self.A[index], self.B[index])
        if n == lead + 1:
            index = index[:-1] + (keep(index[-1]),)
            return FactoredMatrix(self.A[index], self.B[index[:-1]])
        if n == lead + 2:
            rows, cols = keep(index[-2]), keep(index[-1])
            return FactoredMatrix(self.A[index[:-2] + (rows,)], self.B[index[:-2] + (slice(None), cols)])
        raise ValueError(f"{index} is too long an index for a FactoredMatrix with shape {tuple(self.shape)}")

    def unsqueeze(self, k: int) -> Self:
        """A new dimension of size 1 at ``k`` in both factors (as TransformerLens does, ``k``
        counts in the factors' dimensions: use a leading position)."""
        return FactoredMatrix(self.A.unsqueeze(k), self.B.unsqueeze(k))

    @cached_property
    def _svd_cached(self) -> tuple[Tensor, Tensor, Tensor]:
        return self.svd()

    @property
    def U(self) -> Float[Tensor, "... ldim k"]:
        """The left singular vectors of ``svd()``, computed once per matrix."""
        return self._svd_cached[0]

    @property
    def S(self) -> Float[Tensor, "... k"]:
        """The singular values of ``svd()``, descending, computed once per matrix."""
        return self._svd_cached[1]

    @property
    def V(self) -> Float[Tensor, "... rdim k"]:
        """The right singular vectors of ``svd()`` (V, so that A B = U diag(S) Vᵀ)."""
        return self._svd_cached[2]

    @property
    def Vh(self) -> Float[Tensor, "... rdim k"]:
        """Deprecated, as in TransformerLens: it has always returned V, not Vᵀ. Use ``V``."""
        import warnings

        warnings.warn(
            "FactoredMatrix.Vh returns V (the right singular vectors), not Vh; use .V, or "
            ".V.transpose(-2, -1) for the transpose",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.V

    def __rmul__(self, scalar: float | Float[Tensor, ""]) -> Self:
        """``scalar * M``: the same as ``M * scalar``."""
        return self * scalar

    def get_corner(self, k: int = 3) -> Float[Tensor, "..."]:
        """The top-left k × k corner of A B (and the first k of each leading dimension),
        from k rows of A and k columns of B: a look at the matrix without building it."""
        corner = self.A[..., :k, :] @ self.B[..., :, :k]
        return corner[tuple(slice(k) for _ in range(corner.ndim))]

    @property
    @exercise(difficulty=1, importance=3, minutes=3)
    def AB(self) -> Float[Tensor, "... ldim rdim"]:
        """The matrix itself, M = A B, ldim × rdim. Fine for a d_model × d_model W_QK;
        avoid calling it on a d_vocab × d_vocab circuit."""
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
            "A vector v: A (B v); never build A B.",
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
        as its thinnest factor. A vector (1-D) gives a tensor [..., ldim]. Never build
        A B where rdim is larger than mdim: fold the operand into B instead.
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
        SVD of an mdim × mdim core. Never build A B, and never ask for full_matrices.
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
        matrices can have complex eigenvalues, in conjugate pairs. torch has no eigenvalue
        routine for float16 or bfloat16: compute those in float32, as TransformerLens does.
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
        mdim × mdim products only: never build A B."""
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.norm: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-norm')

    @exercise(
        difficulty=1,
        importance=3,
        minutes=5,
        hints=("(c A) B = c (A B): scale one factor, never both.",),
    )
    def __mul__(self, scalar: float | Float[Tensor, ""]) -> Self:
        """``M * c`` for a number c, or a tensor holding one number: c · A B, still factored
        through the same inner dimension. (``c * M`` is given: it calls this.) The head
        circuits of a model scaled by 1/√d_head, say. A tensor of more than one number is an
        error, as in TransformerLens: use ``@`` for matrix products.
        """
        if isinstance(scalar, Tensor) and scalar.numel() != 1:
            raise AssertionError(
                f"a FactoredMatrix can be multiplied by a scalar only, not by a tensor of shape {tuple(scalar.shape)}; use @ for matrix products"
            )
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.__mul__: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-__mul__')

    @exercise(
        difficulty=2,
        importance=3,
        minutes=10,
        hints=(
            "A B = U diag(S) Vᵀ: drop the orthonormal U on the left and keep diag(S) Vᵀ.",
            "S[..., :, None] * V.transpose(-1, -2) scales row i of Vᵀ by S_i, with no diag matrix.",
        ),
    )
    def collapse_l(self) -> Float[Tensor, "... k rdim"]:
        """diag(S) Vᵀ [..., k, rdim], from the SVD A B = U diag(S) Vᵀ (``self.U``, ``self.S``,
        ``self.V``, k = min(ldim, mdim, rdim)): the matrix with the orthonormal left factor taken
        off. Since U has orthonormal columns, ‖x A B‖ = ‖(x U) diag(S) Vᵀ‖ and every
        (A B)ᵀ (A B) = (diag(S) Vᵀ)ᵀ (diag(S) Vᵀ): for a question about what the matrix writes
        (its output space), it says everything in k rows.
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.collapse_l: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-collapse_l')

    @exercise(
        difficulty=2,
        importance=3,
        minutes=5,
        hints=("The mirror image of collapse_l: U diag(S) = U * S[..., None, :].",),
    )
    def collapse_r(self) -> Float[Tensor, "... ldim k"]:
        """U diag(S) [..., ldim, k]: the matrix with the orthonormal right factor Vᵀ taken off,
        so (A B)(A B)ᵀ = (U diag(S))(U diag(S))ᵀ: what the matrix reads (its input space), in
        k columns.
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.collapse_r: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-collapse_r')

    @exercise(
        difficulty=2,
        importance=3,
        minutes=10,
        hints=(
            "Split each singular value between the two sides: U diag(√S) and diag(√S) Vᵀ.",
            "Broadcast rather than build diag matrices: U * S.sqrt()[..., None, :].",
        ),
    )
    def make_even(self) -> Self:
        """The same matrix, factored evenly: FactoredMatrix(U diag(√S), diag(√S) Vᵀ), from the
        SVD A B = U diag(S) Vᵀ. The model's factors are one of many (A G, G⁻¹ B for any
        invertible G); this one has orthogonal columns on the left and orthogonal rows on the
        right, each carrying half of every singular value: A'ᵀ A' = B' B'ᵀ = diag(S). Its inner
        dimension is k = min(ldim, mdim, rdim).
        """
        # YOUR CODE HERE
        raise NotImplementedError('low_rank.FactoredMatrix.make_even: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#FactoredMatrix-make_even')


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
    stays at O(chunk_size · rdim + k) however large ldim is: never build the whole of
    A B, which for a full circuit of a real vocabulary, 50,257², would take 10 GB in float32.
    """
    # YOUR CODE HERE
    raise NotImplementedError('low_rank.top_k_entries: not attempted yet. See the docs: Low-rank circuits: W_QK and W_OV, https://course-circuits.github.io/course-circuits/low-rank/#top_k_entries')
