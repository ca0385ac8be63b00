"""Planted wrong implementations of chapter "Zero-layer transformers are bigram models": each is a textual edit of the
reference, and the message its failure must contain. `tests/test_autograder.py` runs them."""

MUTATIONS = {
    "bigram_counts": [
        (
            "transposed",
            ("tokens[:-1] * d_vocab + tokens[1:]", "tokens[1:] * d_vocab + tokens[:-1]"),
            "values are off",
        ),
        (
            "pairs two apart",
            ("tokens[:-1] * d_vocab + tokens[1:]", "tokens[:-2] * d_vocab + tokens[2:]"),
            "pairs",
        ),
    ],
    "bigram_log_probs": [
        (
            "normalised over the current token",
            ("smoothed.sum(dim=-1, keepdim=True)", "smoothed.sum(dim=0, keepdim=True)"),
            "must be a distribution",
        ),
        (
            "smoothing left out of the total",
            (
                "(smoothed / smoothed.sum(dim=-1, keepdim=True))",
                "(smoothed / counts.sum(dim=-1, keepdim=True))",
            ),
            "must be a distribution",
        ),
    ],
    "zero_layer_logits": [
        ("transposed table", ("return W_E @ W_U + b_U", "return W_U.T @ W_E.T + b_U"), "values are off"),
        ("dropped bias", ("return W_E @ W_U + b_U", "return W_E @ W_U"), "values are off"),
    ],
    "table_cross_entropy": [
        (
            "softmax over the current token",
            ("table.log_softmax(dim=-1)", "table.log_softmax(dim=0)"),
            "value is off",
        ),
        (
            "predicting the previous token",
            ("log_probs[tokens[:-1], tokens[1:]]", "log_probs[tokens[1:], tokens[:-1]]"),
            "value is off",
        ),
        (
            "sum instead of mean",
            ("-log_probs[tokens[:-1], tokens[1:]].mean()", "-log_probs[tokens[:-1], tokens[1:]].sum()"),
            "value is off",
        ),
    ],
}
MUTATIONS |= {
    "gap_closed": [
        (
            "ratio upside down",
            (
                "(unigram_ce - model_ce) / (unigram_ce - bigram_ce)",
                "(unigram_ce - bigram_ce) / (unigram_ce - model_ce)",
            ),
            "value is off",
        ),
        (
            "wrong sign",
            (
                "(unigram_ce - model_ce) / (unigram_ce - bigram_ce)",
                "(model_ce - unigram_ce) / (unigram_ce - bigram_ce)",
            ),
            "value is off",
        ),
    ],
    "best_rank_k": [
        (
            "singular values dropped",
            ("return U[:, :k] * S[:k], Vh[:k]", "return U[:, :k], Vh[:k]"),
            "values are off",
        ),
        (
            "the smallest singular values",
            ("return U[:, :k] * S[:k], Vh[:k]", "return U[:, -k:] * S[-k:], Vh[-k:]"),
            "values are off",
        ),
    ],
    "top_next_tokens": [
        (
            "least likely first",
            (
                "(W_E[token] @ W_U + b_U).topk(k).indices",
                "(W_E[token] @ W_U + b_U).topk(k, largest=False).indices",
            ),
            "values are off",
        ),
        (
            "a column instead of a row",
            ("(W_E[token] @ W_U + b_U).topk(k).indices", "(W_E @ W_U[:, token]).topk(k).indices"),
            "values are off",
        ),
        (
            "the whole table built, then its row read",
            ("(W_E[token] @ W_U + b_U).topk(k).indices", "(W_E @ W_U + b_U)[token].topk(k).indices"),
            "never build all d_vocab × d_vocab entries",
        ),
    ],
}
