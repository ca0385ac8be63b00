"""Planted wrong implementations of chapter "Induction heads": each is a textual edit of the
reference, and the message its failure must contain. `tests/test_autograder.py` runs them."""

CAT = '    return torch.cat([bos, einops.repeat(seq, "b p -> b (r p)", r=n_repeats)], dim=1)'
SCORES = "    return mean_at(1, 1), mean_at(period, period + 1), mean_at(period - 1, period + 1)"
MUTATIONS = {
    "repeated_random_tokens": [
        ("each token repeated in place", ('"b p -> b (r p)"', '"b p -> b (p r)"'), "values are off"),
        ("no BOS", (CAT, '    return einops.repeat(seq, "b p -> b (r p)", r=n_repeats)'), "expected shape"),
        (
            "indices drawn [period, batch]",
            (
                "index = torch.randint(0, len(pool), (batch, period), generator=g)",
                "index = torch.randint(0, len(pool), (period, batch), generator=g).T",
            ),
            "values are off",
        ),
    ],
    "per_token_loss": [
        (
            "predicting the current token",
            ("-log_probs.gather(-1, tokens[:, 1:, None])", "-log_probs.gather(-1, tokens[:, :-1, None])"),
            "values are off",
        ),
        (
            "softmax over positions",
            (
                "log_probs = logits[:, :-1].log_softmax(dim=-1)",
                "log_probs = logits[:, :-1].log_softmax(dim=1)",
            ),
            "values are off",
        ),
        (
            "probabilities, not log-probabilities",
            ("log_probs = logits[:, :-1].log_softmax(dim=-1)", "log_probs = logits[:, :-1].softmax(dim=-1)"),
            "never negative",
        ),
    ],
    "head_scores": [
        (
            "induction one key too early",
            (SCORES, SCORES.replace("mean_at(period - 1, period + 1)", "mean_at(period, period + 1)")),
            "the third item of the returned tuple",
        ),
        (
            "duplicate-token queries from the first repeat",
            (SCORES, SCORES.replace("mean_at(period, period + 1)", "mean_at(period, period)")),
            "the second item of the returned tuple",
        ),
        (
            "averaged over heads instead of the batch",
            (
                "return diagonal[..., first_query - offset :].mean(dim=(1, -1))",
                "return diagonal[..., first_query - offset :].mean(dim=(2, -1))",
            ),
            "expected shape",
        ),
    ],
    "in_context_learning_score": [
        (
            "early minus late",
            (
                "return loss[:, late].mean() - loss[:, early].mean()",
                "return loss[:, early].mean() - loss[:, late].mean()",
            ),
            "value is off",
        ),
        (
            "late window, not the late position",
            (
                "return loss[:, late].mean() - loss[:, early].mean()",
                "return loss[:, early:late].mean() - loss[:, early].mean()",
            ),
            "value is off",
        ),
    ],
}

