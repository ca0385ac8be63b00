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


@exercise(
    difficulty=1,
    importance=4,
    minutes=10,
    hints=(
        "Pair every token with the next one: `tokens[:-1]` and `tokens[1:]`.",
        "Encode the pair (a, b) as the one integer a · d_vocab + b, count those with `torch.bincount(..., minlength=d_vocab**2)`, and reshape.",
    ),
)
def bigram_counts(tokens: Int[Tensor, "n"], d_vocab: int) -> Int[Tensor, "d_vocab d_vocab"]:
    """How often each token follows each other token in a stream:

    counts[a, b] = #{ i : t_i = a and t_{i+1} = b }.

    Rows are the current token, columns the next one; the counts sum to n − 1.
    """
    ### BEGIN SOLUTION
    pairs = tokens[:-1] * d_vocab + tokens[1:]
    return torch.bincount(pairs, minlength=d_vocab * d_vocab).reshape(d_vocab, d_vocab)
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=(
        "Add α to every count, the zeros included, before normalising.",
        "Divide each row by its own sum (`sum(dim=-1, keepdim=True)`), then take the log.",
    ),
)
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


@exercise(
    difficulty=1,
    importance=5,
    minutes=5,
    hints=(
        "With row vectors the embedding comes first: `W_E @ W_U` is [d_vocab, d_vocab].",
        "b_U broadcasts over the rows: it is the same for every current token.",
    ),
)
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


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=(
        "`table.log_softmax(dim=-1)` turns logits into log-probabilities and leaves log-probabilities as they are.",
        "Index rows and columns at once, `log_probs[tokens[:-1], tokens[1:]]`, then negate and average.",
    ),
)
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


@exercise(
    difficulty=1,
    importance=3,
    minutes=5,
    hints=("Lower cross-entropy is better, so the model's gain over the unigram is H_unigram − H_model.",),
)
def gap_closed(
    unigram_ce: Float[Tensor, ""], model_ce: Float[Tensor, ""], bigram_ce: Float[Tensor, ""]
) -> Float[Tensor, ""]:
    """The share of the unigram → bigram gap that a model closes:

    (H_unigram − H_model) / (H_unigram − H_bigram).

    0 means the model knows no more than token frequencies; 1 means it predicts as
    well as the counted bigrams (it can exceed 1 on held-out text, where counts overfit).
    """
    ### BEGIN SOLUTION
    return (unigram_ce - model_ce) / (unigram_ce - bigram_ce)
    ### END SOLUTION


@exercise(
    difficulty=3,
    importance=4,
    minutes=20,
    hints=(
        "`torch.linalg.svd(M, full_matrices=False)` returns U, S and Vh with M = U diag(S) Vh.",
        "Fold the singular values into one factor: `U[:, :k] * S[:k]` scales each column.",
    ),
)
def best_rank_k(
    log_probs: Float[Tensor, "d_vocab d_vocab"], k: int
) -> tuple[Float[Tensor, "d_vocab k"], Float[Tensor, "k d_vocab"]]:
    """The best rank-k approximation of a matrix, as factors A [d_vocab, k] and
    B [k, d_vocab] with A @ B closest to it in Frobenius norm (Eckart–Young):

    M = U S Vᵀ  ⇒  A = U_{:, :k} S_{:k},  B = Vᵀ_{:k, :}.

    A zero-layer model's table W_E W_U has the same form with k = d_model: W_E plays A
    and W_U plays B. Only the product is graded, since many factor pairs give it.
    """
    ### BEGIN SOLUTION
    U, S, Vh = torch.linalg.svd(log_probs, full_matrices=False)
    return U[:, :k] * S[:k], Vh[:k]
    ### END SOLUTION


@exercise(
    difficulty=2,
    importance=3,
    minutes=10,
    hints=(
        "`W_E[token]` is one row of d_model numbers; times W_U, plus b_U, it is one row of logits.",
        "`Tensor.topk(k).indices` gives the k largest, largest first.",
    ),
)
def top_next_tokens(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
    token: int,
    k: int,
) -> Int[Tensor, "k"]:
    """The k tokens a zero-layer model thinks most likely to follow ``token``, most
    likely first: the top k of W_E[token] W_U + b_U.

    Only one row of the table is needed: never build all d_vocab × d_vocab entries to
    read one row, which at a real vocabulary size is wasted work and memory.
    """
    ### BEGIN SOLUTION
    return (W_E[token] @ W_U + b_U).topk(k).indices
    ### END SOLUTION
