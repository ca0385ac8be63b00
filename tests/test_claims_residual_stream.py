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
