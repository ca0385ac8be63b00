"""Where the 2L model's induction claims are measured: on what training never repeated.

A model trained to copy repeats of some tokens can learn to copy *those tokens* rather than
to copy whatever repeats. So the tokens that training may repeat and the tokens that claims
are measured on are split here, once, deterministically:

- the *eligible* tokens are those seen at least ``MIN_COUNT`` times in the training split
  (rarer tokens have barely trained embeddings, and nothing the model does with them is
  a claim about its mechanism);
- every ``HOLD_OUT_EVERY``-th eligible token below the ``ZOO_POOL`` most frequent, in order of
  frequency, is *held out*: it samples every band of frequency below the pool of the zoo's
  first 2l recipe (the ``ZOO_POOL`` most frequent tokens), and no recipe's random repeats may
  draw it. Held-out tokens still occur in training text, and so in its repeated windows, as
  often as the text has them;
- the rest is the pool that a recipe's random repeats may draw from.

Text is held out by the corpus's file split (``streams.val``). The bars of the issue that
made the recipe (``BARS``) are checked by ``check_bars`` in the tests, ``course zoo`` and the
models page, on batches drawn here from the held-out side only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

from course import scores
from course.dataset import TokenStreams, repeated_text, repeated_tokens
from course.model import AttnOnlyTransformer

MIN_COUNT = 20
HOLD_OUT_EVERY = 4
#: The zoo's first 2l recipe drew its random repeats from this many of the most frequent
#: tokens; they are never held out.
ZOO_POOL = 256
PERIOD = 50  # BOS + PERIOD tokens, repeated once
ROWS = 64
SEED = 2024


@dataclass(frozen=True)
class TokenSplit:
    eligible: Tensor  # every token seen ≥ MIN_COUNT times in training, most frequent first
    pool: Tensor  # the ones random repeats in training may draw from
    held_out: Tensor  # the ones they never draw from


def token_split(train: Tensor, bos_id: int, keep_top: int = ZOO_POOL) -> TokenSplit:
    """The deterministic split described in the module docstring (``keep_top``: how many of
    the most frequent tokens are never held out)."""
    counts = torch.bincount(train)
    counts[bos_id] = 0
    order = counts.argsort(descending=True, stable=True)
    eligible = order[counts[order] >= MIN_COUNT]
    mask = torch.zeros(len(eligible), dtype=torch.bool)
    mask[keep_top + HOLD_OUT_EVERY - 1 :: HOLD_OUT_EVERY] = True
    return TokenSplit(eligible, eligible[~mask], eligible[mask])


@lru_cache(maxsize=1)
def _split(streams: TokenStreams, bos_id: int) -> TokenSplit:
    return token_split(streams.train, bos_id)


def split(streams: TokenStreams) -> TokenSplit:
    """``token_split`` of the corpus's training stream."""
    from course.tokenizer import Tokenizer

    return _split(streams, Tokenizer().bos_id)


@dataclass(frozen=True)
class Measurement:
    induction: float  # the best layer-1 induction score (see scores.induction_scores)
    first: float  # mean loss predicting the first repeat's tokens 2..PERIOD
    second: float  # mean loss predicting the second repeat's tokens 2..PERIOD

    @property
    def ratio(self) -> float:
        return self.second / self.first


@torch.no_grad()
def measure(model: AttnOnlyTransformer, tokens: Tensor, period: int = PERIOD) -> Measurement:
    """Induction score and repeat losses on BOS + a sequence of ``period`` tokens repeated.
    Position i predicts token i + 1; the first token of each repeat is left out of its half,
    since nothing before it could predict it (in the second half: no earlier occurrence of
    the token it follows)."""
    loss = scores.mean_loss(model, tokens)
    ind = scores.induction_scores(model, tokens, period)[-1].max().item()
    return Measurement(ind, loss[1:period].mean().item(), loss[period + 1 :].mean().item())


