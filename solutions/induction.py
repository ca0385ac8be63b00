"""Chapter "Induction heads".

An induction head completes the pattern [a][b] … [a] → [b]: at a token a, it attends to the
token that followed a's previous occurrence and copies it. The minimal way to build one is
K-composition with a previous-token head: the earlier head writes "the token before me was
a" into every position, and the induction head's keys read it, so that the query "I am a"
matches. Its QK circuit matches same tokens, and its OV circuit copies.

Activations follow TransformerLens: patterns [layer, batch, head, query, key], hooks named
``blocks.{l}.attn.hook_result`` and so on. Row-vector convention: x @ W.
"""

import math

import einops
import torch
from jaxtyping import Complex, Float, Int
from torch import Tensor

from course.exercise import exercise
from course.model import AttnOnlyTransformer


@exercise(
    difficulty=1,
    importance=3,
    minutes=10,
    hints=(
        "idx = torch.randint(0, len(pool), (batch, period), generator=g) picks the tokens; "
        "einops.repeat(seq, 'b p -> b (r p)', r=n_repeats) tiles them.",
    ),
)
def repeated_random_tokens(
    pool: Int[Tensor, "n_pool"], batch: int, period: int, n_repeats: int, bos_id: int, seed: int
) -> Int[Tensor, "batch seq"]:
    """Random sequences of ``period`` tokens drawn from ``pool``, each repeated ``n_repeats``
    times, after a BOS token: [batch, 1 + period · n_repeats].

    Only in-context learning can predict the repeats: the tokens are random, so no bigram
    statistics help. Draw from frequent tokens (the pool): a token the corpus never contains
    has an untrained embedding. To be graded exactly, draw the indices into the pool on the
    CPU with g = torch.Generator().manual_seed(seed) and
    torch.randint(0, len(pool), (batch, period), generator=g); return the tokens on the
    pool's device.
    """
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, len(pool), (batch, period), generator=g)
    seq = pool[index.to(pool.device)]
    bos = torch.full((batch, 1), bos_id, dtype=pool.dtype, device=pool.device)
    return torch.cat([bos, einops.repeat(seq, "b p -> b (r p)", r=n_repeats)], dim=1)
    ### END SOLUTION


@exercise(
    difficulty=1,
    importance=4,
    minutes=10,
    hints=("Position i predicts token i + 1: pair logits[:, :-1] with tokens[:, 1:].",),
)
def per_token_loss(
    logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "batch pos_minus_1"]:
    """The cross-entropy of each prediction: at position i, the model predicts t_{i+1}, so

    loss[b, i] = −log softmax(logits[b, i])[t_{b, i+1}]   for i < pos − 1.

    Averaged over the batch, it shows where in a sequence the model predicts well: on a
    repeated random sequence, an induction head makes the second half cheap.
    """
    ### BEGIN SOLUTION
    log_probs = logits[:, :-1].log_softmax(dim=-1)
    return -log_probs.gather(-1, tokens[:, 1:, None])[..., 0]
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=5,
    minutes=20,
    hints=(
        "pattern.diagonal(offset=-d, dim1=-2, dim2=-1) holds the weights from query i to key i − d, "
        "for queries i ≥ d.",
        "Position i ≥ 1 holds the sequence's token (i − 1) mod period: a token's previous occurrence "
        "exists from query period + 1 on.",
    ),
)
def head_scores(
    pattern: Float[Tensor, "layer batch head query key"], period: int
) -> tuple[Float[Tensor, "layer head"], Float[Tensor, "layer head"], Float[Tensor, "layer head"]]:
    """Three scores of every head, read from its attention patterns on BOS followed by a
    random sequence of ``period`` tokens repeated (so position i ≥ 1 holds token
    (i − 1) mod period). Each is a mean attention weight over the batch and the queries:

    previous-token:  query i to key i − 1,           over queries i ≥ 1;
    duplicate-token: query i to key i − period,      over queries i ≥ period + 1
                     (the previous occurrence of the same token);
    induction:       query i to key i − period + 1,  over queries i ≥ period + 1
                     (the token after the previous occurrence).

    Return (previous-token, duplicate-token, induction), each [layer, head].
    """

    ### BEGIN SOLUTION
    def mean_at(offset: int, first_query: int) -> Tensor:
        diagonal = pattern.diagonal(offset=-offset, dim1=-2, dim2=-1)  # queries i ≥ offset
        return diagonal[..., first_query - offset :].mean(dim=(1, -1))

    return mean_at(1, 1), mean_at(period, period + 1), mean_at(period - 1, period + 1)
    ### END SOLUTION


