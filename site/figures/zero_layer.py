"""Numbers and figures of the zero-layer chapter, computed on the zoo's attn-only-0l with the
chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from course import plots, zoo
from course.dataset import frequent_tokens, load_streams
from course.tokenizer import Tokenizer
from solutions import zero_layer as zl

#: The smoothings tried for the counted bigrams; the best one on held-out text is the baseline,
#: as in the zoo's metrics (course.scores.best_bigram_cross_entropy).
ALPHAS = (1e-3, 1e-2, 1e-1, 1.0)


@cache
def _model():
    return zoo.load("attn-only-0l", dtype=torch.float64)


@cache
def _counts():
    return zl.bigram_counts(load_streams().train, _model().cfg.d_vocab).double()


@cache
def _cross_entropies() -> dict[str, float]:
    """Held-out cross-entropies in nats: unigram, counted bigrams, the model's table."""
    model, val = _model(), load_streams().val
    counts = _counts()
    unigram = (torch.bincount(load_streams().train, minlength=model.cfg.d_vocab).double() + 1).log()
    table = zl.zero_layer_logits(model.W_E, model.W_U, model.b_U)
    return {
        "unigram": zl.table_cross_entropy(unigram.expand_as(table), val).item(),
        "bigram": min(zl.table_cross_entropy(zl.bigram_log_probs(counts, a), val).item() for a in ALPHAS),
        "model": zl.table_cross_entropy(table, val).item(),
    }


def gap_closed() -> str:
    ce = _cross_entropies()
    return f"{zl.gap_closed(torch.tensor(ce['unigram']), torch.tensor(ce['model']), torch.tensor(ce['bigram'])):.1%}"


def unigram_ce() -> str:
    return f"{_cross_entropies()['unigram']:.2f}"


def bigram_ce() -> str:
    return f"{_cross_entropies()['bigram']:.2f}"


def model_ce() -> str:
    return f"{_cross_entropies()['model']:.2f}"


def d_model() -> str:
    return str(_model().cfg.d_model)


def d_vocab() -> str:
    return f"{_model().cfg.d_vocab:,}"


def top_after_import() -> str:
    model, tok = _model(), Tokenizer()
    top = zl.top_next_tokens(model.W_E, model.W_U, model.b_U, tok.encode("import")[0], 5)
    return ", ".join(f"`{plots.token_label(tok.token_str(int(t)))}`" for t in top)


def bigram_heatmaps():
    """The zero-layer model's predictions, log-softmax of W_E W_U + b_U, next to the counted
    bigrams' log-probabilities, for the 20 most frequent tokens of the corpus: the same
    pattern, learned through a table of rank d_model."""
    model, tok = _model(), Tokenizer()
    top = frequent_tokens(load_streams().train, 20, exclude=tok.bos_id)
    table = zl.zero_layer_logits(model.W_E, model.W_U, model.b_U).log_softmax(-1)
    counted = zl.bigram_log_probs(_counts(), 0.1)
    rows = top[:, None], top[None, :]
    return plots.log_prob_heatmaps(
        {"attn-only-0l: W_E W_U + b_U": table[rows], "counted bigrams (α = 0.1)": counted[rows]},
        [plots.token_label(tok.token_str(int(t))) for t in top],
    )
