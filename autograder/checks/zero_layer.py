"""Checks for chapter "Zero-layer transformers are bigram models"."""

import torch

from autograder.framework import SHAPES, Check, Shape, randn, too_large


def _stream(s: Shape, g: torch.Generator) -> torch.Tensor:
    return torch.randint(0, s.d_vocab, (s.batch * s.pos,), generator=g)


def _counts_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(tokens=_stream(s, g), d_vocab=s.d_vocab)


def _log_prob_inputs(s: Shape, g: torch.Generator) -> dict:
    counts = torch.randint(0, 6, (s.d_vocab, s.d_vocab), generator=g).double()
    counts[0] = 0  # a token never seen: only smoothing gives it a distribution
    return dict(counts=counts, alpha=0.5 + s.seed / 4)


def _table_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(
        W_E=randn(g, s.d_vocab, s.d_model),
        W_U=randn(g, s.d_model, s.d_vocab, scale=s.d_model**-0.5),
        b_U=randn(g, s.d_vocab),
    )


def _cross_entropy_inputs(s: Shape, g: torch.Generator) -> dict:
    tokens = torch.randint(0, s.d_vocab, (s.batch * s.pos + 1,), generator=g)
    return dict(table=randn(g, s.d_vocab, s.d_vocab, scale=2.0), tokens=tokens)


def counts_add_up(inputs, counts):
    n = len(inputs["tokens"])
    total = int(counts.sum())
    return (
        None
        if total == max(n - 1, 0)
        else f"the counts add up to {total}, but a stream of {n} tokens has {max(n - 1, 0)} pairs"
    )


def rows_are_distributions(inputs, log_probs):
    err = (log_probs.double().exp().sum(-1) - 1).abs().max()
    return (
        f"each row (a current token) must be a distribution over next tokens; its probabilities sum to 1 ± {err:.3g}"
        if err > 1e-4
        else None
    )


CHECKS = [
    Check("bigram_counts", _counts_inputs, invariants=(counts_add_up,), counts=True,
          hint="pair each token with the one after it; rows are the current token, columns the next"),
    Check("bigram_log_probs", _log_prob_inputs, invariants=(rows_are_distributions,),
          hint="add α to every count, then normalise each row (over the next token)"),
    Check("zero_layer_logits", _table_inputs,
          hint="row a is the logits after token a: W_E[a] @ W_U + b_U"),
    Check("table_cross_entropy", _cross_entropy_inputs,
          hint="log-softmax each row, then average −log p of the actual next token over the n − 1 pairs"),
]  # fmt: skip


def _gap_inputs(s: Shape, g: torch.Generator) -> dict:
    unigram, bigram = (
        5.0 + torch.rand((), generator=g, dtype=torch.float64),
        torch.rand((), generator=g, dtype=torch.float64) + 2,
    )
    return dict(
        unigram_ce=unigram,
        model_ce=bigram + torch.rand((), generator=g, dtype=torch.float64),
        bigram_ce=bigram,
    )


def _rank_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(log_probs=randn(g, s.d_vocab, s.d_vocab), k=s.d_head)


#: A vocabulary too large for the table that top_next_tokens must never build: it takes
#: 64 MB in float32, twice what the case may allocate.
LARGE_VOCAB = too_large("d_vocab 4000", 11, d_vocab=4000)


def _top_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(_table_inputs(s, g), token=s.seed % s.d_vocab, k=min(s.head, s.d_vocab))


def product(factors):
    A, B = factors
    return A.double() @ B.double()


def rank_at_most_k(inputs, factors):
    A, B = factors
    k = inputs["k"]
    return None if A.shape[-1] == k and B.shape[0] == k else f"the factors must have inner dimension k = {k}"


CHECKS += [
    Check("gap_closed", _gap_inputs, hint="(unigram − model) / (unigram − bigram)"),
    Check("best_rank_k", _rank_inputs, canonical=product, invariants=(rank_at_most_k,),
          hint="take the SVD, keep the k largest singular values, and fold S into one factor"),
    Check("top_next_tokens", _top_inputs, shapes=(*SHAPES, LARGE_VOCAB),
          never_build="the table is 4000 × 4000 here: compute the one row W_E[token] @ W_U + b_U "
          "(never build all d_vocab × d_vocab entries)",
          hint="compute one row, W_E[token] @ W_U + b_U, and take its top k indices in descending order"),
]  # fmt: skip
