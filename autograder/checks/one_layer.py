"""Checks for chapter "One-layer models: path expansion and skip-trigrams"."""

import torch

from autograder.framework import SHAPES, Check, Shape, randn, too_large

_LAYER = ("W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O")
_ZOO = Shape("the zoo's attn-only-1l", 9, batch=1, pos=8, zoo="attn-only-1l")
#: A vocabulary too large for the d_vocab × d_vocab circuits that the docstrings say never
#: to build: one takes 64 MB in float32, twice what the case may allocate.
_LARGE = too_large("d_vocab 4000", 12, d_vocab=4000)
_NEVER = "a d_vocab × d_vocab matrix is 4000 × 4000 here"


def _model(s: Shape, g: torch.Generator) -> dict:
    """A one-layer model's weights (layer 0's, unstacked) and tokens: random, with
    non-zero biases, standard positions on even seeds and shortformer on odd ones; or
    the zoo's model."""
    if s.zoo:
        from course import zoo

        model = zoo.load(s.zoo, dtype=torch.float64)
        weights = {n: getattr(model, n).detach() for n in ("W_E", "W_pos", "W_U", "b_U")}
        weights |= {n: getattr(model, n)[0].detach() for n in _LAYER}
        return dict(
            tokens=torch.randint(0, model.cfg.d_vocab, (s.batch, s.pos), generator=g),
            **weights,
            shortformer=model.cfg.positional_embedding_type == "shortformer",
        )
    h, d, e, v = s.head, s.d_model, s.d_head, s.d_vocab
    return dict(
        tokens=torch.randint(0, v, (s.batch, s.pos), generator=g),
        W_E=randn(g, v, d),
        W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, h, d, e, scale=d**-0.5), b_Q=randn(g, h, e),
        W_K=randn(g, h, d, e, scale=d**-0.5), b_K=randn(g, h, e),
        W_V=randn(g, h, d, e, scale=d**-0.5), b_V=randn(g, h, e),
        W_O=randn(g, h, e, d, scale=(h * e) ** -0.5), b_O=randn(g, d),
        W_U=randn(g, d, v, scale=d**-0.5), b_U=randn(g, v),
        shortformer=s.seed % 2 == 1,
    )  # fmt: skip


def _pick(*names: str):
    def inputs(s: Shape, g: torch.Generator) -> dict:
        full = _model(s, g)
        return {n: full[n] for n in names}

    return inputs


