"""Chapter "Virtual weights and residual-stream subspaces", run with the reference solutions
on the zoo's attn-only-2l: what the page claims must hold there."""

import math

import pytest
import torch

from course import heldout, zoo
from course.dataset import load_streams
from solutions import virtual_weights as vw


@pytest.fixture(scope="module")
def model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def circuit(model):
    return heldout.circuit(model, load_streams())


def test_virtual_weights_rebuild_the_layer_1_keys(model):
    """A layer-1 key is the sum of what every earlier component sends through its virtual
    weights: tokens through W_E W_K, positions (shortformer) through W_pos W_K, each layer-0
    head through W_O W_K, the bias b_O through W_K."""
    tokens = load_streams().val[:64].reshape(2, 32)
    _, cache = model.run_with_cache(tokens)
    K1 = model.W_K[1]
    from_tokens = vw.token_virtual_weights(model.W_E, K1)[:, tokens]  # [head, b, p, e]
    from_pos = vw.token_virtual_weights(model.W_pos[:32], K1)[:, None]
    from_heads = torch.einsum("bpie,hief->hbpf", cache["z", 0], vw.virtual_weights(model.W_O[0], K1))
    bias = model.b_O[0] @ K1 + model.b_K[1]  # [head, e]
    keys = from_tokens + from_pos + from_heads + bias[:, None, None]
    torch.testing.assert_close(keys.permute(1, 2, 0, 3), cache["k", 1])


def _random_basis(g: torch.Generator, d: int, k: int) -> torch.Tensor:
    """An orthonormal basis of a uniformly random k-dimensional subspace of R^d."""
    return torch.linalg.qr(torch.randn(d, k, generator=g, dtype=torch.float64))[0]


def _overlaps(model, reads: str) -> torch.Tensor:
    """overlap[h0, h1] between what L0 head h0 writes and what L1 head h1 reads through ``reads``."""
    writes = [vw.write_subspace(model.W_O[0, h]) for h in range(model.cfg.n_heads)]
    inputs = [vw.read_subspace(getattr(model, reads)[1, h]) for h in range(model.cfg.n_heads)]
    return torch.tensor([[vw.subspace_overlap(w, r).item() for r in inputs] for w in writes])


def test_the_previous_token_head_writes_where_the_induction_heads_keys_read(model, circuit):
    """K-composition through subspaces: the previous-token head's write subspace overlaps the
    induction heads' key subspaces at more than twice chance, a two-back head's at more than
    chance, every other layer-0 head's at less; the induction heads' queries read the
    previous-token head more than chance too (they match two tokens of context)."""
    d, e = model.cfg.d_model, model.cfg.d_head
    chance = vw.random_overlap_baseline(e, e, d)
    assert chance == pytest.approx(e / d)
    keys, queries = _overlaps(model, "W_K"), _overlaps(model, "W_Q")
    PREV, others = circuit.previous_token, [h for h in range(model.cfg.n_heads) if h not in circuit.layer_0]
    for h1 in circuit.induction:
        assert keys[PREV, h1] > 2 * chance
        assert all(keys[h0, h1] > 1.5 * chance for h0 in circuit.two_back)
        assert all(keys[PREV, h1] > keys[h0, h1] + 0.05 for h0 in circuit.two_back)
        assert all(keys[h0, h1] < chance for h0 in others)
        assert queries[PREV, h1] > chance

    # Principal angles: about half of the previous-token head's directions are within 30° of
    # the strongest induction head's key subspace; fewer for a two-back head, at most a few for
    # any other layer-0 head, and almost never for random subspaces.
    key_read = vw.read_subspace(model.W_K[1, circuit.induction[0]])
    close = [
        int((vw.principal_angles(vw.write_subspace(model.W_O[0, h]), key_read) < math.pi / 6).sum())
        for h in range(model.cfg.n_heads)
    ]
    assert close[PREV] >= e / 3 and all(close[h] < close[PREV] for h in circuit.two_back), close
    assert max(close[h] for h in others) <= 5, close
    g = torch.Generator().manual_seed(0)
    random_close = [
        int((vw.principal_angles(_random_basis(g, d, e), _random_basis(g, d, e)) < math.pi / 6).sum())
        for _ in range(200)
    ]
    assert sum(random_close) / len(random_close) < 0.5  # "almost never"


@pytest.mark.parametrize("k1, k2", [(16, 16), (8, 24)])
def test_random_subspaces_overlap_as_the_baseline_says(k1, k2):
    g = torch.Generator().manual_seed(0)
    draws = torch.stack(
        [vw.subspace_overlap(_random_basis(g, 64, k1), _random_basis(g, 64, k2)) for _ in range(500)]
    )
    assert abs(draws.mean().item() - vw.random_overlap_baseline(k1, k2, 64)) < 0.01


def test_the_components_ask_for_more_dimensions_than_the_stream_has(model):
    ranks = vw.write_ranks(model.W_E, model.W_pos, model.W_O, shortformer=True)
    d = model.cfg.d_model
    heads = model.cfg.n_layers * model.cfg.n_heads
    assert ranks.tolist() == [d, 0] + [model.cfg.d_head] * heads  # W_E alone fills the stream
    assert ranks.sum() == 3 * d


def test_the_papers_exercise_1_heads_compose_into_a_virtual_copy_head():
    eye = torch.eye(16)
    first = vw.copy_head(eye, d_head=4, src=0, dst=8)
    second = vw.copy_head(eye, d_head=4, src=8, dst=12)
    x = torch.randn(5, 16)
    moved = x @ first[0] @ first[1]
    assert torch.equal(moved[:, 8:12], x[:, 0:4]) and not moved[:, :8].any() and not moved[:, 12:].any()
    W_V, W_O = vw.compose_heads(*first, *second)
    virtual = torch.zeros(16, 16)
    virtual[range(4), range(12, 16)] = 1
    assert torch.equal(W_V @ W_O, virtual)  # dimensions 0–3 land in 12–15
