"""Figures of the residual-stream chapter, computed on the zoo's attn-only-2l with the
chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import heldout, plots, zoo
from course.dataset import load_streams, repeated_tokens
from course.tokenizer import Tokenizer
from solutions import residual_stream as rs

PERIOD = 50  # tokens in each half of a repeated sequence
VIEWER_PERIOD = 16  # the viewer's sequence: short enough to read every token


@cache
def _attribution():
    """Direct logit attribution of every component on random repeated sequences, averaged
    over the first half (nothing to copy yet) and the second half (a repeat)."""
    model = zoo.load("attn-only-2l", dtype=torch.float64)
    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out
    tokens = repeated_tokens(pool, 32, PERIOD, 2 * PERIOD, bos, torch.Generator().manual_seed(0))
    _, cache = model.run_with_cache(tokens)
    results = torch.stack([cache["result", l] for l in range(model.cfg.n_layers)])
    embed = cache["hook_embed"]
    # Shortformer positions never enter the residual stream: their component is zero.
    components = rs.residual_components(embed, torch.zeros_like(embed), results, model.b_O)
    dla = rs.logit_attribution(components, model.W_U, tokens)  # [component, batch, pos - 1]
    labels = ["embed", "pos"]
    labels += [f"L{l}H{h}" for l in range(model.cfg.n_layers) for h in range(model.cfg.n_heads)]
    labels.append("b_O")
    first = dla[:, :, 1:PERIOD].mean(dim=(1, 2))
    second = dla[:, :, PERIOD + 1 :].mean(dim=(1, 2))
    return labels, first, second


def top_second_half_head() -> str:
    labels, _, second = _attribution()
    heads = [i for i, name in enumerate(labels) if name.startswith("L")]
    best = max(heads, key=lambda i: second[i].item())
    return f"{labels[best]} (+{second[best].item():.1f})"


def dla_repeated_tokens():
    """Direct logit attribution of the correct next token on attn-only-2l, per component,
    averaged over random sequences of held-out tokens (never repeated in training) repeated once: in the second half,
    layer 1's induction heads add most of the correct token's logit."""
    labels, first, second = _attribution()
    return plots.component_bars(
        labels,
        {"first half (new tokens)": first.tolist(), "second half (a repeat)": second.tolist()},
        ylabel="logit of the correct token",
        title="what each component adds to the correct logit",
    )


def attention_viewer() -> dict:
    """attn-only-2l's attention on a random sequence of held-out tokens (never repeated in training), repeated once. Hover a
    token: each head's row shades the earlier tokens by how much it attends to them from there.
    Under each head, the zoo's recorded previous-token and induction scores."""
    model = zoo.load("attn-only-2l", dtype=torch.float64)
    tok = Tokenizer()
    pool = heldout.split(load_streams()).held_out
    g = torch.Generator().manual_seed(0)
    tokens = repeated_tokens(pool, 1, VIEWER_PERIOD, 2 * VIEWER_PERIOD, tok.bos_id, g)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens)
    metrics = zoo.entry("attn-only-2l").metrics
    heads = []
    for l in range(model.cfg.n_layers):
        for h in range(model.cfg.n_heads):
            rows = cache["pattern", l][0, h].tolist()
            heads.append(
                {
                    "name": f"L{l}H{h}",
                    "note": f"previous-token {metrics['previous_token'][l][h]:.2f}"
                    f" · induction {metrics['induction'][l][h]:.2f}",
                    "pattern": [[round(w, 3) for w in row[: q + 1]] for q, row in enumerate(rows)],
                }
            )
    return {"tokens": [plots.token_label(tok.token_str(int(t))) for t in tokens[0]], "heads": heads}


# --- tensor-product notation -----------------------------------------------------------


