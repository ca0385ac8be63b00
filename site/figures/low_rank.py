"""Numbers and figures of the low-rank chapter, computed on the zoo's attn-only-1l and
attn-only-2l with the chapter's reference solutions (see site/hooks/course_blocks.py for how
pages use them)."""

from functools import cache

import torch

from course import plots, scores, zoo
from course.dataset import load_streams
from course.tokenizer import Tokenizer
from solutions import low_rank as lr


@cache
def _model(name: str):
    return zoo.load(name, dtype=torch.float64)


@cache
def _circuits(name: str) -> tuple[lr.FactoredMatrix, lr.FactoredMatrix]:
    """Every head's (W_QK, W_OV), factored, [layer, head, d_model, d_model]."""
    m = _model(name)
    qk, ov = lr.head_circuit_factors(m.W_Q, m.W_K, m.W_V, m.W_O)
    return lr.FactoredMatrix(*qk), lr.FactoredMatrix(*ov)


@cache
def _spectra(name: str) -> dict[str, torch.Tensor]:
    """The singular values of each head's dense d_model × d_model W_QK and W_OV, [heads, d_model]."""
    QK, OV = _circuits(name)
    return {kind: torch.linalg.svdvals(M.AB).flatten(0, 1) for kind, M in (("W_QK", QK), ("W_OV", OV))}


def _head_labels(name: str) -> list[str]:
    cfg = _model(name).cfg
    return [f"L{layer}H{head}" for layer in range(cfg.n_layers) for head in range(cfg.n_heads)]


def d_model() -> str:
    return str(_model("attn-only-2l").cfg.d_model)


def d_head() -> str:
    return str(_model("attn-only-2l").cfg.d_head)


def d_vocab() -> str:
    return f"{_model('attn-only-1l').cfg.d_vocab:,}"


def ranks() -> str:
    """The numerical ranks found in each model, against its d_head and d_model, in words."""
    parts = []
    for name in ("attn-only-1l", "attn-only-2l"):
        found = set()
        for M in _circuits(name):
            found |= set(lr.numerical_rank(M.AB).flatten().tolist())
        cfg = _model(name).cfg
        ranks = " or ".join(str(r) for r in sorted(found))
        parts.append(f"{ranks} in `{name}` (d_head {cfg.d_head}, d_model {cfg.d_model})")
    return " and ".join(parts)


def largest_dropped() -> str:
    """The largest σ_{d_head+1} / σ_1 over every head and both circuits of attn-only-2l."""
    e = _model("attn-only-2l").cfg.d_head
    return f"{max((S[:, e] / S[:, 0]).max().item() for S in _spectra('attn-only-2l').values()):.0e}"


def smallest_kept() -> str:
    """The smallest σ_{d_head} / σ_1 over every head and both circuits of attn-only-2l."""
    e = _model("attn-only-2l").cfg.d_head
    return f"{min((S[:, e - 1] / S[:, 0]).min().item() for S in _spectra('attn-only-2l').values()):.3f}"


def spectra():
    """Singular values of every head's W_QK and W_OV in attn-only-2l, relative to the largest,
    on a log scale: the first d_head of them carry the matrix, and the rest are rounding,
    near float64's machine epsilon."""
    name = "attn-only-2l"
    return plots.singular_value_spectra(
        _spectra(name), _head_labels(name), _model(name).cfg.d_head, title=f"{name}: each head's circuits"
    )


def dense_megabytes() -> str:
    """What one head's full circuit takes dense in float32, against its two factors."""
    v = _model("attn-only-1l").cfg.d_vocab
    return f"{v * v * 4 / 1e6:.0f} MB"


def factored_megabytes() -> str:
    v, e = _model("attn-only-1l").cfg.d_vocab, _model("attn-only-1l").cfg.d_head
    return f"{2 * v * e * 4 / 1e6:.2f} MB"


@cache
def _full_ov() -> lr.FactoredMatrix:
    m = _model("attn-only-1l")
    return lr.full_ov_circuit(m.W_E, m.W_V, m.W_O, m.W_U)


def copying_1l() -> str:
    """Σλ / Σ|λ| over the eigenvalues of each head's full OV circuit in attn-only-1l."""
    ev = _full_ov().eigenvalues
    values = (ev.real.sum(-1) / ev.abs().sum(-1)).flatten()
    return ", ".join(f"{v:.2f}" for v in values.tolist())


