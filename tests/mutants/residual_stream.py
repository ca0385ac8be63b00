"""Planted wrong implementations of chapter "The residual stream and independent heads": each is a textual edit of the
reference, and the message its failure must contain. `tests/test_autograder.py` runs them."""

PATTERN_SCORES = '    scores = einops.einsum(q, k, "b q h e, b k h e -> b h q k") / math.sqrt(W_Q.shape[-1])'
MUTATIONS = {
    "attention_pattern": [
        (
            "missing 1/sqrt(d_head)",
            (PATTERN_SCORES, PATTERN_SCORES.replace(" / math.sqrt(W_Q.shape[-1])", "")),
            "values are off",
        ),
        ("off-by-one diagonal", (".triu(diagonal=1)", ".triu(diagonal=2)"), "attends to a later key"),
        ("softmax over queries", ("softmax(dim=-1)", "softmax(dim=-2)"), "values are off"),
        (
            "transposed pattern",
            ('"b q h e, b k h e -> b h q k"', '"b q h e, b k h e -> b h k q"'),
            "values are off",
        ),
        (
            "dropped query bias",
            ('"b p d, h d e -> b p h e") + b_Q', '"b p d, h d e -> b p h e")'),
            "values are off",
        ),
    ],
    "head_results": [
        ("summed over heads", ('"b p h e, h e d -> b p h d"', '"b p h e, h e d -> b p d"'), "expected shape"),
        (
            "wrong sign",
            (
                'return einops.einsum(z, W_O, "b p h e, h e d -> b p h d")',
                'return -einops.einsum(z, W_O, "b p h e, h e d -> b p h d")',
            ),
            "values are off",
        ),
        (
            "head 0's W_O for every head",
            (
                'einops.einsum(z, W_O, "b p h e, h e d -> b p h d")',
                'einops.einsum(z, W_O[0], "b p h e, e d -> b p h d")',
            ),
            "values are off",
        ),
    ],
    "embed": [
        (
            "forgot W_pos",
            ("return W_E[tokens] + W_pos[: tokens.shape[1]]", "return W_E[tokens]"),
            "values are off",
        ),
        ("W_pos indexed by token", ("W_pos[: tokens.shape[1]]", "W_pos[tokens]"), "IndexError"),
        ("W_pos not sliced", ("W_pos[: tokens.shape[1]]", "W_pos"), "RuntimeError"),
    ],
    "attention_output_concat": [
        (
            "heads and d_head swapped in one rearrange",
            ('"h e d -> (h e) d"', '"h e d -> (e h) d"'),
            "concatenate-then-project",
        ),
        (
            "dropped bias",
            ("return concat @ W_O_stacked + b_O", "return concat @ W_O_stacked"),
            "values are off",
        ),
    ],
    "attn_only_forward": [
        (
            "shortformer positions in the residual stream",
            (
                "x = W_E[tokens] if shortformer else embed(tokens, W_E, W_pos)",
                "x = embed(tokens, W_E, W_pos)",
            ),
            "differ from course.model's",
        ),
        (
            "no residual connection",
            ("x = x + attention_output(z, W_O[l], b_O[l])", "x = attention_output(z, W_O[l], b_O[l])"),
            "differ from course.model's",
        ),
        (
            "values read positions",
            (
                'einops.einsum(x, W_V[l], "b p d, h d e -> b p h e")',
                'einops.einsum(x_qk, W_V[l], "b p d, h d e -> b p h e")',
            ),
            "differ from course.model's",
        ),
    ],
    "residual_components": [
        (
            "heads ordered head-major",
            ('"l b p h d -> (l h) b p d"', '"l b p h d -> (h l) b p d"'),
            "values are off",
        ),
        (
            "a bias per layer",
            ('einops.repeat(b_O.sum(0), "d -> 1 b p d"', 'einops.repeat(b_O, "l d -> l b p d"'),
            "expected shape",
        ),
        (
            "bias left out",
            (
                "return torch.cat([embed[None], pos_embed[None], heads, bias])",
                "return torch.cat([embed[None], pos_embed[None], heads, 0 * bias])",
            ),
            "do not sum to the residual",
        ),
    ],
    "logit_attribution": [
        (
            "current token instead of next",
            ("W_U[:, tokens[:, 1:]]", "W_U[:, tokens[:, :-1]]"),
            "values are off",
        ),
        (
            "components one position late",
            ("components[:, :, :-1]", "components[:, :, 1:]"),
            "do not sum to the correct token's logit",
        ),
    ],
    "attention_output": [
        (
            "dropped bias",
            (' "b p h e, h e d -> b p d") + b_O', ' "b p h e, h e d -> b p d")'),
            "values are off",
        ),
        (
            "bias once per head",
            (
                'return einops.einsum(z, W_O, "b p h e, h e d -> b p d") + b_O',
                'return (einops.einsum(z, W_O, "b p h e, h e d -> b p h d") + b_O).sum(2)',
            ),
            "values are off",
        ),
        (
            "mean over heads",
            (
                'return einops.einsum(z, W_O, "b p h e, h e d -> b p d") + b_O',
                'return einops.einsum(z, W_O, "b p h e, h e d -> b p h d").mean(2) + b_O',
            ),
            "values are off",
        ),
    ],
}

