"""The induction chapter's claims, run with the reference solutions on the zoo: attn-only-2l has
one previous-token head (and a head that attends two tokens back) and induction heads, which
the scores, the ablations and the weights alone all pick out; only it learns from a repeat;
its training shows a phase change; and the hand-built induction head predicts repeats. Every
repeat is of held-out tokens, which no random repeat in training drew from."""

import pytest
import torch

from autograder.checks.induction import induction_accuracy
from course import heldout, scores, zoo
from course.dataset import load_streams, repeated_tokens
from course.train import RECIPES, repeat_pool
from course.tokenizer import Tokenizer
from solutions import induction as ind

PERIOD = 30


@pytest.fixture(scope="module")
def model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def circuit(model):
    """(the previous-token head, the set of induction heads), as (layer, head) pairs."""
    c = heldout.circuit(model, load_streams())
    return (0, c.previous_token), {(1, h) for h in c.induction}


@pytest.fixture(scope="module")
def two_back(model):
    """The layer-0 heads besides the previous-token head that attend two tokens back."""
    return {(0, h) for h in heldout.circuit(model, load_streams()).two_back}


@pytest.fixture(scope="module")
def pool():
    """The held-out tokens: no random repeat in training ever drew from them."""
    return heldout.split(load_streams()).held_out


@pytest.fixture(scope="module")
def tokens(pool):
    return ind.repeated_random_tokens(pool, 16, PERIOD, 2, Tokenizer().bos_id, seed=0)


def _heads(t: torch.Tensor, k: int) -> set[tuple[int, int]]:
    return {divmod(int(i), t.shape[1]) for i in t.flatten().topk(k).indices}


def test_repeated_tokens_match_the_dataset_and_only_2l_learns_from_the_repeat(pool, tokens):
    bos = Tokenizer().bos_id
    same = repeated_tokens(pool, 16, PERIOD, 2 * PERIOD, bos, torch.Generator().manual_seed(0))
    assert torch.equal(tokens, same)
    for name in ("attn-only-0l", "attn-only-1l", "attn-only-2l"):
        m = zoo.load(name, dtype=torch.float64).requires_grad_(False)
        loss = ind.per_token_loss(m(tokens), tokens).mean(0)
        first, second = loss[1:PERIOD].mean(), loss[PERIOD + 1 :].mean()
        if name == "attn-only-2l":  # on held-out tokens, most of the loss is gone
            assert first - second > 4 and second < 0.2 * first
        else:
            assert second > first - 0.2


def test_head_scores_pick_out_the_circuit(model, tokens, circuit):
    PREV, INDUCTION = circuit
    _, cache = model.run_with_cache(tokens)
    pattern = torch.stack([cache["pattern", l] for l in range(model.cfg.n_layers)])
    prev, dup, induction = ind.head_scores(pattern, PERIOD)
    torch.testing.assert_close(prev, scores.previous_token_scores(model, tokens))
    torch.testing.assert_close(induction, scores.induction_scores(model, tokens, PERIOD))
    assert _heads(prev, 1) == {PREV} and prev[PREV] > 0.9
    assert _heads(induction, len(INDUCTION)) == INDUCTION and all(induction[h] > 0.3 for h in INDUCTION)
    assert dup.max() < 0.1  # no duplicate-token head


def test_in_context_learning_is_strongest_in_2l_and_nil_without_layers():
    """On disjoint held-out windows, at Olsson et al.'s anchors scaled to the context: the
    zero-layer model's score is within two standard errors of 0 (its loss at a position
    depends on the token alone), and 2l's is far below both others'. The solution's score
    is the same mean."""
    windows = heldout.disjoint_windows(load_streams().val, 128, Tokenizer().bos_id)[::2]
    early, late, _ = heldout.icl_anchors(128)
    icl = {}
    for name in ("attn-only-0l", "attn-only-1l", "attn-only-2l"):
        m = zoo.load(name).requires_grad_(False)
        icl[name] = heldout.in_context_learning(m, windows, early, late)
    zero, one, two = icl.values()
    assert abs(zero.score) < 2 * zero.score_sem, zero
    assert two.score < -0.5, two
    assert two.score + 3 * two.score_sem < min(zero.score, one.score) - 3 * max(zero.score_sem, one.score_sem)
    m = zoo.load("attn-only-2l").requires_grad_(False)
    loss = ind.per_token_loss(m(windows[:64]), windows[:64])
    solution = ind.in_context_learning_score(loss, early, late).item()
    mine = heldout.in_context_learning(m, windows[:64], early, late).score
    assert solution == pytest.approx(mine, abs=1e-4)


