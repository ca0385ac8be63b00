"""Figures of the models page, read from the zoo's recorded training curves and metrics
(see site/hooks/course_blocks.py for how pages use them)."""

from course import plots, zoo


def training_curve_2l():
    """attn-only-2l while it trains: held-out loss and the loss on the second half of
    repeated sequences (left), and the best induction and previous-token scores (right);
    the induction heads form in a sudden phase change."""
    entry = zoo.entry("attn-only-2l")
    return plots.training_curve(entry.curve, title="attn-only-2l")


def zoo_table() -> str:
    """The zoo's models and their headline metrics, as a Markdown table."""
    rows = ["| model | layers | d_model | heads | held-out loss | headline |", "|---|---|---|---|---|---|"]
    for e in zoo.entries().values():
        cfg, m = e.config["model"], e.metrics
        heads = f"{cfg['n_heads']} × {cfg['d_head']}" if cfg["n_layers"] else "–"
        rows.append(
            f"| `{e.name}` | {cfg['n_layers']} | {cfg['d_model']} | {heads} | {m['val_loss']:.3f} | {_headline(m)} |"
        )
    return "\n".join(rows)


def _headline(m: dict) -> str:
    if "gap_closed" in m:
        return f"closes {m['gap_closed']:.1%} of the unigram → bigram gap"
    if len(m.get("induction", [])) >= 2:
        return (
            f"best induction score {max(m['induction'][-1]):.2f}, "
            f"best previous-token score {max(m['previous_token'][0]):.2f}"
        )
    copying = m.get("copying", [[]])[0]
    return f"{sum(c > 0.5 for c in copying)} of {len(copying)} heads copy (OV copying score > 0.5)"
