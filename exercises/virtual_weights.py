# stub-sha256: 57d30762d2234d108afd9b6ed2f4dccab3b3c4bd2a60b0823ff6be61f61e7a05
# Generated from solutions/virtual_weights.py by `course exercises build`. Replace each
# `raise NotImplementedError` with your answer, then run `course check`.
"""Chapter "Virtual weights and residual-stream subspaces".

Every layer reads the residual stream linearly and adds its output to it, so a later
head reads an earlier head's output weights directly: W_O^{h1} W_Q^{h2} is a matrix of
"virtual weights" from the earlier head's value space to the later head's queries,
though no such matrix exists in the model. Each head reads from and writes to a
low-dimensional subspace of the residual stream; whether two heads can talk depends
on how those subspaces overlap, and the stream has fewer dimensions than its writers
want. Shapes follow TransformerLens: W_Q/W_K/W_V [head, d_model, d_head], W_O [head,
d_head, d_model], W_E [d_vocab, d_model]; vectors are rows (x @ W).
"""

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "A residual vector written by head h1 is r @ W_O[h1]; head h2 reads it as (r @ W_O[h1]) @ W_in[h2].",
        "One einsum does every pair: 'h1 e d, h2 d f -> h2 h1 e f'.",
    ),
)
def virtual_weights(
    W_O: Float[Tensor, "head_earlier d_head d_model"],
    W_in: Float[Tensor, "head_later d_model d_head_later"],
) -> Float[Tensor, "head_later head_earlier d_head d_head_later"]:
    """The virtual weights from every head of an earlier layer to every head of a later one:

    V[h2, h1] = W_O^{h1} W_in^{h2},

    where W_in is the later layer's W_Q, W_K or W_V. Head h1 writes r^{h1} W_O^{h1}
    into the residual stream and head h2 reads x W_in^{h2}, so r^{h1} V[h2, h1] is what
    h1 contributes to h2's query, key or value (in the paper's column vectors,
    W_Q^{h2} W_O^{h1}). The residual stream in between is d_model wide, V only
    d_head × d_head.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.virtual_weights: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#virtual_weights')


@exercise(
    difficulty=1,
    importance=4,
    minutes=5,
    hints=("Token t's embedding is the row W_E[t]; multiply every row by every head's W_in at once.",),
)
def token_virtual_weights(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_in: Float[Tensor, "head d_model d_head"],
) -> Float[Tensor, "head d_vocab d_head"]:
    """The virtual weights from the tokens to a layer's queries, keys or values:

    T[h] = W_E W_in^h,

    so row t of T[h] is what token t, read straight from the embedding, puts into head
    h's query (W_in = W_Q), key (W_K) or value (W_V). Like every virtual weight it
    skips the residual stream: a d_vocab × d_head table (not d_vocab × d_vocab).
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.token_virtual_weights: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#token_virtual_weights')