@exercise(
    difficulty=1,
    importance=3,
    minutes=5,
    hints=("Average each position's loss over the batch, then subtract.",),
)
def in_context_learning_score(loss: Float[Tensor, "batch pos"], early: int, late: int) -> Float[Tensor, ""]:
    """Olsson et al.'s in-context learning score: the mean loss at a late position minus the
    mean loss at an early one,

    ICL = mean_b loss[b, late] − mean_b loss[b, early].

    It is negative when later tokens are predicted better because there is more context;
    it drops sharply when induction heads form. (Olsson et al. use the 500th and the 50th
    token; the zoo's context is 128.)
    """
    ### BEGIN SOLUTION
    return loss[:, late].mean() - loss[:, early].mean()
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=4,
    minutes=30,
    hints=(
        "A hook on f'blocks.{layer}.attn.hook_result' receives [batch, pos, head, d_model]; return "
        "a changed copy (result.clone()), with head h's slice replaced.",
        "model.run_with_hooks(tokens, fwd_hooks=[(name, fn)]) runs with the hook attached; "
        "compare the mean of your per_token_loss with the clean run's.",
    ),
)
def ablation_loss_increase(
    model: AttnOnlyTransformer, tokens: Int[Tensor, "batch pos"], mean: bool
) -> Float[Tensor, "layer head"]:
    """How much the loss rises when one head is knocked out, for every head: the mean of
    ``per_token_loss`` over every prediction with head (l, h) ablated, minus the same mean
    without ablation.

    Ablate a head by replacing its result r^h W_O^h (``hook_result``) with zeros, or, with
    ``mean``, with its mean over the batch at each position, which keeps what the head
    writes on average and removes only what depends on the sequence. Use the model's hooks;
    the weights stay untouched.
    """

    ### BEGIN SOLUTION
    def ablate(head: int):
        def hook(result: Tensor, hook) -> Tensor:
            result = result.clone()
            part = result[:, :, head]
            result[:, :, head] = part.mean(0, keepdim=True) if mean else torch.zeros_like(part)
            return result

        return hook

    with torch.no_grad():
        clean = per_token_loss(model(tokens), tokens).mean()
        increase = torch.zeros(model.cfg.n_layers, model.cfg.n_heads, dtype=clean.dtype, device=clean.device)
        for layer in range(model.cfg.n_layers):
            for head in range(model.cfg.n_heads):
                hooks = [(f"blocks.{layer}.attn.hook_result", ablate(head))]
                logits = model.run_with_hooks(tokens, fwd_hooks=hooks)
                increase[layer, head] = per_token_loss(logits, tokens).mean() - clean
    return increase
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "Queries and keys from positions alone: W_pos @ W_Q + b_Q and W_pos @ W_K + b_K, for every head.",
        "Causal mask, softmax over keys, then the mean of the diagonal just below the main one.",
    ),
)
def positional_previous_token_scores(
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    b_Q: Float[Tensor, "head d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    b_K: Float[Tensor, "head d_head"],
) -> Float[Tensor, "head"]:
    """Find the previous-token head from the weights alone. With shortformer positions,
    positions enter a first-layer head's queries and keys but never its values; the part
    of its pattern that positions decide is the causal softmax of

    (W_pos[i] W_Q + b_Q) · (W_pos[j] W_K + b_K) / √d_head   over keys j ≤ i,

    tokens left out. Return each head's previous-token score on that pattern: the mean
    weight from position i to i − 1, over i = 1 … n_ctx − 1.
    """
    ### BEGIN SOLUTION
    q = einops.einsum(W_pos, W_Q, "p d, h d e -> h p e") + b_Q[:, None]
    k = einops.einsum(W_pos, W_K, "p d, h d e -> h p e") + b_K[:, None]
    scores = q @ k.mT / math.sqrt(W_Q.shape[-1])
    n = W_pos.shape[0]
    future = torch.ones(n, n, dtype=torch.bool, device=W_pos.device).triu(diagonal=1)
    pattern = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=5,
    minutes=20,
    hints=(
        "The key at position j holds (roughly) W_E[t_{j−1}] W_OV^{prev} once the previous-token "
        "head has written; the induction head's key reads it with W_K.",
        "left = W_E W_Q / √d_head; right = (W_E W_V^{prev} (W_O^{prev} W_K))ᵀ. Group the products "
        "so that no d_vocab × d_vocab or d_model × d_model matrix appears.",
    ),
)
def induction_qk_circuit(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V_prev: Float[Tensor, "d_model d_head"],
    W_O_prev: Float[Tensor, "d_head d_model"],
    W_Q_ind: Float[Tensor, "d_model d_head"],
    W_K_ind: Float[Tensor, "d_model d_head"],
) -> tuple[Float[Tensor, "d_vocab d_head"], Float[Tensor, "d_head d_vocab"]]:
    """The full circuit from the previous-token head into the induction head's keys, as
    factors (left, right) of a d_vocab × d_vocab matrix:

    C[a, b] = W_E[a] W_Q^{ind} · (W_E[b] W_V^{prev} W_O^{prev} W_K^{ind}) / √d_head,

    the attention score that a query token a gives to a key whose previous token was b,
    through K-composition (the previous-token head attending fully to the previous token).
    For an induction head it should peak on the diagonal: "I am a" matches "the token
    before me was a". Only the product is graded; never build it, nor any other
    d_vocab × d_vocab or d_model × d_model matrix.

    Scaled by 1/sqrt(d_head), as ``qk_circuit_row`` is and the low-rank chapter's
    ``full_qk_circuit`` is not: C's entries are then the attention logits the softmax
    sees, comparable with the positional scores of ``positional_previous_token_scores``.
    """
    ### BEGIN SOLUTION
    left = W_E @ W_Q_ind / math.sqrt(W_Q_ind.shape[-1])
    right = (W_E @ W_V_prev @ (W_O_prev @ W_K_ind)).T
    return left, right
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "Only the rows and columns of ``tokens`` are needed: left[tokens] @ right[:, tokens] is n × n.",
        "Compare each row's argmax with its own index, torch.arange(n).",
    ),
)
def diagonal_top1_rate(
    left: Float[Tensor, "d_vocab r"], right: Float[Tensor, "r d_vocab"], tokens: Int[Tensor, "n"]
) -> Float[Tensor, ""]:
    """How often a token circuit M = left @ right prefers a token itself: among the given
    (distinct) ``tokens``, the share of tokens t whose row M[t, tokens] is largest at t.

    For an induction head's QK circuit through the previous-token head, that is
    same-token matching; for an OV circuit W_E W_OV W_U, it is copying. Restricted to
    frequent tokens, rows and columns never seen in training do not blur the answer. Build
    only the n × n block: never build the d_vocab × d_vocab matrix. Return the share in the
    inputs' dtype.
    """
    ### BEGIN SOLUTION
    block = left[tokens] @ right[:, tokens]
    hits = block.argmax(dim=-1) == torch.arange(len(tokens), device=tokens.device)
    return hits.to(left.dtype).mean()
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=5,
    minutes=25,
    hints=(
        "C = A B with A = W_E W_Q^h [d_vocab, d_head] and B = (W_E W_V^p W_O^p W_K^h)ᵀ [d_head, d_vocab]; "
        "its non-zero eigenvalues are those of the d_head × d_head matrix B A.",
        "B A = (W_O^p W_K^h)ᵀ W_V^pᵀ (W_Eᵀ W_E) W_Q^h: W_Eᵀ W_E is only d_model × d_model. Put the later "
        "heads on the first batch axis and the earlier ones on the second, e.g. W_Q_later[:, None] "
        "and W_V_earlier[None].",
    ),
)
def k_composition_eigenvalues(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V_earlier: Float[Tensor, "head_earlier d_model d_head"],
    W_O_earlier: Float[Tensor, "head_earlier d_head d_model"],
    W_Q_later: Float[Tensor, "head_later d_model d_head"],
    W_K_later: Float[Tensor, "head_later d_model d_head"],
) -> Complex[Tensor, "head_later head_earlier d_head"]:
    """The eigenvalues of the K-composition term of every later head's QK circuit through
    every earlier head, the token-to-token matrix (row form, 1/√d_head left out)

    C^{h,p} = W_E W_Q^h (W_E W_V^p W_O^p W_K^h)ᵀ   [d_vocab, d_vocab]:

    entry (a, b) is how much a query token a attends to a key at which the earlier head p
    wrote token b (for a previous-token head p: a key whose previous token was b). C has
    rank at most d_head, so return the d_head eigenvalues that can be non-zero, those of
    the small matrix B A where C = A B, as [head_later, head_earlier, d_head] complex, in any
    order (the grader sorts them). Never build the d_vocab × d_vocab matrix: the grader
    has a vocabulary of 200,000 tokens.
    """
    ### BEGIN SOLUTION
    gram = W_E.T @ W_E  # [d_model, d_model]
    query = gram @ W_Q_later  # W_Eᵀ W_E W_Q^h: [head_later, d_model, d_head]
    read = W_O_earlier[None] @ W_K_later[:, None]  # W_O^p W_K^h: [later, earlier, d_head, d_head]
    small = read.mT @ (W_V_earlier.mT[None] @ query[:, None])  # B A: [later, earlier, d_head, d_head]
    return torch.linalg.eigvals(small)
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=(
        "Reuse k_composition_eigenvalues; Re(Σ λ) / Σ |λ| over the last axis.",
        "The numerator is the trace of B A, so the real part of the sum is all there is.",
    ),
)
def k_composition_scores(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_V_earlier: Float[Tensor, "head_earlier d_model d_head"],
    W_O_earlier: Float[Tensor, "head_earlier d_head d_model"],
    W_Q_later: Float[Tensor, "head_later d_model d_head"],
    W_K_later: Float[Tensor, "head_later d_model d_head"],
) -> Float[Tensor, "head_later head_earlier"]:
    """How much each later head's K-composition term through each earlier head matches
    same tokens, from the eigenvalues λ of C^{h,p} = W_E W_Q^h (W_E W_V^p W_O^p W_K^h)ᵀ:

    score = Re(Σ λ) / Σ |λ|,   in [−1, 1],

    the copying score of the eigenvalues chapter, applied to a QK circuit. Near +1, query
    token a attends to keys whose previous token was a (through a previous-token head p):
    the QK half of an induction head. Never build the d_vocab × d_vocab matrix.
    """
    ### BEGIN SOLUTION
    eigenvalues = k_composition_eigenvalues(W_E, W_V_earlier, W_O_earlier, W_Q_later, W_K_later)
    return eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=5,
    minutes=20,
    hints=(
        "The previous-token head p is the argmax of your positional_previous_token_scores on layer 0; "
        "the QK score is k_composition_scores(...)[:, p] with layer 0 earlier and layer 1 later.",
        "The OV circuit W_E W_V^h W_O^h W_U shares its non-zero eigenvalues with the d_head × d_head "
        "W_O^h (W_U W_E) W_V^h. Return torch.minimum of the two scores.",
    ),
)
def induction_scores_from_weights(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_Q: Float[Tensor, "2 head d_model d_head"],
    b_Q: Float[Tensor, "2 head d_head"],
    W_K: Float[Tensor, "2 head d_model d_head"],
    b_K: Float[Tensor, "2 head d_head"],
    W_V: Float[Tensor, "2 head d_model d_head"],
    W_O: Float[Tensor, "2 head d_head d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
) -> Float[Tensor, "head"]:
    """Find the induction heads of a two-layer model (shortformer positions) from its
    weights alone, with eigenvalues. For every layer-1 head h, two scores in [−1, 1]:

    QK: the K-composition score of h through the previous-token head p, the layer-0 head
        with the highest ``positional_previous_token_scores``: does h match same tokens?
    OV: the copying score Re(Σ λ) / Σ |λ| of h's full OV circuit W_E W_V^h W_O^h W_U:
        does attending to b raise the logit of b?

    An induction head needs both, so return their minimum, [head]. Never build the
    d_vocab × d_vocab matrix of either circuit.
    """
    ### BEGIN SOLUTION
    prev = int(positional_previous_token_scores(W_pos, W_Q[0], b_Q[0], W_K[0], b_K[0]).argmax())
    qk = k_composition_scores(W_E, W_V[0, prev : prev + 1], W_O[0, prev : prev + 1], W_Q[1], W_K[1])[:, 0]
    eigenvalues = torch.linalg.eigvals(W_O[1] @ (W_U @ W_E) @ W_V[1])  # [head, d_head]
    ov = eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)
    return torch.minimum(qk, ov)
    ### END SOLUTION


