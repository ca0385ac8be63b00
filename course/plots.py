"""Figures for the course: one function per figure, each returning a matplotlib
Figure so that the docs build, notebooks and the CLI can all use it; and ``attention`` and
``attention_viewer``, the site's interactive attention viewer for a notebook."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor

from course.viewer import AttentionViewer


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


def token_label(text: str) -> str:
    """A token as a tick label: spaces, newlines and tabs made visible, runs of spaces counted."""
    text = re.sub(r" {3,}", lambda m: f"␣×{len(m.group(0))}", text)
    return text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥") or "∅"


def attention(
    tokens: Sequence[str],
    pattern: Tensor,
    *,
    head_names: Sequence[str] | None = None,
    notes: Sequence[str] | None = None,
    caption: str = "",
) -> AttentionViewer:
    """The residual-stream page's attention viewer, for a notebook: shown as a cell's result,
    it draws inline in JupyterLab and VS Code, with nothing fetched from the network. Hover
    a token (or Tab to it), and each head's row shades the earlier tokens by how much that
    head attends to them from there.

    ``tokens`` are the sequence's labels, shown as ``token_label`` shows them, and ``pattern``
    is its attention: ``[n_heads, q, k]``, or ``[q, k]`` for one head, as
    ``cache["pattern", layer][0]`` holds it for the batch's first sequence. Row q holds the
    weights of keys 0..q, the lower triangle, which is all the viewer sends: weight above the
    diagonal is an error. ``head_names`` default to ``H0``, ``H1``...; ``notes`` are a line
    under each head's name, ``caption`` a caption under the viewer. For example:

        _, cache = model.run_with_cache(ids)  # ids: [1, pos]
        labels = [tokenizer.token_str(int(t)) for t in ids[0]]
        heads = [f"L1H{h}" for h in range(model.cfg.n_heads)]
        plots.attention(labels, cache["pattern", 1][0], head_names=heads)
    """
    weights = torch.as_tensor(pattern).detach().double().cpu()
    _check_attention(tokens, weights)
    if weights.ndim == 2:
        weights = weights[None]
    n_heads = weights.shape[0]
    names = [f"H{h}" for h in range(n_heads)] if head_names is None else list(head_names)
    lines = [""] * n_heads if notes is None else list(notes)
    for what, given in (("head_names", names), ("notes", lines)):
        if len(given) != n_heads:
            raise ValueError(f"{len(given)} {what} for {n_heads} heads: give one per head")
    heads = [
        {
            "name": str(name),
            "note": str(note),
            "pattern": [[round(w, 3) for w in row[: q + 1]] for q, row in enumerate(rows)],
        }
        for name, note, rows in zip(names, lines, weights.tolist())
    ]
    return AttentionViewer({"tokens": [token_label(t) for t in tokens], "heads": heads}, caption)


def attention_viewer(data: dict, caption: str = "") -> AttentionViewer:
    """The same viewer from the data that a page's ``{{ viewer NAME }}`` figure function
    returns (site/figures/, see ``course.pages``): ``{"tokens": [label, ...], "heads":
    [{"name": ..., "note": ..., "pattern": rows}, ...]}``, row q of a pattern holding the
    weights of keys 0..q. A chapter's notebook draws its page's viewers with it."""
    if not isinstance(data, dict) or not {"tokens", "heads"} <= data.keys():
        raise TypeError("viewer data must be a dict with tokens and heads")
    tokens, heads = data["tokens"], data["heads"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        raise ValueError("viewer data: tokens must be a non-empty list of str")
    if not isinstance(heads, list) or not heads:
        raise ValueError("viewer data: heads must be a non-empty list")
    for i, head in enumerate(heads):
        if not isinstance(head, dict) or not isinstance(head.get("name"), str):
            raise ValueError(f"viewer data: head {i} must be a dict with a name (str)")
        rows = head.get("pattern")
        if not isinstance(rows, list) or len(rows) != len(tokens):
            raise ValueError(
                f"viewer data: head {head['name']} needs a pattern of {len(tokens)} rows, one per token"
            )
        for q, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != q + 1 or not all(_finite(w) for w in row):
                raise ValueError(
                    f"viewer data: row {q} of head {head['name']} must hold {q + 1} finite weights, keys 0..{q}"
                )
    return AttentionViewer(data, caption)


def _finite(w) -> bool:
    return isinstance(w, int | float) and math.isfinite(w)


def _check_attention(tokens: Sequence[str], weights: Tensor) -> None:
    """Fail with what is wrong, before a viewer draws a misleading picture."""
    if (
        not isinstance(tokens, Sequence)
        or isinstance(tokens, str)
        or not all(isinstance(t, str) for t in tokens)
    ):
        raise TypeError(
            "tokens must be a list of str, the labels to show: for token ids, "
            "[tokenizer.token_str(int(t)) for t in ids]"
        )
    shape = list(weights.shape)
    if weights.ndim not in (2, 3):
        hint = ": take one sequence of the batch, cache['pattern', layer][0]" if weights.ndim == 4 else ""
        raise ValueError(
            f"pattern must be [n_heads, q, k] or [q, k], not {weights.ndim}-dimensional {shape}{hint}"
        )
    q, k = shape[-2:]
    if q != k:
        raise ValueError(f"pattern must be square, as many queries as keys, not {q} × {k} (shape {shape})")
    if q != len(tokens):
        raise ValueError(f"pattern is over {q} positions (shape {shape}) but there are {len(tokens)} tokens")
    if weights.numel() == 0:
        raise ValueError(f"nothing to show: pattern has shape {shape}")
    if not weights.isfinite().all():
        raise ValueError("pattern holds NaN or infinite weights")
    future = weights.triu(diagonal=1).abs().max().item()
    if future > 1e-6:
        raise ValueError(
            f"pattern attends to later positions (weight up to {future:.3g} above the diagonal): "
            "the viewer shows causal attention, each query's keys 0..q"
        )


def log_prob_heatmaps(panels: dict[str, Tensor], labels: list[str], title: str = "") -> Figure:
    """Square tables of log-probabilities side by side, on one colour scale: rows are the
    current token, columns the next, both labelled with ``labels``. Equal colours mean
    equal predictions, so the eye compares the panels cell by cell. The scale starts at the
    2nd percentile, so that a few near-impossible pairs do not wash out the rest."""
    arrays = {name: torch.as_tensor(t).detach().double().cpu() for name, t in panels.items()}
    values = torch.cat([a.flatten() for a in arrays.values()])
    low, high = torch.quantile(values, 0.02).item(), values.max().item()
    n = len(labels)
    fig, axes = plt.subplots(
        1, len(arrays), figsize=(4.2 * len(arrays) + 1.6, 5.0), squeeze=False, layout="constrained"
    )
    for i, (ax, (name, a)) in enumerate(zip(axes[0], arrays.items())):
        image = ax.imshow(a.numpy(), vmin=low, vmax=high, cmap="viridis")
        ax.set_xticks(range(n), labels, rotation=90, fontsize=7, family="monospace")
        ax.set_yticks(range(n), labels if i == 0 else [], fontsize=7, family="monospace")
        ax.set(title=name, xlabel="next token")
    axes[0][0].set_ylabel("current token")
    fig.colorbar(image, ax=list(axes[0]), label="log P(next | current)", shrink=0.8, extend="min")
    if title:
        fig.suptitle(title)
    return fig


def component_bars(labels: list[str], series: dict[str, list[float]], ylabel: str, title: str = "") -> Figure:
    """Grouped bars: one group per component (``labels``), one bar per series."""
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(5.5, 0.55 * len(labels) + 1.5), 3.6))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(
            [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))], values, width, label=name
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set(ylabel=ylabel, title=title)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def annotated_heatmaps(
    panels: dict[str, Tensor],
    row_labels: list[str],
    col_labels: list[str],
    colorbar_label: str,
    vmin: float = 0.0,
    vmax: float = 1.0,
    reference: tuple[str, float] | None = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str = "",
) -> Figure:
    """Small matrices side by side on one colour scale, every cell printed with its value,
    so that a reader can compare cells across panels without guessing colours.
    ``reference`` = (label, value) draws a line at that value on the colour bar: a
    baseline such as the value expected by chance."""
    arrays = {name: torch.as_tensor(t).detach().double().cpu() for name, t in panels.items()}
    fig, axes = plt.subplots(
        1, len(arrays), figsize=(3.2 * len(arrays) + 1.4, 3.4), squeeze=False, layout="constrained"
    )
    cmap = plt.get_cmap("viridis")
    for i, (ax, (name, a)) in enumerate(zip(axes[0], arrays.items())):
        image = ax.imshow(a.numpy(), vmin=vmin, vmax=vmax, cmap=cmap)
        for r, row in enumerate(a.tolist()):
            for c, v in enumerate(row):
                red, green, blue, _ = cmap((v - vmin) / (vmax - vmin))
                ink = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=8, color=ink)
        ax.set_xticks(range(len(col_labels)), col_labels)
        ax.set_yticks(range(len(row_labels)), row_labels if i == 0 else [])
        ax.set(title=name, xlabel=xlabel)
    axes[0][0].set_ylabel(ylabel)
    if reference:
        colorbar_label += f"\n(red line: {reference[0]})"
    bar = fig.colorbar(image, ax=list(axes[0]), label=colorbar_label, shrink=0.85)
    if reference:
        bar.ax.axhline(reference[1], color="red", lw=2)
    if title:
        fig.suptitle(title)
    return fig


def singular_value_spectra(
    panels: dict[str, Tensor], line_labels: list[str], cutoff: int, title: str = ""
) -> Figure:
    """Singular values σ_i / σ_1 against i on a log scale, one panel per matrix kind and one
    line per matrix (``panels`` maps a title to a [line, n] tensor, largest first), with a
    dashed line after the first ``cutoff``: a matrix of rank ``cutoff`` falls off a cliff
    there, down to rounding. Values below 1e-18 are drawn at 1e-18."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False, sharey=True, layout="constrained"
    )
    for ax, (name, S) in zip(axes[0], panels.items()):
        S = torch.as_tensor(S).detach().double().cpu()
        ratios = (S / S[:, :1]).clamp(min=1e-18)
        index = range(1, S.shape[-1] + 1)
        for i, label in enumerate(line_labels):
            ax.plot(index, ratios[i].numpy(), marker=".", ms=3, lw=1, label=label, color=f"C{i % 10}")
        ax.axvline(cutoff + 0.5, ls="--", color="black", lw=1)
        ax.text(cutoff + 1.5, 1e-3, f"rank {cutoff}", fontsize=8)
        ax.set(yscale="log", xlabel="index i", title=name)
    axes[0][0].set_ylabel(r"$\sigma_i / \sigma_1$")
    axes[0][-1].legend(frameon=False, fontsize=7, ncol=2)
    if title:
        fig.suptitle(title)
    return fig


