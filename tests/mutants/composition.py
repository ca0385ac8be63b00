"""Planted wrong implementations of chapter "Composition: Q-, K- and V-composition and virtual
heads": each is a textual edit of the reference, and the message its failure must contain.
`tests/test_autograder.py` runs them."""

SCORE = "    return (product / (frobenius_sq(A1, A2) * frobenius_sq(B1, B2))).sqrt()"
GRAMS = "        return ((X.mT @ X) * (Y @ Y.mT)).sum((-2, -1))"
MUTATIONS = {
    "composition_score": [
        (
            "not normalised by ‖W_B‖",
            (SCORE, SCORE.replace(" * frobenius_sq(B1, B2)", "")),
            "composition scores lie in [0, 1]",
        ),
        ("squared norms", (SCORE, SCORE.replace(".sqrt()", "")), "values are off"),
        (
            "W_B applied first",
            ("frobenius_sq(A1 @ (A2 @ B1), B2)", "frobenius_sq(B1 @ (B2 @ A1), A2)"),
            "values are off",
        ),
        (
            "the d_model × d_model products built",
            (
                "    product = frobenius_sq(A1 @ (A2 @ B1), B2)\n",
                "    W_A, W_B = A1 @ A2, B1 @ B2\n"
                "    return torch.linalg.matrix_norm(W_A @ W_B) / (torch.linalg.matrix_norm(W_A) * "
                "torch.linalg.matrix_norm(W_B))\n    product = frobenius_sq(A1 @ (A2 @ B1), B2)\n",
            ),
            "never build a d_model × d_model matrix",
        ),
        (
            "every entry of the Gram product summed, not its trace",
            (GRAMS, GRAMS.replace("(X.mT @ X) * (Y @ Y.mT)", "(X.mT @ X) @ (Y @ Y.mT)")),
            "values are off",
        ),
    ],
    "composition_scores": [
        (
            "K-composition read with W_QK, like Q",
            ("k = composition_score(A1, A2, W_K, W_Q.mT)", "k = composition_score(A1, A2, W_Q, W_K.mT)"),
            "values are off",
        ),
        (
            "earlier W_OV transposed",
            (
                "A1, A2 = W_V_earlier[None], W_O_earlier[None]",
                "A1, A2 = W_O_earlier[None].mT, W_V_earlier[None].mT",
            ),
            "values are off",
        ),
        (
            "[earlier, later] instead of [later, earlier]",
            ("return q, k, v", "return q.T, k.T, v.T"),
            "expected shape",
        ),
        (
            "the later W_OV transposed",
            (
                "v = composition_score(A1, A2, W_V_later[:, None], W_O_later[:, None])",
                "v = composition_score(A1, A2, W_O_later[:, None].mT, W_V_later[:, None].mT)",
            ),
            "values are off",
        ),
    ],
    "composition_baseline": [
        (
            "B drawn like A",
            (
                "return composition_score(A1r, A2r, B1r, B2r).mean()",
                "return composition_score(A1r, A2r, A1r, A2r).mean()",
            ),
            "value is off",
        ),
        (
            "median instead of mean",
            (
                "return composition_score(A1r, A2r, B1r, B2r).mean()",
                "return composition_score(A1r, A2r, B1r, B2r).median()",
            ),
            "value is off",
        ),
        (
            "the generator not used",
            ("generator=g, dtype=torch.float64).to(A1)", "dtype=torch.float64).to(A1)"),
            "value is off",
        ),
    ],
    "virtual_patterns": [
        (
            "earlier pattern on the left",
            ('"b h2 q j, b h1 j k -> b h2 h1 q k"', '"b h2 j k, b h1 q j -> b h2 h1 q k"'),
            "values are off",
        ),
        (
            "patterns multiplied elementwise",
            ('"b h2 q j, b h1 j k -> b h2 h1 q k"', '"b h2 q k, b h1 q k -> b h2 h1 q k"'),
            "rows must sum to 1",
        ),
        (
            "head axes swapped",
            ('"b h2 q j, b h1 j k -> b h2 h1 q k"', '"b h2 q j, b h1 j k -> b h1 h2 q k"'),
            "expected shape",
        ),
    ],
    "virtual_ov": [
        (
            "later head first",
            (
                "    return left, right\n",
                "    left = einops.repeat(W_V_later, 'h2 d e -> h2 h1 d e', h1=W_V_earlier.shape[0])\n"
                "    right = einops.einsum(W_O_later, W_V_earlier, W_O_earlier, 'h2 e d, h1 d f, h1 f c -> h2 h1 e c')\n"
                "    return left, right\n",
            ),
            "values are off",
        ),
        (
            "the later head's d_model × d_model W_OV built",
            (
                'middle = einops.einsum(W_O_earlier, W_V_later, "h1 e d, h2 d f -> h2 h1 e f")\n'
                '    right = einops.einsum(middle, W_O_later, "h2 h1 e f, h2 f d -> h2 h1 e d")',
                'right = einops.einsum(W_O_earlier, W_V_later @ W_O_later, "h1 e d, h2 d c -> h2 h1 e c")',
            ),
            "never build a d_model × d_model product",
        ),
        (
            "the later head's W_V left out",
            (
                'middle = einops.einsum(W_O_earlier, W_V_later, "h1 e d, h2 d f -> h2 h1 e f")',
                'middle = einops.repeat(W_O_earlier @ W_O_earlier.mT, "h1 e f -> h2 h1 e f", h2=W_V_later.shape[0])',
            ),
            "values are off",
        ),
    ],
}

CONSTANT = "    constant = (c0 + c1) @ W_U + b_U"
MUTATIONS |= {
    "path_expansion": [
        (
            "virtual pattern A⁰ A¹",
            (
                "    virtual = heads(1, pattern_1, single_0)",
                "    virtual = heads(1, pattern_0, heads(0, pattern_1, x[:, :, None])[:, :, :, 0])",
            ),
            "the terms do not sum to the model's logits",
        ),
        (
            "layer 0's biases not passed through layer 1",
            (
                CONSTANT,
                "    constant = (c0 + einops.einsum(b_V[1], W_O[1], 'h e, h e d -> d') + b_O[1]) @ W_U + b_U",
            ),
            "the terms do not sum to the model's logits",
        ),
        (
            "virtual heads earlier-major",
            ('"b q h2 h1 v -> (h2 h1) b q v"', '"b q h2 h1 v -> (h1 h2) b q v"'),
            "values are off",
        ),
        (
            "the direct path read from the d_vocab × d_vocab table W_E W_U",
            ("    direct = x @ W_U\n", "    direct = (W_E @ W_U)[tokens]\n"),
            "never build a product of weights",
        ),
        (
            "no constant term",
            ("    return torch.cat([paths, constant.expand_as(direct)[None]])", "    return paths"),
            "expected shape",
        ),
    ],
    "score_contributions": [
        (
            "missing 1/sqrt(d_head)",
            (
                "return torch.stack([keys, queries]) / math.sqrt(W_Q.shape[-1])",
                "return torch.stack([keys, queries])",
            ),
            "must sum to the scores",
        ),
        (
            "the key bias in every key-side term",
            (
                'keys = einops.einsum(q, components @ W_K, "b q e, c b k e -> c b q k")',
                'keys = einops.einsum(q, components @ W_K + b_K, "b q e, c b k e -> c b q k")',
            ),
            "key-side terms (index 0) must sum",
        ),
        (
            "sides swapped",
            ("torch.stack([keys, queries])", "torch.stack([queries, keys])"),
            "must sum to the scores",
        ),
    ],
    "offset_score_lift": [
        (
            "mean over every key, future ones too",
            (
                "row_mean = contributions.masked_fill(~causal, 0).sum(-1) / causal.sum(-1)",
                "row_mean = contributions.mean(-1)",
            ),
            "values are off",
        ),
        (
            "keys after the query",
            (
                "at_offset = contributions.diagonal(offset=-offset,",
                "at_offset = contributions.diagonal(offset=offset,",
            ),
            "values are off",
        ),
        (
            "no row mean subtracted",
            ("return (at_offset - row_mean[..., offset:]).mean((-2, -1))", "return at_offset.mean((-2, -1))"),
            "values are off",
        ),
    ],
}

MUTATIONS |= {
    "term_importance": [
        (
            "only the term kept, not removed",
            ("without = full[None] - terms", "without = terms"),
            "values are off",
        ),
        (
            "predicting the current token",
            ("targets = tokens[:, 1:, None]", "targets = tokens[:, :-1, None]"),
            "values are off",
        ),
        (
            "softmax over positions",
            ("logits[..., :-1, :].log_softmax(-1)", "logits[..., :-1, :].log_softmax(-2)"),
            "values are off",
        ),
    ],
}
