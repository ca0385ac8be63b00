"""The composition chapter's claims, run with the reference solutions on the zoo's attn-only-2l:
the induction heads K-compose with the previous-token head well above chance, the path
expansion adds up to the model's logits, and on repeated tokens the previous-token head's
output is what lifts the induction heads' scores at the right key. The heads are named by
``course.heldout.circuit`` from their scores on held-out tokens, never typed."""

import pytest
import torch

from course import heldout, scores, zoo
from course.dataset import load_streams, repeated_tokens, text_batch
from course.tokenizer import Tokenizer
from solutions import composition as comp

PERIOD = 30


@pytest.fixture(scope="module")
def model():
    return zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)


@pytest.fixture(scope="module")
def circuit(model):
    return heldout.circuit(model, load_streams())


@pytest.fixture(scope="module")
def repeated(model):
    """Random held-out tokens (never repeated in training) repeated once, after BOS, and the model's activations on them."""
    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out
    tokens = repeated_tokens(pool, 16, PERIOD, 2 * PERIOD, bos, torch.Generator().manual_seed(0))
    logits, cache = model.run_with_cache(tokens)
    return tokens, logits, cache


def _scores(model):
    return comp.composition_scores(
        model.W_V[0], model.W_O[0], model.W_Q[1], model.W_K[1], model.W_V[1], model.W_O[1]
    )


def test_scores_agree_with_course_scores(model):
    for kind, ours in zip("QKV", _scores(model)):
        theirs = scores.composition_scores(model, kind)[0, :, 1, :].T  # [later, earlier]
        torch.testing.assert_close(ours, theirs)


def test_induction_heads_k_compose_with_the_previous_token_head_above_chance(model, circuit):
    """Each induction head K-composes most with a layer-0 head of the circuit (the previous-token
    head, or one that attends two back), and with the previous-token head at more than 1.5 times
    chance; the top Q-composition pair feeds an induction head's query from the previous-token
    head; no V-composition rises above chance."""
    _, k, _ = _scores(model)
    later, earlier = divmod(int(k.argmax()), k.shape[1])
    assert later in circuit.induction and earlier in circuit.layer_0
    baseline = comp.composition_baseline(model.W_V[0, 0], model.W_O[0, 0], model.W_Q[1, 0],
                                         model.W_K[1, 0].T, n_samples=500, seed=0)  # fmt: skip
    assert 0.05 < baseline < 0.15
    for h in circuit.induction:
        assert int(k[h].argmax()) in circuit.layer_0
        assert k[h, circuit.previous_token] > 1.5 * baseline
    q, _, v = _scores(model)
    assert v.max() < 1.1 * baseline
    # The top Q-composition pair feeds an induction head's query from the previous-token head.
    later, earlier = divmod(int(q.argmax()), q.shape[1])
    assert later in circuit.induction and earlier == circuit.previous_token


def test_path_expansion_sums_to_the_logits(model, repeated, circuit):
    tokens, logits, cache = repeated
    terms = comp.path_expansion(tokens, cache["pattern", 0], cache["pattern", 1], model.W_E, model.W_V,
                                model.b_V, model.W_O, model.b_O, model.W_U, model.b_U)  # fmt: skip
    torch.testing.assert_close(terms.sum(0), logits)

    # A virtual term equals its pattern and OV circuit, from the two other exercises.
    H = model.cfg.n_heads
    pattern = comp.virtual_patterns(cache["pattern", 0], cache["pattern", 1])
    left, right = comp.virtual_ov(model.W_V[0], model.W_O[0], model.W_V[1], model.W_O[1])
    h2, h1 = circuit.induction[0], circuit.previous_token
    x = model.W_E[tokens]
    term = pattern[:, h2, h1] @ (x @ left[h2, h1] @ right[h2, h1]) @ model.W_U
    torch.testing.assert_close(terms[1 + 2 * H + h2 * H + h1], term)

    # On the repeat, the induction heads' own terms carry the correct token; no virtual head
    # comes close.
    centred = terms - terms.mean(-1, keepdim=True)
    index = tokens[None, :, 1:, None].expand(len(terms), -1, -1, 1)
    correct = centred[:, :, :-1].gather(-1, index)[..., 0][:, :, PERIOD + 1 :].mean((1, 2))
    single_1 = correct[1 + H : 1 + 2 * H]
    virtual = correct[1 + 2 * H : 1 + 2 * H + H * H]
    assert all(single_1[h] > 2.5 for h in circuit.induction)
    assert virtual.abs().max() < 0.5


def test_the_previous_token_head_lifts_the_induction_key(model, repeated, circuit):
    """Key side: the previous-token head's result makes the induction heads attend P − 1 back;
    query side: the token embedding does: the query's token matches what the key's previous
    token was. Next on each side: the two-back head (key) and the previous-token head (query),
    the second token of context."""
    tokens, _, cache = repeated
    embed = cache["hook_embed"]
    components = torch.cat([
        embed[None], cache["hook_pos_embed"][None],
        cache["result", 0].permute(2, 0, 1, 3), model.b_O[0].expand_as(embed)[None],
    ])  # fmt: skip
    a = model.blocks[1].attn
    PREV = circuit.previous_token
    for h in circuit.induction:
        sides = comp.score_contributions(components, a.W_Q[h], a.b_Q[h], a.W_K[h], a.b_K[h])
        key_lift = comp.offset_score_lift(sides[0], PERIOD - 1)
        query_lift = comp.offset_score_lift(sides[1], PERIOD - 1)
        assert int(key_lift.argmax()) == 2 + PREV and key_lift[2 + PREV] > 3
        assert int(query_lift.argmax()) == 0 and query_lift[0] > 3
        # The second token of context: the two-back head's output in the key, the previous-token
        # head's in the query.
        assert [int(key_lift.argsort(descending=True)[1])] == [2 + h for h in circuit.two_back[:1]]
        assert int(query_lift.argsort(descending=True)[1]) == 2 + PREV


def test_virtual_heads_matter_little_with_the_patterns_frozen(circuit):
    """Term importance on attn-only-2l, patterns frozen: on held-out text the direct path (and the
    biases) matter most; on repeated random tokens two induction heads' own terms; and no
    virtual head (second-order term) costs more than 0.2 nats when removed, in either: on
    held-out repeats, under half of what either induction head's own term costs."""
    m = zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)
    bos = Tokenizer().bos_id
    pool = heldout.split(load_streams()).held_out  # tokens no training repeat ever drew
    batches = {
        "text": text_batch(load_streams().val, 4, 128, bos, torch.Generator().manual_seed(0)),
        "repeats": repeated_tokens(pool, 4, 40, 80, bos, torch.Generator().manual_seed(0)),
    }
    H = m.cfg.n_heads
    for name, tokens in batches.items():
        _, cache = m.run_with_cache(tokens)
        terms = comp.path_expansion(tokens, cache["pattern", 0], cache["pattern", 1], m.W_E, m.W_V, m.b_V, m.W_O,
                                    m.b_O, m.W_U, m.b_U)  # fmt: skip
        importance = comp.term_importance(terms, tokens)
        virtual = importance[1 + 2 * H : 1 + 2 * H + H * H]
        assert virtual.max() < 0.2, name
        top = set(importance.topk(2).indices.tolist())
        if name == "text":
            assert 0 in top and importance[0] > 1  # the direct path
        else:
            assert top <= {1 + H + h for h in circuit.induction}
            assert importance[list(top)].min() > max(0.3, 2 * float(virtual.max()))
