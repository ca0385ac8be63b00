"""Chapter "Zero-layer transformers are bigram models".

With no layers, a transformer's logits at position i depend on token t_i alone:
logits = W_E[t_i] W_U + b_U. So W_E W_U (+ b_U) is a table of next-token logits,
one row per current token, of rank at most d_model: a compressed bigram model.
Shapes follow TransformerLens: W_E [d_vocab, d_model], W_U [d_model, d_vocab].
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(difficulty=1, importance=4, minutes=10)
def bigram_counts(tokens: Int[Tensor, "n"], d_vocab: int) -> Int[Tensor, "d_vocab d_vocab"]:
    """How often each token follows each other token in a stream:

    counts[a, b] = #{ i : t_i = a and t_{i+1} = b }.

    Rows are the current token, columns the next one; the counts sum to n − 1.
    """
    ### BEGIN SOLUTION
    pairs = tokens[:-1] * d_vocab + tokens[1:]
    return torch.bincount(pairs, minlength=d_vocab * d_vocab).reshape(d_vocab, d_vocab)
    ### END SOLUTION


@exercise(difficulty=2, importance=4, minutes=10)
def bigram_log_probs(
    counts: Float[Tensor, "d_vocab d_vocab"], alpha: float
) -> Float[Tensor, "d_vocab d_vocab"]:
    """Smoothed conditional log-probabilities of the next token:

    log P(b | a) = log( (counts[a, b] + α) / (Σ_b' counts[a, b'] + α · d_vocab) ).

    Add-α smoothing gives unseen pairs a small probability, so held-out text never
    scores an infinite loss. Each row's probabilities sum to 1.
    """
    ### BEGIN SOLUTION
    smoothed = counts + alpha
    return (smoothed / smoothed.sum(dim=-1, keepdim=True)).log()
    ### END SOLUTION


@exercise(difficulty=1, importance=5, minutes=5)
def zero_layer_logits(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
) -> Float[Tensor, "d_vocab d_vocab"]:
    """The zero-layer model as a table: row a holds the logits after token a,

    T = W_E W_U + b_U.

    (In the paper's column-vector notation this is W_U W_E.) Its rank, without the
    bias, is at most d_model.
    """
    ### BEGIN SOLUTION
    return W_E @ W_U + b_U
    ### END SOLUTION


@exercise(difficulty=2, importance=4, minutes=10)
def table_cross_entropy(
    table: Float[Tensor, "d_vocab d_vocab"], tokens: Int[Tensor, "n"]
) -> Float[Tensor, ""]:
    """The cross-entropy of a bigram table of logits (or log-probabilities) on a stream:

    H = −1/(n−1) Σ_i log softmax(table[t_i])[t_{i+1}].

    The softmax is over each row, the next token; for a table of log-probabilities it
    changes nothing.
    """
    ### BEGIN SOLUTION
    log_probs = table.log_softmax(dim=-1)
    return -log_probs[tokens[:-1], tokens[1:]].mean()
    ### END SOLUTION
