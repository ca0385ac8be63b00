"""Figures of the models page, read from the zoo's recorded training curves and metrics
(see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import heldout, plots, zoo
from course.dataset import load_streams
from course.tokenizer import Tokenizer
from course.train import TrainConfig, describe, repeat_pool


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


@cache
def _measured() -> dict[str, heldout.Measurement]:
    """The shipped attn-only-2l on every test set of ``course.heldout``, measured now."""
    return heldout.measure_all(zoo.load("attn-only-2l"), load_streams())


def _repeated_shares() -> dict[str, float]:
    """For each token test set, the share of its tokens that attn-only-2l's random repeats
    drew from in training."""
    streams, bos = load_streams(), Tokenizer().bos_id
    pool = repeat_pool(streams, TrainConfig.from_dict(zoo.entry("attn-only-2l").config["train"]), bos)
    s = heldout.split(streams)
    sets = {
        "top_256": s.eligible[: heldout.ZOO_POOL],
        "rank_257_1024": s.eligible[heldout.ZOO_POOL : 1024],
        "eligible": s.eligible,
        "held_out_tokens": s.held_out,
    }
    return {name: torch.isin(t, pool).double().mean().item() for name, t in sets.items()}


def ood_table() -> str:
    """attn-only-2l's induction on token sets and text it was or was not trained to repeat,
    measured at build time, as Markdown."""
    rows = [
        "| test set (BOS + 50 tokens, repeated once) | trained to repeat? | best L1 induction "
        "| loss 2nd / 1st half |",
        "|---|---|---|---|",
    ]
    shares = _repeated_shares()
    for name, text in heldout.descriptions(load_streams()).items():
        m = _measured()[name]
        trained = f"{shares[name]:.0%} of its tokens" if name in shares else "no: held-out files"
        rows.append(
            f"| {text} | {trained} | {m.induction:.2f} | {m.ratio:.2f} ({m.second:.2f} / {m.first:.2f} nats) |"
        )
    return "\n".join(rows)


def curriculum() -> str:
    """How attn-only-2l was trained, read from the config recorded with its weights."""
    return describe(TrainConfig.from_dict(zoo.entry("attn-only-2l").config["train"]))


def bars() -> str:
    """The bars of ``course.heldout.BARS`` in words."""
    names = heldout.descriptions(load_streams())
    out = []
    for name, induction, ratio in heldout.BARS:
        bar = f"induction above {induction}"
        if ratio is not None:
            bar += f" and a second-half loss below {ratio:.0%} of the first half's"
        out.append(f"on {names[name]}, {bar}")
    return "; ".join(out)


def bars_met() -> str:
    failed = heldout.check_bars(_measured())
    return "The shipped model clears all of them." if not failed else (
        "The shipped model misses " + "; ".join(failed) + "."
    )