def test_ablations_blame_the_circuit(model, tokens, circuit, two_back):
    """The heads whose mean ablation costs most are the circuit's: the previous-token head
    first, any two-back head, and the induction heads."""
    PREV, INDUCTION = circuit
    mean = ind.ablation_loss_increase(model, tokens, mean=True)
    assert _heads(mean, 1 + len(two_back) + len(INDUCTION)) == {PREV, *two_back, *INDUCTION}
    assert _heads(mean, 1) == {PREV} and mean[PREV] > 2
    assert all(mean[h] > 0.2 for h in INDUCTION)


def test_the_weights_alone_find_the_circuit(model, tokens, pool, circuit):
    """Positions alone find the previous-token head. Through it, every layer-1 head's QK circuit
    matches same tokens, and every induction head's OV circuit copies held-out tokens often. A
    layer-1 head that the weights call an induction head but the held-out repeats do not is
    gated: it looks at BOS instead, and is an induction head on the tokens training repeated."""
    PREV, INDUCTION = circuit
    positional = ind.positional_previous_token_scores(model.W_pos, model.W_Q[0], model.b_Q[0], model.W_K[0],
                                                      model.b_K[0])  # fmt: skip
    prev = int(positional.argmax())
    assert prev == PREV[1] and positional[prev] > 0.9
    assert len(INDUCTION) < model.cfg.n_heads  # the page's gated head exists
    _, cache = model.run_with_cache(tokens)
    for h in range(model.cfg.n_heads):
        left, right = ind.induction_qk_circuit(model.W_E, model.W_V[0, prev], model.W_O[0, prev],
                                               model.W_Q[1, h], model.W_K[1, h])  # fmt: skip
        same = ind.diagonal_top1_rate(left, right, pool)
        copying = ind.diagonal_top1_rate(model.W_E @ model.W_V[1, h], model.W_O[1, h] @ model.W_U, pool)
        assert same > 0.9
        if (1, h) in INDUCTION:  # held-out tokens: matched almost always, copied often
            assert same > 0.95 and copying > 0.5
        else:  # gated: attends to BOS on held-out repeats
            assert cache["pattern", 1][:, h, PERIOD + 1 :, 0].mean() > 0.5
            trained = ind.repeated_random_tokens(
                repeat_pool(load_streams(), RECIPES["2l"], Tokenizer().bos_id), 16, PERIOD, 2,
                Tokenizer().bos_id, seed=0,
            )  # fmt: skip
            _, trained_cache = model.run_with_cache(trained)
            pattern = torch.stack([trained_cache["pattern", l] for l in range(2)])
            assert ind.head_scores(pattern, PERIOD)[2][1, h] > 0.5


def test_the_phase_change():
    """The best induction score jumps past 0.5 between two evaluations, from below 0.4, and the
    repeated-token loss falls by more than a nat across the same interval."""
    curve = zoo.entry("attn-only-2l").curve
    after = next(i for i, r in enumerate(curve) if max(r["induction"][-1]) > 0.5)
    before = curve[after - 1]
    assert max(before["induction"][-1]) < 0.4
    assert before["rep_loss_second_half"] - curve[after]["rep_loss_second_half"] > 1
    assert all(max(r["induction"][-1]) < 0.1 for r in curve[: after - 2])


