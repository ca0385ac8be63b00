"""Checks for chapter "The residual stream and independent heads"."""

import einops
import torch

from autograder.framework import Check, Shape, randn


def _attention(s: Shape, g: torch.Generator) -> dict:
    return dict(
        x=randn(g, s.batch, s.pos, s.d_model),
        W_Q=randn(g, s.head, s.d_model, s.d_head, scale=s.d_model**-0.5),
        b_Q=randn(g, s.head, s.d_head),
        W_K=randn(g, s.head, s.d_model, s.d_head, scale=s.d_model**-0.5),
        b_K=randn(g, s.head, s.d_head),
    )


def _heads(s: Shape, g: torch.Generator) -> dict:
    return dict(
        z=randn(g, s.batch, s.pos, s.head, s.d_head),
        W_O=randn(g, s.head, s.d_head, s.d_model, scale=s.d_head**-0.5),
    )


def _heads_and_bias(s: Shape, g: torch.Generator) -> dict:
    return dict(_heads(s, g), b_O=randn(g, s.d_model))


def rows_sum_to_one(inputs, pattern):
    err = (pattern.double().sum(-1) - 1).abs().max()
    return (
        f"each row of the pattern must sum to 1 (softmax over keys); off by up to {err:.3g}"
        if err > 1e-4
        else None
    )


def causal(inputs, pattern):
    future = pattern.double().triu(diagonal=1).abs().max()
    return (
        f"a query attends to a later key with weight {future:.3g}; the mask must zero every j > i"
        if future > 0
        else None
    )


def sum_of_heads_is_concat_then_project(inputs, out):
    """W_O^H [r^{h1}; r^{h2}; …] + b_O, computed by concatenating."""
    z, W_O = inputs["z"].double(), inputs["W_O"].double()
    concat = einops.rearrange(z, "b p h e -> b p (h e)") @ einops.rearrange(W_O, "h e d -> (h e) d")
    err = (out.double() - concat - inputs["b_O"].double()).abs().max()
    return f"your output differs from concatenate-then-project by {err:.3g}" if err > 1e-3 else None


def results_sum_to_concat_then_project(inputs, out):
    z, W_O = inputs["z"].double(), inputs["W_O"].double()
    concat = einops.rearrange(z, "b p h e -> b p (h e)") @ einops.rearrange(W_O, "h e d -> (h e) d")
    err = (out.double().sum(2) - concat).abs().max()
    return f"the head results do not sum to the layer output (off by {err:.3g})" if err > 1e-3 else None


CHECKS = [
    Check(
        "attention_pattern",
        _attention,
        invariants=(rows_sum_to_one, causal),
        hint="scores are q·k / sqrt(d_head), future keys are masked to -inf before a softmax over the key axis",
    ),
    Check(
        "head_results",
        _heads,
        invariants=(results_sum_to_concat_then_project,),
        hint="head h's result is z[:, :, h] @ W_O[h]; keep the head axis, do not sum over it",
    ),
    Check(
        "attention_output",
        _heads_and_bias,
        invariants=(sum_of_heads_is_concat_then_project,),
        hint="sum r^h W_O^h over heads h, then add b_O once (not once per head)",
    ),
]


def _embed(s: Shape, g: torch.Generator) -> dict:
    return dict(
        tokens=torch.randint(0, s.d_vocab, (s.batch, s.pos), generator=g),
        W_E=randn(g, s.d_vocab, s.d_model),
        W_pos=randn(g, s.pos + 3, s.d_model),
    )


def _components(s: Shape, g: torch.Generator) -> dict:
    return dict(
        embed=randn(g, s.batch, s.pos, s.d_model),
        pos_embed=randn(g, s.batch, s.pos, s.d_model),
        results=randn(g, s.n_layers, s.batch, s.pos, s.head, s.d_model),
        b_O=randn(g, s.n_layers, s.d_model),
    )


def _attribution(s: Shape, g: torch.Generator) -> dict:
    return dict(
        components=randn(g, s.n_layers * s.head + 3, s.batch, s.pos, s.d_model),
        W_U=randn(g, s.d_model, s.d_vocab, scale=s.d_model**-0.5),
        tokens=torch.randint(0, s.d_vocab, (s.batch, s.pos), generator=g),
    )


def components_sum_to_the_residual(inputs, out):
    total = (
        inputs["embed"].double() + inputs["pos_embed"].double()
        + inputs["results"].double().sum((0, 3)) + inputs["b_O"].double().sum(0)
    )  # fmt: skip
    err = (out.double().sum(0) - total).abs().max()
    return f"the components do not sum to the residual stream (off by {err:.3g})" if err > 1e-3 else None


def attributions_sum_to_the_logit(inputs, out):
    logits = inputs["components"].double().sum(0) @ inputs["W_U"].double()
    correct = logits[:, :-1].gather(-1, inputs["tokens"][:, 1:, None])[..., 0]
    err = (out.double().sum(0) - correct).abs().max() if correct.numel() else 0.0
    return (
        f"the attributions do not sum to the correct token's logit (off by {err:.3g})" if err > 1e-3 else None
    )


CHECKS = [
    Check(
        "embed",
        _embed,
        hint="index W_E with the tokens and add the first pos rows of W_pos",
    ),
    *CHECKS,
    Check(
        "attention_output_concat",
        _heads_and_bias,
        invariants=(sum_of_heads_is_concat_then_project,),
        hint="rearrange z to [batch, pos, head·d_head] and W_O to [head·d_head, d_model] with the same (head, d_head) order",
    ),
    Check(
        "residual_components",
        _components,
        invariants=(components_sum_to_the_residual,),
        hint="stack embed, pos_embed, the heads (layer-major) and the summed b_O along a new first axis",
    ),
    Check(
        "logit_attribution",
        _attribution,
        invariants=(attributions_sum_to_the_logit,),
        hint="position i predicts token i+1: dot each component at i with W_U's column for tokens[:, i+1]",
    ),
]
