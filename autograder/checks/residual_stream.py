"""Checks for chapter "The residual stream and independent heads"."""

import einops
import torch

from autograder.framework import SHAPES, Check, Shape, randn


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


def _concat_then_project(inputs):
    """W_O^H [r^{h1}; r^{h2}; …], computed the grader's own way: by concatenating."""
    z, W_O = inputs["z"].double(), inputs["W_O"].double()
    return einops.rearrange(z, "b p h e -> b p (h e)") @ einops.rearrange(W_O, "h e d -> (h e) d")


def sum_of_heads_is_concat_then_project(inputs, out):
    err = (out.double() - _concat_then_project(inputs) - inputs["b_O"].double()).abs().max()
    return f"your output differs from concatenate-then-project by {err:.3g}" if err > 1e-3 else None


def results_sum_to_concat_then_project(inputs, out):
    err = (out.double().sum(2) - _concat_then_project(inputs)).abs().max()
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


_WEIGHTS = ("W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O")


def _model_inputs(s: Shape, g: torch.Generator) -> dict:
    """Random weights with non-zero biases, standard positions on even seeds and
    shortformer on odd ones; or a zoo model's own weights on text-like tokens."""
    if s.zoo:
        from course import zoo

        model = zoo.load(s.zoo, dtype=torch.float64)
        tokens = torch.randint(0, model.cfg.d_vocab, (s.batch, s.pos), generator=g)
        weights = {name: getattr(model, name).detach() for name in ("W_E", "W_pos", *_WEIGHTS, "W_U", "b_U")}
        return dict(
            tokens=tokens, **weights, shortformer=model.cfg.positional_embedding_type == "shortformer"
        )
    L, h, d, e, v = s.n_layers, s.head, s.d_model, s.d_head, s.d_vocab
    return dict(
        tokens=torch.randint(0, v, (s.batch, s.pos), generator=g),
        W_E=randn(g, v, d),
        W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, L, h, d, e, scale=d**-0.5), b_Q=randn(g, L, h, e),
        W_K=randn(g, L, h, d, e, scale=d**-0.5), b_K=randn(g, L, h, e),
        W_V=randn(g, L, h, d, e, scale=d**-0.5), b_V=randn(g, L, h, e),
        W_O=randn(g, L, h, e, d, scale=(h * e) ** -0.5), b_O=randn(g, L, d),
        W_U=randn(g, d, v, scale=d**-0.5), b_U=randn(g, v),
        shortformer=s.seed % 2 == 1,
    )  # fmt: skip


def matches_course_model(inputs, logits):
    """The course's own model, loaded with the same weights, is the ground truth."""
    from course.model import AttnOnlyTransformer, ModelConfig

    W_Q = inputs["W_Q"]
    cfg = ModelConfig(
        n_layers=W_Q.shape[0], d_model=W_Q.shape[2], n_heads=W_Q.shape[1], d_head=W_Q.shape[3],
        d_vocab=inputs["W_E"].shape[0], n_ctx=inputs["W_pos"].shape[0],
        positional_embedding_type="shortformer" if inputs["shortformer"] else "standard",
    )  # fmt: skip
    model = AttnOnlyTransformer(cfg, seed=None).double()
    state = {"embed.W_E": inputs["W_E"], "pos_embed.W_pos": inputs["W_pos"], "unembed.W_U": inputs["W_U"],
             "unembed.b_U": inputs["b_U"]}  # fmt: skip
    state |= {f"blocks.{l}.attn.{n}": inputs[n][l] for l in range(cfg.n_layers) for n in _WEIGHTS}
    model.load_state_dict({k: v.double() for k, v in state.items()})
    with torch.no_grad():
        err = (model(inputs["tokens"]) - logits.double()).abs().max()
    return f"your logits differ from course.model's by {err:.3g}" if err > 1e-3 else None


CHECKS.insert(
    5,
    Check(
        "attn_only_forward",
        _model_inputs,
        invariants=(matches_course_model,),
        hint="loop over layers adding each attention output to the residual stream; with shortformer, "
        "add W_pos only to the queries' and keys' input",
        shapes=(*SHAPES, Shape("the zoo's attn-only-2l", 9, batch=2, pos=24, zoo="attn-only-2l")),
    ),
)


# --- tensor-product notation -----------------------------------------------------------


