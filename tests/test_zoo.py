"""The course's claims, tested on the shipped checkpoints themselves."""

import shutil

import pytest
import torch

from course import heldout, scores, zoo
from course.dataset import load_streams
from course.errors import CheckpointError
from course.tokenizer import Tokenizer
from course.train import RECIPES, repeat_pool


@pytest.fixture(scope="module")
def streams():
    return load_streams()


@pytest.fixture(scope="module")
def rep_tokens(streams):
    """BOS + 50 random tokens repeated twice, 32 rows, drawn from the held-out tokens that
    no synthetic repeat of the 2l recipe ever draws from."""
    return heldout.random_repeats(heldout.split(streams).held_out, Tokenizer().bos_id, rows=32, seed=123)


def test_zoo_lists_three_small_models():
    names = list(zoo.entries())
    assert names == ["attn-only-0l", "attn-only-1l", "attn-only-2l"]
    for e in zoo.entries().values():
        assert (e.path / zoo.WEIGHTS).stat().st_size <= 5_000_000
        assert e.command.startswith("course train ")


def test_zero_layer_model_approximates_bigrams(streams):
    """W_E W_U closes ≥ 95% of the unigram → bigram cross-entropy gap on held-out text."""
    model = zoo.load("attn-only-0l")
    V = model.cfg.d_vocab
    unigram = scores.unigram_cross_entropy(streams.train, streams.val, V)
    bigram = scores.best_bigram_cross_entropy(streams.train, streams.val, V)
    model_ce = scores.table_cross_entropy(scores.zero_layer_table(model), streams.val)
    assert unigram - bigram > 1.0  # the gap is real
    assert scores.gap_closed(unigram, model_ce, bigram) >= 0.95


def test_one_layer_heads_copy():
    """At least 3 heads have a copying score Σλ/Σ|λ| > 0.5 over W_E W_OV W_U."""
    copying = scores.copying_scores(zoo.load("attn-only-1l"))[0]
    assert (copying > 0.5).sum() >= 3, copying


def test_two_layer_model_has_an_induction_circuit(rep_tokens):
    """On held-out tokens: a previous-token head, induction heads, and K-composition between them."""
    model = zoo.load("attn-only-2l")
    prev = scores.previous_token_scores(model, rep_tokens)
    ind = scores.induction_scores(model, rep_tokens, period=50)
    prev_head = int(prev[0].argmax())
    assert prev[0, prev_head] > 0.9, prev
    assert ind[1].max() > 0.7, ind

    loss = scores.mean_loss(model, rep_tokens)
    first, second = loss[1:50].mean(), loss[50:].mean()
    assert second < 0.2 * first, (first, second)

    # The strongest K-composition runs into an induction head from a layer-0 head that attends a
    # fixed distance back: the previous-token head, or one that attends two tokens back. Both feed
    # every induction head's keys far more than the other layer-0 heads do.
    _, cache = model.run_with_cache(rep_tokens)
    back = {d: cache["pattern", 0].diagonal(-d, -2, -1).mean((0, 2)) for d in (1, 2)}  # [head]
    offset_heads = {int(h) for d in back for h in (back[d] > 0.8).nonzero()}
    assert prev_head in offset_heads, back
    k_comp = scores.composition_scores(model, "K")[0, :, 1, :]  # [layer-0 head, layer-1 head]
    h1, h2 = divmod(int(k_comp.argmax()), k_comp.shape[1])
    assert h1 in offset_heads and ind[1, h2] > 0.5, (k_comp, ind)
    induction_heads = (ind[1] > 0.5).nonzero()[:, 0]
    others = [h for h in range(model.cfg.n_heads) if h not in offset_heads]
    for h in offset_heads:
        assert k_comp[h, induction_heads].min() > 1.5 * k_comp[others][:, induction_heads].max(), k_comp


def test_two_layer_induction_works_where_it_was_not_trained(streams):
    """The bars of course.heldout.BARS, on every token seen ≥ 20 times in training, on the
    held-out tokens and on repeated held-out text."""
    results = heldout.measure_all(zoo.load("attn-only-2l"), streams)
    assert heldout.check_bars(results) == [], results


def test_held_out_tokens_are_never_repeated_in_training(streams):
    bos = Tokenizer().bos_id
    split = heldout.split(streams)
    pool = set(repeat_pool(streams, RECIPES["2l"], bos).tolist())
    held_out = set(split.held_out.tolist())
    assert held_out and not held_out & pool
    assert held_out | pool == set(split.eligible.tolist())  # the recipe repeats every other one
    counts = torch.bincount(streams.train, minlength=2048)
    assert counts[split.eligible].min() >= heldout.MIN_COUNT


@pytest.fixture
def zoo_copy(tmp_path):
    e = zoo.entry("attn-only-1l")
    dst = tmp_path / e.name
    shutil.copytree(e.path, dst)
    return dst, e.sha256


def test_truncated_checkpoint_names_the_file(zoo_copy):
    path, sha = zoo_copy
    weights = path / zoo.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=str(weights)):
        zoo.load_checkpoint(path, sha)
    with pytest.raises(CheckpointError, match="cannot read safetensors"):
        zoo.load_checkpoint(path)  # no hash to compare: safetensors itself refuses


def test_altered_checkpoint_names_the_file(zoo_copy):
    path, sha = zoo_copy
    weights = path / zoo.WEIGHTS
    raw = bytearray(weights.read_bytes())
    raw[-5] ^= 0xFF
    weights.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=rf"{weights}: sha256 is .* expected"):
        zoo.load_checkpoint(path, sha)


def test_missing_or_mismatched_files(zoo_copy):
    path, sha = zoo_copy
    (path / "config.json").write_text(
        '{"model": {"n_layers": 2, "d_model": 64, "n_heads": 4, "d_head": 16, "d_vocab": 2048, "n_ctx": 128}}'
    )
    with pytest.raises(CheckpointError, match="does not match"):
        zoo.load_checkpoint(path, sha)
    (path / zoo.WEIGHTS).unlink()
    with pytest.raises(CheckpointError, match="file is missing"):
        zoo.load_checkpoint(path, sha)
    with pytest.raises(CheckpointError, match="no zoo model named 'gpt2'"):
        zoo.load("gpt2")


def test_load_in_float64():
    model = zoo.load("attn-only-1l", dtype=torch.float64)
    assert model.W_E.dtype == torch.float64
