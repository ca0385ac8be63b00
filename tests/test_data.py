"""Corpus, tokenizer and the batches built from them."""

import torch

from course.corpus import HOLDOUT_EVERY, load_corpus, source_files, stdlib_dir
from course.dataset import frequent_tokens, repeated_tokens, text_batch
from course.tokenizer import Tokenizer


def test_corpus_is_the_stdlib_without_site_packages():
    files = source_files()
    rel = [p.relative_to(stdlib_dir()).as_posix() for p in files]
    assert rel == sorted(rel)
    assert not any(r.startswith("site-packages/") for r in rel)
    assert "os.py" in rel and "json/__init__.py" in rel
    corpus = load_corpus()
    assert corpus.n_files == len(files)
    assert len(corpus.val) == -(-len(files) // HOLDOUT_EVERY)
    assert len(corpus.sha256) == 64


def test_tokenizer_round_trips_and_keeps_python_words_whole():
    tok = Tokenizer()
    assert tok.vocab_size == 2048 and tok.bos_id == 0
    text = load_corpus().val[3][:5000]
    assert tok.decode(tok.encode(text)) == text
    for word in (" self", "return", "import", " def"):
        assert len(tok.encode(word)) == 1, word
    ids = tok.encode_files(["a = 1", "b = 2"])
    assert ids[0] == 0 and ids.count(0) == 2


def test_tokens_that_hold_part_of_a_character_show_their_bytes():
    tok = Tokenizer()
    shown = [tok.token_str(i) for i in range(tok.vocab_size)]
    assert not any("\ufffd" in s for s in shown)
    assert len(set(shown)) == tok.vocab_size  # each token reads differently
    assert [tok.token_str(i) for i in tok.encode("é")] == ["\\xc3", "\\xa9"]  # é is two bytes of UTF-8
    assert tok.token_str(tok.encode(" self")[0]) == " self"


def test_text_batch_rows_start_with_bos():
    stream = torch.arange(5, 1000)
    batch = text_batch(stream, 4, 16, bos_id=0, g=torch.Generator().manual_seed(0))
    assert batch.shape == (4, 16)
    assert (batch[:, 0] == 0).all()
    assert (batch[:, 2:] - batch[:, 1:-1] == 1).all()  # contiguous windows


def test_repeated_tokens_repeat_with_the_period():
    pool = frequent_tokens(torch.tensor([1, 1, 1, 2, 2, 3, 0, 0, 0, 0]), 2, exclude=0)
    assert pool.tolist() == [1, 2]
    rows = repeated_tokens(torch.arange(10, 60), 3, 7, 20, bos_id=0, g=torch.Generator().manual_seed(0))
    assert rows.shape == (3, 21) and (rows[:, 0] == 0).all()
    assert torch.equal(rows[:, 1:14], rows[:, 8:21])


def test_token_split_holds_out_every_fourth_eligible_token_below_the_top():
    from course.heldout import HOLD_OUT_EVERY, MIN_COUNT, token_split

    # token t appears 100 - 3t times: tokens 1..26 reach MIN_COUNT (20), token 0 is BOS.
    stream = torch.cat([torch.full((100 - 3 * t,), t) for t in range(34)])
    s = token_split(stream, bos_id=0, keep_top=4)
    assert s.eligible.tolist() == [t for t in range(1, 34) if 100 - 3 * t >= MIN_COUNT]
    assert s.held_out.tolist() == s.eligible[4 + HOLD_OUT_EVERY - 1 :: HOLD_OUT_EVERY].tolist()
    assert s.held_out.tolist() == [8, 12, 16, 20, 24]
    assert sorted(s.pool.tolist() + s.held_out.tolist()) == s.eligible.tolist()


def test_icl_windows_are_disjoint_and_the_anchors_keep_olssons_ratio():
    from course.heldout import disjoint_windows, icl_anchors

    w = disjoint_windows(torch.arange(1, 1001), 11, bos_id=0)
    assert w.shape == (99, 11) and (w[:, 0] == 0).all()
    assert w[:, 1:].flatten().unique().numel() == 99 * 10  # no token in two windows
    early, late, scale = icl_anchors(128)
    assert late == 126 and early == round(50 * scale) and scale == 126 / 500
