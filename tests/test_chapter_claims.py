"""The chapters' analysis exercises, run with the reference solutions on the shipped zoo
models: what each page claims must hold there."""

import torch

from course import zoo
from course.dataset import load_streams
from solutions import residual_stream as rs
from solutions import zero_layer as zl


def test_zero_layer_chapter_on_the_zoo_0l():
    """The zero-layer model closes most of the unigram → bigram gap, and it beats the
    best rank-d_model table in the Frobenius sense on cross-entropy: training spends the
    rank on frequent pairs, the SVD on every cell alike."""
    streams = load_streams()
    model = zoo.load("attn-only-0l", dtype=torch.float64)
    V = model.cfg.d_vocab
    counts = zl.bigram_counts(streams.train, V).double()
    bigram = zl.table_cross_entropy(zl.bigram_log_probs(counts, alpha=0.1), streams.val)
    unigram_table = (counts.sum(0) + 1).log().expand(V, V)  # every row the same: unigram
    unigram = zl.table_cross_entropy(unigram_table, streams.val)
    table = zl.zero_layer_logits(model.W_E, model.W_U, model.b_U)
    model_ce = zl.table_cross_entropy(table, streams.val)
    assert zl.gap_closed(unigram, model_ce, bigram) > 0.95

    A, B = zl.best_rank_k(zl.bigram_log_probs(counts, alpha=0.1), k=model.cfg.d_model)
    best = zl.table_cross_entropy(A @ B, streams.train[:200_000])
    fitted = zl.table_cross_entropy(table, streams.train[:200_000])
    assert fitted < best

    # The most likely token after "import" is a name, not punctuation.
    from course.tokenizer import Tokenizer

    tok = Tokenizer()
    top = zl.top_next_tokens(model.W_E, model.W_U, model.b_U, tok.encode("import")[0], 5)
    assert all(tok.token_str(int(t)).strip().isidentifier() for t in top[:3]), [
        tok.token_str(int(t)) for t in top
    ]


def test_residual_stream_chapter_on_the_zoo_2l():
    """The forward pass from parts equals the model, and the components and their direct
    logit attributions add up exactly."""
    model = zoo.load("attn-only-2l", dtype=torch.float64)
    tokens = load_streams().val[:64].reshape(2, 32)
    logits, cache = model.run_with_cache(tokens)
    weights = {n: getattr(model, n) for n in ("W_E", "W_pos", "W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V",
                                              "W_O", "b_O", "W_U", "b_U")}  # fmt: skip
    ours = rs.attn_only_forward(tokens, **weights, shortformer=True)
    torch.testing.assert_close(ours, logits)

    results = torch.stack([cache["result", l] for l in range(model.cfg.n_layers)])
    # Shortformer: positions never enter the residual stream, so their component is zero.
    components = rs.residual_components(
        cache["hook_embed"], torch.zeros_like(cache["hook_embed"]), results, model.b_O
    )
    torch.testing.assert_close(components.sum(0), cache["resid_post", 1])
    dla = rs.logit_attribution(components, model.W_U, tokens)
    correct = (logits - model.b_U)[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]
    torch.testing.assert_close(dla.sum(0), correct)
