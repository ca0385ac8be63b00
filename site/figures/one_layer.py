"""Numbers and tables of the one-layer chapter, computed on the zoo's attn-only-1l with the
chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import plots, zoo
from course.dataset import frequent_tokens, load_streams, text_batch
from course.tokenizer import Tokenizer
from solutions import one_layer as ol

#: Skip-trigrams are read among the most frequent tokens: a rare token's embedding has barely
#: been trained, and its outsized entries would fill the list.
POOL = 500
#: How many of each head's strongest skip-trigrams the copying share counts.
TOP = 50
#: How deep the table looks for each head's four strongest sources, if the top TOP hold fewer.
DEEP = 200
LAYER = ("W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O")


@cache
def _model():
    return zoo.load("attn-only-1l", dtype=torch.float64)


@cache
def _weights() -> dict:
    model = _model()
    weights = {n: getattr(model, n).detach() for n in ("W_E", "W_pos", "W_U", "b_U")}
    return weights | {n: getattr(model, n)[0].detach() for n in LAYER}


@cache
def _pool() -> torch.Tensor:
    return frequent_tokens(load_streams().train, POOL, exclude=Tokenizer().bos_id)


@cache
def _trigrams(head: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Head ``head``'s k strongest skip-trigrams among the pool, as vocabulary ids."""
    w, pool = _weights(), _pool()
    triples, scores = ol.top_skip_trigrams(
        w["W_E"][pool], w["W_Q"], w["W_K"], w["W_V"], w["W_O"], w["W_U"][:, pool], head, k, chunk=128
    )
    return pool[triples], scores


def _code(token: int) -> str:
    """A token as inline HTML code, every character that Markdown, KaTeX or a table could read
    as syntax written as an entity."""
    text = plots.token_label(Tokenizer().token_str(token))
    return "<code>" + "".join(c if c.isalnum() or ord(c) > 127 else f"&#{ord(c)};" for c in text) + "</code>"


def skip_trigram_table() -> str:
    """Each head's strongest skip-trigrams among the frequent tokens, one per source token."""
    rows = [
        "| head | source A | … destination B | → output C | score | copies? |",
        "|---|---|---|---|---|---|",
    ]
    for head in range(_model().cfg.n_heads):
        # The top k are the first k of any deeper list, so the shallow list that copying_shares
        # reads already gives the same rows when it holds four sources.
        found = _first_sources(*_trigrams(head, TOP))
        if len(found) < 4:
            found = _first_sources(*_trigrams(head, DEEP))
        for (a, b, c), score in found:
            copies = "yes" if a == c else ""
            rows.append(f"| {head} | {_code(a)} | {_code(b)} | {_code(c)} | {score:.1f} | {copies} |")
    return "\n".join(rows)


def _first_sources(triples: torch.Tensor, scores: torch.Tensor, n: int = 4) -> list:
    """The strongest skip-trigram of each of the first ``n`` distinct source tokens."""
    found, seen = [], set()
    for (a, b, c), score in zip(triples.tolist(), scores.tolist()):
        if a not in seen:
            seen.add(a)
            found.append(((a, b, c), score))
            if len(found) == n:
                break
    return found


def copying_shares() -> str:
    shares = [ol.copying_share(_trigrams(h, TOP)[0]) for h in range(_model().cfg.n_heads)]
    return ", ".join(f"head {h}: {s:.0%}" for h, s in enumerate(shares))


def pool_size() -> str:
    return str(POOL)


def top() -> str:
    return str(TOP)


def chance_share() -> str:
    return f"{1 / POOL:.1%}"


@cache
def _cross_entropies() -> dict[str, float]:
    """Held-out cross-entropy (nats) of the full model, of its direct path alone, and of the
    zoo's zero-layer model, on the same random windows of held-out text."""
    tokens = text_batch(load_streams().val, 32, 128, Tokenizer().bos_id, torch.Generator().manual_seed(0))
    terms = ol.path_expansion(tokens, **_weights(), shortformer=True)

    def ce(logits: torch.Tensor) -> float:
        logp = logits.log_softmax(-1)[:, :-1]
        return -logp.gather(-1, tokens[:, 1:, None]).mean().item()

    with torch.no_grad():
        zero = zoo.load("attn-only-0l", dtype=torch.float64)(tokens)
    return {"full": ce(terms.sum(2)), "direct": ce(terms[:, :, 0]), "zero": ce(zero)}


def full_ce() -> str:
    return f"{_cross_entropies()['full']:.2f}"


def direct_ce() -> str:
    return f"{_cross_entropies()['direct']:.2f}"


def zero_layer_ce() -> str:
    return f"{_cross_entropies()['zero']:.2f}"


def d_vocab() -> str:
    return f"{_model().cfg.d_vocab:,}"


def n_triples() -> str:
    return f"{_model().cfg.d_vocab ** 3:,}"


# --- skip-trigram bugs ------------------------------------------------------------------

BUG_TOP = 100


@cache
def _bugs(head: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Head ``head``'s 100 strongest skip-trigrams among the pool, and the bugs they imply."""
    w = _weights()
    triples, scores = _trigrams(head, BUG_TOP)
    crossed, crossed_scores = ol.skip_trigram_bugs(
        triples, w["W_E"], w["W_Q"], w["W_K"], w["W_V"], w["W_O"], w["W_U"], head
    )
    return triples, scores, crossed, crossed_scores


def bug_top() -> str:
    return str(BUG_TOP)


def skip_trigram_bug_table() -> str:
    """Per head: how many pairs of its strongest trigrams share a source, the share of their
    crossed triples that score at least as high as the 100th strongest trigram, and the first
    pair's bug, decoded."""
    rows = [
        "| head | pairs | bugs as strong as the 100th | implements | and | so also |",
        "|---|---|---|---|---|---|",
    ]
    for head in range(_model().cfg.n_heads):
        triples, scores, crossed, crossed_scores = _bugs(head)
        strong = (crossed_scores >= scores.min()).double().mean().item()
        (a, b, c), (_, b2, c2) = crossed[0].tolist(), crossed[1].tolist()  # (A, B_i, C_j), (A, B_j, C_i)
        rows.append(
            f"| {head} | {len(crossed) // 2} | {strong:.0%} | {_code(a)} … {_code(b)} → {_code(c2)} "
            f"| {_code(a)} … {_code(b2)} → {_code(c)} | {_code(a)} … {_code(b)} → {_code(c)} |"
        )
    return "\n".join(rows)
