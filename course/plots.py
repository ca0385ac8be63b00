"""Figures for the course: one function per figure, each returning a matplotlib
Figure so that the docs build, notebooks and the CLI can all use it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def training_curve(curve: list[dict], title: str = "", baselines: dict[str, float] | None = None) -> Figure:
    """Loss against step, with ``baselines`` (label → cross-entropy) as dashed lines;
    for models with two or more layers, also the best induction and previous-token
    scores, where the phase change shows."""
    steps = [r["step"] for r in curve]
    has_heads = "induction" in curve[0] and len(curve[0]["induction"]) >= 2
    fig, axes = plt.subplots(1, 2 if has_heads else 1, figsize=(10 if has_heads else 5.5, 3.6))
    ax = axes[0] if has_heads else axes
    ax.plot(steps, [r["train_loss"] for r in curve], label="train", alpha=0.6)
    ax.plot(steps, [r["val_loss"] for r in curve], label="held-out")
    if "rep_loss_second_half" in curve[0]:
        ax.plot(steps, [r["rep_loss_second_half"] for r in curve], label="repeated tokens, 2nd half")
    for i, (label, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, ls="--", lw=1, color=f"C{i + 3}", label=label)
    ax.set(xlabel="step", ylabel="cross-entropy (nats)", title=title or "loss")
    ax.legend(frameon=False)
    if has_heads:
        ax = axes[1]
        ax.plot(steps, [max(r["induction"][-1]) for r in curve], label="induction (last layer, best head)")
        ax.plot(
            steps, [max(r["previous_token"][0]) for r in curve], label="previous token (layer 0, best head)"
        )
        ax.set(xlabel="step", ylabel="score", ylim=(0, 1), title="head scores")
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig
