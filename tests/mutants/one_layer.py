"""Planted wrong implementations of chapter "One-layer models: path expansion and
skip-trigrams": each is a textual edit of the reference, and the message its failure
must contain. `tests/test_autograder.py` runs them."""

_DIRECT = (
    "x = W_E[tokens] if shortformer else W_E[tokens] + W_pos[: tokens.shape[1]]\n    return x @ W_U + b_U"
)

MUTATIONS = {
    "direct_path_logits": [
        (
            "positions on the direct path with shortformer",
            (_DIRECT, "x = W_E[tokens] + W_pos[: tokens.shape[1]]\n    return x @ W_U + b_U"),
            "values are off",
        ),
        ("unembedding bias dropped", (_DIRECT, _DIRECT.removesuffix(" + b_U")), "values are off"),
    ],
    "frozen_pattern_logits": [
        (
            "pattern read with query and key swapped",
            (
                'moved = einops.einsum(pattern, values, "b h q k, b k h e -> b q h e")\n    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")',
                'moved = einops.einsum(pattern, values, "b h k q, b k h e -> b q h e")\n    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")',
            ),
            "at position 0 every head attends to position 0 alone",
        ),
        (
            "b_O left out",
            ("return direct + (heads + b_O) @ W_U", "return direct + heads @ W_U"),
            "at position 0 every head attends to position 0 alone",
        ),
        (
            "every head's d_vocab × d_vocab OV circuit built and read at the tokens",
            (
                '    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")\n'
                "    direct = direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer)\n"
                "    return direct + (heads + b_O) @ W_U",
                "    ov = (W_E @ W_V @ W_O @ W_U)[:, tokens]  # [head, batch, key, d_vocab]\n"
                '    rest = einops.einsum(x - W_E[tokens], W_V, "b k d, h d e -> b k h e") + b_V\n'
                '    out = einops.rearrange(ov, "h b k v -> b k h v") + einops.einsum(rest, W_O @ W_U, "b k h e, h e v -> b k h v")\n'
                '    heads = einops.einsum(pattern, out, "b h q k, b k h v -> b q v")\n'
                "    direct = direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer)\n"
                "    return direct + heads + b_O @ W_U",
            ),
            "never build a d_vocab × d_vocab matrix",
        ),
        (
            "b_V left out",
            (
                'values = einops.einsum(x, W_V, "b k d, h d e -> b k h e") + b_V\n    moved = einops.einsum(pattern, values, "b h q k, b k h e -> b q h e")\n    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")',
                'values = einops.einsum(x, W_V, "b k d, h d e -> b k h e")\n    moved = einops.einsum(pattern, values, "b h q k, b k h e -> b q h e")\n    heads = einops.einsum(moved, W_O, "b q h e, h e d -> b q d")',
            ),
            "values are off",
        ),
    ],
    "path_expansion": [
        (
            "no 1/sqrt(d_head)",
            (
                '"b q h e, b k h e -> b h q k") / math.sqrt(W_Q.shape[-1])\n    future = torch.ones(n, n, dtype=torch.bool, device=tokens.device)',
                '"b q h e, b k h e -> b h q k")\n    future = torch.ones(n, n, dtype=torch.bool, device=tokens.device)',
            ),
            "do not sum to the model's logits",
        ),
        (
            "positions in the values with shortformer",
            ("x = W_E[tokens] if shortformer else y", "x = y"),
            "do not sum to the model's logits",
        ),
        (
            "b_O left out",
            (
                "direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer) + b_O @ W_U",
                "direct_path_logits(tokens, W_E, W_pos, W_U, b_U, shortformer)",
            ),
            "do not sum to the model's logits",
        ),
        (
            "terms stacked on the wrong axis",
            (
                "return torch.cat([direct[:, :, None], heads], dim=2)",
                "return torch.cat([direct[:, None], heads.transpose(1, 2)], dim=1)",
            ),
            "expected shape",
        ),
    ],
    "qk_circuit_row": [
        (
            "no 1/sqrt(d_head)",
            (
                "return W_E @ (W_K[head] @ query) / math.sqrt(W_Q.shape[-1])",
                "return W_E @ (W_K[head] @ query)",
            ),
            "values are off",
        ),
        (
            "the full circuit built, then its row read",
            (
                "return W_E @ (W_K[head] @ query) / math.sqrt(W_Q.shape[-1])",
                "return (W_E @ W_Q[head] @ (W_E @ W_K[head]).T)[token] / math.sqrt(W_Q.shape[-1])",
            ),
            "never build the full d_vocab × d_vocab circuit",
        ),
        (
            "a column instead of a row",
            (
                "query = W_E[token] @ W_Q[head]\n    return W_E @ (W_K[head] @ query)",
                "query = W_E[token] @ W_K[head]\n    return W_E @ (W_Q[head] @ query)",
            ),
            "values are off",
        ),  # fmt: skip
    ],
    "ov_circuit_row": [
        (
            "a column instead of a row",
            (
                "return W_E[token] @ W_V[head] @ W_O[head] @ W_U",
                "return W_E @ W_V[head] @ W_O[head] @ W_U[:, token]",
            ),
            "values are off",
        ),
        (
            "unembedding forgotten",
            ("return W_E[token] @ W_V[head] @ W_O[head] @ W_U", "return W_E[token] @ W_V[head] @ W_O[head]"),
            "expected shape",
        ),
    ],
    "top_skip_trigrams": [
        (
            "no 1/sqrt(d_head)",
            ("queries = W_E @ W_Q[head] / math.sqrt(W_Q.shape[-1])", "queries = W_E @ W_Q[head]"),
            "values are off",
        ),
        (
            "source and destination swapped",
            (
                "found = torch.stack([a, b + start, ov_outputs[a, j]], dim=-1)",
                "found = torch.stack([b + start, a, ov_outputs[a, j]], dim=-1)",
            ),
            "the first item of the returned tuple",
        ),  # fmt: skip
        (
            "the whole OV circuit built at once",
            (
                "ov = [(values[a : a + chunk] @ W_U).topk(k, dim=-1) for a in range(0, d_vocab, chunk)]",
                "ov = [(values @ W_U).topk(k, dim=-1)]",
            ),
            "never build either circuit",
        ),
        (
            "the best output of each source only",
            (
                "candidates = qk[:, :, None] + ov_scores[None]",
                "candidates = qk[:, :, None] + ov_scores[None, :, :1]",
            ),
            "values are off",
        ),
    ],
    "copying_share": [
        (
            "C compared with B",
            ("(triples[:, 2] == triples[:, 0])", "(triples[:, 2] == triples[:, 1])"),
            "expected",
        ),
        (
            "non-copying share",
            ("(triples[:, 2] == triples[:, 0])", "(triples[:, 2] != triples[:, 0])"),
            "expected",
        ),
    ],
}

