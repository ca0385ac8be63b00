"""The model's forward pass, hooks and config, against an independent reimplementation."""

import math

import pytest
import torch

from course.model import AttnOnlyTransformer, ModelConfig


def reference_logits(model: AttnOnlyTransformer, tokens: torch.Tensor) -> torch.Tensor:
    """The forward pass written out head by head with plain matmuls, no einops, no hooks."""
    cfg = model.cfg
    sd = {k: v.double() for k, v in model.state_dict().items()}
    n = tokens.shape[1]
    pos = sd["pos_embed.W_pos"][:n]
    x = sd["embed.W_E"][tokens]
    if cfg.positional_embedding_type == "standard":
        x = x + pos
    for l in range(cfg.n_layers):
        p = f"blocks.{l}.attn."
        x_qk = x + pos if cfg.positional_embedding_type == "shortformer" else x
        out = torch.zeros_like(x) + sd[p + "b_O"]
        for h in range(cfg.n_heads):
            q = x_qk @ sd[p + "W_Q"][h] + sd[p + "b_Q"][h]
            k = x_qk @ sd[p + "W_K"][h] + sd[p + "b_K"][h]
            v = x @ sd[p + "W_V"][h] + sd[p + "b_V"][h]
            scores = q @ k.transpose(1, 2) / math.sqrt(cfg.d_head)
            for i in range(n):
                scores[:, i, i + 1 :] = -math.inf
            out = out + torch.softmax(scores, dim=-1) @ v @ sd[p + "W_O"][h]
        x = x + out
    return x @ sd["unembed.W_U"] + sd["unembed.b_U"]


def random_model(pos_type="standard", n_layers=2, seed=0, **kw) -> AttnOnlyTransformer:
    cfg = dict(n_layers=n_layers, d_model=12, n_heads=3, d_head=4, d_vocab=17, n_ctx=9)
    cfg.update(kw)
    model = AttnOnlyTransformer(ModelConfig(**cfg, positional_embedding_type=pos_type), seed=seed)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():  # non-zero biases, so that a misplaced bias shows
        for name, p in model.named_parameters():
            if ".b_" in name or name.endswith("b_U"):
                p.copy_(torch.randn(p.shape, generator=g))
    return model