def _tensor_product_inputs(s: Shape, g: torch.Generator) -> dict:
    """A causal pattern over pos positions, a map d_model → d_head, and activations."""
    scores = randn(g, s.pos, s.pos, scale=2.0)
    future = torch.ones(s.pos, s.pos, dtype=torch.bool).triu(diagonal=1)
    A = scores.masked_fill(future, float("-inf")).softmax(-1)
    return dict(
        A=A, W=randn(g, s.d_model, s.d_head, scale=s.d_model**-0.5), x=randn(g, s.batch, s.pos, s.d_model)
    )


#: A ⊗ W would be (1,500 · 1,000) × (1,500 · 2): 36 GB in float64, 18 GB in float32.
_KRONECKER = (
    "the Kronecker matrix A ⊗ W of this case (1500000 × 1500000) does not fit in memory: apply W to "
    "each position, then A across positions (never build A ⊗ W)"
)
WIDE_TENSOR = Shape(
    "1,500 positions, d_model 1,000", 10, batch=1, pos=1500, d_model=1000, d_head=2, memory=256 << 20
)


def _kron_inputs(s: Shape, g: torch.Generator) -> dict:
    inputs = _tensor_product_inputs(s, g)
    return dict(A=inputs["A"], W=inputs["W"])


CHECKS += [
    Check("tensor_product_apply", _tensor_product_inputs, never_build=_KRONECKER, shapes=(*SHAPES, WIDE_TENSOR),
          hint="y = A x W: A @ (x @ W), the position mix and the feature map one after the other; "
          "never torch.kron"),
    Check("tensor_product_matrix", _kron_inputs,
          hint="row (j, k) and column (i, l) hold A[i, j] W[k, l] when x is flattened row-major and "
          "multiplied from the left: torch.kron(A.T, W)"),
]  # fmt: skip


# --- the residual stream's basis --------------------------------------------------------


def _rotation_inputs(s: Shape, g: torch.Generator) -> dict:
    L, h, d, e, v = s.n_layers, s.head, s.d_model, s.d_head, s.d_vocab
    return dict(
        W_E=randn(g, v, d), W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, L, h, d, e, scale=d**-0.5), W_K=randn(g, L, h, d, e, scale=d**-0.5),
        W_V=randn(g, L, h, d, e, scale=d**-0.5), W_O=randn(g, L, h, e, d, scale=e**-0.5),
        b_O=randn(g, L, d), W_U=randn(g, d, v, scale=d**-0.5),
        R=torch.linalg.qr(randn(g, d, d))[0],
    )  # fmt: skip


def _kurtosis_inputs(s: Shape, g: torch.Generator) -> dict:
    """Activations with some heavy-tailed coordinates (Gaussian cubed) among Gaussian ones, and
    at least two samples."""
    x = randn(g, s.batch, s.pos + 1, s.d_model)
    heavy = torch.rand(s.d_model, generator=g) < 0.4
    return dict(x=torch.where(heavy, x**3, x) + randn(g, s.d_model))


def _result_inputs(s: Shape, g: torch.Generator) -> dict:
    """What heads write: each head's outputs lie in a d_head-dimensional subspace, plus an
    offset that is the same for every sample."""
    z = randn(g, s.batch, s.pos + 1, s.head, s.d_head) * torch.linspace(1, 3, s.d_head, dtype=torch.float64)
    W_O = randn(g, s.head, s.d_head, s.d_model)
    return dict(result=einops.einsum(z, W_O, "b p h e, h e d -> b p h d") + randn(g, s.head, s.d_model))


def at_most_d_model(inputs, pr):
    result = inputs["result"]
    most = min(result.shape[-1], result.shape[0] * result.shape[1])
    if not pr.numel():
        return None
    low, high = float(pr.double().min()), float(pr.double().max())
    if low < 1 - 1e-3 or high > most + 1e-3:
        bad = low if low < 1 - 1e-3 else high
        return f"a participation ratio lies between 1 and the number of directions, yet one of yours is {bad:.3g}"
    return None


CHECKS += [
    Check("rotate_residual_stream", _rotation_inputs,
          hint="writers × R on the right (W_E, W_pos, W_O, b_O); readers Rᵀ × on the left (W_Q, W_K, W_V, "
          "W_U)"),
    Check("coordinate_kurtosis", _kurtosis_inputs,
          hint="flatten the leading dimensions into samples, centre each coordinate, then mean(z⁴) / "
          "mean(z²)² − 3 per coordinate"),
    Check("participation_ratio", _result_inputs, invariants=(at_most_d_model,),
          hint="per head: centre the [samples, d_model] outputs, λ = svdvals², PR = (Σ λ)² / Σ λ²"),
]  # fmt: skip