MUTATIONS |= {
    "tensor_product_apply": [
        (
            "the Kronecker matrix built",
            (
                "    return A @ (x @ W)",
                "    M = torch.kron(A.T.contiguous(), W)\n"
                "    return (x.flatten(-2) @ M).unflatten(-1, (A.shape[0], W.shape[1]))",
            ),
            "memory",
        ),
        ("the pattern transposed", ("    return A @ (x @ W)", "    return A.T @ (x @ W)"), "values are off"),
        (
            "only the diagonal of the pattern",
            ("    return A @ (x @ W)", "    return torch.diag_embed(A.diagonal()) @ (x @ W)"),
            "values are off",
        ),
    ],
    "tensor_product_matrix": [
        ("A not transposed", ('"i j, k l -> j k i l"', '"i j, k l -> i k j l"'), "values are off"),
        (
            "the factors in the wrong order",
            ('"j k i l -> (j k) (i l)"', '"j k i l -> (k j) (l i)"'),
            "values are off",
        ),
        (
            "the column-vector matrix, the paper's A ⊗ W",
            ('"j k i l -> (j k) (i l)"', '"j k i l -> (i l) (j k)"'),
            "expected shape",
        ),
    ],
}

_ROTATE = "return W_E @ R, W_pos @ R, R.T @ W_Q, R.T @ W_K, R.T @ W_V, W_O @ R, b_O @ R, R.T @ W_U"
_KURTOSIS = "return (z**4).mean(0) / (z**2).mean(0) ** 2 - 3"
_PR = "return s2.sum(-1) ** 2 / (s2**2).sum(-1)"
MUTATIONS |= {
    "rotate_residual_stream": [
        (
            "readers rotated with R, not Rᵀ",
            (_ROTATE, _ROTATE.replace("R.T @ W_Q, R.T @ W_K", "R @ W_Q, R @ W_K")),
            "values are off",
        ),
        ("b_O left in the old basis", (_ROTATE, _ROTATE.replace("b_O @ R", "b_O")), "values are off"),
        ("the unembedding not rotated", (_ROTATE, _ROTATE.replace("R.T @ W_U", "W_U")), "values are off"),
    ],
    "coordinate_kurtosis": [
        ("not excess kurtosis", (_KURTOSIS, "return (z**4).mean(0) / (z**2).mean(0) ** 2"), "values are off"),
        ("not centred", ("z = samples - samples.mean(0)", "z = samples"), "values are off"),
        (
            "over coordinates, not samples",
            (
                "z = samples - samples.mean(0)\n    return (z**4).mean(0) / (z**2).mean(0) ** 2 - 3",
                "z = samples - samples.mean(-1, keepdim=True)\n    return (z**4).mean(-1) / (z**2).mean(-1) ** 2 - 3",
            ),
            "expected shape",
        ),
    ],
    "participation_ratio": [
        (
            "not centred",
            ("centred = samples - samples.mean(1, keepdim=True)", "centred = samples"),
            "values are off",
        ),
        (
            "singular values, not their squares",
            (_PR, "return s2.sqrt().sum(-1) ** 2 / s2.sum(-1)"),
            "values are off",
        ),
        (
            "the square of the sum over the sum of squares, inverted",
            (_PR, "return (s2**2).sum(-1) / s2.sum(-1) ** 2"),
            "participation ratio lies between",
        ),
    ],
}