def _causal_pattern(s: Shape, g: torch.Generator) -> torch.Tensor:
    scores = randn(g, s.batch, s.head, s.pos, s.pos, scale=2.0)
    future = torch.ones(s.pos, s.pos, dtype=torch.bool).triu(diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(-1)


def _frozen(s: Shape, g: torch.Generator) -> dict:
    names = ("tokens", "W_E", "W_pos", "W_V", "b_V", "W_O", "b_O", "W_U", "b_U", "shortformer")
    inputs = _pick(*names)(s, g)
    return dict(inputs, pattern=_causal_pattern(s, g))


def _residual(inputs) -> torch.Tensor:
    x = inputs["W_E"].double()[inputs["tokens"]]
    return x if inputs["shortformer"] else x + inputs["W_pos"].double()[: x.shape[1]]


def first_position_sees_itself(inputs, logits):
    """At the first position every head attends to that position alone, whatever the
    pattern: the logits there are the one-token model's."""
    x0 = _residual(inputs)[:, 0]
    W_U = inputs["W_U"].double()
    values = torch.einsum("bd,hde->bhe", x0, inputs["W_V"].double()) + inputs["b_V"].double()
    heads = torch.einsum("bhe,hed->bd", values, inputs["W_O"].double())
    want = (x0 + heads + inputs["b_O"].double()) @ W_U + inputs["b_U"].double()
    err = (logits.double()[:, 0] - want).abs().max()
    return (
        f"at position 0 every head attends to position 0 alone, so the logits there are "
        f"(x_0 + Σ_h (x_0 W_V^h + b_V^h) W_O^h + b_O) W_U + b_U; yours are off by {err:.3g}"
        if err > 1e-3
        else None
    )


def terms_sum_to_the_model(inputs, terms):
    """The course's own one-layer model, with the same weights, is the ground truth."""
    from course.model import AttnOnlyTransformer, ModelConfig

    W_Q = inputs["W_Q"]
    cfg = ModelConfig(
        n_layers=1, d_model=W_Q.shape[1], n_heads=W_Q.shape[0], d_head=W_Q.shape[2],
        d_vocab=inputs["W_E"].shape[0], n_ctx=inputs["W_pos"].shape[0],
        positional_embedding_type="shortformer" if inputs["shortformer"] else "standard",
    )  # fmt: skip
    model = AttnOnlyTransformer(cfg, seed=None).double()
    state = {"embed.W_E": inputs["W_E"], "pos_embed.W_pos": inputs["W_pos"], "unembed.W_U": inputs["W_U"],
             "unembed.b_U": inputs["b_U"]}  # fmt: skip
    state |= {f"blocks.0.attn.{n}": inputs[n] for n in _LAYER}
    model.load_state_dict({k: v.double() for k, v in state.items()})
    with torch.no_grad():
        err = (model(inputs["tokens"]) - terms.double().sum(2)).abs().max()
    return f"your terms do not sum to the model's logits (off by {err:.3g})" if err > 1e-3 else None


CHECKS = [
    Check("direct_path_logits", _pick("tokens", "W_E", "W_pos", "W_U", "b_U", "shortformer"),
          hint="x_i W_U + b_U with x_i = W_E[t_i], plus W_pos[i] only with standard positions"),
    Check("frozen_pattern_logits", _frozen, invariants=(first_position_sees_itself,), shapes=(*SHAPES, _LARGE),
          never_build=f"{_NEVER}: move the values with the pattern, then apply W_O^h and W_U to the "
          "result (never build a d_vocab × d_vocab matrix)",
          hint="the direct path plus, for every head, Σ_j A^h[i, j] (x_j W_V^h + b_V^h) W_O^h W_U, plus b_O W_U"),
    Check("path_expansion", _model, invariants=(terms_sum_to_the_model,), shapes=(*SHAPES, _ZOO),
          hint="compute the patterns from W_E[t] + W_pos, then stack [direct + b_O W_U, head 0, head 1, …] "
          "along axis 2"),
]  # fmt: skip


def _circuit(*names: str):
    """One head's circuit row: the weights, a head and a token that vary with the seed."""

    def inputs(s: Shape, g: torch.Generator) -> dict:
        full = _model(s, g)
        return dict({n: full[n] for n in names}, head=s.seed % s.head, token=(3 * s.seed + 1) % s.d_vocab)

    return inputs


def _trigrams(s: Shape, g: torch.Generator) -> dict:
    full = _model(s, g)
    weights = {n: full[n] for n in ("W_E", "W_Q", "W_K", "W_V", "W_O", "W_U")}
    if s.zoo:
        return dict(weights, head=1, k=8, chunk=256)
    if s.memory:  # a never-build case: k = 1 and 63 chunks keep its d_vocab² candidates cheap
        return dict(weights, head=s.seed % s.head, k=1, chunk=64)
    return dict(weights, head=s.seed % s.head, k=3 + s.seed % 4, chunk=3)


def _triples(s: Shape, g: torch.Generator) -> dict:
    n = s.batch * s.pos
    triples = torch.randint(0, s.d_vocab, (n, 3), generator=g)
    copies = torch.rand(n, generator=g) < 0.4
    triples[copies, 2] = triples[copies, 0]
    return dict(triples=triples)


CHECKS += [
    Check("qk_circuit_row", _circuit("W_E", "W_Q", "W_K"), shapes=(*SHAPES, _LARGE),
          never_build=f"{_NEVER}: compute the query of the one token, then score it against every key "
          "(never build the full d_vocab × d_vocab circuit)",
          hint="row[A] = (W_E[token] W_Q^h) · (W_E[A] W_K^h) / sqrt(d_head): the token is the query"),
    Check("ov_circuit_row", _circuit("W_E", "W_V", "W_O", "W_U"),
          hint="W_E[token] @ W_V[head] @ W_O[head] @ W_U: the token is the source the head attends to"),
    Check("top_skip_trigrams", _trigrams, shapes=(*SHAPES, _ZOO, _LARGE),
          never_build=f"{_NEVER}: read both circuits `chunk` rows at a time, keeping the best k "
          "(never build either circuit)",
          hint="score(A, B, C) = QK[B, A] + OV[A, C] with QK scaled by 1/sqrt(d_head); rows are (A, B, C), "
          "best first"),
    Check("copying_share", _triples, hint="count the rows whose output C equals their source A"),
]  # fmt: skip


def _bug_inputs(s: Shape, g: torch.Generator) -> dict:
    """A head's weights and skip-trigrams whose sources come from a few tokens, so that many
    pairs share one."""
    h, d, e, v = s.head, s.d_model, s.d_head, s.d_vocab
    n = 4 + s.batch * s.pos
    sources = torch.randint(0, v, (3,), generator=g)
    triples = torch.stack([sources[torch.randint(0, 3, (n,), generator=g)],
                           torch.randint(0, v, (n,), generator=g), torch.randint(0, v, (n,), generator=g)], -1)  # fmt: skip
    return dict(
        triples=triples, W_E=randn(g, v, d),
        W_Q=randn(g, h, d, e, scale=d**-0.5), W_K=randn(g, h, d, e, scale=d**-0.5),
        W_V=randn(g, h, d, e, scale=d**-0.5), W_O=randn(g, h, e, d, scale=(h * e) ** -0.5),
        W_U=randn(g, d, v, scale=d**-0.5), head=s.seed % s.head,
    )  # fmt: skip


#: A vocabulary of 200,000 tokens: one head's d_vocab × d_vocab circuit takes 320 GB in float64.
_BUGS_DENSE = (
    "its d_vocab × d_vocab circuits (200000 × 200000 in this case) do not fit in memory: read the "
    "circuits a few rows at a time from their factors (never build either)"
)
WIDE_VOCAB = Shape("d_vocab 200000", 10, batch=2, pos=6, head=2, d_head=3, d_vocab=200_000)

CHECKS += [
    Check("skip_trigram_bugs", _bug_inputs, never_build=_BUGS_DENSE, shapes=(*SHAPES, WIDE_VOCAB),
          hint="pairs i < j (torch.triu_indices) with the same A and different B and C; rows (A, B_i, C_j), "
          "(A, B_j, C_i) interleaved; score = (W_E[B] W_Q)·(W_E[A] W_K)/√d_head + (W_E[A] W_V W_O)·W_U[:, C]"),
]  # fmt: skip