def random_repeats(tokens: Tensor, bos_id: int, rows: int = ROWS, seed: int = SEED) -> Tensor:
    """BOS + PERIOD tokens drawn uniformly from ``tokens``, repeated once."""
    g = torch.Generator().manual_seed(seed)
    return repeated_tokens(tokens, rows, PERIOD, 2 * PERIOD, bos_id, g)


def text_repeats(stream: Tensor, bos_id: int, rows: int = ROWS, seed: int = SEED) -> Tensor:
    """BOS + PERIOD tokens of a random window of ``stream``, repeated once."""
    g = torch.Generator().manual_seed(seed)
    return repeated_text(stream, rows, PERIOD, 2 * PERIOD, bos_id, g)


#: The bars a 2L model's induction mechanism must clear to count as general (issue 15):
#: (test set, lowest best layer-1 induction score, highest second/first-half loss ratio).
BARS = (
    ("eligible", 0.7, 0.2),
    ("held_out_tokens", 0.7, 0.2),
    ("held_out_text", 0.55, None),
)


def claim_sets(streams: TokenStreams) -> dict[str, Tensor]:
    """The batches that induction claims are measured on, by name (see ``DESCRIPTIONS``)."""
    from course.tokenizer import Tokenizer

    bos, s = Tokenizer().bos_id, split(streams)
    return {
        "top_256": random_repeats(s.eligible[:ZOO_POOL], bos),
        "rank_257_1024": random_repeats(s.eligible[ZOO_POOL:1024], bos),
        "eligible": random_repeats(s.eligible, bos),
        "held_out_tokens": random_repeats(s.held_out, bos),
        "held_out_text": text_repeats(streams.val, bos),
    }


def descriptions(streams: TokenStreams) -> dict[str, str]:
    """What each test set is, in words for a page (its sizes read from the split)."""
    s = split(streams)
    return {
        "top_256": f"the {ZOO_POOL} most frequent tokens (the first 2l recipe's whole repeat pool)",
        "rank_257_1024": "the tokens of frequency rank 257–1,024",
        "eligible": f"every token seen ≥ {MIN_COUNT} times in training ({len(s.eligible):,})",
        "held_out_tokens": (
            f"the {len(s.held_out):,} held-out tokens (every {HOLD_OUT_EVERY}th of those below "
            f"the {ZOO_POOL} most frequent; no random repeat ever draws them)"
        ),
        "held_out_text": "windows of held-out text (files training never saw), repeated",
    }


def measure_all(model: AttnOnlyTransformer, streams: TokenStreams) -> dict[str, Measurement]:
    return {name: measure(model, tokens) for name, tokens in claim_sets(streams).items()}


def check_bars(results: dict[str, Measurement]) -> list[str]:
    """The bars in ``BARS`` that ``results`` miss, as sentences; empty when all hold."""
    failed = []
    for name, min_induction, max_ratio in BARS:
        m = results[name]
        if not m.induction > min_induction:
            failed.append(f"{name}: induction {m.induction:.3f} ≤ {min_induction}")
        if max_ratio is not None and not m.ratio < max_ratio:
            failed.append(f"{name}: loss ratio {m.ratio:.3f} ≥ {max_ratio}")
    return failed


# --- in-context learning, with its uncertainty -------------------------------------------

#: Olsson et al.'s in-context learning score compares the loss at the 500th token with the
#: loss at the 50th. The zoo's context is shorter, so both anchors are scaled by the same
#: factor, late / 500, with ``late`` the last position a window has a loss for.
OLSSON_EARLY, OLSSON_LATE = 50, 500


def icl_anchors(n_ctx: int) -> tuple[int, int, float]:
    """(early, late, scale): Olsson et al.'s anchors scaled to windows of ``n_ctx`` tokens
    (BOS first, so positions 0..n_ctx − 2 predict a token)."""
    late = n_ctx - 2
    scale = late / OLSSON_LATE
    return round(OLSSON_EARLY * scale), late, scale


