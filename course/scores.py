"""The scores by which the course's claims about its models are tested.

They follow TransformerLens's definitions, so numbers here compare with numbers
there, with one exception: ``induction_scores`` averages over the queries that have an
earlier occurrence to follow (the second repeat), while TransformerLens's
``detect_head(..., "induction_head")`` divides by every query of the sequence. On BOS +
P tokens repeated once (2P + 1 queries, P of them in the second repeat), multiply a score
here by P / (2P + 1), about a half, to get TransformerLens's. They are computed in float64
on small models, so none of them needs to be clever about memory.
"""

from __future__ import annotations

import math

import torch
from jaxtyping import Float, Int
from torch import Tensor

from course.model import AttnOnlyTransformer


def _patterns(model: AttnOnlyTransformer, tokens: Tensor) -> Float[Tensor, "l b h q k"]:
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    return torch.stack([cache["pattern", l] for l in range(model.cfg.n_layers)])


@torch.no_grad()
def previous_token_scores(model: AttnOnlyTransformer, tokens: Int[Tensor, "b p"]) -> Float[Tensor, "l h"]:
    """Mean attention from position i to i−1, over i ≥ 1."""
    pattern = _patterns(model, tokens)
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(1, -1))


@torch.no_grad()
def induction_scores(
    model: AttnOnlyTransformer, tokens: Int[Tensor, "b p"], period: int
) -> Float[Tensor, "l h"]:
    """On BOS + a sequence tiled with ``period``: the mean attention from each token of
    the second repeat onwards to the token just after its previous occurrence, i.e.
    position i attends to i − period + 1.

    Not TransformerLens's normalisation: ``detect_head`` sums the same attention weights
    but divides by every query, so on BOS + ``period`` tokens repeated once its score is
    this one times period / (2 · period + 1), about half (see the module docstring).
    Averaging over the queries that can follow a repeat makes 1 a perfect induction head."""
    pattern = _patterns(model, tokens)
    diag = pattern.diagonal(offset=1 - period, dim1=-2, dim2=-1)  # queries i ≥ period - 1
    # Queries before position 1 + period have no previous occurrence to follow.
    return diag[..., 2:].mean(dim=(1, -1))


@torch.no_grad()
def copying_scores(model: AttnOnlyTransformer) -> Float[Tensor, "l h"]:
    """Σλ / Σ|λ| over the eigenvalues λ of the full OV circuit W_E W_V W_O W_U.

    Its non-zero eigenvalues are those of the d_head × d_head product
    W_O W_U W_E W_V, so the vocab × vocab matrix is never built. +1 means every
    token raises its own logit: a copying head.
    """
    W_E, W_U = model.W_E.double(), model.W_U.double()
    W_V, W_O = model.W_V.double(), model.W_O.double()
    small = W_O @ W_U @ W_E @ W_V  # [l, h, e, e]
    eig = torch.linalg.eigvals(small)
    return eig.real.sum(-1) / eig.abs().sum(-1)


def composition_score(left: Tensor, right: Tensor) -> Tensor:
    """‖L R‖_F / (‖L‖_F ‖R‖_F): how much of what L writes, R reads."""
    return torch.linalg.matrix_norm(left @ right) / (
        torch.linalg.matrix_norm(left) * torch.linalg.matrix_norm(right)
    )


@torch.no_grad()
def composition_scores(model: AttnOnlyTransformer, kind: str) -> Float[Tensor, "l1 h1 l2 h2"]:
    """Q-, K- or V-composition scores of every head pair, zero unless l1 < l2.

    The left matrix is the earlier head's W_OV = W_V W_O (acting on row vectors);
    the right is W_QK = W_Q W_Kᵀ for Q, W_QKᵀ for K, and the later W_OV for V.
    """
    W_Q, W_K = model.W_Q.double(), model.W_K.double()
    OV = model.W_V.double() @ model.W_O.double()
    QK = W_Q @ W_K.transpose(-1, -2)
    right = {"Q": QK, "K": QK.transpose(-1, -2), "V": OV}[kind]
    L, H = OV.shape[:2]
    out = torch.zeros(L, H, L, H, dtype=torch.float64)
    for l1 in range(L):
        for l2 in range(l1 + 1, L):
            out[l1, :, l2, :] = composition_score(OV[l1][:, None], right[l2][None, :])
    return out


@torch.no_grad()
def mean_loss(model: AttnOnlyTransformer, tokens: Int[Tensor, "b p"]) -> Float[Tensor, p]:
    """Cross-entropy of predicting token i+1 at position i, averaged over the batch."""
    logp = model(tokens).log_softmax(-1)[:, :-1]
    nll = -logp.gather(-1, tokens[:, 1:, None])[..., 0]
    return nll.mean(0)


def bigram_log_probs(stream: Tensor, d_vocab: int, alpha: float) -> Float[Tensor, "v v"]:
    """log P(next | current) from counts with add-``alpha`` smoothing."""
    counts = torch.bincount(stream[:-1] * d_vocab + stream[1:], minlength=d_vocab**2)
    counts = counts.reshape(d_vocab, d_vocab).double() + alpha
    return (counts / counts.sum(-1, keepdim=True)).log()


def table_cross_entropy(log_probs: Float[Tensor, "v v"], stream: Tensor) -> float:
    """Held-out cross-entropy of a table of log P(next | current)."""
    return -log_probs[stream[:-1], stream[1:]].mean().item()


def unigram_cross_entropy(train: Tensor, held_out: Tensor, d_vocab: int) -> float:
    counts = torch.bincount(train, minlength=d_vocab).double() + 1.0
    logp = (counts / counts.sum()).log()
    return -logp[held_out[1:]].mean().item()


def best_bigram_cross_entropy(train: Tensor, held_out: Tensor, d_vocab: int) -> float:
    """The empirical bigram's held-out cross-entropy, at the best of a few smoothings,
    so that the baseline a model is compared with is as strong as counting gets."""
    return min(
        table_cross_entropy(bigram_log_probs(train, d_vocab, alpha), held_out)
        for alpha in (10.0**k for k in range(-3, 1))
    )


def zero_layer_table(model: AttnOnlyTransformer) -> Float[Tensor, "v v"]:
    """log-softmax of W_E W_U + b_U: what a zero-layer model predicts after each token.
    (Built dense: the course's vocabulary is 2,048.)"""
    return (model.W_E.double() @ model.W_U.double() + model.b_U.double()).log_softmax(-1)


def gap_closed(unigram: float, model: float, bigram: float) -> float:
    """The share of the unigram → bigram cross-entropy gap that ``model`` closes."""
    return (unigram - model) / (unigram - bigram) if not math.isclose(unigram, bigram) else math.nan