def tensor_product_error() -> str:
    """The largest gap, over every head of attn-only-2l on 24 random tokens, between hook_result
    and (A^h ⊗ W_OV^h) x plus the value bias moved by the pattern."""
    model = zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)
    tokens = torch.randint(1, model.cfg.d_vocab, (1, 24), generator=torch.Generator().manual_seed(0))
    _, cache = model.run_with_cache(tokens)
    worst = 0.0
    for layer in range(model.cfg.n_layers):
        x = cache["resid_pre", layer][0]
        for h in range(model.cfg.n_heads):
            W_OV = model.W_V[layer, h] @ model.W_O[layer, h]
            ours = rs.tensor_product_apply(cache["pattern", layer][0, h], W_OV, x)
            ours = ours + model.b_V[layer, h] @ model.W_O[layer, h]
            worst = max(worst, (ours - cache["result", layer][0, :, h]).abs().max().item())
    return f"{worst:.0e}"


# --- the residual stream's basis --------------------------------------------------------


@cache
def _rotation() -> dict:
    """attn-only-2l and a copy rotated by a random orthogonal R, on held-out text: the largest
    change of a logit, and the excess kurtosis of every coordinate of the final residual stream
    in both bases."""
    import copy

    from course.dataset import text_batch

    model = zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)
    R = torch.linalg.qr(torch.randn(model.cfg.d_model, model.cfg.d_model, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))[
        0
    ]
    W_E, W_pos, W_Q, W_K, W_V, W_O, b_O, W_U = rs.rotate_residual_stream(
        model.W_E, model.W_pos, model.W_Q, model.W_K, model.W_V, model.W_O, model.b_O, model.W_U, R
    )
    state = {"embed.W_E": W_E, "pos_embed.W_pos": W_pos, "unembed.W_U": W_U}
    for l in range(model.cfg.n_layers):
        for name, w in (("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V), ("W_O", W_O), ("b_O", b_O)):
            state[f"blocks.{l}.attn.{name}"] = w[l]
    rotated = copy.deepcopy(model)
    rotated.load_state_dict(state, strict=False)
    tokens = text_batch(load_streams().val, 32, 128, Tokenizer().bos_id, torch.Generator().manual_seed(0))
    logits, cache_ = model.run_with_cache(tokens)
    rotated_logits, rotated_cache = rotated.run_with_cache(tokens)
    last = model.cfg.n_layers - 1
    return {
        "change": (rotated_logits - logits).abs().max().item(),
        "before": rs.coordinate_kurtosis(cache_["resid_post", last]),
        "after": rs.coordinate_kurtosis(rotated_cache["resid_post", last]),
    }


def rotation_logit_change() -> str:
    return f"at most {_rotation()['change']:.0e}"


def _range(t: torch.Tensor) -> str:
    return f"{t.min().item():.2f}…{t.max().item():.2f}"


def kurtosis_before() -> str:
    return _range(_rotation()["before"])


def kurtosis_after() -> str:
    return f"{_range(_rotation()['after'])} in the rotated basis"


def kurtosis_bars():
    """Excess kurtosis of each of the d_model coordinates of attn-only-2l's final residual stream on
    held-out text, in the model's own basis and after a random rotation folded into the weights,
    which leaves every logit unchanged: the coordinates' statistics belong to the basis."""
    r = _rotation()
    return plots.component_bars(
        [str(k) for k in range(len(r["before"]))],
        {"the model's basis": r["before"].tolist(), "rotated": r["after"].tolist()},
        ylabel="excess kurtosis",
        title="coordinates of the residual stream",
    )


def participation_ratios() -> str:
    model = zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)
    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out  # tokens no training repeat ever drew
    tokens = repeated_tokens(pool, 16, 30, 60, bos, torch.Generator().manual_seed(0))
    _, cache_ = model.run_with_cache(tokens)
    parts = []
    for l in range(model.cfg.n_layers):
        pr = rs.participation_ratio(cache_["result", l])
        parts += [f"L{l}H{h} {v:.1f}" for h, v in enumerate(pr.tolist())]
    return ", ".join(parts)


def d_head() -> str:
    return str(zoo.load("attn-only-2l").cfg.d_head)