HOOK = "            result[:, :, head] = part.mean(0, keepdim=True) if mean else torch.zeros_like(part)"
MUTATIONS |= {
    "ablation_loss_increase": [
        (
            "mean over positions too",
            (HOOK, HOOK.replace("part.mean(0, keepdim=True)", "part.mean((0, 1), keepdim=True)")),
            "values are off",
        ),
        (
            "every head of the layer ablated",
            (HOOK, "            result = torch.zeros_like(result)"),
            "values are off",
        ),
        (
            "the ablated loss, not its increase",
            (
                "increase[layer, head] = per_token_loss(logits, tokens).mean() - clean",
                "increase[layer, head] = per_token_loss(logits, tokens).mean()",
            ),
            "values are off",
        ),
    ],
    "positional_previous_token_scores": [
        (
            "missing 1/sqrt(d_head)",
            ("scores = q @ k.mT / math.sqrt(W_Q.shape[-1])", "scores = q @ k.mT"),
            "values are off",
        ),
        (
            "no causal mask",
            (
                'pattern = scores.masked_fill(future, float("-inf")).softmax(dim=-1)',
                "pattern = scores.softmax(dim=-1)",
            ),
            "values are off",
        ),
        (
            "the next token, not the previous one",
            (
                "return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1)",
                "return pattern.diagonal(offset=1, dim1=-2, dim2=-1).mean(-1)",
            ),
            "values are off",
        ),
    ],
    "induction_qk_circuit": [
        (
            "keys read the token itself",
            ("right = (W_E @ W_V_prev @ (W_O_prev @ W_K_ind)).T", "right = (W_E @ W_K_ind).T"),
            "values are off",
        ),
        (
            "the d_vocab × d_vocab circuit built, then factored by its SVD",
            (
                "    return left, right\n",
                "    U, S, Vh = torch.linalg.svd(left @ right)\n"
                "    r = left.shape[-1]\n"
                "    return U[:, :r] * S[:r], Vh[:r]\n",
            ),
            "never build it",
        ),
        (
            "Q and K swapped",
            ("left = W_E @ W_Q_ind / math.sqrt", "left = W_E @ W_K_ind / math.sqrt"),
            "values are off",
        ),
        (
            "missing 1/sqrt(d_head)",
            ("left = W_E @ W_Q_ind / math.sqrt(W_Q_ind.shape[-1])", "left = W_E @ W_Q_ind"),
            "values are off",
        ),
    ],
    "diagonal_top1_rate": [
        (
            "the whole d_vocab × d_vocab matrix built",
            ("block = left[tokens] @ right[:, tokens]", "block = (left @ right)[tokens][:, tokens]"),
            "never build the d_vocab × d_vocab matrix",
        ),
        (
            "argmax over the column",
            ("hits = block.argmax(dim=-1) ==", "hits = block.argmax(dim=0) =="),
            "value is off",
        ),
        (
            "every column, not only the tokens'",
            ("block = left[tokens] @ right[:, tokens]", "block = left[tokens] @ right"),
            "value is off",
        ),
    ],
    "induction_head_weights": [
        (
            "the previous-token head attends to the current token",
            (
                "W_K[0, 0, pos + positions[:-1], positions[:-1] + 1] = scale",
                "W_K[0, 0, pos + positions, positions] = scale",
            ),
            "of the second repeat's next tokens",
        ),
        (
            "QK matching on the wrong subspace",
            ("W_K[1, 0, prev + tokens, tokens] = scale", "W_K[1, 0, tok + tokens, tokens] = scale"),
            "of the second repeat's next tokens",
        ),
        (
            "the copy too weak to beat the current token",
            ("W_O[1, 0, tokens, tok + tokens] = 10.0", "W_O[1, 0, tokens, tok + tokens] = 0.5"),
            "of the second repeat's next tokens",
        ),
    ],
}

