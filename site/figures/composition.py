"""Figures and numbers of the composition chapter, computed on the zoo's attn-only-2l with the
chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import heldout, plots, zoo
from course.dataset import load_streams, repeated_tokens
from course.tokenizer import Tokenizer
from solutions import composition as comp

PERIOD = 30  # tokens in each half of a repeated sequence
BASELINE_SAMPLES = 1000


@cache
def _model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


def _heads(layer: int) -> list[str]:
    return [f"L{layer}H{h}" for h in range(_model().cfg.n_heads)]


@cache
def _circuit() -> heldout.Circuit:
    """The previous-token and induction heads, found by their scores on held-out tokens."""
    return heldout.circuit(_model(), load_streams())


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def previous_token_head() -> str:
    return f"L0H{_circuit().previous_token}"


def induction_heads() -> str:
    heads = [f"L1H{h}" for h in _circuit().induction]
    return ("the induction head " if len(heads) == 1 else "the induction heads ") + _and(heads)


def top_induction_head() -> str:
    return f"L1H{_circuit().induction[0]}"


@cache
def _scores() -> dict[str, torch.Tensor]:
    m = _model()
    q, k, v = comp.composition_scores(m.W_V[0], m.W_O[0], m.W_Q[1], m.W_K[1], m.W_V[1], m.W_O[1])
    return {"Q-composition": q, "K-composition": k, "V-composition": v}


@cache
def _baseline() -> float:
    """Chance for an OV circuit of layer 0 read by a QK circuit of layer 1: every factor is
    [d_model, d_head], so one baseline serves Q, K and V alike."""
    m = _model()
    return comp.composition_baseline(
        m.W_V[0, 0], m.W_O[0, 0], m.W_Q[1, 0], m.W_K[1, 0].T, n_samples=BASELINE_SAMPLES, seed=0
    ).item()


def baseline() -> str:
    return f"{_baseline():.3f}"


def baseline_samples() -> str:
    return f"{BASELINE_SAMPLES:,}"


def top_k_pair() -> str:
    k = _scores()["K-composition"]
    later, earlier = divmod(int(k.argmax()), k.shape[1])
    return f"L0H{earlier} → L1H{later} ({k[later, earlier].item():.3f}, {k.max().item() / _baseline():.1f}× chance)"


def top_q_pair() -> str:
    q = _scores()["Q-composition"]
    later, earlier = divmod(int(q.argmax()), q.shape[1])
    return f"L0H{earlier} → L1H{later} ({q[later, earlier].item():.3f})"


def top_q_role() -> str:
    """What the top Q-composition pair connects, in words."""
    q, c = _scores()["Q-composition"], _circuit()
    later, earlier = divmod(int(q.argmax()), q.shape[1])
    if later not in c.induction:
        return "feeds a head that is not an induction head"
    if earlier == c.previous_token:
        return (
            "feeds an induction head's queries from the previous-token head: a query, too, says "
            "which token came before it, to be matched against what the two-back head wrote "
            "into the keys" if c.two_back else "feeds an induction head's queries from the previous-token head"
        )
    return f"feeds an induction head's queries from L0H{earlier}"


def two_back_heads() -> str:
    heads = [f"L0H{h}" for h in _circuit().two_back]
    if not heads:
        return "no other layer-0 head does"
    return f"so does {_and(heads)}, which attend{'s' if len(heads) == 1 else ''} two tokens back"


def k_with_circuit() -> str:
    """Each induction head's K-composition with each layer-0 head of the circuit."""
    k, c = _scores()["K-composition"], _circuit()
    return "; ".join(
        f"L1H{h} " + ", ".join(f"L0H{e} {k[h, e].item():.3f}" for e in c.layer_0) for h in c.induction
    )


def top_v_score() -> str:
    return f"{_scores()['V-composition'].max().item():.3f}"


def composition_heatmaps():
    """Q-, K- and V-composition scores of every pair of heads of attn-only-2l, the later head
    in rows and the earlier head in columns; the red line on the colour bar is the score
    that random matrices of the same shapes get."""
    s = _scores()
    high = max(t.max().item() for t in s.values())
    return plots.annotated_heatmaps(
        s,
        row_labels=_heads(1),
        col_labels=_heads(0),
        colorbar_label="composition score",
        vmin=0.0,
        vmax=round(high + 0.05, 1),
        reference=(f"random baseline {_baseline():.3f}", _baseline()),
        xlabel="earlier head (writes)",
        ylabel="later head (reads)",
    )


@cache
def _repeated():
    m = _model()
    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out
    tokens = repeated_tokens(pool, 16, PERIOD, 2 * PERIOD, bos, torch.Generator().manual_seed(0))
    _, cache = m.run_with_cache(tokens)
    return tokens, cache


@cache
def _path_terms():
    """Each term's share of the correct token's logit (centred over the vocabulary, so that a
    term raising every logit alike counts for nothing), averaged over each half."""
    m = _model()
    tokens, cache = _repeated()
    terms = comp.path_expansion(
        tokens, cache["pattern", 0], cache["pattern", 1], m.W_E, m.W_V, m.b_V, m.W_O, m.b_O, m.W_U, m.b_U
    )
    centred = terms - terms.mean(-1, keepdim=True)
    index = tokens[None, :, 1:, None].expand(len(terms), -1, -1, 1)
    correct = centred[:, :, :-1].gather(-1, index)[..., 0]
    labels = ["direct", *_heads(0), *_heads(1)]
    labels += [f"{a}·{b}" for a in _heads(1) for b in _heads(0)]
    labels.append("biases")
    first = correct[:, :, 1:PERIOD].mean((1, 2))
    second = correct[:, :, PERIOD + 1 :].mean((1, 2))
    return labels, first, second


