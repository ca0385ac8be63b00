# stub-sha256: c5f9e5ab4cbbf8fdd26ac5bf8db80b29a009a054f0d7031df482e9324b7d1e50
# Generated from solutions/composition.py by `course exercises build`. Replace each
# `raise NotImplementedError` with your answer, then run `course check`.
"""Chapter "Composition: Q-, K- and V-composition and virtual heads".

A head in a later layer can read what a head in an earlier layer wrote. It can read it
with its queries (Q-composition) or its keys (K-composition), which builds attention
patterns that no single head could compute, or with its values (V-composition), which
makes a virtual head: two heads' patterns and OV circuits chained into one. The
composition score ‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F) measures how much of what W_A writes,
W_B reads.

Row-vector convention: x ↦ x W_A ↦ x W_A W_B, so the earlier matrix is on the left.
W_OV = W_V W_O [d_model, d_model] and W_QK = W_Q W_Kᵀ [d_model, d_model] are only ever
handled as their factors: their rank is d_head, and the products are never built.
"""

import math

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=3,
    importance=4,
    minutes=20,
    hints=(
        "‖X Y‖_F² = tr((XᵀX)(Y Yᵀ)), and for two symmetric matrices tr(G H) is the sum of G * H: "
        "only r × r and s × s Gram matrices are needed.",
        "Group W_A W_B = A1 (A2 B1) B2: A1 (A2 B1) is [d_model, s], and its pair with B2 is a "
        "factored matrix like any other.",
    ),
)
def composition_score(
    A1: Float[Tensor, "*#batch d_model r"],
    A2: Float[Tensor, "*#batch r d_model"],
    B1: Float[Tensor, "*#batch d_model s"],
    B2: Float[Tensor, "*#batch s d_model"],
) -> Float[Tensor, "*batch"]:
    """The composition score of W_A = A1 A2 followed by W_B = B1 B2:

    C(W_A, W_B) = ‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F),

    between 0 (W_B reads nothing W_A writes) and 1 (submultiplicativity). In the
    row-vector convention x ↦ x W_A W_B, W_A acts first. Leading dimensions broadcast,
    so one call scores every pair of heads. Never build a d_model × d_model matrix: at a
    real model's width that is most of the work and memory, and the factors suffice.
    """

    # YOUR CODE HERE
    raise NotImplementedError('composition.composition_score: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#composition_score')


