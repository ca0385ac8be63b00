"""Numbers and figures of the virtual-weights chapter, computed on the zoo's attn-only-2l with
the chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

import math
from functools import cache

import torch

from course import heldout, plots, zoo
from course.dataset import load_streams
from solutions import virtual_weights as vw


@cache
def _model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


@cache
def _full_circuit() -> heldout.Circuit:
    return heldout.circuit(_model(), load_streams())


def _circuit() -> tuple[int, int]:
    """(the previous-token head, the strongest induction head), found by their scores on
    held-out tokens (``course.heldout.circuit``)."""
    c = _full_circuit()
    return c.previous_token, c.induction[0]


def _others(values: list[float], fmt: str) -> str:
    """``values`` (one per layer-0 head) of the heads other than the previous-token head, in
    words: any two-back heads by name, then the most of the rest."""
    c = _full_circuit()
    parts = [f"L0H{h}, which attends two tokens back, {fmt.format(values[h])}" for h in c.two_back]
    rest = [v for h, v in enumerate(values) if h not in c.layer_0]
    parts.append(f"{'the other heads' if c.two_back else 'any other layer-0 head'} at most {fmt.format(max(rest))}")
    return "; ".join(parts)


def previous_token_head() -> str:
    return f"L0H{_circuit()[0]}"


def induction_head() -> str:
    return f"L1H{_circuit()[1]}"


@cache
def _overlaps(reads: str) -> torch.Tensor:
    """[h0, h1]: how much L0 head h0's write subspace overlaps L1 head h1's read subspace
    through ``reads`` (W_Q, W_K or W_V)."""
    model = _model()
    writes = [vw.write_subspace(model.W_O[0, h]) for h in range(model.cfg.n_heads)]
    inputs = [vw.read_subspace(getattr(model, reads)[1, h]) for h in range(model.cfg.n_heads)]
    return torch.tensor([[vw.subspace_overlap(w, r).item() for r in inputs] for w in writes])


def _chance() -> float:
    cfg = _model().cfg
    return vw.random_overlap_baseline(cfg.d_head, cfg.d_head, cfg.d_model)


def _ranks() -> torch.Tensor:
    model = _model()
    return vw.write_ranks(model.W_E, model.W_pos, model.W_O, shortformer=True)


def d_model() -> str:
    return str(_model().cfg.d_model)


def d_head() -> str:
    return str(_model().cfg.d_head)


def d_vocab() -> str:
    return f"{_model().cfg.d_vocab:,}"


def chance_overlap() -> str:
    return f"{_chance():.2f}"


def prev_key_overlap() -> str:
    return f"{_overlaps('W_K')[_circuit()].item():.2f}"


def other_key_overlaps() -> str:
    return _others(_overlaps("W_K")[:, _circuit()[1]].tolist(), "{:.2f}")


def prev_query_overlap() -> str:
    """The previous-token head's overlap with the induction head's query subspace, and what
    it says, in words."""
    overlap = _overlaps("W_Q")[_circuit()].item()
    if overlap < _chance():
        return (
            f"overlaps only {overlap:.2f}, *less* than chance: the induction head builds its "
            "keys from the token before, and its queries from something else"
        )
    return (
        f"overlaps {overlap:.2f}, more than chance too: the head's queries also read the token "
        "before, so that it can match two tokens of context (this token and the one before it "
        "against the key's previous two), not one"
    )


@cache
def _close_angles() -> list[int]:
    """For each layer-0 head, how many principal angles between its write subspace and
    the strongest induction head's key subspace are below 30°."""
    model = _model()
    key_read = vw.read_subspace(model.W_K[1, _circuit()[1]])
    return [
        int((vw.principal_angles(vw.write_subspace(model.W_O[0, h]), key_read) < math.pi / 6).sum())
        for h in range(model.cfg.n_heads)
    ]


def close_angles() -> str:
    return f"{_close_angles()[_circuit()[0]]} of {_model().cfg.d_head}"


def other_close_angles() -> str:
    return _others(_close_angles(), "{}")


def embedding_rank() -> str:
    return str(int(_ranks()[0]))


def embedding_effective_rank() -> str:
    """The participation ratio (Σσ²)² / Σσ⁴ of W_E's singular values: the number of equally
    strong directions that would carry the same energy. Rank counts every direction with a
    non-zero singular value, however weak; this counts how many the embedding really uses."""
    s2 = torch.linalg.svdvals(_model().W_E) ** 2
    return f"{(s2.sum() ** 2 / (s2**2).sum()).item():.0f}"


def head_write_dims() -> str:
    return str(int(_ranks()[2:].sum()))


def total_write_dims() -> str:
    return str(int(_ranks().sum()))


def overlap_heatmaps():
    """Subspace overlap between what each layer-0 head of attn-only-2l writes (rows) and what
    each layer-1 head reads (columns), through its queries, keys and values. The red line on
    the colour bar is the overlap of random subspaces of the same sizes."""
    labels = [f"H{h}" for h in range(_model().cfg.n_heads)]
    return plots.annotated_heatmaps(
        {f"layer 1 reads through {n}": _overlaps(n) for n in ("W_Q", "W_K", "W_V")},
        [f"L0{h}" for h in labels],
        [f"L1{h}" for h in labels],
        colorbar_label="subspace overlap",
        reference=("random subspaces", _chance()),
        xlabel="reader (layer 1)",
        ylabel="writer (layer 0)",
    )
