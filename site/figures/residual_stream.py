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