@exercise(
    difficulty=5,
    importance=5,
    minutes=60,
    hints=(
        "Give the residual stream three one-hot blocks: tokens (W_E, given), positions (your W_pos), "
        "and a free block where layer 0 writes the previous token. Layer 0: the query of position i "
        "and the key of position i − 1 match on the position block; values copy the token block "
        "into the free block.",
        "Layer 1: queries read the token block, keys read the previous-token block, with the same "
        "one-hot basis; values copy the token, and W_O writes it strongly (×10) where W_U reads. "
        "Scale queries and keys so that a matching score is about 30 after the 1/√d_head.",
    ),
)
def induction_head_weights(
    W_E: Float[Tensor, "d_vocab d_model"], n_ctx: int, d_head: int
) -> tuple[
    Float[Tensor, "n_ctx d_model"],
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_head d_model"],
    Float[Tensor, "d_model d_vocab"],
]:
    """An induction head built by hand, with no training: every weight of a two-layer
    attention-only model with one head per layer, standard positions (W_pos is added to
    the residual stream) and all biases zero. The token embedding is given: W_E[t] is the
    basis vector e_t, so the first d_vocab dimensions of the residual stream are one-hot
    tokens and the rest is yours; d_model ≥ 2·d_vocab + n_ctx and d_head ≥ max(d_vocab, n_ctx).

    Return (W_pos, W_Q, W_K, W_V, W_O, W_U), the layer weights stacked as TransformerLens
    stacks them ([layer, head, ...]), in W_E's dtype and on its device. The grader runs the
    model on random sequences of distinct tokens repeated twice, unseen by you, and
    requires that it predict at least 95% of the second repeat's next tokens (top-1): layer
    0 must be a previous-token head, and layer 1 must K-compose with it and copy.
    """
    ### BEGIN SOLUTION
    V, d_model = W_E.shape
    tok, pos, prev = 0, V, V + n_ctx  # where each one-hot block starts
    scale = math.sqrt(30 * math.sqrt(d_head))  # a match scores scale² / √d_head = 30

    def zeros(*shape: int) -> Tensor:
        return torch.zeros(shape, dtype=W_E.dtype, device=W_E.device)

    W_pos = zeros(n_ctx, d_model)
    W_pos[:, pos : pos + n_ctx] = torch.eye(n_ctx, dtype=W_E.dtype, device=W_E.device)
    W_Q, W_K, W_V = zeros(2, 1, d_model, d_head), zeros(2, 1, d_model, d_head), zeros(2, 1, d_model, d_head)
    W_O = zeros(2, 1, d_head, d_model)
    tokens, positions = torch.arange(V, device=W_E.device), torch.arange(n_ctx, device=W_E.device)
    # Layer 0, a previous-token head: query i matches key i − 1; it moves the token into the
    # previous-token block.
    W_Q[0, 0, pos + positions, positions] = scale
    W_K[0, 0, pos + positions[:-1], positions[:-1] + 1] = scale
    W_V[0, 0, tok + tokens, tokens] = 1.0
    W_O[0, 0, tokens, prev + tokens] = 1.0
    # Layer 1, an induction head: the query's token matches the key's previous token; it
    # copies the key's token, strongly, into the token block, which W_U reads.
    W_Q[1, 0, tok + tokens, tokens] = scale
    W_K[1, 0, prev + tokens, tokens] = scale
    W_V[1, 0, tok + tokens, tokens] = 1.0
    W_O[1, 0, tokens, tok + tokens] = 10.0
    W_U = zeros(d_model, V)
    W_U[tok + tokens, tokens] = 1.0
    return W_pos, W_Q, W_K, W_V, W_O, W_U
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=3,
    minutes=15,
    hints=(
        "ω_f = 2π f / (2·n_freq + 1) for f = 1 … n_freq; angles = positions[:, None] · ω[None]; "
        "interleave cos and sin with torch.stack([cos, sin], -1).flatten(-2).",
        "In row form [cos θ, sin θ] @ [[cos ω, sin ω], [−sin ω, cos ω]] = [cos(θ + ω), sin(θ + ω)]; "
        "torch.block_diag(*blocks) puts the 2 × 2 blocks on the diagonal.",
    ),
)
def sinusoidal_positions(
    positions: Float[Tensor, "n_ctx"], n_freq: int
) -> tuple[Float[Tensor, "n_ctx d_pos"], Float[Tensor, "d_pos d_pos"]]:
    """Rotated sinusoidal positions: with N = 2·n_freq + 1 and ω_f = 2π f / N,

    W_pos[i] = (cos ω_1 p_i, sin ω_1 p_i, cos ω_2 p_i, sin ω_2 p_i, …, cos ω_F p_i, sin ω_F p_i)

    for the positions p_i given, d_pos = 2·n_freq; and the rotation R [d_pos, d_pos] that
    moves every position one step on, W_pos[i] R = the embedding of p_i + 1: one 2 × 2
    rotation by ω_f per frequency, in the row-vector convention. A linear map can then do
    arithmetic on positions. With these frequencies, W_pos[i] · W_pos[j] = Σ_f cos ω_f (p_i − p_j)
    is n_freq when p_i = p_j and −1/2 for any other pair less than N apart. Return both in
    the positions' dtype and on their device.
    """
    ### BEGIN SOLUTION
    f = torch.arange(1, n_freq + 1, dtype=positions.dtype, device=positions.device)
    omega = 2 * math.pi * f / (2 * n_freq + 1)
    angles = positions[:, None] * omega[None]
    W_pos = torch.stack([angles.cos(), angles.sin()], dim=-1).flatten(-2)
    c, s = omega.cos(), omega.sin()
    blocks = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)  # [n_freq, 2, 2]
    return W_pos, torch.block_diag(*blocks)
    ### END SOLUTION