_CROSSED = (
    "crossed = torch.stack([torch.stack([A[i], B[i], C[j]], -1), torch.stack([A[i], B[j], C[i]], -1)], 1)"
)
MUTATIONS |= {
    "skip_trigram_bugs": [
        (
            "the d_vocab × d_vocab circuits built",
            (
                "    qk = ((W_E[b] @ W_Q[head]) * (W_E[a] @ W_K[head])).sum(-1) / math.sqrt(W_Q.shape[-1])\n"
                "    ov = ((W_E[a] @ W_V[head] @ W_O[head]) * W_U[:, c].T).sum(-1)",
                "    qk = ((W_E @ W_Q[head]) @ (W_E @ W_K[head]).T)[b, a] / math.sqrt(W_Q.shape[-1])\n"
                "    ov = (W_E @ W_V[head] @ W_O[head] @ W_U)[a, c]",
            ),
            "memory",
        ),
        (
            "destinations and outputs not crossed",
            (_CROSSED, _CROSSED.replace("B[i], C[j]", "B[i], C[i]").replace("B[j], C[i]", "B[j], C[j]")),
            "the first item of the returned tuple",
        ),
        (
            "only one crossed triple per pair",
            (_CROSSED, "crossed = torch.stack([A[i], B[i], C[j]], -1)[:, None]"),
            "expected shape",
        ),
        (
            "QK without 1/sqrt(d_head)",
            (
                "qk = ((W_E[b] @ W_Q[head]) * (W_E[a] @ W_K[head])).sum(-1) / math.sqrt(W_Q.shape[-1])",
                "qk = ((W_E[b] @ W_Q[head]) * (W_E[a] @ W_K[head])).sum(-1)",
            ),
            "the second item of the returned tuple",
        ),
    ],
}
