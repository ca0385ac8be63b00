"""Numbers and figures of the eigenvalue chapter, computed on the zoo's attn-only-1l and
attn-only-2l with the chapter's reference solutions (see site/hooks/course_blocks.py for how
pages use them)."""

from functools import cache

import torch

from course import heldout, plots, zoo
from course.dataset import load_streams
from solutions import eigenvalues as ev

#: The diagonal measure asks whether a token is among the k it raises most.
K = 10


@cache
def _model(name: str):
    return zoo.load(name, dtype=torch.float64).requires_grad_(False)


def _ov(name: str) -> dict:
    m = _model(name)
    return dict(W_E=m.W_E, W_V=m.W_V, W_O=m.W_O, W_U=m.W_U)


@cache
def _ov_scores(name: str) -> torch.Tensor:
    return ev.ov_copying_scores(**_ov(name))


@cache
def _qk_scores(name: str) -> torch.Tensor:
    m = _model(name)
    return ev.qk_same_token_scores(m.W_E, m.W_Q, m.W_K)


@cache
def _diagonal(name: str) -> torch.Tensor:
    return ev.diagonal_share(**_ov(name), k=K, chunk=256)


def _heads(scores: torch.Tensor, digits: str = ".2f") -> str:
    return ", ".join(f"L{l}H{h} {s:{digits}}" for (l, h), s in zip(torch.cartesian_prod(
        torch.arange(scores.shape[0]), torch.arange(scores.shape[1])).tolist(), scores.flatten().tolist()))  # fmt: skip


def score_table() -> str:
    """Every head's OV copying score, QK same-token score and diagonal share, both models."""
    rows = [
        f"| model | head | OV copying score | QK same-token score | own token in its top {K} |",
        "|---|---|---|---|---|",
    ]
    for name in ("attn-only-1l", "attn-only-2l"):
        ov, qk, diag = _ov_scores(name), _qk_scores(name), _diagonal(name)
        for l in range(ov.shape[0]):
            for h in range(ov.shape[1]):
                rows.append(f"| `{name}` | L{l}H{h} | {ov[l, h]:.3f} | {qk[l, h]:+.2f} | {diag[l, h]:.1%} |")
    return "\n".join(rows)


def one_layer_ov_scores() -> str:
    return _heads(_ov_scores("attn-only-1l"))


def one_layer_qk_scores() -> str:
    return _heads(_qk_scores("attn-only-1l"), "+.2f")


def one_layer_diagonal() -> str:
    return _heads(_diagonal("attn-only-1l"), ".1%")


def k() -> str:
    return str(K)


def chance() -> str:
    return f"{K / _model('attn-only-1l').cfg.d_vocab:.1%}"


@cache
def _induction() -> tuple[int, ...]:
    """attn-only-2l's induction heads, strongest first, found by their scores on held-out
    tokens (``course.heldout.circuit``)."""
    return heldout.circuit(_model("attn-only-2l"), load_streams()).induction


def induction_heads() -> str:
    names = [f"L1H{h}" for h in _induction()]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def induction_head() -> str:
    return f"L1H{_induction()[0]}"


def induction_ov_score() -> str:
    return f"{_ov_scores('attn-only-2l')[1, _induction()[0]]:.4f}"


def induction_diagonal() -> str:
    return f"{_diagonal('attn-only-2l')[1, _induction()[0]]:.0%}"


def induction_top1() -> str:
    h = _induction()[0]
    ov = _ov("attn-only-2l")  # the strongest induction head alone: each head's share is computed on its own
    ov.update(W_V=ov["W_V"][1:2, h : h + 1], W_O=ov["W_O"][1:2, h : h + 1])
    return f"{ev.diagonal_share(**ov, k=1, chunk=256)[0, 0]:.0%}"


def eigenvalue_scatters():
    """The eigenvalues of every head's full OV circuit W_E W_V W_O W_U in the complex plane,
    each head's divided by its largest modulus: the one-layer model's heads and the two-layer
    model's, layer by layer. Copying heads put their points on the positive real axis."""
    panels = {}
    for name in ("attn-only-1l", "attn-only-2l"):
        spectra = ev.normalised_ov_spectra(**_ov(name))
        for l in range(spectra.shape[0]):
            panels[f"{name}, layer {l}"] = spectra[l]
    heads = _model("attn-only-2l").cfg.n_heads
    return plots.eigenvalue_scatter(panels, [f"head {h}" for h in range(heads)])