@pytest.mark.parametrize("pos_type", ["standard", "shortformer"])
@pytest.mark.parametrize("n_layers", [0, 1, 2, 3])
def test_forward_matches_reference(pos_type, n_layers):
    model = random_model(pos_type, n_layers).double()
    tokens = torch.randint(0, 17, (4, 9), generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(model(tokens), reference_logits(model, tokens), rtol=1e-10, atol=1e-10)


def test_positions_differ_between_types():
    """A shortformer model must not add positions to the residual stream."""
    std = random_model("standard")
    short = random_model("shortformer")
    short.load_state_dict(std.state_dict())
    tokens = torch.randint(0, 17, (2, 9))
    assert not torch.allclose(std(tokens), short(tokens))
    _, cache = short.run_with_cache(tokens)
    torch.testing.assert_close(cache["blocks.0.hook_resid_pre"], cache["hook_embed"])


def test_causal():
    model = random_model()
    a = torch.randint(0, 17, (1, 9))
    b = a.clone()
    b[0, 5:] = (b[0, 5:] + 1) % 17
    torch.testing.assert_close(model(a)[0, :5], model(b)[0, :5])
    assert not torch.allclose(model(a)[0, 5:], model(b)[0, 5:])


def test_parameter_names_and_shapes_are_transformer_lens():
    model = random_model(n_layers=1)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {
        "embed.W_E": (17, 12), "pos_embed.W_pos": (9, 12),
        "blocks.0.attn.W_Q": (3, 12, 4), "blocks.0.attn.W_K": (3, 12, 4),
        "blocks.0.attn.W_V": (3, 12, 4), "blocks.0.attn.W_O": (3, 4, 12),
        "blocks.0.attn.b_Q": (3, 4), "blocks.0.attn.b_K": (3, 4), "blocks.0.attn.b_V": (3, 4),
        "blocks.0.attn.b_O": (12,), "unembed.W_U": (12, 17), "unembed.b_U": (17,),
    }  # fmt: skip
    assert model.W_Q.shape == (1, 3, 12, 4) and model.W_O.shape == (1, 3, 4, 12)
    assert random_model(n_layers=0).W_V.shape == (0, 3, 12, 4)


def test_cache_names_shapes_and_invariants():
    model = random_model("standard", n_layers=2)
    tokens = torch.randint(0, 17, (2, 7))
    logits, cache = model.run_with_cache(tokens)
    b, p, h, d, e = 2, 7, 3, 12, 4
    expected = {"hook_embed": (b, p, d), "hook_pos_embed": (b, p, d)}
    for l in range(2):
        expected |= {
            f"blocks.{l}.hook_resid_pre": (b, p, d), f"blocks.{l}.hook_resid_post": (b, p, d),
            f"blocks.{l}.hook_attn_out": (b, p, d),
            f"blocks.{l}.attn.hook_q": (b, p, h, e), f"blocks.{l}.attn.hook_k": (b, p, h, e),
            f"blocks.{l}.attn.hook_v": (b, p, h, e), f"blocks.{l}.attn.hook_z": (b, p, h, e),
            f"blocks.{l}.attn.hook_attn_scores": (b, h, p, p),
            f"blocks.{l}.attn.hook_pattern": (b, h, p, p),
            f"blocks.{l}.attn.hook_result": (b, p, h, d),
        }  # fmt: skip
    assert {k: tuple(v.shape) for k, v in cache.items()} == expected
    # Heads are independent and additive: their results plus b_O are the layer's output.
    attn = model.blocks[0].attn
    torch.testing.assert_close(cache["result", 0].sum(2) + attn.b_O, cache["attn_out", 0])
    torch.testing.assert_close(cache["pattern", 1].sum(-1), torch.ones(b, h, p))
    scores = cache["attn_scores", 0]
    assert torch.isinf(scores.triu(1)[..., 0, 1:]).all() and torch.isfinite(scores.tril()).all()
    # Scaled by 1/sqrt(d_head).
    q, k = cache["q", 0], cache["k", 0]
    raw = torch.einsum("bqhe,bkhe->bhqk", q, k)
    torch.testing.assert_close(scores.tril(), (raw / 2.0).tril())
    torch.testing.assert_close(cache["resid_post", 1] @ model.W_U + model.b_U, logits)


def test_hooks_change_activations_and_are_removed():
    model = random_model()
    tokens = torch.randint(0, 17, (2, 9))
    clean = model(tokens)

    def ablate_head(z, hook):
        z = z.clone()
        z[:, :, 1] = 0
        return z

    ablated = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_z", ablate_head)])
    _, cache = model.run_with_cache(tokens)
    result = cache["result", 1]
    expected = clean - result[:, :, 1] @ model.W_U
    torch.testing.assert_close(ablated, expected, rtol=1e-5, atol=1e-5)

    with pytest.raises(RuntimeError):
        with model.hooks([(lambda n: n.endswith("hook_pattern"), lambda x, hook: x * 0)]):
            raise RuntimeError("boom")
    torch.testing.assert_close(model(tokens), clean)  # hooks gone even after the error


def test_hook_errors():
    model = random_model()
    tokens = torch.randint(0, 17, (1, 4))
    with pytest.raises(KeyError, match="hook_nope"):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.hook_nope", lambda x, hook: x)])
    with pytest.raises(ValueError, match="blocks.0.attn.hook_z returned shape"):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", lambda x, hook: x[:, :1])])


def test_bad_input():
    model = random_model()
    with pytest.raises(ValueError, match="n_ctx=9"):
        model(torch.zeros(1, 10, dtype=torch.long))
    with pytest.raises(ValueError, match="positional_embedding_type"):
        ModelConfig(1, 4, 1, 4, 5, 5, positional_embedding_type="rotary")
    with pytest.raises(ValueError, match="n_heads"):
        ModelConfig(1, 4, 0, 4, 5, 5)
    with pytest.raises(ValueError, match="unknown model config keys"):
        ModelConfig.from_dict({"n_layers": 1, "d_mlp": 3})
