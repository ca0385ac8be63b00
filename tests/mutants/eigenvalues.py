"""Planted wrong implementations of chapter "Eigenvalue analysis: copying": each is a
textual edit of the reference, and the message its failure must contain.
`tests/test_autograder.py` runs them."""

_OV = "small = W_O @ (W_U @ W_E) @ W_V  # [layer, head, d_head, d_head]"
_QK = "small = W_K.mT @ (W_E.T @ W_E) @ W_Q  # [layer, head, d_head, d_head]"
_SCORE = "    eigenvalues = factored_eigenvalues(A, B)\n    return eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)"
_ROWS = "targets = torch.arange(start, start + rows.shape[-2], device=W_E.device)"
_SPECTRA = "return eigenvalues / eigenvalues.abs().amax(-1, keepdim=True)"

MUTATIONS = {
    "factored_eigenvalues": [
        (
            "eigvalsh, as if A B were symmetric",
            ("return torch.linalg.eigvals(B @ A)", "return torch.linalg.eigvalsh(B @ A)"),
            "expected dtype torch.complex",
        ),
        (
            "the r × r corner of A B",
            (
                "return torch.linalg.eigvals(B @ A)",
                "return torch.linalg.eigvals((A @ B)[..., : A.shape[-1], : A.shape[-1]])",
            ),
            "the eigenvalues must sum to trace(A B)",
        ),
    ],
    "copying_score": [
        (
            "|Re λ| in the denominator",
            (_SCORE, _SCORE.replace("eigenvalues.abs().sum(-1)", "eigenvalues.real.abs().sum(-1)")),
            "values are off",
        ),
        (
            "modulus of the sum",
            (_SCORE, _SCORE.replace("eigenvalues.sum(-1).real", "eigenvalues.sum(-1).abs()")),
            "values are off",
        ),
        (
            "mean of Re λ / |λ|",
            (
                _SCORE,
                _SCORE.replace(
                    "eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)",
                    "(eigenvalues.real / eigenvalues.abs()).mean(-1)",
                ),
            ),
            "values are off",
        ),  # fmt: skip
    ],
    "ov_copying_scores": [
        ("W_OV without embedding and unembedding", (_OV, "small = W_O @ W_V"), "values are off"),
        ("W_U W_E transposed", (_OV, "small = W_O @ (W_U @ W_E).mT @ W_V"), "values are off"),
    ],
    "qk_same_token_scores": [
        ("W_Q on both sides", (_QK, "small = W_Q.mT @ (W_E.T @ W_E) @ W_Q"), "values are off"),
        ("W_QK without the embeddings", (_QK, "small = W_K.mT @ W_Q"), "values are off"),
    ],
    "diagonal_share": [
        (
            "the row's index in its chunk taken for its token",
            (_ROWS, "targets = torch.arange(rows.shape[-2], device=W_E.device)"),
            "values are off",
        ),
        (
            "the k tokens it lowers most",
            ("rows.topk(k, dim=-1)", "rows.topk(k, dim=-1, largest=False)"),
            "values are off",
        ),
        (
            "divided by the chunk",
            ("return hits / d_vocab", "return hits / chunk"),
            "a whole number of tokens",
        ),
        (
            "the whole circuit at once, chunk ignored",
            (
                "    for start in range(0, d_vocab, chunk):\n"
                "        rows = W_E[start : start + chunk] @ W_V @ W_O @ W_U",
                "    for start in range(0, d_vocab, d_vocab):\n        rows = W_E @ W_V @ W_O @ W_U",
            ),
            "never build the d_vocab × d_vocab circuit",
        ),
    ],
    "factored_trace": [
        (
            "the sum of every entry of B A",
            ("return (A * B.mT).sum((-2, -1))", "return (B @ A).sum((-2, -1))"),
            "the trace must equal the sum of the eigenvalues",
        ),
        (
            "summed over one axis only",
            ("return (A * B.mT).sum((-2, -1))", "return (A * B.mT).sum(-1)"),
            "expected shape",
        ),
        (
            "the diagonal of the dense A B",
            ("return (A * B.mT).sum((-2, -1))", "return (A @ B).diagonal(dim1=-2, dim2=-1).sum(-1)"),
            "never build A B",
        ),
    ],
    "normalised_ov_spectra": [
        ("not normalised", (_SPECTRA, "return eigenvalues"), "each head's largest |λ| must be 1"),
        (
            "divided by the sum of moduli",
            (_SPECTRA, "return eigenvalues / eigenvalues.abs().sum(-1, keepdim=True)"),
            "each head's largest |λ| must be 1",
        ),
        (
            "one scale for all heads",
            (_SPECTRA, "return eigenvalues / eigenvalues.abs().amax()"),
            "values are off",
        ),
    ],
}