SMALL = (
    "    small = read.mT @ (W_V_earlier.mT[None] @ query[:, None])  # B A: [later, earlier, d_head, d_head]"
)
DENSE_C = "(W_E @ W_Q_later)[:, None] @ (W_E @ W_V_earlier @ W_O_earlier @ W_K_later[:, None]).mT"
MUTATIONS |= {
    "k_composition_eigenvalues": [
        (
            "the d_vocab × d_vocab matrix built, its largest eigenvalues kept",
            (
                "    return torch.linalg.eigvals(small)\n    ### END SOLUTION\n\n\n@exercise(\n    difficulty=2,",
                f"    eig = torch.linalg.eigvals({DENSE_C})\n"
                "    return eig.gather(-1, eig.abs().topk(W_Q_later.shape[-1], dim=-1).indices)\n"
                "    ### END SOLUTION\n\n\n@exercise(\n    difficulty=2,",
            ),
            "memory",
        ),
        (
            "Q and K swapped: the earlier head enters the query",
            ("query = gram @ W_Q_later", "query = gram @ W_K_later"),
            "sum to its trace",
        ),
        (
            "W_O^p W_K^h not transposed",
            (SMALL, SMALL.replace("small = read.mT @", "small = read @")),
            "values are off",
        ),
    ],
    "k_composition_scores": [
        (
            "the d_vocab × d_vocab matrix built",
            (
                "    eigenvalues = k_composition_eigenvalues(W_E, W_V_earlier, W_O_earlier, W_Q_later, W_K_later)",
                f"    eigenvalues = torch.linalg.eigvals({DENSE_C})",
            ),
            "memory",
        ),
        (
            "the modulus of the sum",
            (
                "    return eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)\n    ### END SOLUTION\n\n\n@exercise(\n    difficulty=3,",
                "    return eigenvalues.sum(-1).real / eigenvalues.sum(-1).abs()\n    ### END SOLUTION\n\n\n@exercise(\n    difficulty=3,",
            ),
            "values are off",
        ),
        (
            "moduli of the real parts",
            (
                "    return eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)\n    ### END SOLUTION\n\n\n@exercise(\n    difficulty=3,",
                "    return eigenvalues.sum(-1).real / eigenvalues.real.abs().sum(-1)\n    ### END SOLUTION\n\n\n@exercise(\n    difficulty=3,",
            ),
            "values are off",
        ),
    ],
    "induction_scores_from_weights": [
        (
            "the OV circuit's d_vocab × d_vocab matrix built",
            (
                "eigenvalues = torch.linalg.eigvals(W_O[1] @ (W_U @ W_E) @ W_V[1])",
                "eigenvalues = torch.linalg.eigvals(W_E @ W_V[1] @ W_O[1] @ W_U)",
            ),
            "memory",
        ),
        (
            "either score, not both",
            ("return torch.minimum(qk, ov)", "return torch.maximum(qk, ov)"),
            "values are off",
        ),
        (
            "the least previous-token head",
            (
                "prev = int(positional_previous_token_scores(W_pos, W_Q[0], b_Q[0], W_K[0], b_K[0]).argmax())",
                "prev = int(positional_previous_token_scores(W_pos, W_Q[0], b_Q[0], W_K[0], b_K[0]).argmin())",
            ),
            "values are off",
        ),
        (
            "the value weights of layer 0",
            ("(W_U @ W_E) @ W_V[1])", "(W_U @ W_E) @ W_V[0])"),
            "values are off",
        ),
    ],
}

BLOCKS = "blocks = torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)"
MUTATIONS |= {
    "sinusoidal_positions": [
        (
            "rotated the wrong way",
            (BLOCKS, "blocks = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)"),
            "the second item of the returned tuple",
        ),
        (
            "frequencies over n_freq",
            ("omega = 2 * math.pi * f / (2 * n_freq + 1)", "omega = 2 * math.pi * f / n_freq"),
            "values are off",
        ),
        (
            "cos and sin in two blocks, not interleaved",
            (
                "W_pos = torch.stack([angles.cos(), angles.sin()], dim=-1).flatten(-2)",
                "W_pos = torch.cat([angles.cos(), angles.sin()], dim=-1)",
            ),
            "values are off",
        ),
    ],
    "pointer_induction_head_weights": [
        (
            "no self-exclusion: layer 0 also finds the current token",
            (
                "W_K[0, 0, pos : pos + d_pos, V : V + d_pos] = -s0 * eye_pos * 2 / (2 * n_freq + 1)",
                "pass",
            ),
            "of your layer-1 head's queries",
        ),
        (
            "the position not moved on",
            (
                "W_O[0, 0, :d_pos, free : free + d_pos] = R",
                "W_O[0, 0, :d_pos, free : free + d_pos] = eye_pos",
            ),
            "of your layer-1 head's queries",
        ),
        (
            "the position moved back",
            ("W_O[0, 0, :d_pos, free : free + d_pos] = R", "W_O[0, 0, :d_pos, free : free + d_pos] = R.T"),
            "of your layer-1 head's queries",
        ),
    ],
}