def eigenvalue_scatter(panels: dict[str, Tensor], head_labels: list[str], title: str = "") -> Figure:
    """Eigenvalues in the complex plane, one panel per group of heads and one colour per
    head (``panels`` maps a title to a complex [head, n] tensor, each head's scaled into the
    unit disk), over the unit circle. Points on the positive real axis are copying,
    on the negative axis anti-copying, off the axis mapping tokens onto other tokens."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.4 * len(panels) + 0.8, 3.6), squeeze=False, layout="constrained"
    )
    circle = torch.linspace(0, 2 * torch.pi, 200)
    for ax, (name, spectra) in zip(axes[0], panels.items()):
        spectra = torch.as_tensor(spectra).detach().cpu().to(torch.complex128)
        ax.plot(circle.cos().numpy(), circle.sin().numpy(), color="0.7", lw=0.8)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        for i, label in enumerate(head_labels[: spectra.shape[0]]):
            ax.scatter(spectra[i].real.numpy(), spectra[i].imag.numpy(), s=14, alpha=0.8, label=label,
                       color=f"C{i % 10}")  # fmt: skip
        ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), aspect="equal", title=name, xlabel="Re λ / max |λ|")
    axes[0][0].set_ylabel("Im λ / max |λ|")
    axes[0][-1].legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        fig.suptitle(title)
    return fig


def loss_by_position(
    series: dict[str, Tensor],
    repeat_starts: int | None = None,
    title: str = "",
    bands: dict[str, Tensor] | None = None,
    anchors: tuple[int, ...] = (),
) -> Figure:
    """Mean per-token loss against position, one line per model (``series`` maps a label to
    a [pos] tensor); ``repeat_starts`` marks, with a dashed line, the first position whose
    next token repeats an earlier one. ``bands`` (label → [pos]) shades ± that much around
    a line, e.g. a standard error; ``anchors`` marks positions with dotted lines."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, loss in series.items():
        y = torch.as_tensor(loss).detach().double().cpu().numpy()
        (line,) = ax.plot(y, label=name)
        if bands and name in bands:
            e = torch.as_tensor(bands[name]).detach().double().cpu().numpy()
            ax.fill_between(range(len(y)), y - e, y + e, color=line.get_color(), alpha=0.25, lw=0)
    if repeat_starts is not None:
        ax.axvline(repeat_starts, color="0.5", ls="--", lw=1, label="the repeat starts")
    for i, position in enumerate(anchors):
        ax.axvline(position, color="0.3", ls=":", lw=1, label="score anchors" if i == 0 else None)
    ax.set(xlabel="position", ylabel="loss (nats)", title=title)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def matrix_maps(panels: dict[str, Tensor], xlabel: str = "", ylabel: str = "", title: str = "") -> Figure:
    """Larger matrices side by side, each on its own symmetric colour scale around zero, with
    no printed values (``annotated_heatmaps`` is for small ones): a similarity of positions,
    or an attention pattern over a whole sequence."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(3.6 * len(panels) + 0.6, 3.6), squeeze=False, layout="constrained"
    )
    for ax, (name, m) in zip(axes[0], panels.items()):
        a = torch.as_tensor(m).detach().double().cpu()
        bound = float(a.abs().max()) or 1.0
        image = ax.imshow(a.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set(title=name, xlabel=xlabel)
        fig.colorbar(image, ax=ax, shrink=0.8)
    axes[0][0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title)
    return fig
