"""Chapter "Eigenvalue analysis: copying", run with the reference solutions on the zoo's
attn-only-1l and attn-only-2l: what the page claims must hold there."""

import pytest
import torch

from course import scores, zoo
from solutions import eigenvalues as ev

K = 10  # the page's top-k for the diagonal measure


@pytest.fixture(scope="module")
def one_layer():
    return zoo.load("attn-only-1l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def two_layer():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


def _ov(model) -> dict:
    return dict(W_E=model.W_E, W_V=model.W_V, W_O=model.W_O, W_U=model.W_U)


def test_the_factored_forms_agree_with_the_full_circuit(one_layer):
    """On one head's circuit among the first 400 tokens, the small matrix's eigenvalues and the
    cheap trace are those of the 400 × 400 matrix (built here, in the test, to compare)."""
    m = one_layer
    A, B = m.W_E[:400] @ m.W_V[0, 1], m.W_O[0, 1] @ m.W_U[:, :400]
    full = torch.linalg.eigvals(A @ B)
    small = ev.factored_eigenvalues(A, B)
    big = full[full.abs().argsort(descending=True)[: len(small)]]
    key = lambda z: z.real * 1e3 + z.imag  # noqa: E731  (the spectra have no near-ties)
    torch.testing.assert_close(big[key(big).argsort()], small[key(small).argsort()])
    torch.testing.assert_close(ev.factored_trace(A, B), (A @ B).trace())
    torch.testing.assert_close(ev.factored_trace(A, B), small.sum().real)


def test_scores_match_the_course_scores_and_metrics(one_layer, two_layer):
    for model in (one_layer, two_layer):
        torch.testing.assert_close(ev.ov_copying_scores(**_ov(model)), scores.copying_scores(model))
        A, B = model.W_E @ model.W_V, model.W_O @ model.W_U
        torch.testing.assert_close(ev.copying_score(A, B), scores.copying_scores(model))


def test_every_one_layer_head_copies(one_layer):
    """The page: all four heads of attn-only-1l have positive OV copying scores (0.82–0.97),
    and their normalised spectra lean to the right half of the unit disk."""
    assert (ev.ov_copying_scores(**_ov(one_layer)) > 0.75).all()
    spectra = ev.normalised_ov_spectra(**_ov(one_layer))
    assert torch.allclose(spectra.abs().amax(-1), torch.ones(1, 4, dtype=torch.float64))
    assert (spectra.real.sum(-1) > 0).all()


def test_one_layer_qk_circuits_do_not_seek_the_same_token(one_layer):
    """The page: QK same-token scores near zero, head 2's clearly negative."""
    qk = ev.qk_same_token_scores(one_layer.W_E, one_layer.W_Q, one_layer.W_K)[0]
    assert qk[[0, 1, 3]].abs().max() < 0.15, qk
    assert qk[2] < -0.3, qk


def test_one_layer_copying_is_broad_not_token_by_token(one_layer):
    """The page: each head has its own token among its top 10 several times more often than
    chance (10 / 2048), but its top output is the token itself for few tokens."""
    V = one_layer.cfg.d_vocab
    top_k = ev.diagonal_share(**_ov(one_layer), k=K, chunk=256)
    assert (top_k > 4 * K / V).all(), top_k
    assert (top_k < 0.1).all(), top_k
    assert (ev.diagonal_share(**_ov(one_layer), k=1, chunk=256) < 0.5).all()


def test_the_induction_heads_of_the_two_layer_model_copy(two_layer):
    """The page: the induction heads (found on held-out tokens) copy almost perfectly, with
    eigenvalues near the positive real axis, and the attended token is among the top 10 each
    raises for most tokens."""
    from course import heldout
    from course.dataset import load_streams

    heads = list(heldout.circuit(two_layer, load_streams()).induction)
    ov = ev.ov_copying_scores(**_ov(two_layer))
    assert (ov[1, heads] > 0.99).all(), ov
    spectra = ev.normalised_ov_spectra(**_ov(two_layer))[1, heads]
    assert (spectra.real > 0.1).all() and (spectra.imag.abs() < 0.1).all()
    assert (ev.diagonal_share(**_ov(two_layer), k=K, chunk=256)[1, heads] > 0.7).all()
    assert ev.diagonal_share(**_ov(two_layer), k=1, chunk=256)[1, heads[0]] > 0.4
