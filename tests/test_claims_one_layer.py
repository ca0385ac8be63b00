"""Chapter "One-layer models: path expansion and skip-trigrams", run with the reference
solutions on the zoo's attn-only-1l: what the page claims must hold there."""

import pytest
import torch

from course import zoo
from course.dataset import frequent_tokens, load_streams, text_batch
from course.tokenizer import Tokenizer
from solutions import one_layer as ol

LAYER = ("W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O")
POOL, TOP = 500, 50  # as the page: the 500 most frequent tokens, each head's top 50 trigrams


@pytest.fixture(scope="module")
def model():
    return zoo.load("attn-only-1l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def weights(model):
    w = {n: getattr(model, n) for n in ("W_E", "W_pos", "W_U", "b_U")}
    return w | {n: getattr(model, n)[0] for n in LAYER}


@pytest.fixture(scope="module")
def tokens():
    return text_batch(load_streams().val, 8, 128, Tokenizer().bos_id, torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def trigrams(weights):
    """Each head's strongest skip-trigrams among the frequent tokens, as vocabulary ids."""
    pool = frequent_tokens(load_streams().train, POOL, exclude=Tokenizer().bos_id)
    w = weights
    out = []
    for head in range(4):
        triples, scores = ol.top_skip_trigrams(
            w["W_E"][pool], w["W_Q"], w["W_K"], w["W_V"], w["W_O"], w["W_U"][:, pool], head, TOP, chunk=128
        )
        out.append((pool[triples], scores))
    return out


def _ce(logits, tokens) -> float:
    return -logits.log_softmax(-1)[:, :-1].gather(-1, tokens[:, 1:, None]).mean().item()


def test_the_paths_add_up_to_the_model(model, weights, tokens):
    """The direct term and the four head terms sum to the model's logits, and with the
    model's own patterns frozen the logits are the model's."""
    logits, cache = model.run_with_cache(tokens)
    terms = ol.path_expansion(tokens, **weights, shortformer=True)
    assert terms.shape == (*tokens.shape, 5, model.cfg.d_vocab)
    torch.testing.assert_close(terms.sum(2), logits)
    frozen = {k: v for k, v in weights.items() if k not in ("W_Q", "b_Q", "W_K", "b_K")}
    torch.testing.assert_close(
        ol.frozen_pattern_logits(tokens, cache["pattern", 0], **frozen, shortformer=True), logits
    )
    # Shortformer positions: the direct path is the zero-layer table read at the tokens.
    table = weights["W_E"] @ weights["W_U"] + weights["b_U"]
    direct = ol.direct_path_logits(
        tokens, weights["W_E"], weights["W_pos"], weights["W_U"], weights["b_U"], True
    )
    torch.testing.assert_close(direct, table[tokens])


def test_the_direct_path_alone_is_a_worse_bigram_model_than_the_zero_layer_model(model, weights, tokens):
    """The page: the full model beats the zero-layer model, and its direct path alone is worse
    than the zero-layer model, so the heads carry bigram statistics too."""
    terms = ol.path_expansion(tokens, **weights, shortformer=True)
    full, direct = _ce(terms.sum(2), tokens), _ce(terms[:, :, 0], tokens)
    zero = _ce(zoo.load("attn-only-0l", dtype=torch.float64).requires_grad_(False)(tokens), tokens)
    assert full < zero - 0.2, (full, zero)
    assert direct > zero + 0.3, (direct, zero)


def test_trigram_scores_are_the_sum_of_the_circuit_rows(weights, trigrams):
    """Each score is QK[B, A] + OV[A, C], read from one row of each circuit."""
    w = weights
    for head, (triples, scores) in enumerate(trigrams):
        assert (scores[:-1] >= scores[1:]).all()
        for (a, b, c), score in list(zip(triples.tolist(), scores))[:5]:
            qk = ol.qk_circuit_row(w["W_E"], w["W_Q"], w["W_K"], head, b)[a]
            ov = ol.ov_circuit_row(w["W_E"], w["W_V"], w["W_O"], w["W_U"], head, a)[c]
            torch.testing.assert_close(qk + ov, score)


def test_heads_0_and_1_copy_and_heads_2_and_3_do_not(trigrams):
    """The page: among the top 50 trigrams of each head, heads 0 and 1 copy far more often
    than chance (1/500), and heads 2 and 3 hardly ever; copies are a minority for every head
    (the eigenvalue chapter refers to this)."""
    shares = [ol.copying_share(triples) for triples, _ in trigrams]
    assert min(shares[0], shares[1]) > 0.1, shares
    assert max(shares) < 0.5, shares
    assert max(shares[2], shares[3]) < 0.05, shares


def test_the_copying_trigrams_are_python(trigrams):
    """The page names them: indentation that repeats (head 0), ` @` and ` >>>` (head 1)."""
    tok = Tokenizer()

    def copied(head):
        triples = trigrams[head][0]
        return {tok.token_str(a) for a, _, c in triples.tolist() if a == c}

    assert any(t.strip() == "" and "\n" in t for t in copied(0)), copied(0)
    assert {" @", " >>>"} <= copied(1), copied(1)


def test_skip_trigram_bugs_are_as_strong_as_the_trigrams_that_imply_them(weights):
    """Among each head's 100 strongest skip-trigrams (frequent tokens), many pairs share a source;
    their crossed triples' scores add up to the originals', and more than 40% of them score at
    least as high as the 100th strongest trigram: the bugs come with the skill."""
    pool = frequent_tokens(load_streams().train, POOL, exclude=Tokenizer().bos_id)
    w = weights
    for head in range(4):
        triples, scores = ol.top_skip_trigrams(
            w["W_E"][pool], w["W_Q"], w["W_K"], w["W_V"], w["W_O"], w["W_U"][:, pool], head, 100, chunk=128
        )
        triples = pool[triples]
        crossed, crossed_scores = ol.skip_trigram_bugs(
            triples, w["W_E"], w["W_Q"], w["W_K"], w["W_V"], w["W_O"], w["W_U"], head
        )
        assert len(crossed) >= 2 * 100
        # The pairs again, to check the identity: score(A, B_i, C_j) + score(A, B_j, C_i) = s_i + s_j.
        i, j = torch.triu_indices(100, 100, offset=1)
        A, B, C = triples.unbind(-1)
        keep = (A[i] == A[j]) & (B[i] != B[j]) & (C[i] != C[j])
        total = scores[i[keep]] + scores[j[keep]]
        torch.testing.assert_close(crossed_scores.view(-1, 2).sum(-1), total)
        assert (crossed_scores >= scores.min()).double().mean() > 0.4