@exercise(
    difficulty=3,
    importance=5,
    minutes=20,
    hints=(
        "Q: W_B = W_Q W_Kᵀ (the earlier output is the later query's input). K: W_B = W_K W_Qᵀ, "
        "since x_q W_QK (x_k W_OV)ᵀ = x_q W_QK W_OVᵀ x_kᵀ. V: W_B = W_V W_O of the later head.",
        "Put the earlier heads on the last batch axis and the later heads on the one before it, "
        "e.g. W_V_earlier[None] and W_Q_later[:, None].",
    ),
)
def composition_scores(
    W_V_earlier: Float[Tensor, "head_earlier d_model d_head"],
    W_O_earlier: Float[Tensor, "head_earlier d_head d_model"],
    W_Q_later: Float[Tensor, "head_later d_model d_head"],
    W_K_later: Float[Tensor, "head_later d_model d_head"],
    W_V_later: Float[Tensor, "head_later d_model d_head"],
    W_O_later: Float[Tensor, "head_later d_head d_model"],
) -> tuple[
    Float[Tensor, "head_later head_earlier"],
    Float[Tensor, "head_later head_earlier"],
    Float[Tensor, "head_later head_earlier"],
]:
    """Q-, K- and V-composition scores of every pair (later head, earlier head), in that
    order. W_A is the earlier head's W_OV = W_V W_O, what it writes; W_B is what the
    later head reads it with:

    Q-composition: W_B = W_QK = W_Q W_Kᵀ   (the earlier output enters the query),
    K-composition: W_B = W_QKᵀ = W_K W_Qᵀ  (it enters the key),
    V-composition: W_B = W_OV = W_V W_O    (it enters the value).

    Use your ``composition_score``; the result is (Q, K, V), each [head_later, head_earlier].
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.composition_scores: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#composition_scores')


@exercise(
    difficulty=2,
    importance=3,
    minutes=15,
    hints=(
        "Draw the four stacks in the order A1, A2, B1, B2, each as torch.randn((n_samples, "
        "*X.shape), generator=g, dtype=torch.float64), then move them to the inputs' device and dtype.",
    ),
)
def composition_baseline(
    A1: Float[Tensor, "d_model r"],
    A2: Float[Tensor, "r d_model"],
    B1: Float[Tensor, "d_model s"],
    B2: Float[Tensor, "s d_model"],
    n_samples: int,
    seed: int,
) -> Float[Tensor, ""]:
    """The composition score that chance alone gives to matrices of these shapes: the mean
    score of ``n_samples`` pairs W_A = A1' A2', W_B = B1' B2', where each factor X' has the
    shape of X and independent standard normal entries (only the inputs' shapes, dtype and
    device are used, not their values).

    Random low-rank subspaces of the residual stream overlap a little, so a score means
    something only against this baseline. To be graded exactly, draw the samples on the
    CPU in float64, in this order, then move them to the inputs' device and dtype:

    g = torch.Generator().manual_seed(seed),
    for X in A1, A2, B1, B2: torch.randn((n_samples, *X.shape), generator=g, dtype=torch.float64).
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.composition_baseline: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#composition_baseline')


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=(
        "Output at query i: Σ_j A²_ij (Σ_k A¹_jk x_k …): the later pattern is on the left, "
        "A² @ A¹, as matrices [query, key].",
    ),
)
def virtual_patterns(
    pattern_earlier: Float[Tensor, "batch head_earlier query key"],
    pattern_later: Float[Tensor, "batch head_later query key"],
) -> Float[Tensor, "batch head_later head_earlier query key"]:
    """The attention pattern of every virtual head (h², h¹): the later head h² attends
    from position i to position j, where the earlier head h¹ had moved information from
    position k to j. The virtual head moves it from k to i with weight

    A^{h² h¹}_{ik} = Σ_j A^{h²}_{ij} A^{h¹}_{jk},   i.e. A^{h²} A^{h¹}.

    It is a causal pattern again: rows sum to 1 and no query sees a later key.
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.virtual_patterns: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#virtual_patterns')


@exercise(
    difficulty=3,
    importance=4,
    minutes=15,
    hints=(
        "Row vectors: x W_V¹ W_O¹ W_V² W_O²: the earlier head's matrices come first.",
        "Return (W_V¹, W_O¹ W_V² W_O²), computed as (W_O¹ W_V²) W_O²: never build a "
        "d_model × d_model product such as W_V² W_O². Broadcast over the two head axes.",
    ),
)
def virtual_ov(
    W_V_earlier: Float[Tensor, "head_earlier d_model d_head"],
    W_O_earlier: Float[Tensor, "head_earlier d_head d_model"],
    W_V_later: Float[Tensor, "head_later d_model d_head"],
    W_O_later: Float[Tensor, "head_later d_head d_model"],
) -> tuple[
    Float[Tensor, "head_later head_earlier d_model d_head"],
    Float[Tensor, "head_later head_earlier d_head d_model"],
]:
    """The OV circuit of every virtual head (h², h¹), as a pair of factors (L, R) whose
    product L R is

    W_OV^{h¹} W_OV^{h²} = W_V^{h¹} W_O^{h¹} W_V^{h²} W_O^{h²}

    (row vectors: the earlier head acts first; the paper, with column vectors, writes
    W_OV^{h²} W_OV^{h¹}). Its rank is at most d_head, so two thin factors hold it: never
    build a d_model × d_model matrix. Only the product is graded: many factor pairs give it.
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.virtual_ov: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#virtual_ov')


