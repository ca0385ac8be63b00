"""Planted wrong implementations of chapter "Virtual weights and residual-stream subspaces": each is a
textual edit of the reference, and the message its failure must contain. `tests/test_autograder.py`
runs them."""

MUTATIONS = {
    "virtual_weights": [
        (
            "earlier head first",
            ('"h1 e d, h2 d f -> h2 h1 e f"', '"h1 e d, h2 d f -> h1 h2 e f"'),
            "heads are in the wrong order",
        ),
        (
            "blocks transposed",
            ('"h1 e d, h2 d f -> h2 h1 e f"', '"h1 e d, h2 d f -> h2 h1 f e"'),
            "each block is transposed",
        ),
        (
            "heads summed over",
            ('"h1 e d, h2 d f -> h2 h1 e f"', '"h1 e d, h2 d f -> h2 e f"'),
            "expected shape",
        ),
    ],
    "token_virtual_weights": [
        ("vocabulary first", ('"v d, h d e -> h v e"', '"v d, h d e -> v h e"'), "expected shape"),
        ("heads summed over", ('"v d, h d e -> h v e"', '"v d, h d e -> v e"'), "expected shape"),
        (
            "read through the first head only",
            (
                'return einops.einsum(W_E, W_in, "v d, h d e -> h v e")',
                "return (W_E @ W_in[0]).expand(len(W_in), -1, -1)",
            ),
            "values are off",
        ),
    ],
    "read_subspace": [
        ("every column kept", ("    return U[:, :rank]", "    return U"), "expected shape"),
        (
            "right singular vectors",
            ("U, S, _ = torch.linalg.svd(W_in", "_, S, U = torch.linalg.svd(W_in"),
            "expected shape",
        ),
        (
            "the columns of W_in, not orthonormalised",
            ("    return U[:, :rank]", "    return W_in[:, :rank]"),
            "must be orthonormal",
        ),
        (
            "the smallest singular directions",
            ("    return U[:, :rank]", "    return U[:, -rank:]"),
            "outside the subspace",
        ),
    ],
    "write_subspace": [
        (
            "the column space of W_O",
            (
                "_, S, Vh = torch.linalg.svd(W_O, full_matrices=False)",
                "Vh, S, _ = torch.linalg.svd(W_O, full_matrices=False)",
            ),
            "expected shape",
        ),
        ("not transposed", ("    return Vh[:rank].T", "    return Vh[:rank]"), "expected shape"),
        (
            "every row kept",
            ("    return Vh[:rank].T", "    return Vh.T"),
            "expected shape",
        ),
        (
            "rows of W_O, not orthonormalised",
            ("    return Vh[:rank].T", "    return W_O[:rank].T"),
            "must be orthonormal",
        ),
    ],
    "principal_angles": [
        (
            "largest first",
            ("return cosines.clamp(-1, 1).arccos()", "return cosines.clamp(-1, 1).arccos().flip(0)"),
            "sorted smallest first",
        ),
        (
            "in degrees",
            ("return cosines.clamp(-1, 1).arccos()", "return cosines.clamp(-1, 1).arccos().rad2deg()"),
            "lie in [0, π/2] radians",
        ),
        (
            "arcsin",
            ("return cosines.clamp(-1, 1).arccos()", "return cosines.clamp(-1, 1).arcsin()"),
            "sorted smallest first",
        ),
    ],
    "subspace_overlap": [
        (
            "divided by the larger dimension",
            ("/ min(Q1.shape[1], Q2.shape[1])", "/ max(Q1.shape[1], Q2.shape[1])"),
            "value is off",
        ),
        (
            "cosines not squared",
            ("(Q1.T @ Q2).pow(2).sum()", "(Q1.T @ Q2).abs().sum()"),
            "an overlap lies between 0 and 1",
        ),
        (
            "not normalised",
            ("(Q1.T @ Q2).pow(2).sum() / min(Q1.shape[1], Q2.shape[1])", "(Q1.T @ Q2).pow(2).sum()"),
            "an overlap lies between 0 and 1",
        ),
    ],
    "random_overlap_baseline": [
        ("min for max", ("return max(k1, k2) / d_model", "return min(k1, k2) / d_model"), "expected"),
        (
            "not normalised by min(k1, k2)",
            ("return max(k1, k2) / d_model", "return k1 * k2 / d_model"),
            "expected",
        ),
    ],
    "write_ranks": [
        (
            "d_head per head",
            (
                "heads = torch.linalg.matrix_rank(W_O).flatten()",
                "heads = torch.full((W_O.shape[0] * W_O.shape[1],), W_O.shape[2])",
            ),
            "values are off",
        ),
        (
            "positions counted with shortformer",
            ("torch.zeros_like(embed) if shortformer else ", ""),
            "values are off",
        ),
        (
            "d_model for the embedding",
            ("embed = torch.linalg.matrix_rank(W_E)", "embed = torch.tensor(W_E.shape[1])"),
            "values are off",
        ),
    ],
    "copy_head": [
        (
            "off by one",
            ("basis[:, src : src + d_head], basis", "basis[:, src + 1 : src + 1 + d_head], basis"),
            "dimension",
        ),
        (
            "source and destination swapped",
            (
                "basis[:, src : src + d_head], basis[:, dst : dst + d_head].T",
                "basis[:, dst : dst + d_head], basis[:, src : src + d_head].T",
            ),
            "should land on dimension",
        ),
        (
            "W_O not transposed",
            ("basis[:, dst : dst + d_head].T", "basis[:, dst : dst + d_head]"),
            "expected shape",
        ),
        (
            "rows for columns",
            (
                "basis[:, src : src + d_head], basis[:, dst : dst + d_head].T",
                "basis[src : src + d_head].T, basis[dst : dst + d_head]",
            ),
            "should land on dimension",
        ),
    ],
    "compose_heads": [
        (
            "head 2 first",
            ("return W_V1 @ W_O1 @ W_V2, W_O2", "return W_V2 @ W_O2 @ W_V1, W_O1"),
            "applies head 2 before head 1",
        ),
        ("the middle skipped", ("return W_V1 @ W_O1 @ W_V2, W_O2", "return W_V1, W_O2"), "values are off"),
        (
            "the product, not factors",
            ("return W_V1 @ W_O1 @ W_V2, W_O2", "return W_V1 @ W_O1 @ W_V2 @ W_O2"),
            "expected a tuple",
        ),
    ],
}