def copying_agrees() -> str:
    """The largest difference from course.scores.copying_scores, which uses the same trick."""
    ev = _full_ov().eigenvalues
    ours = ev.real.sum(-1) / ev.abs().sum(-1)
    return f"{(ours - scores.copying_scores(_model('attn-only-1l'))).abs().max().item():.0e}"


#: A token seen fewer times than this in training is marked rare, with its count.
RARE = 100


@cache
def _counts() -> torch.Tensor:
    return torch.bincount(load_streams().train, minlength=_model("attn-only-1l").cfg.d_vocab)


def _code(token: int, tok: Tokenizer) -> str:
    """A token as inline code in a table cell: pipes escaped, backticks fenced by two; a rare
    token followed by how often training saw it."""
    text = plots.token_label(tok.token_str(token)).replace("|", "\\|")
    code = f"`` {text} ``" if "`" in text else f"`{text}`"
    n = int(_counts()[token])
    return f"{code} (rare: {n}×)" if n < RARE else code


def rare() -> str:
    return str(RARE)


def train_tokens() -> str:
    return f"{len(load_streams().train) / 1e6:.1f} million"


def top_ov_entries() -> str:
    """A Markdown table: the five largest entries of each head's full OV circuit in
    attn-only-1l, as "attended token → raised next token (logit change)"."""
    tok, full = Tokenizer(), _full_ov()
    rows = [
        "| head | the five largest entries: attended token → next token (logit change) |",
        "| --- | --- |",
    ]
    for h in range(full.shape[1]):
        values, src, dst = lr.top_k_entries(full[0, h], k=5, chunk_size=256)
        cells = [
            f"{_code(int(a), tok)} → {_code(int(b), tok)} ({v:.1f})"
            for v, a, b in zip(values.tolist(), src, dst)
        ]
        rows.append(f"| L0H{h} | {', '.join(cells)} |")
    return "\n".join(rows)


# --- scalars, collapsing and even factors -----------------------------------------------


@cache
def _scaled_scores_error() -> float:
    """The largest gap between x (W_QK · 1/√d_head) xᵀ, with the scale applied by ``*``, and
    the query-key part of the attention scores that attn-only-2l computes in layer 0
    ((q − b_Q)(k − b_K)ᵀ / √d_head: W_QK has no biases), on 16 random tokens."""
    m = _model("attn-only-2l").requires_grad_(False)
    tokens = torch.randint(0, m.cfg.d_vocab, (1, 16), generator=torch.Generator().manual_seed(0))
    _, cache_ = m.run_with_cache(tokens)
    x = cache_["resid_pre", 0][0] + m.W_pos[:16]  # shortformer: positions enter queries and keys
    QK = _circuits("attn-only-2l")[0][0] * m.cfg.d_head**-0.5  # layer 0's heads
    ours = (x @ QK @ x.T).AB  # [head, pos, pos], through a thin FactoredMatrix
    q, k = cache_["q", 0][0] - m.b_Q[0], cache_["k", 0][0] - m.b_K[0]  # [pos, head, d_head]
    theirs = torch.einsum("qhe,khe->hqk", q, k) * m.cfg.d_head**-0.5
    return (ours - theirs).abs().max().item()


def scaled_scores_error() -> str:
    return f"{_scaled_scores_error():.0e}"


def _balance(M: lr.FactoredMatrix) -> torch.Tensor:
    return (M.A.norm(dim=(-2, -1)) / M.B.norm(dim=(-2, -1))).flatten()


def factor_balance() -> str:
    QK, OV = _circuits("attn-only-2l")
    ov, qk = _balance(OV), _balance(QK)
    even = torch.cat([_balance(OV.make_even()), _balance(QK.make_even())])
    return (
        f"from {ov.min().item():.2f} to {ov.max().item():.2f} for $W_V$ against $W_O$, and from "
        f"{qk.min().item():.2f} to {qk.max().item():.2f} for $W_Q$ against $W_K^\\top$; after "
        f"`make_even`, {even.min().item():.2f} for every head"
    )


def top_direction_share() -> str:
    """The share of ‖W_OV‖² that the first row of collapse_l carries, over attn-only-2l's heads."""
    rows = _circuits("attn-only-2l")[1].collapse_l().norm(dim=-1) ** 2  # row norms: S²
    share = (rows[..., 0] / rows.sum(-1)).flatten()
    return f"{share.min().item():.0%} to {share.max().item():.0%}"