@exercise(
    difficulty=5,
    importance=4,
    minutes=60,
    hints=(
        "Layer 0, a duplicate-token head: queries and keys match on the token block (one-hot), and the "
        "position block subtracts the match of a position with itself (W_pos[i] · W_pos[i] = n_freq, "
        "any other pair −1/2), so a token finds its previous occurrence, not itself. Its values read the "
        "position block; its W_O writes it, times R, into the free block.",
        "Layer 1: the query reads the free block (where the previous occurrence's position + 1 now is), "
        "the key reads its own position block; values copy the token, ×10, into the token block, which "
        "W_U reads. Scale so that a match scores about 30 after 1/√d_head.",
    ),
)
def pointer_induction_head_weights(
    W_E: Float[Tensor, "d_vocab d_model"], W_pos: Float[Tensor, "n_ctx d_model"], n_freq: int, d_head: int
) -> tuple[
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_model d_head"],
    Float[Tensor, "2 1 d_head d_model"],
    Float[Tensor, "d_model d_vocab"],
]:
    """An induction head by pointer arithmetic, the paper's alternative to K-composition: no
    previous-token head. A two-layer attention-only model, one head per layer, standard
    positions, biases zero. The residual stream has three blocks: one-hot tokens in its first
    d_vocab dimensions (W_E[t] = e_t, given), the rotated sinusoids of ``sinusoidal_positions``
    with ``n_freq`` frequencies in the next 2·n_freq (W_pos, given; 2·n_freq + 1 ≥ n_ctx), and a
    free block of 2·n_freq. d_head ≥ d_vocab + 2·n_freq.

    Layer 0 attends from each token to its previous occurrence and writes that occurrence's
    position moved one step on (times R); layer 1's query reads it and attends to the key at that
    position, the token after the previous occurrence (Q-composition), and copies it. Return
    (W_Q, W_K, W_V, W_O, W_U), stacked [layer, head, ...], in W_E's dtype and on its device. The
    grader runs the model on random sequences of distinct tokens repeated twice and requires that
    at least 95% of the second repeat's queries put their largest layer-1 weight on the right key,
    and that the model predict at least 95% of the second repeat's next tokens.
    """
    ### BEGIN SOLUTION
    V, d_model = W_E.shape
    d_pos = 2 * n_freq
    tok, pos, free = 0, V, V + d_pos  # where each block starts
    like = dict(dtype=W_E.dtype, device=W_E.device)
    _, R = sinusoidal_positions(torch.zeros(1, **like), n_freq)
    eye_pos = torch.eye(d_pos, **like)
    # Layer 0's score: s² · ([same token] − [same position] · 2 / (2 n_freq + 1)) / √d_head.
    s0 = math.sqrt(30 * math.sqrt(d_head))
    s1 = math.sqrt(30 * math.sqrt(d_head) / n_freq)  # a position match scores s1² · n_freq
    W_Q, W_K = torch.zeros(2, 1, d_model, d_head, **like), torch.zeros(2, 1, d_model, d_head, **like)
    W_V, W_O = torch.zeros(2, 1, d_model, d_head, **like), torch.zeros(2, 1, d_head, d_model, **like)
    tokens = torch.arange(V, device=W_E.device)
    # Layer 0, a duplicate-token head that writes the next position of what it found.
    W_Q[0, 0, tok + tokens, tokens] = s0
    W_K[0, 0, tok + tokens, tokens] = s0
    W_Q[0, 0, pos : pos + d_pos, V : V + d_pos] = s0 * eye_pos
    W_K[0, 0, pos : pos + d_pos, V : V + d_pos] = -s0 * eye_pos * 2 / (2 * n_freq + 1)
    W_V[0, 0, pos : pos + d_pos, :d_pos] = eye_pos
    W_O[0, 0, :d_pos, free : free + d_pos] = R
    # Layer 1, the pointer-arithmetic head: "position + 1 of my previous occurrence" matches
    # the key's own position; it copies that key's token, strongly.
    W_Q[1, 0, free : free + d_pos, :d_pos] = s1 * eye_pos
    W_K[1, 0, pos : pos + d_pos, :d_pos] = s1 * eye_pos
    W_V[1, 0, tok + tokens, tokens] = 1.0
    W_O[1, 0, tokens, tok + tokens] = 10.0
    W_U = torch.zeros(d_model, V, **like)
    W_U[tok + tokens, tokens] = 1.0
    return W_Q, W_K, W_V, W_O, W_U
    ### END SOLUTION