def path_terms():
    """What each path of attn-only-2l adds to the correct token's logit on random held-out
    tokens repeated once: the direct path, every single head, every virtual head (later·earlier)
    and the biases. On the repeat, the induction heads' own terms carry the prediction;
    every virtual head stays small."""
    labels, first, second = _path_terms()
    return plots.component_bars(
        labels,
        {"first half (new tokens)": first.tolist(), "second half (a repeat)": second.tolist()},
        ylabel="correct-token logit (centred)",
        title="the path expansion on repeated tokens",
    )


def largest_virtual_term() -> str:
    labels, _, second = _path_terms()
    virtual = [i for i, name in enumerate(labels) if "·" in name]
    best = max(virtual, key=lambda i: abs(second[i].item()))
    return f"{labels[best]} ({second[best].item():+.2f})"


def induction_head_terms() -> str:
    labels, _, second = _path_terms()
    names = [f"L1H{h}" for h in _circuit().induction]
    return ", ".join(f"{name} {second[labels.index(name)].item():+.1f}" for name in names)


@cache
def _lifts(head: int):
    m = _model()
    _, cache = _repeated()
    embed = cache["hook_embed"]
    components = torch.cat(
        [
            embed[None],
            cache["hook_pos_embed"][None],
            cache["result", 0].permute(2, 0, 1, 3),
            m.b_O[0].expand_as(embed)[None],
        ]
    )
    a = m.blocks[1].attn
    sides = comp.score_contributions(components, a.W_Q[head], a.b_Q[head], a.W_K[head], a.b_K[head])
    return [comp.offset_score_lift(s, PERIOD - 1) for s in sides]


def score_lifts():
    """How much each component of layer 1's input raises the strongest induction head's score
    of the key P − 1 positions back (the token after the previous occurrence) above the other
    keys, on random held-out tokens repeated with period P: through the keys, the
    previous-token head does it; through the queries, the token embedding."""
    key, query = _lifts(_circuit().induction[0])
    labels = ["embed", "pos", *_heads(0), "b_O"]
    return plots.component_bars(
        labels,
        {"key side": key.tolist(), "query side": query.tolist()},
        ylabel="score lift at offset P − 1",
        title=f"where {top_induction_head()}'s attention to the induction key comes from",
    )


def _top_lift(side: int, rank: int = 0) -> str:
    lift = _lifts(_circuit().induction[0])[side]
    labels = ["the token embedding", "the positions", *_heads(0), "b_O"]
    best = int(lift.argsort(descending=True)[rank])
    return f"{labels[best]} (+{lift[best].item():.1f})"


def key_lift_top() -> str:
    return _top_lift(0)


def key_lift_second() -> str:
    return _top_lift(0, 1)


def query_lift_top() -> str:
    return _top_lift(1)


def query_lift_second() -> str:
    return _top_lift(1, 1)


# --- term importance --------------------------------------------------------------------


def _term_labels() -> list[str]:
    H = _model().cfg.n_heads
    virtual = [f"L1H{a}←L0H{b}" for a in range(H) for b in range(H)]
    return ["direct", *_heads(0), *_heads(1), *virtual, "biases"]


@cache
def _importance() -> dict[str, torch.Tensor]:
    """Each path term's importance, patterns frozen, on held-out text and on repeated tokens."""
    from course.dataset import text_batch

    m, bos = _model(), Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out  # tokens no training repeat ever drew
    batches = {
        "held-out text": text_batch(load_streams().val, 4, 128, bos, torch.Generator().manual_seed(0)),
        "repeated random tokens": repeated_tokens(pool, 4, 40, 80, bos, torch.Generator().manual_seed(0)),
    }
    out = {}
    for name, tokens in batches.items():
        _, cache_ = m.run_with_cache(tokens)
        terms = comp.path_expansion(tokens, cache_["pattern", 0], cache_["pattern", 1], m.W_E, m.W_V, m.b_V,
                                    m.W_O, m.b_O, m.W_U, m.b_U)  # fmt: skip
        out[name] = comp.term_importance(terms, tokens)
    return out


def term_importance_bars():
    """The loss increase when one term of attn-only-2l's path expansion is removed, the attention
    patterns frozen: the direct path, each head's own term, each virtual head (later ← earlier)
    and the biases, on held-out text and on random tokens repeated once. The virtual heads'
    terms are small."""
    return plots.component_bars(
        _term_labels(),
        {name: t.tolist() for name, t in _importance().items()},
        ylabel="loss increase (nats)",
        title="term importance, patterns frozen",
    )


def top_terms() -> str:
    labels = _term_labels()
    parts = []
    for name, imp in _importance().items():
        top = imp.topk(3)
        listed = ", ".join(f"{labels[int(i)]} (+{v:.2f})" for v, i in zip(top.values.tolist(), top.indices))
        parts.append(f"on {name}, {listed}")
    return "; ".join(parts)


def max_virtual_term() -> str:
    H = _model().cfg.n_heads
    worst = max(imp[1 + 2 * H : 1 + 2 * H + H * H].max().item() for imp in _importance().values())
    return f"{worst:.2f}"