@exercise(
    difficulty=3,
    importance=5,
    minutes=20,
    hints=(
        "torch.linalg.svd(W_in, full_matrices=False) gives W_in = U S Vᵀ; the columns of U with "
        "non-negligible singular values span the column space.",
        "Count as non-negligible σ_i > max(d_model, d_head) · eps · σ_1, with eps = torch.finfo(W_in.dtype).eps.",
    ),
)
def read_subspace(W_in: Float[Tensor, "d_model d_head"]) -> Float[Tensor, "d_model rank"]:
    """An orthonormal basis Q of the subspace of the residual stream a head reads:
    the column space of W_in (its W_Q, W_K or W_V), since x W_in depends only on the
    part of x in that space; x's component orthogonal to it is invisible to the head.

    The columns of Q are orthonormal (QᵀQ = I) and span the column space, so there are
    rank of them, rank ≤ d_head. The rank is numerical: count the singular values
    σ_i > max(d_model, d_head) · eps · σ_1, eps the dtype's machine epsilon (the default
    of torch.linalg.matrix_rank). Bases are not unique; QQᵀ, the projector onto the
    subspace, is, and it is what the grader compares.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.read_subspace: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#read_subspace')


@exercise(
    difficulty=1,
    importance=4,
    minutes=10,
    hints=(
        "A head writes r @ W_O: a combination of the rows of W_O. Their span is the column space of W_Oᵀ.",
    ),
)
def write_subspace(W_O: Float[Tensor, "d_head d_model"]) -> Float[Tensor, "d_model rank"]:
    """An orthonormal basis of the subspace of the residual stream a head writes to:
    the row space of W_O, since everything the head adds, r W_O, is a combination of
    W_O's rows. Rank and tolerance as in ``read_subspace``; the grader compares the
    projector QQᵀ.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.write_subspace: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#write_subspace')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "The singular values of Q1ᵀ Q2 are the cosines of the principal angles, largest first.",
        "Rounding can push a cosine just above 1: clamp to [−1, 1] before arccos.",
    ),
)
def principal_angles(
    Q1: Float[Tensor, "d_model k1"], Q2: Float[Tensor, "d_model k2"]
) -> Float[Tensor, "min_k"]:
    """The principal angles between the subspaces spanned by the orthonormal columns of
    Q1 and Q2, in radians, smallest first:

    θ_i = arccos σ_i(Q1ᵀ Q2),  i = 1 … min(k1, k2).

    θ_1 is the smallest angle between any vector of one subspace and any of the other;
    0 means a shared direction, π/2 that the rest of one is orthogonal to the other.
    Unlike Q1ᵀ Q2 itself, the angles do not depend on which bases were chosen.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.principal_angles: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#principal_angles')


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=("‖Q1ᵀ Q2‖_F² is the sum of the squared cosines of the principal angles.",),
)
def subspace_overlap(Q1: Float[Tensor, "d_model k1"], Q2: Float[Tensor, "d_model k2"]) -> Float[Tensor, ""]:
    """How much two subspaces overlap, from 0 (orthogonal) to 1 (one contains the other):
    the mean squared cosine of their principal angles,

    overlap = ‖Q1ᵀ Q2‖_F² / min(k1, k2) = Σ_i cos² θ_i / min(k1, k2),

    for orthonormal bases Q1 [d_model, k1] and Q2 [d_model, k2]. It equals the share of
    a random unit vector of the smaller subspace that lies in the larger, on average.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.subspace_overlap: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#subspace_overlap')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "For a uniformly random k2-dimensional subspace, E[Q2 Q2ᵀ] = (k2 / d_model) I: no direction is preferred, and the trace is k2.",
        "Then E‖Q1ᵀ Q2‖_F² = tr(Q1ᵀ E[Q2 Q2ᵀ] Q1) = k1 k2 / d_model; divide by min(k1, k2).",
    ),
)
def random_overlap_baseline(k1: int, k2: int, d_model: int) -> float:
    """The expected ``subspace_overlap`` of two independent, uniformly random subspaces of
    dimensions k1 and k2 in a d_model-dimensional residual stream:

    E[‖Q1ᵀ Q2‖_F²] / min(k1, k2) = (k1 k2 / d_model) / min(k1, k2) = max(k1, k2) / d_model.

    It is the bar a measured overlap must clear to mean anything: two 16-dimensional
    subspaces of a 64-dimensional stream overlap by 0.25 by chance alone.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.random_overlap_baseline: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#random_overlap_baseline')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "torch.linalg.matrix_rank works on a batch: matrix_rank(W_O) gives every head's rank at once.",
        "With shortformer positions, W_pos is added to queries and keys only, so it writes nothing.",
    ),
)
def write_ranks(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    shortformer: bool,
) -> Int[Tensor, "component"]:
    """How many dimensions of the residual stream each component writes: the ranks of
    W_E, of W_pos, and of every head's W_O^{l,h} (layer 0's heads first), in that
    order, as one integer tensor. With shortformer positions W_pos never enters the
    residual stream, so its rank counts as 0.

    Their sum is the bandwidth the components ask for; when it exceeds d_model they
    must share dimensions. Use the numerical rank of ``read_subspace`` (the default of
    torch.linalg.matrix_rank).
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.write_ranks: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#write_ranks')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "x @ W_V reads coordinates x · b_i: W_V's columns are the basis vectors b_src … b_{src+d_head−1}.",
        "r @ W_O writes Σ_i r_i b_{dst+i}: W_O's rows are the basis vectors b_dst … b_{dst+d_head−1}.",
    ),
)
def copy_head(
    basis: Float[Tensor, "d_model d_model"], d_head: int = 4, src: int = 0, dst: int = 8
) -> tuple[Float[Tensor, "d_model d_head"], Float[Tensor, "d_head d_model"]]:
    """The paper's Exercise 1: W_V and W_O of a head that copies d_head dimensions of the
    token it attends to into d_head other dimensions of the residual stream.

    The dimensions are the columns of ``basis``, orthonormal directions b_0 … b_{d_model−1}:
    for x = Σ_j c_j b_j, x @ W_V @ W_O must be Σ_{i<d_head} c_{src+i} b_{dst+i}, so the
    coordinates src … src+d_head−1 land on dst … dst+d_head−1 and nothing else is written.
    With basis = torch.eye(16), d_head = 4, src = 0 and dst = 8 this is the paper's case:
    dimensions 0–3 copied into 8–11. Any basis will do, since the residual stream has no
    privileged one. Many (W_V, W_O) pairs work (put any invertible map between them),
    so only W_V @ W_O is graded.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.copy_head: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#copy_head')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "Row vectors flow left to right: head 1's output x @ W_V1 @ W_O1 is head 2's input.",
        "W_V1 @ W_O1 @ W_V2 maps d_model to d_head2: the virtual head's W_V; its W_O is head 2's.",
    ),
)
def compose_heads(
    W_V1: Float[Tensor, "d_model d_head1"],
    W_O1: Float[Tensor, "d_head1 d_model"],
    W_V2: Float[Tensor, "d_model d_head2"],
    W_O2: Float[Tensor, "d_head2 d_model"],
) -> tuple[Float[Tensor, "d_model d_head2"], Float[Tensor, "d_head2 d_model"]]:
    """The virtual head formed by V-composition: head 2 reads, through its values, what
    head 1 wrote. Its OV circuit is the product of the two,

    W_OV^net = W_OV^1 W_OV^2 = W_V^1 W_O^1 W_V^2 W_O^2

    with row vectors (the paper writes W_OV^2 W_OV^1 for column vectors). Return it as a
    head of its own, the factors (W_V^net, W_O^net) = (W_V^1 W_O^1 W_V^2, W_O^2): the
    virtual head is no wider than head 2. Only their product is graded.
    """
    # YOUR CODE HERE
    raise NotImplementedError('virtual_weights.compose_heads: not attempted yet. See the docs: Virtual weights and residual-stream subspaces, https://course-circuits.github.io/course-circuits/virtual-weights/#compose_heads')
