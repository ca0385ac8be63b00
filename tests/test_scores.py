"""The scores behind the zoo's claims, on models whose answer is known by construction."""

import pytest
import torch

from course import scores
from course.model import AttnOnlyTransformer, ModelConfig


def model_(n_layers=2, d_model=8, n_heads=2, d_head=2, d_vocab=8, n_ctx=12, pos="standard"):
    cfg = ModelConfig(n_layers, d_model, n_heads, d_head, d_vocab, n_ctx, pos)
    return AttnOnlyTransformer(cfg, seed=0)


def planted(pattern_fn):
    """A hook that replaces every head's pattern with ``pattern_fn(n)``."""

    def hook(pattern, hook):
        n = pattern.shape[-1]
        return pattern_fn(n).expand_as(pattern).clone()

    return (lambda name: name.endswith("hook_pattern"), hook)


def previous_token_pattern(n):
    p = torch.zeros(n, n)
    p[0, 0] = 1
    p[torch.arange(1, n), torch.arange(n - 1)] = 1
    return p


def test_previous_token_and_induction_scores():
    model = model_()
    period = 5
    tokens = torch.cat([torch.zeros(2, 1, dtype=torch.long), torch.arange(1, 6).repeat(2, 2)], dim=1)
    with model.hooks([planted(previous_token_pattern)]):
        assert torch.allclose(scores.previous_token_scores(model, tokens), torch.ones(2, 2))
        assert scores.induction_scores(model, tokens, period).max() < 0.01

    def induction_pattern(n):
        p = torch.zeros(n, n)
        for i in range(n):
            p[i, i - period + 1 if i >= period + 1 else 0] = 1
        return p

    with model.hooks([planted(induction_pattern)]):
        assert torch.allclose(scores.induction_scores(model, tokens, period), torch.ones(2, 2))


def test_copying_score_signs():
    model = model_(n_layers=1, d_model=8, d_head=8)
    with torch.no_grad():
        model.embed.W_E.copy_(torch.eye(8))
        model.unembed.W_U.copy_(torch.eye(8))
        model.blocks[0].attn.W_V.copy_(torch.eye(8).expand(2, 8, 8))
        model.blocks[0].attn.W_O[0] = torch.eye(8) * 3  # copies
        model.blocks[0].attn.W_O[1] = -torch.eye(8)  # anti-copies
    assert scores.copying_scores(model)[0].tolist() == pytest.approx([1.0, -1.0])


def test_k_composition_is_not_q_composition():
    """Layer 0 writes into dims 0-1; layer 1 head 0 reads them with its keys only."""
    model = model_(n_layers=2, d_model=8, n_heads=2, d_head=2)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        a0, a1 = model.blocks[0].attn, model.blocks[1].attn
        a0.W_V[0] = torch.eye(8)[:, :2]
        a0.W_O[0] = torch.eye(8)[:2]
        a1.W_K[0] = torch.eye(8)[:, :2]
        a1.W_Q[0] = torch.eye(8)[:, 4:6]
        a1.W_Q[1], a1.W_K[1] = torch.eye(8)[:, 4:6], torch.eye(8)[:, 4:6]
    k = scores.composition_scores(model, "K")
    q = scores.composition_scores(model, "Q")
    assert k[0, 0, 1, 0] > 0.5 and q[0, 0, 1, 0] == 0
    assert k[0, 0, 1, 1] == 0 and k[1].abs().sum() == 0


def test_zero_layer_table_and_gap():
    model = model_(n_layers=0, pos="shortformer")  # no positions in the residual stream
    table = scores.zero_layer_table(model)
    assert torch.allclose(table.exp().sum(-1), torch.ones(8, dtype=torch.float64))
    stream = torch.randint(0, 8, (200,))
    tokens = stream[None, :12]
    logp = model(tokens).log_softmax(-1)[0].double()
    assert torch.allclose(logp, table[tokens[0]], atol=1e-5)
    assert scores.gap_closed(5.0, 4.0, 3.0) == 0.5