def test_the_hand_built_head_predicts_repeats():
    V, period = 50, 40
    n_ctx = 2 * period + 1
    for dtype in (torch.float32, torch.float64):
        W_E = torch.zeros(V, 2 * V + n_ctx, dtype=dtype)
        W_E[:, :V] = torch.eye(V)
        accuracy, model, tokens = induction_accuracy(
            W_E, ind.induction_head_weights(W_E, n_ctx, n_ctx), n_ctx
        )
        assert accuracy == 1.0
        assert scores.previous_token_scores(model, tokens)[0, 0] > 0.99
        assert scores.induction_scores(model, tokens, period)[1, 0] > 0.99


def test_eigenvalues_of_the_k_composition_term_find_the_induction_heads(model, circuit):
    """Through the previous-token head, the K-composition term of every layer-1 head's QK circuit
    has (almost) only positive eigenvalues, and through no other layer-0 head does it come
    close; with the OV circuit's copying score, the weights alone score every induction head
    above 0.9. (They cannot tell the gated head, which test_the_weights_alone_find_the_circuit
    covers, from the others: weights say what a head can do, not when it does it.)"""
    PREV, INDUCTION = circuit
    qk = ind.k_composition_scores(model.W_E, model.W_V[0], model.W_O[0], model.W_Q[1], model.W_K[1])
    through_prev = qk[:, PREV[1]]
    assert (through_prev > 0.95).all()
    others = [h for h in range(model.cfg.n_heads) if h != PREV[1]]
    assert qk[:, others].max() < 0.3
    eigenvalues = ind.k_composition_eigenvalues(
        model.W_E,
        model.W_V[0, PREV[1] : PREV[1] + 1],
        model.W_O[0, PREV[1] : PREV[1] + 1],
        model.W_Q[1],
        model.W_K[1],
    )
    torch.testing.assert_close(eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1), through_prev[:, None])
    found = ind.induction_scores_from_weights(model.W_E, model.W_pos, model.W_Q, model.b_Q, model.W_K,
                                              model.b_K, model.W_V, model.W_O, model.W_U)  # fmt: skip
    assert min(found[h] for _, h in INDUCTION) > 0.9
    # In float32 too, and in the zoo's own dtype.
    m32 = zoo.load("attn-only-2l").requires_grad_(False)
    found32 = ind.induction_scores_from_weights(m32.W_E, m32.W_pos, m32.W_Q, m32.b_Q, m32.W_K, m32.b_K,
                                                m32.W_V, m32.W_O, m32.W_U)  # fmt: skip
    torch.testing.assert_close(found32.double(), found, atol=1e-4, rtol=1e-4)


def test_pointer_arithmetic_needs_positions_the_zoo_did_not_learn():
    """Rotated sinusoids move one step on by a rotation, exactly; attn-only-2l's learned positions
    are far from any rotation's reach. The hand-built pointer-arithmetic head attends to the token
    after the previous occurrence and predicts the repeat, in float32 and float64."""
    from autograder.checks.induction import pointer_accuracy, pointer_positions

    def best_rotation_error(W_pos):
        X, Y = W_pos[:-1], W_pos[1:]
        U, _, Vh = torch.linalg.svd(X.T @ Y)
        return ((X @ (U @ Vh) - Y).norm() / Y.norm()).item()

    sinusoids, R = ind.sinusoidal_positions(torch.arange(128, dtype=torch.float64), 64)
    torch.testing.assert_close(sinusoids[:-1] @ R, sinusoids[1:])
    assert best_rotation_error(sinusoids) < 1e-10
    assert best_rotation_error(zoo.load("attn-only-2l", dtype=torch.float64).W_pos.detach()) > 0.2
    V, period = 50, 40
    n_ctx, d_model = 2 * period + 1, V + 4 * period
    for dtype in (torch.float32, torch.float64):
        W_E = torch.zeros(V, d_model, dtype=dtype)
        W_E[:, :V] = torch.eye(V)
        W_pos = pointer_positions(n_ctx, V, period, d_model).to(dtype)
        weights = ind.pointer_induction_head_weights(W_E, W_pos, period, V + 2 * period)
        attends, accuracy, duplicate = pointer_accuracy(W_E, W_pos, weights)
        assert attends == 1.0 and accuracy == 1.0 and duplicate > 0.99