@exercise(
    difficulty=4,
    importance=5,
    minutes=40,
    hints=(
        "Softmax rows sum to 1, so A (x W_V + b_V) W_O = A x W_V W_O + b_V W_O: every bias "
        "becomes a constant vector in the residual stream, which the later heads' OV "
        "circuits carry on. Gather all of them in the last term.",
        "The virtual term (h², h¹) is A^{h²} A^{h¹} x W_OV^{h¹} W_OV^{h²} W_U; apply the "
        "matrices one at a time to the activations: never build a product of weights such as "
        "W_E W_U (d_vocab × d_vocab) or W_OV (d_model × d_model).",
    ),
)
def path_expansion(
    tokens: Int[Tensor, "batch pos"],
    pattern_0: Float[Tensor, "batch head query key"],
    pattern_1: Float[Tensor, "batch head query key"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    b_V: Float[Tensor, "layer head d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    b_O: Float[Tensor, "layer d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
) -> Float[Tensor, "term batch pos d_vocab"]:
    """A two-layer attention-only model's logits as a sum of paths, with its attention
    patterns frozen (given, not computed). With shortformer positions the residual
    stream starts as x = W_E[t], and

    logits = x W_U                                               (the direct path)
           + Σ_h A^{0,h} x W_OV^{0,h} W_U  +  Σ_h A^{1,h} x W_OV^{1,h} W_U   (single heads)
           + Σ_{h², h¹} A^{1,h²} A^{0,h¹} x W_OV^{0,h¹} W_OV^{1,h²} W_U      (virtual heads)
           + the constant that the biases add.

    Return the terms stacked in that order: the direct path; layer 0's heads; layer 1's
    heads; the virtual heads with the later head major (term (h², h¹) after (h², h¹ − 1));
    last, every bias's contribution (b_V, b_O, b_U, and the biases that layer 1 reads)
    as one term, the same at every position. They sum to the model's logits.
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.path_expansion: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#path_expansion')


@exercise(
    difficulty=3,
    importance=4,
    minutes=25,
    hints=(
        "The score is linear in the key (and in the query): with q_i the full query, the "
        "key-side contribution of component c is q_i · (c_j W_K) / √d_head.",
        "Stack the two sides along a new first axis: keys first, then queries.",
    ),
)
def score_contributions(
    components: Float[Tensor, "component batch pos d_model"],
    W_Q: Float[Tensor, "d_model d_head"],
    b_Q: Float[Tensor, "d_head"],
    W_K: Float[Tensor, "d_model d_head"],
    b_K: Float[Tensor, "d_head"],
) -> Float[Tensor, "side component batch query key"]:
    """How much each earlier component contributes to one head's attention scores, through
    the keys and through the queries. ``components`` sum to the head's query and key input
    x (the embedding, positions, each earlier head's result, biases), so with
    q_i = x_i W_Q + b_Q and k_j = x_j W_K + b_K:

    key side [0]:    K_c[i, j] = q_i · (c_j W_K) / √d_head,
    query side [1]:  Q_c[i, j] = (c_i W_Q) · k_j / √d_head.

    The key-side terms sum to the scores minus q_i · b_K / √d_head, which is the same for
    every key of a query and so never changes the pattern; the query-side terms sum to the
    scores minus b_Q · k_j / √d_head. Scores are before the causal mask (every i, j).
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.score_contributions: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#score_contributions')


@exercise(
    difficulty=2,
    importance=3,
    minutes=15,
    hints=(
        "contributions.diagonal(offset=-offset, dim1=-2, dim2=-1) holds the entries (i, i − offset) "
        "for queries i ≥ offset.",
        "A row's mean over its causal keys j ≤ i: sum with a lower-triangular mask and divide by i + 1.",
    ),
)
def offset_score_lift(
    contributions: Float[Tensor, "component batch query key"], offset: int
) -> Float[Tensor, "component"]:
    """Which component makes a head attend ``offset`` positions back? A constant added to
    a query's row of scores does not change its softmax, so what counts is how much a
    component raises the score of key i − offset above that query's other keys:

    lift_c = mean over batch and queries i ≥ offset of
             ( C_c[i, i − offset] − mean_{j ≤ i} C_c[i, j] ),

    the mean running over the causal keys only. On a repeated random sequence of period
    P, an induction head attends P − 1 back, and the key side of the previous-token
    head's result should lift that key most.
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.offset_score_lift: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#offset_score_lift')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "full = terms.sum(0); the logits without term t are full − terms[t], for every t at once by "
        "broadcasting: full[None] − terms.",
        "Position i predicts token i + 1: log-softmax over the vocabulary of logits[..., :-1, :], gather "
        "tokens[:, 1:], and average over batch and positions.",
    ),
)
def term_importance(
    terms: Float[Tensor, "term batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "term"]:
    """How much the model needs each term of its path expansion (with the attention patterns
    frozen, as ``path_expansion`` returns them): the mean next-token cross-entropy of the logits
    with term t removed, minus that of all the terms together,

    importance[t] = CE(Σ_s terms[s] − terms[t]) − CE(Σ_s terms[s]),

    where CE averages −log softmax(logits[b, i])[tokens[b, i + 1]] over the batch and the
    positions i < pos − 1. The paper's measure of which paths matter: a term whose removal
    costs nothing is one the model could do without.
    """
    # YOUR CODE HERE
    raise NotImplementedError('composition.term_importance: not attempted yet. See the docs: Composition: Q-, K- and V-composition and virtual heads, https://course-circuits.github.io/course-circuits/composition/#term_importance')
