"""The residual-stream chapter's claims about tensor-product notation and the residual stream's
basis, run with the reference solutions on the zoo's attn-only-2l."""

import pytest
import torch

from course import zoo
from solutions import residual_stream as rs


@pytest.fixture(scope="module")
def model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def run(model):
    tokens = torch.randint(1, model.cfg.d_vocab, (1, 24), generator=torch.Generator().manual_seed(0))
    return model.run_with_cache(tokens)


def test_every_head_is_a_tensor_product_of_its_pattern_and_its_ov_circuit(model, run):
    """hook_result of every head is (A^h ⊗ W_OV^h) x plus the value bias moved by the pattern,
    b_V^h W_O^h (each row of A sums to 1); the explicit Kronecker matrix gives the same."""
    _, cache = run
    for layer in range(model.cfg.n_layers):
        x = cache["resid_pre", layer][0]
        for h in range(model.cfg.n_heads):
            A = cache["pattern", layer][0, h]
            W_OV = model.W_V[layer, h] @ model.W_O[layer, h]
            ours = rs.tensor_product_apply(A, W_OV, x) + model.b_V[layer, h] @ model.W_O[layer, h]
            torch.testing.assert_close(ours, cache["result", layer][0, :, h], rtol=1e-10, atol=1e-10)
    A, W_OV = cache["pattern", 1][0, 0, :12, :12], model.W_V[1, 0] @ model.W_O[1, 0]
    x = cache["resid_pre", 1][0, :12]
    M = rs.tensor_product_matrix(A, W_OV)  # (12 · 64) × (12 · 64)
    torch.testing.assert_close(x.flatten() @ M, rs.tensor_product_apply(A, W_OV, x).flatten())


def _rotated(model, R):
    """A copy of ``model`` with its residual stream rotated by R, through the reference."""
    import copy

    L = model.cfg.n_layers
    weights = rs.rotate_residual_stream(model.W_E, model.W_pos, model.W_Q, model.W_K, model.W_V, model.W_O,
                                        model.b_O, model.W_U, R)  # fmt: skip
    W_E, W_pos, W_Q, W_K, W_V, W_O, b_O, W_U = weights
    state = {"embed.W_E": W_E, "pos_embed.W_pos": W_pos, "unembed.W_U": W_U}
    for l in range(L):
        for name, w in (("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V), ("W_O", W_O), ("b_O", b_O)):
            state[f"blocks.{l}.attn.{name}"] = w[l]
    rotated = copy.deepcopy(model)
    rotated.load_state_dict(state, strict=False)
    return rotated


def test_a_rotated_residual_stream_changes_the_coordinates_but_not_the_logits(model, run):
    """The zoo's attn-only model has no privileged basis: rotated by a random orthogonal R, its
    logits agree to rounding, while the statistics of single coordinates change. Even unrotated,
    no coordinate is a heavy-tailed outlier on held-out text (excess kurtosis below 3)."""
    logits, cache = run
    tokens = torch.randint(1, model.cfg.d_vocab, (1, 24), generator=torch.Generator().manual_seed(0))
    R = torch.linalg.qr(torch.randn(model.cfg.d_model, model.cfg.d_model, dtype=torch.float64, generator=torch.Generator().manual_seed(1)))[
        0
    ]
    rotated = _rotated(model, R)
    rotated_logits, rotated_cache = rotated.run_with_cache(tokens)
    torch.testing.assert_close(rotated_logits, logits, rtol=1e-10, atol=1e-10)
    x, y = cache["resid_post", 1], rotated_cache["resid_post", 1]
    torch.testing.assert_close(y, x @ R, rtol=1e-10, atol=1e-10)
    # The kurtosis, as the page measures it: on held-out text.
    from course.dataset import load_streams, text_batch
    from course.tokenizer import Tokenizer

    text = text_batch(load_streams().val, 32, 128, Tokenizer().bos_id, torch.Generator().manual_seed(0))
    x, y = model.run_with_cache(text)[1]["resid_post", 1], rotated.run_with_cache(text)[1]["resid_post", 1]
    before, after = rs.coordinate_kurtosis(x), rs.coordinate_kurtosis(y)
    assert (before - after).abs().max() > 0.1
    assert before.max() < 3 and after.max() < 3


def test_heads_that_move_tokens_write_in_the_most_directions(model):
    """The participation ratio of what each head writes, on repeated random tokens: never more
    than d_head; in layer 0 the previous-token head, in layer 1 the induction heads write in the
    most directions, by a clear margin, each in more than half of its d_head."""
    from course import heldout
    from course.dataset import load_streams, repeated_tokens
    from course.tokenizer import Tokenizer

    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out  # tokens no training repeat ever drew
    tokens = repeated_tokens(pool, 16, 30, 60, bos, torch.Generator().manual_seed(0))
    _, cache = model.run_with_cache(tokens)
    pr = torch.stack([rs.participation_ratio(cache["result", l]) for l in range(model.cfg.n_layers)])
    assert (pr <= model.cfg.d_head + 1e-6).all() and (pr >= 1).all()
    c = heldout.circuit(model, load_streams())
    layer0 = pr[0].sort(descending=True)
    assert int(layer0.indices[0]) == c.previous_token and layer0.values[0] - layer0.values[1] > 2
    layer1 = pr[1].sort(descending=True)
    k = len(c.induction)
    assert set(layer1.indices[:k].tolist()) == set(c.induction) and layer1.values[k - 1] - layer1.values[k] > 2
    assert pr[0, c.previous_token] > model.cfg.d_head / 2 and pr[1, list(c.induction)].min() > model.cfg.d_head / 2
