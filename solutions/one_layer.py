"""Chapter "One-layer models: path expansion and skip-trigrams".

With its attention patterns held fixed, a one-layer attention-only transformer is
linear in its tokens, and its logits split into a direct path and one path per head.
In the paper's column-vector notation,

    T = Id ⊗ W_U W_E + Σ_h A^h ⊗ (W_U W_OV^h W_E),

so the model is a bigram table (the direct path) plus, for every head, skip-trigrams
"A … B → C": at destination B the head attends back to source A (the QK circuit
W_E W_Q^h W_K^hᵀ W_Eᵀ) and raises the logit of C (the OV circuit W_E W_V^h W_O^h W_U).
The course's rows are the paper's columns: the direct path is W_E @ W_U and a head's
OV path is W_E @ W_V^h @ W_O^h @ W_U. Both circuits are d_vocab × d_vocab, which is
why everything here reads them a row or a chunk of rows at a time.

Weights are one layer's, as TransformerLens stacks them per layer: W_Q [head, d_model,
d_head] is ``model.W_Q[0]``.
"""

import math

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=1,
    importance=4,
    minutes=10,
    hints=(
        "With shortformer positions W_pos only enters queries and keys, so it is not on the direct path.",
    ),
)
def direct_path_logits(
    tokens: Int[Tensor, "batch pos"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
    shortformer: bool,
) -> Float[Tensor, "batch pos d_vocab"]:
    """The logits of the direct path, embedding straight to unembedding (the paper's
    Id ⊗ W_U W_E term):

    direct[b, i] = x_i W_U + b_U,  x_i = W_E[t_i] (+ W_pos[i] with standard positions).

    With ``shortformer`` positions, W_pos is added only to the input of queries and
    keys, so the residual stream, and with it the direct path, never sees it: there the
    direct path is the zero-layer model's bigram table read at the tokens.
    """
    ### BEGIN SOLUTION
    x = W_E[tokens] if shortformer else W_E[tokens] + W_pos[: tokens.shape[1]]
    return x @ W_U + b_U
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=5,
    minutes=20,
    hints=(
        "Each head moves v_j = x_j W_V^h + b_V^h from key j to query i with weight A^h[i, j].",
        "Apply W_O^h and W_U after the weighted sum over keys: never build a d_vocab × d_vocab matrix.",
    ),
)
def frozen_pattern_logits(
    tokens: Int[Tensor, "batch pos"],
    pattern: Float[Tensor, "batch head query key"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_V: Float[Tensor, "head d_model d_head"],
    b_V: Float[Tensor, "head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    b_O: Float[Tensor, "d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
    shortformer: bool,
) -> Float[Tensor, "batch pos d_vocab"]:
    """The one-layer model's logits with every head's attention pattern A^h given:

    logits_i = x_i W_U + b_U + Σ_h Σ_j A^h[i, j] (x_j W_V^h + b_V^h) W_O^h W_U + b_O W_U,

    with x_j = W_E[t_j] (+ W_pos[j] with standard positions). Frozen patterns make the
    logits affine in the one-hot tokens: the paper's T = Id ⊗ W_U W_E + Σ_h A^h ⊗ W_U
    W_OV^h W_E, applied to the tokens, plus the biases the paper leaves out.
    """
    ### BEGIN SOLUTION
    x = W_E[tokens] if shortformer else W_E[tokens] + W_pos[: tokens.shape[1]]
    values = einops.einsum(x, W_V, "b k d, h d e -> b k h e") + b_V
    moved = einops.einsum(pattern, values, "b h q k, b k h e -> b q h e")
    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")
    direct = direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer)
    return direct + (heads + b_O) @ W_U
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=5,
    minutes=25,
    hints=(
        "Queries and keys read W_E[t] + W_pos with either kind of positions; values read the residual stream.",
        "Term 0 is your direct path plus b_O W_U; term 1 + h is head h's share of your frozen-pattern logits.",
    ),
)
def path_expansion(
    tokens: Int[Tensor, "batch pos"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    b_Q: Float[Tensor, "head d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    b_K: Float[Tensor, "head d_head"],
    W_V: Float[Tensor, "head d_model d_head"],
    b_V: Float[Tensor, "head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    b_O: Float[Tensor, "d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
    shortformer: bool,
) -> Float[Tensor, "batch pos term d_vocab"]:
    """The one-layer model's logits split into 1 + head terms that sum to them:

    term 0:      x_i W_U + b_U + b_O W_U          (the direct path and the constant b_O,
                                                   which no head owns)
    term 1 + h:  Σ_j A^h[i, j] (x_j W_V^h + b_V^h) W_O^h W_U   (head h's path)

    Here the patterns are the model's own: A^h = causal softmax of
    (y_i W_Q^h + b_Q^h) · (y_j W_K^h + b_K^h) / sqrt(d_head), where the queries' and keys'
    input y_j = W_E[t_j] + W_pos[j] holds positions with either kind of positions (with
    ``shortformer`` only there), while x_j, the residual stream, holds them only with
    standard positions.
    """
    ### BEGIN SOLUTION
    n = tokens.shape[1]
    y = W_E[tokens] + W_pos[:n]
    q = einops.einsum(y, W_Q, "b p d, h d e -> b p h e") + b_Q
    k = einops.einsum(y, W_K, "b p d, h d e -> b p h e") + b_K
    scores = einops.einsum(q, k, "b q h e, b k h e -> b h q k") / math.sqrt(W_Q.shape[-1])
    future = torch.ones(n, n, dtype=torch.bool, device=tokens.device).triu(diagonal=1)
    pattern = scores.masked_fill(future, float("-inf")).softmax(dim=-1)

    x = W_E[tokens] if shortformer else y
    values = einops.einsum(x, W_V, "b k d, h d e -> b k h e") + b_V
    moved = einops.einsum(pattern, values, "b h q k, b k h e -> b q h e")
    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q h d") @ W_U
    direct = direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer) + b_O @ W_U
    return torch.cat([direct[:, :, None], heads], dim=2)
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=(
        "Compute the query of the one destination token first, then score it against every key.",
        "Keys are rows of W_E W_K^h; divide by sqrt(d_head) as the attention scores do.",
    ),
)
def qk_circuit_row(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    head: int,
    token: int,
) -> Float[Tensor, "d_vocab"]:
    """How much head ``head`` at destination token B = ``token`` wants to attend to each
    source token A: row B of the full QK circuit, scaled as attention scores are,

    row[A] = W_E[B] W_Q^h (W_E[A] W_K^h)ᵀ / sqrt(d_head).

    Positions are left out: they add W_pos to the query's and the key's input, terms
    that depend on where the tokens are rather than on which tokens they are. Compute
    only the row: never build the full d_vocab × d_vocab circuit.

    Scaled by 1/sqrt(d_head), unlike the low-rank chapter's ``full_qk_circuit``: the row's
    entries are attention logits, the numbers the softmax turns into weights, so that
    differences between them mean what they mean to the model.
    """
    ### BEGIN SOLUTION
    query = W_E[token] @ W_Q[head]
    return W_E @ (W_K[head] @ query) / math.sqrt(W_Q.shape[-1])
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=("Multiply from the left: a vector times each matrix in turn stays a vector.",),
)
def ov_circuit_row(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V: Float[Tensor, "head d_model d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    head: int,
    token: int,
) -> Float[Tensor, "d_vocab"]:
    """How head ``head``, attending to source token A = ``token``, changes the logit of
    every output token C: row A of the full OV circuit,

    row[C] = W_E[A] W_V^h W_O^h W_U[:, C].

    (The value bias b_V^h adds the same b_V^h W_O^h W_U whatever the head attends to, so it
    is not part of the circuit.)
    """
    ### BEGIN SOLUTION
    return W_E[token] @ W_V[head] @ W_O[head] @ W_U
    ### END SOLUTION


@exercise(
    difficulty=4,
    importance=4,
    minutes=40,
    hints=(
        "For fixed A and B the score is largest for C among the top k of OV row A: only those can make the list.",
        "Loop over chunks of destinations: score [chunk, A, k] candidates, and keep the best k seen so far.",
    ),
)
def top_skip_trigrams(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    W_V: Float[Tensor, "head d_model d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    head: int,
    k: int,
    chunk: int,
) -> tuple[Int[Tensor, "k 3"], Float[Tensor, "k"]]:
    """Head ``head``'s k strongest skip-trigrams "A … B → C", strongest first, as rows
    (A, B, C) of token ids and their scores

    score(A, B, C) = QK[B, A] + OV[A, C],

    QK[B, A] = W_E[B] W_Q^h (W_E[A] W_K^h)ᵀ / sqrt(d_head) (how much destination B attends
    to source A, in attention logits) and OV[A, C] = W_E[A] W_V^h W_O^h W_U[:, C] (how much
    attending to A raises the logit of C). Every one of the d_vocab³ triples competes.
    The sum is the course's ranking heuristic, not the paper's (which reads the two
    circuits separately). QK is scaled by 1/sqrt(d_head), unlike the low-rank chapter's
    ``full_qk_circuit``, so that it is in attention-logit units, as the model uses it,
    before it is added to OV's output logits.

    Both circuits are d_vocab × d_vocab: never build either, but read them ``chunk``
    rows at a time, so that memory grows with chunk · d_vocab · k, not with d_vocab².
    """
    ### BEGIN SOLUTION
    d_vocab = W_E.shape[0]
    queries = W_E @ W_Q[head] / math.sqrt(W_Q.shape[-1])  # [B, e]
    keys = W_E @ W_K[head]  # [A, e]
    values = W_E @ W_V[head] @ W_O[head]  # [A, d_model]
    # The k largest OV entries of every row: no other output can enter the top k.
    ov = [(values[a : a + chunk] @ W_U).topk(k, dim=-1) for a in range(0, d_vocab, chunk)]
    ov_scores = torch.cat([t.values for t in ov])  # [A, k]
    ov_outputs = torch.cat([t.indices for t in ov])
    best_scores = W_E.new_empty(0)
    best = torch.zeros(0, 3, dtype=torch.long, device=W_E.device)
    for start in range(0, d_vocab, chunk):
        qk = queries[start : start + chunk] @ keys.T  # [B, A]
        candidates = qk[:, :, None] + ov_scores[None]  # [B, A, k]
        top = candidates.flatten().topk(k)
        b, a, j = torch.unravel_index(top.indices, candidates.shape)
        found = torch.stack([a, b + start, ov_outputs[a, j]], dim=-1)
        best_scores, order = torch.cat([best_scores, top.values]).topk(k)
        best = torch.cat([best, found])[order]
    return best, best_scores
    ### END SOLUTION


@exercise(
    difficulty=1,
    importance=3,
    minutes=5,
    hints=("Compare column 2 with column 0; take the mean of the matches as floats, then .item().",),
)
def copying_share(triples: Int[Tensor, "n 3"]) -> float:
    """The share of skip-trigrams (A, B, C) that copy, C = A: the head raises the logit of
    the very token it attends to. Return a Python float between 0 and 1.
    """
    ### BEGIN SOLUTION
    return (triples[:, 2] == triples[:, 0]).double().mean().item()
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=4,
    minutes=25,
    hints=(
        "i, j = torch.triu_indices(n, n, offset=1) lists the pairs i < j in order; keep those with "
        "A_i = A_j, B_i ≠ B_j and C_i ≠ C_j. Interleave (A, B_i, C_j) and (A, B_j, C_i) with "
        "torch.stack([...], dim=1).flatten(0, 1).",
        "Score each crossed triple from the rows it needs: QK[B, A] = (W_E[B] W_Q^h) · (W_E[A] W_K^h) / "
        "√d_head and OV[A, C] = (W_E[A] W_V^h W_O^h) · W_U[:, C], a dot product per triple.",
    ),
)
def skip_trigram_bugs(
    triples: Int[Tensor, "n 3"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    W_V: Float[Tensor, "head d_model d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    head: int,
) -> tuple[Int[Tensor, "m 3"], Float[Tensor, "m"]]:
    """The bugs that a head's skip-trigrams imply. Where should a head go at destination B?
    The QK circuit decides, from B and the source A alone; what attending to A does is the OV
    circuit's, from A alone. So if the head implements "A … B → C" and "A … B' → C'" (one
    source, two destinations, two outputs), it also implements "A … B → C'" and "A … B' → C",
    the paper's skip-trigram bugs ("keep … in → mind" and "keep … at → bay" bring
    "keep … in → bay"). Their scores, QK[B, A] + OV[A, C] as in ``top_skip_trigrams``, add up
    to the same total as the two originals'.

    For every pair i < j of the given rows (A, B, C) with A_i = A_j, B_i ≠ B_j and C_i ≠ C_j, in
    order of (i, j), return the crossed triples (A, B_i, C_j) and (A, B_j, C_i), in that order,
    [m, 3], and their scores [m], in W_E's dtype. Never build the d_vocab × d_vocab circuits:
    each score needs one row of W_E per token and one column of W_U.
    """
    ### BEGIN SOLUTION
    A, B, C = triples.unbind(-1)
    i, j = torch.triu_indices(len(triples), len(triples), offset=1, device=triples.device)
    keep = (A[i] == A[j]) & (B[i] != B[j]) & (C[i] != C[j])
    i, j = i[keep], j[keep]
    crossed = torch.stack([torch.stack([A[i], B[i], C[j]], -1), torch.stack([A[i], B[j], C[i]], -1)], 1)
    crossed = crossed.flatten(0, 1)
    a, b, c = crossed.unbind(-1)
    qk = ((W_E[b] @ W_Q[head]) * (W_E[a] @ W_K[head])).sum(-1) / math.sqrt(W_Q.shape[-1])
    ov = ((W_E[a] @ W_V[head] @ W_O[head]) * W_U[:, c].T).sum(-1)
    return crossed, qk + ov
    ### END SOLUTION