def disjoint_windows(stream: Tensor, n_ctx: int, bos_id: int) -> Tensor:
    """Every non-overlapping window of ``n_ctx − 1`` tokens of ``stream``, BOS first: the
    samples share no token, so the spread of a per-window score gives its standard error."""
    n = (len(stream) - 1) // (n_ctx - 1)
    windows = stream[: n * (n_ctx - 1)].reshape(n, n_ctx - 1)
    return torch.cat([torch.full((n, 1), bos_id), windows], dim=1)


@dataclass(frozen=True)
class ICL:
    loss: Tensor  # [pos]: the mean loss at each position
    sem: Tensor  # [pos]: its standard error over windows
    score: float  # mean over windows of loss[late] − loss[early]
    score_sem: float  # its standard error over windows
    n: int  # windows


@torch.no_grad()
def in_context_learning(
    model: AttnOnlyTransformer, windows: Tensor, early: int, late: int, chunk: int = 256
) -> ICL:
    """Per-position loss and the in-context learning score with their standard errors, over
    independent windows (run in chunks, in the model's dtype)."""
    nll = []
    for t in windows.split(chunk):
        logp = model(t).log_softmax(-1)[:, :-1]
        nll.append(-logp.gather(-1, t[:, 1:, None])[..., 0].double())
    loss = torch.cat(nll)
    per_window = loss[:, late] - loss[:, early]
    n = len(loss)
    return ICL(
        loss=loss.mean(0),
        sem=loss.std(0) / n**0.5,
        score=per_window.mean().item(),
        score_sem=(per_window.std() / n**0.5).item(),
        n=n,
    )


# --- which heads form the circuit ---------------------------------------------------------


@dataclass(frozen=True)
class Circuit:
    previous_token: int  # the layer-0 head with the highest previous-token score
    induction: tuple[int, ...]  # last-layer heads above INDUCTION_SHARE of the best, best first
    #: Other layer-0 heads that attend two tokens back (above TWO_BACK), best first: their
    #: output tells an induction head's keys the token before the previous one.
    two_back: tuple[int, ...] = ()

    @property
    def layer_0(self) -> tuple[int, ...]:
        """The layer-0 heads of the circuit: the previous-token head, then any two-back heads."""
        return (self.previous_token, *self.two_back)


#: A last-layer head counts as an induction head when its score is at least this share of the best.
INDUCTION_SHARE = 0.5
#: A layer-0 head counts as a two-back head when its mean attention two tokens back is above this.
TWO_BACK = 0.5


def two_back_scores(model: AttnOnlyTransformer, tokens: Tensor) -> Tensor:
    """Each layer-0 head's mean attention from a query to the key two tokens before it."""
    _, cache = model.run_with_cache(tokens, names_filter="blocks.0.attn.hook_pattern")
    return cache["pattern", 0].diagonal(-2, -2, -1).mean((0, 2))


def circuit(model: AttnOnlyTransformer, streams: TokenStreams) -> Circuit:
    """The heads of the induction circuit, found by their scores on the held-out tokens, so
    that pages and tests name them from the model, never by typing."""
    from course.tokenizer import Tokenizer

    tokens = random_repeats(split(streams).held_out, Tokenizer().bos_id)
    prev = scores.previous_token_scores(model, tokens)[0]
    ind = scores.induction_scores(model, tokens, PERIOD)[-1]
    order = ind.argsort(descending=True).tolist()
    back2 = two_back_scores(model, tokens)
    prev_head = int(prev.argmax())
    two_back = [h for h in back2.argsort(descending=True).tolist() if h != prev_head and back2[h] > TWO_BACK]
    return Circuit(
        prev_head,
        tuple(h for h in order if ind[h] >= INDUCTION_SHARE * ind[order[0]]),
        tuple(two_back),
    )
