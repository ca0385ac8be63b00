"""Checks for chapter "Composition: Q-, K- and V-composition and virtual heads"."""

import math

import torch

from autograder.checks import factored_product
from autograder.framework import SHAPES, Check, Shape, randn, too_large

#: A residual stream too wide for any d_model × d_model matrix to fit in the grader's
#: memory (one would take 14 GB in float32): only a factored computation passes it.
WIDE = Shape("d_model 60000", 10, batch=2, head=2, d_model=60000, d_head=3)
#: Cases too large for the products that the docstrings say never to build: a 4000 × 4000
#: matrix takes 64 MB in float32, twice what the case may allocate. Two positions keep
#: path_expansion's stored reference small.
LARGE_MODEL = too_large("d_model 4000", 11, d_model=4000, d_head=2)
LARGE_VOCAB = too_large("d_vocab 4000", 12, d_vocab=4000, pos=2)


def _factors(g: torch.Generator, *lead: int, d: int, r: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A factor pair (X [..., d, r], Y [..., r, d]) of a rank-r matrix, scaled like weights."""
    return randn(g, *lead, d, r, scale=d**-0.5), randn(g, *lead, r, d, scale=r**-0.5)


def _score_inputs(s: Shape, g: torch.Generator) -> dict:
    """W_A for each of `head` heads, W_B for each of `batch`: the scores broadcast to
    [batch, head]. B's rank differs from A's, so swapped factors cannot line up."""
    A1, A2 = _factors(g, s.head, d=s.d_model, r=s.d_head)
    B1, B2 = _factors(g, s.batch, 1, d=s.d_model, r=s.d_head + 1)
    return dict(A1=A1, A2=A2, B1=B1, B2=B2)


def _layers_inputs(s: Shape, g: torch.Generator) -> dict:
    """Two layers' weights; the later layer has one head more, so that [later, earlier]
    and [earlier, later] differ in shape."""
    V0, O0 = _factors(g, s.head, d=s.d_model, r=s.d_head)
    Q, K = _factors(g, s.head + 1, d=s.d_model, r=s.d_head)
    V, O = _factors(g, s.head + 1, d=s.d_model, r=s.d_head)
    return dict(W_V_earlier=V0, W_O_earlier=O0, W_Q_later=Q, W_K_later=K.mT, W_V_later=V, W_O_later=O)


def _baseline_inputs(s: Shape, g: torch.Generator) -> dict:
    A1, A2 = _factors(g, d=s.d_model, r=s.d_head)
    B1, B2 = _factors(g, d=s.d_model, r=s.d_head + 1)
    return dict(A1=A1, A2=A2, B1=B1, B2=B2, n_samples=3 + 7 * s.seed, seed=100 + s.seed)


def between_0_and_1(inputs, scores):
    s = scores.double()
    if torch.isnan(s).any():
        return "some scores are NaN"
    low, high = float(s.min()), float(s.max())
    if low < -1e-6 or high > 1 + 1e-4:
        return (
            f"composition scores lie in [0, 1], since ‖W_A W_B‖_F ≤ ‖W_A‖_F ‖W_B‖_F; yours range "
            f"from {low:.3g} to {high:.3g}"
        )
    return None


CHECKS = [
    Check("composition_score", _score_inputs, invariants=(between_0_and_1,), shapes=(*SHAPES, WIDE),
          hint="‖A1 A2 B1 B2‖_F / (‖A1 A2‖_F ‖B1 B2‖_F), each norm from small Gram matrices: "
          "‖X Y‖_F² = Σ (XᵀX) * (Y Yᵀ); never form a d_model × d_model matrix",
          never_build="a d_model × d_model matrix is 60000 × 60000 here (14 GB in float32): compute "
          "each norm from the Gram matrices of the factors (never build a d_model × d_model matrix)"),
    Check("composition_scores", _layers_inputs, shapes=(*SHAPES, WIDE),
          hint="W_A = W_V W_O of the earlier head; W_B = W_Q W_Kᵀ (Q), W_K W_Qᵀ (K), W_V W_O of "
          "the later head (V); the later head indexes the first axis"),
    Check("composition_baseline", _baseline_inputs, invariants=(between_0_and_1,),
          hint="one generator seeded with `seed`; draw A1, A2, B1, B2 in that order, each "
          "[n_samples, *shape] in float64 on the CPU, then average the scores"),
]  # fmt: skip


def _causal_patterns(g: torch.Generator, *lead: int, pos: int) -> torch.Tensor:
    scores = randn(g, *lead, pos, pos, scale=2.0)
    future = torch.ones(pos, pos, dtype=torch.bool).triu(diagonal=1)
    return scores.masked_fill(future, -math.inf).softmax(-1)


def _pattern_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(
        pattern_earlier=_causal_patterns(g, s.batch, s.head, pos=s.pos),
        pattern_later=_causal_patterns(g, s.batch, s.head + 1, pos=s.pos),
    )


def _ov_inputs(s: Shape, g: torch.Generator) -> dict:
    V0, O0 = _factors(g, s.head, d=s.d_model, r=s.d_head)
    V, O = _factors(g, s.head + 1, d=s.d_model, r=s.d_head)
    return dict(W_V_earlier=V0, W_O_earlier=O0, W_V_later=V, W_O_later=O)


def rows_sum_to_one(inputs, pattern):
    err = (pattern.double().sum(-1) - 1).abs().max()
    return (
        f"a virtual head's rows must sum to 1 (a product of patterns); off by up to {err:.3g}"
        if err > 1e-4
        else None
    )


def causal(inputs, pattern):
    future = pattern.double().triu(diagonal=1).abs().max()
    return (
        f"a virtual head attends to a later key with weight {future:.3g}; it must stay causal"
        if future > 1e-6
        else None
    )


CHECKS += [
    Check("virtual_patterns", _pattern_inputs, invariants=(rows_sum_to_one, causal),
          hint="A^{h²} A^{h¹}: the later head's pattern times the earlier head's, as [query, key] "
          "matrices, for every pair; the result is [batch, head_later, head_earlier, query, key]"),
    Check("virtual_ov", _ov_inputs, canonical=factored_product, shapes=(*SHAPES, LARGE_MODEL),
          never_build="a d_model × d_model matrix is 4000 × 4000 here: multiply the small W_O¹ W_V² "
          "first, then W_O² (never build a d_model × d_model product)",
          hint="row vectors: W_V¹ W_O¹ W_V² W_O², the earlier head first; return two thin factors "
          "whose product is that, [head_later, head_earlier, ...] each"),
]  # fmt: skip


def _expansion_inputs(s: Shape, g: torch.Generator) -> dict:
    """A two-layer model with non-zero biases and frozen causal patterns."""
    L, h, d, e, v = 2, s.head, s.d_model, s.d_head, s.d_vocab
    return dict(
        tokens=torch.randint(0, v, (s.batch, s.pos), generator=g),
        pattern_0=_causal_patterns(g, s.batch, h, pos=s.pos),
        pattern_1=_causal_patterns(g, s.batch, h, pos=s.pos),
        W_E=randn(g, v, d),
        W_V=randn(g, L, h, d, e, scale=d**-0.5), b_V=randn(g, L, h, e),
        W_O=randn(g, L, h, e, d, scale=(h * e) ** -0.5), b_O=randn(g, L, d),
        W_U=randn(g, d, v, scale=d**-0.5), b_U=randn(g, v),
    )  # fmt: skip


def frozen_forward(inputs) -> torch.Tensor:
    """The grader's own two-layer forward pass, with the given patterns."""
    i = {k: v.double() if v.is_floating_point() else v for k, v in inputs.items()}
    x = i["W_E"][i["tokens"]]
    for layer, pattern in enumerate((i["pattern_0"], i["pattern_1"])):
        v = torch.einsum("bpd,hde->bphe", x, i["W_V"][layer]) + i["b_V"][layer]
        z = torch.einsum("bhqk,bkhe->bqhe", pattern, v)
        x = x + torch.einsum("bqhe,hed->bqd", z, i["W_O"][layer]) + i["b_O"][layer]
    return x @ i["W_U"] + i["b_U"]


def paths_sum_to_the_logits(inputs, terms):
    err = (terms.double().sum(0) - frozen_forward(inputs)).abs().max()
    return f"the terms do not sum to the model's logits (off by {err:.3g})" if err > 1e-3 else None


def _contribution_inputs(s: Shape, g: torch.Generator) -> dict:
    Q, K = _factors(g, 2, d=s.d_model, r=s.d_head)
    return dict(
        components=randn(g, s.head + 3, s.batch, s.pos, s.d_model),
        W_Q=Q[0], b_Q=randn(g, s.d_head), W_K=K[1].mT, b_K=randn(g, s.d_head),
    )  # fmt: skip


def _scores(inputs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The head's scores (unmasked), its queries and its keys, from the summed components."""
    i = {k: v.double() for k, v in inputs.items()}
    x = i["components"].sum(0)
    q, k = x @ i["W_Q"] + i["b_Q"], x @ i["W_K"] + i["b_K"]
    return q @ k.mT / math.sqrt(q.shape[-1]), q, k


def key_side_sums(inputs, out):
    scores, q, _ = _scores(inputs)
    rest = (q @ inputs["b_K"].double())[..., None] / math.sqrt(q.shape[-1])
    err = (out[0].double().sum(0) + rest - scores).abs().max()
    return (
        f"the key-side terms (index 0) must sum to the scores minus q_i·b_K/√d_head (off by {err:.3g})"
        if err > 1e-3
        else None
    )


def query_side_sums(inputs, out):
    scores, _, k = _scores(inputs)
    rest = (k @ inputs["b_Q"].double())[..., None, :] / math.sqrt(k.shape[-1])
    err = (out[1].double().sum(0) + rest - scores).abs().max()
    return (
        f"the query-side terms (index 1) must sum to the scores minus b_Q·k_j/√d_head (off by {err:.3g})"
        if err > 1e-3
        else None
    )


def _lift_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(
        contributions=randn(g, s.head + 3, s.batch, s.pos, s.pos),
        offset=min(1 + s.seed % 3, s.pos - 1),
    )


CHECKS += [
    Check("path_expansion", _expansion_inputs, invariants=(paths_sum_to_the_logits,),
          shapes=(*(s for s in SHAPES if s.n_layers == 2), LARGE_VOCAB),
          never_build="a d_vocab × d_vocab matrix is 4000 × 4000 here: apply the matrices one at a "
          "time to x = W_E[tokens] (never build a product of weights)",
          hint="stack: x W_U; each layer-0 head A x W_OV W_U; each layer-1 head; each virtual head "
          "A¹ A⁰ x W_OV⁰ W_OV¹ W_U (later head major); then one term for every bias, layer 0's "
          "constant output passed through layer 1's OV circuits included"),
    Check("score_contributions", _contribution_inputs, invariants=(key_side_sums, query_side_sums),
          hint="key side: full query q_i dotted with c_j W_K; query side: c_i W_Q dotted with the "
          "full key k_j; both divided by √d_head, stacked keys first"),
    Check("offset_score_lift", _lift_inputs,
          hint="for each query i ≥ offset: the entry at key i − offset minus the mean over keys "
          "j ≤ i (not all keys), then the mean over queries and batch"),
]  # fmt: skip


def _term_inputs(s: Shape, g: torch.Generator) -> dict:
    """Random path terms (the last larger, like a direct path) and tokens, two positions at least."""
    pos = max(s.pos, 2)
    terms = randn(g, s.head + 3, s.batch, pos, s.d_vocab)
    terms[0] *= 3
    return dict(terms=terms, tokens=torch.randint(0, s.d_vocab, (s.batch, pos), generator=g))


CHECKS += [
    Check("term_importance", _term_inputs,
          hint="CE(full − terms[t]) − CE(full) for every t, with full = terms.sum(0) and CE the mean of "
          "−log softmax(logits[:, i])[tokens[:, i + 1]] over batch and positions i < pos − 1"),
]  # fmt: skip
