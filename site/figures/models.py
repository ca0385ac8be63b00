"""Figures of the models page, read from the zoo's recorded training curves and metrics
(see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import heldout, plots, recorded, zoo
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
            f"best previous-token score {max(m['previous_token'][0]):.2f}, on repeats of tokens "
            "it was trained to repeat (held-out numbers below)"
        )
    copying = m.get("copying", [[]])[0]
    return f"{sum(c > 0.5 for c in copying)} of {len(copying)} heads copy (OV copying score > 0.5)"


@cache
def _measured() -> dict[str, heldout.Measurement]:
    """The shipped attn-only-2l on every test set of ``course.heldout``, measured now."""
    return heldout.measure_all(zoo.load("attn-only-2l"), load_streams())


def _config() -> TrainConfig:
    return TrainConfig.from_dict(zoo.entry("attn-only-2l").config["train"])


def _old_config() -> TrainConfig:
    return TrainConfig.from_dict(recorded.load_old()["train"])


def _repeated_shares(cfg: TrainConfig) -> dict[str, float]:
    """For each token test set, the share of its tokens that ``cfg``'s random repeats drew
    from in training."""
    streams, bos = load_streams(), Tokenizer().bos_id
    pool = repeat_pool(streams, cfg, bos)
    s = heldout.split(streams)
    sets = {
        "top_256": s.eligible[: heldout.ZOO_POOL],
        "rank_257_1024": s.eligible[heldout.ZOO_POOL : 1024],
        "eligible": s.eligible,
        "held_out_tokens": s.held_out,
    }
    return {name: torch.isin(t, pool).double().mean().item() for name, t in sets.items()}


def ood_table() -> str:
    """The 2L model's induction on token sets and text it was or was not trained to repeat: the
    superseded recipe (measured from git history by ``course.recorded``) against the shipped
    one (measured at build time), as Markdown."""
    old = {k: heldout.Measurement(**v) for k, v in recorded.load_old()["results"].items()}
    rows = [
        "| test set (BOS + 50 tokens, repeated once) | old: in its repeats? | old: induction "
        "| old: loss 2nd / 1st | new: in its repeats? | new: induction | new: loss 2nd / 1st |",
        "|---|---|---|---|---|---|---|",
    ]
    shares = {"old": _repeated_shares(_old_config()), "new": _repeated_shares(_config())}
    for name, text in heldout.descriptions(load_streams()).items():
        cells = [text]
        for which, m in (("old", old[name]), ("new", _measured()[name])):
            s = shares[which]
            cells += [
                f"{s[name]:.0%} of its tokens" if name in s else "no: held-out files",
                f"{m.induction:.2f}",
                f"{m.ratio:.2f} ({m.second:.2f} / {m.first:.2f} nats)",
            ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def old_recipe() -> str:
    """The superseded 2L recipe, read from the config recorded with its weights."""
    return describe(_old_config())


def old_commit() -> str:
    return f"`{recorded.load_old()['commit'][:10]}`"


def _natural_rows() -> list[dict]:
    return recorded.load_natural()[1]


def natural_text_curve():
    """A 2L model trained on natural text alone, recorded by ``course.recorded``: the best
    layer-1 induction score and the second-half / first-half loss ratio on the held-out test
    sets, against training time, with the bars as dashed lines."""
    import matplotlib.pyplot as plt

    rows = _natural_rows()
    minutes = [r["minutes"] for r in rows]
    names = heldout.descriptions(load_streams())
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, name in enumerate(("eligible", "held_out_tokens", "held_out_text")):
        label = names[name].split(" (")[0]
        left.plot(minutes, [r[name]["induction"] for r in rows], marker="o", color=f"C{i}", label=label)
        right.plot(minutes, [r[name]["ratio"] for r in rows], marker="o", color=f"C{i}", label=label)
    for name, induction, ratio in heldout.BARS[::2]:
        left.axhline(induction, ls="--", lw=1, color="grey")
        if ratio is not None:
            right.axhline(ratio, ls="--", lw=1, color="grey")
    left.set(xlabel="minutes on 2 CPU cores", ylabel="best layer-1 induction score", ylim=(0, 1),
             title="induction (bars dashed)")  # fmt: skip
    right.set(xlabel="minutes on 2 CPU cores", ylabel="loss 2nd half / 1st half", ylim=(0, 1.05),
              title="what the repeat is worth (bar dashed)")  # fmt: skip
    left.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def natural_text_recipe() -> str:
    return describe(recorded.load_natural()[0])


def natural_text_result() -> str:
    """Where the natural-text run had got when it was stopped, in words."""
    last = _natural_rows()[-1]
    return (
        f"after {last['step']:,} steps ({last['minutes']:.0f} minutes), its best layer-1 induction "
        f"score was {last['eligible']['induction']:.2f} on every eligible token (the second half's "
        f"loss {last['eligible']['ratio']:.0%} of the first's), "
        f"{last['held_out_tokens']['induction']:.2f} on the held-out tokens and "
        f"{last['held_out_text']['induction']:.2f} on repeated held-out text"
    )


def curriculum() -> str:
    """How attn-only-2l was trained, read from the config recorded with its weights."""
    return describe(_config())


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


def width_change() -> str:
    """The old and the new 2L architecture, from their recorded configs."""
    old, new = _old_config().model, _config().model
    return (
        f"d_model {old.d_model} → {new.d_model}, {old.n_heads} heads of d_head {old.d_head} → "
        f"{new.n_heads} of {new.d_head}"
    )


def eligible_count() -> str:
    return f"{len(heldout.split(load_streams()).eligible):,}"
