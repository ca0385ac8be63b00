"""Checks for chapter "Induction heads"."""

import math

import torch

from autograder.checks import factored_product
from autograder.framework import SHAPES, Check, Shape, randn, too_large
from course.dataset import tile
from course.model import AttnOnlyTransformer, ModelConfig


def _period(s: Shape) -> int:
    return 2 + s.seed % 3


def _repeat_inputs(s: Shape, g: torch.Generator) -> dict:
    pool = torch.randperm(3 * s.d_vocab, generator=g)[: s.d_vocab]
    return dict(pool=pool, batch=s.batch, period=_period(s), n_repeats=2 + s.seed % 2, bos_id=3 * s.d_vocab,
                seed=s.seed)  # fmt: skip


def _loss_inputs(s: Shape, g: torch.Generator) -> dict:
    return dict(
        logits=randn(g, s.batch, s.pos, s.d_vocab, scale=2.0),
        tokens=torch.randint(0, s.d_vocab, (s.batch, s.pos), generator=g),
    )


def non_negative(inputs, loss):
    low = float(loss.double().min()) if loss.numel() else 0.0
    return f"a cross-entropy is never negative, yet one of yours is {low:.3g}" if low < -1e-6 else None


def _causal_patterns(g: torch.Generator, *lead: int, pos: int) -> torch.Tensor:
    scores = randn(g, *lead, pos, pos, scale=2.0)
    future = torch.ones(pos, pos, dtype=torch.bool).triu(diagonal=1)
    return scores.masked_fill(future, -math.inf).softmax(-1)


def _pattern_inputs(s: Shape, g: torch.Generator) -> dict:
    period = _period(s)
    pos = 1 + period * (2 + s.seed % 2)  # BOS and two or three repeats
    return dict(pattern=_causal_patterns(g, s.n_layers, s.batch, s.head, pos=pos), period=period)


def _icl_inputs(s: Shape, g: torch.Generator) -> dict:
    pos = max(s.pos, 2)
    return dict(loss=randn(g, s.batch, pos).abs() * 3, early=s.seed % pos, late=pos - 1)


CHECKS = [
    Check("repeated_random_tokens", _repeat_inputs,
          hint="BOS, then `period` tokens drawn with torch.randint(0, len(pool), (batch, period), "
          "generator=g) as indices into pool, the whole block repeated n_repeats times (not each token)"),
    Check("per_token_loss", _loss_inputs, invariants=(non_negative,),
          hint="log-softmax over the vocabulary at positions 0 … pos − 2, then −log p of the token at i + 1"),
    Check("head_scores", _pattern_inputs,
          hint="mean weight on key i − 1 (queries i ≥ 1), on key i − period and on key i − period + 1 "
          "(both for queries i ≥ period + 1), over the batch and queries; keep layer and head"),
    Check("in_context_learning_score", _icl_inputs,
          hint="the batch mean of loss[:, late] minus the batch mean of loss[:, early]"),
]  # fmt: skip


_WEIGHTS = ("W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O")


def _model_inputs(s: Shape, g: torch.Generator) -> dict:
    """Repeated random tokens and a model's weights: random ones with non-zero biases, or the
    zoo's. Odd seeds ask for mean ablation."""
    mean = s.seed % 2 == 1
    if s.zoo:
        from course import zoo

        model = zoo.load(s.zoo, dtype=torch.float64)
        period = (s.pos - 1) // 2
        tokens = tile(torch.randint(1, 512, (s.batch, period), generator=g), 2 * period, bos_id=0)
        weights = {n: getattr(model, n).detach() for n in ("W_E", "W_pos", *_WEIGHTS, "W_U", "b_U")}
        shortformer = model.cfg.positional_embedding_type == "shortformer"
        return dict(tokens=tokens, mean=mean, shortformer=shortformer, **weights)
    L, h, d, e, v = s.n_layers, s.head, s.d_model, s.d_head, s.d_vocab
    period = max(1, (s.pos - 1) // 2)
    return dict(
        tokens=tile(torch.randint(0, v, (s.batch, period), generator=g), s.pos - 1, bos_id=0),
        mean=mean, shortformer=s.seed % 3 == 1,
        W_E=randn(g, v, d), W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, L, h, d, e, scale=d**-0.5), b_Q=randn(g, L, h, e),
        W_K=randn(g, L, h, d, e, scale=d**-0.5), b_K=randn(g, L, h, e),
        W_V=randn(g, L, h, d, e, scale=d**-0.5), b_V=randn(g, L, h, e),
        W_O=randn(g, L, h, e, d, scale=(h * e) ** -0.5), b_O=randn(g, L, d),
        W_U=randn(g, d, v, scale=d**-0.5), b_U=randn(g, v),
    )  # fmt: skip


def build_model(weights: dict, shortformer: bool) -> AttnOnlyTransformer:
    """A course model holding ``weights`` (TransformerLens names, stacked over layers), in
    their dtype and on their device."""
    W_Q, W_E = weights["W_Q"], weights["W_E"]
    cfg = ModelConfig(
        n_layers=W_Q.shape[0], d_model=W_Q.shape[2], n_heads=W_Q.shape[1], d_head=W_Q.shape[3],
        d_vocab=W_E.shape[0], n_ctx=weights["W_pos"].shape[0],
        positional_embedding_type="shortformer" if shortformer else "standard",
    )  # fmt: skip
    model = AttnOnlyTransformer(cfg, seed=None).to(dtype=W_E.dtype, device=W_E.device)
    state = {"embed.W_E": W_E, "pos_embed.W_pos": weights["W_pos"], "unembed.W_U": weights["W_U"],
             "unembed.b_U": weights["b_U"]}  # fmt: skip
    state |= {f"blocks.{l}.attn.{n}": weights[n][l] for l in range(cfg.n_layers) for n in _WEIGHTS}
    model.load_state_dict(state)
    return model.requires_grad_(False)


def run_ablation(module, tokens, mean, shortformer, **weights):
    """The learner's ``ablation_loss_increase`` on a model built from the case's weights."""
    return module.ablation_loss_increase(build_model(weights, shortformer), tokens, mean)


CHECKS += [
    Check("ablation_loss_increase", _model_inputs, driver=run_ablation,
          shapes=(*(s for s in SHAPES if s.pos > 1), Shape("the zoo's attn-only-2l", 9, batch=4, pos=41,
                                                            zoo="attn-only-2l")),
          hint="hook f'blocks.{l}.attn.hook_result', replace head h's slice of a copy with zeros (or "
          "its mean over the batch, keeping positions), and subtract the clean mean loss"),
]  # fmt: skip


def _positional_inputs(s: Shape, g: torch.Generator) -> dict:
    h, d, e = s.head, s.d_model, s.d_head
    return dict(
        W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, h, d, e, scale=d**-0.5), b_Q=randn(g, h, e),
        W_K=randn(g, h, d, e, scale=d**-0.5), b_K=randn(g, h, e),
    )  # fmt: skip


def _circuit_inputs(s: Shape, g: torch.Generator) -> dict:
    d, e = s.d_model, s.d_head
    return dict(
        W_E=randn(g, s.d_vocab, d),
        W_V_prev=randn(g, d, e, scale=d**-0.5), W_O_prev=randn(g, e, d, scale=e**-0.5),
        W_Q_ind=randn(g, d, e, scale=d**-0.5), W_K_ind=randn(g, d, e, scale=d**-0.5),
    )  # fmt: skip


#: A vocabulary too large for its d_vocab × d_vocab matrix to fit in the grader's memory.
WIDE_VOCAB = Shape("d_vocab 200000", 10, d_head=3, d_vocab=200_000)
#: A vocabulary too large for the circuit that induction_qk_circuit must never build: it
#: takes 64 MB in float32, twice what the case may allocate.
LARGE_VOCAB = too_large("d_vocab 4000", 11, d_vocab=4000)


def _rate_inputs(s: Shape, g: torch.Generator) -> dict:
    n = min(s.d_vocab, 4 + s.pos)
    return dict(
        left=randn(g, s.d_vocab, s.d_head), right=randn(g, s.d_head, s.d_vocab),
        tokens=torch.randperm(s.d_vocab, generator=g)[:n],
    )  # fmt: skip


def a_rate(inputs, rate):
    r = float(rate)
    return None if 0 <= r <= 1 else f"a share of tokens lies in [0, 1], yours is {r:.3g}"


CHECKS += [
    Check("positional_previous_token_scores", _positional_inputs,
          hint="q = W_pos W_Q + b_Q, k = W_pos W_K + b_K per head; causal softmax of q·k/√d_head; "
          "the mean of the pattern's diagonal at offset −1"),
    Check("induction_qk_circuit", _circuit_inputs, canonical=factored_product, shapes=(*SHAPES, LARGE_VOCAB),
          never_build="the circuit is 4000 × 4000 here: return its two d_vocab × d_head factors, each "
          "grouped so that no d_vocab × d_vocab or d_model × d_model matrix appears (never build it)",
          hint="left = W_E W_Q^{ind} / √d_head, right = (W_E W_V^{prev} W_O^{prev} W_K^{ind})ᵀ: the "
          "query reads the token, the key reads what the previous-token head wrote"),
    Check("diagonal_top1_rate", _rate_inputs, invariants=(a_rate,), shapes=(*SHAPES, WIDE_VOCAB),
          never_build="the circuit is 200000 × 200000 here (160 GB in float32): multiply only the rows "
          "and columns of the tokens (never build the d_vocab × d_vocab matrix)",
          hint="build only left[tokens] @ right[:, tokens] and count the rows whose argmax is their "
          "own index"),
]  # fmt: skip


# --- the QK circuit by eigenvalues ------------------------------------------------------


def _k_composition_inputs(s: Shape, g: torch.Generator) -> dict:
    """An earlier layer and a later one, random; on even seeds the later heads' keys lean
    towards reading what the earlier head 0 wrote as the queries read tokens, so that some
    scores are near +1."""
    h, d, e, v = s.head, s.d_model, s.d_head, s.d_vocab
    W_V = randn(g, h, d, e, scale=d**-0.5)
    W_O = randn(g, h, e, d, scale=e**-0.5)
    W_Q = randn(g, h, d, e, scale=d**-0.5)
    W_K = randn(g, h, d, e, scale=d**-0.5)
    if s.seed % 2 == 0:  # W_O^p W_K^h leans towards (W_V^p)ᵀ W_Q^h, so the term leans to matching
        W_K = W_K + torch.linalg.pinv(W_O[0]) @ W_V[0].mT @ W_Q
    return dict(W_E=randn(g, v, d), W_V_earlier=W_V, W_O_earlier=W_O, W_Q_later=W_Q, W_K_later=W_K)


def _small_k_composition(inputs) -> torch.Tensor:
    """B A of every pair, in float64 on the CPU: the grader's own, for an invariant."""
    W_E, W_V, W_O, W_Q, W_K = (inputs[n].double().cpu() for n in
                               ("W_E", "W_V_earlier", "W_O_earlier", "W_Q_later", "W_K_later"))  # fmt: skip
    return (W_O[None] @ W_K[:, None]).mT @ W_V.mT[None] @ (W_E.T @ W_E @ W_Q)[:, None]


def eigenvalues_sum_to_the_trace(inputs, eigenvalues):
    trace = _small_k_composition(inputs).diagonal(dim1=-2, dim2=-1).sum(-1)
    got = eigenvalues.real.double().cpu().sum(-1)
    err = float((got - trace).abs().max())
    if err > 1e-3 * (1 + float(trace.abs().max())):
        return (
            f"the eigenvalues of a matrix sum to its trace, yet yours miss the trace of B A by {err:.3g}: "
            "they are the eigenvalues of another matrix"
        )
    return None


def sorted_parts(eigenvalues):
    """The real parts sorted, then the imaginary parts sorted: the same for every order in
    which the eigenvalues come, and close whenever the eigenvalues are."""
    return torch.cat([eigenvalues.real.sort(-1).values, eigenvalues.imag.sort(-1).values], -1).double()


def a_score(inputs, score):
    worst = float(score.double().abs().max()) if score.numel() else 0.0
    return (
        None if worst <= 1 + 1e-5 else f"a score Re(Σ λ) / Σ |λ| lies in [−1, 1], yours reaches {worst:.3g}"
    )


#: With a 200,000-token vocabulary, one d_vocab × d_vocab circuit takes 320 GB in float64.
#: (No zoo case: a dense answer would then run out of time before it ran out of memory; the
#: chapter's claims test runs the references on the zoo.)
K_COMPOSITION_SHAPES = (*SHAPES, WIDE_VOCAB)
_K_DENSE = (
    "its d_vocab × d_vocab matrices (200000 × 200000 in this case) do not fit in memory: keep the "
    "K-composition term factored and take the eigenvalues of the small B A (never build it)"
)


def _from_weights_inputs(s: Shape, g: torch.Generator) -> dict:
    """A two-layer model's weights, random."""
    h, d, e, v = s.head, s.d_model, s.d_head, s.d_vocab
    return dict(
        W_E=randn(g, v, d), W_pos=randn(g, s.pos + 2, d),
        W_Q=randn(g, 2, h, d, e, scale=d**-0.5), b_Q=randn(g, 2, h, e),
        W_K=randn(g, 2, h, d, e, scale=d**-0.5), b_K=randn(g, 2, h, e),
        W_V=randn(g, 2, h, d, e, scale=d**-0.5), W_O=randn(g, 2, h, e, d, scale=e**-0.5),
        W_U=randn(g, d, v, scale=d**-0.5),
    )  # fmt: skip


CHECKS += [
    Check("k_composition_eigenvalues", _k_composition_inputs, never_build=_K_DENSE, canonical=sorted_parts,
          invariants=(eigenvalues_sum_to_the_trace,), shapes=K_COMPOSITION_SHAPES,
          hint="B A = (W_O^p W_K^h)ᵀ W_V^pᵀ (W_Eᵀ W_E) W_Q^h, d_head × d_head for each (later, earlier) "
          "pair; torch.linalg.eigvals of it. W_Eᵀ W_E is d_model × d_model: never form W_E … W_Eᵀ"),
    Check("k_composition_scores", _k_composition_inputs, never_build=_K_DENSE, invariants=(a_score,), shapes=K_COMPOSITION_SHAPES,
          hint="Re(Σ λ) / Σ |λ| over each pair's d_head eigenvalues from k_composition_eigenvalues: the "
          "sum of the moduli, not the modulus of the sum"),
    Check("induction_scores_from_weights", _from_weights_inputs, never_build=_K_DENSE, invariants=(a_score,),
          shapes=K_COMPOSITION_SHAPES,
          hint="p = argmax of positional_previous_token_scores on layer 0; QK = k_composition_scores with "
          "the one head p earlier and layer 1 later; OV = Re(Σ λ) / Σ |λ| of W_O^h (W_U W_E) W_V^h; "
          "the elementwise minimum"),
]  # fmt: skip


# --- the hand-built induction head ------------------------------------------------------


def _hand_built(name: str, seed: int, d_vocab: int, period: int, hidden: bool = False) -> Shape:
    """A case whose sequences are BOS and two repeats of ``period`` distinct tokens, with room
    in the residual stream for one-hot tokens, positions and previous tokens."""
    n_ctx = 2 * period + 1
    return Shape(name, seed, batch=64, pos=n_ctx, head=1, d_model=2 * d_vocab + n_ctx + 3,
                 d_head=max(d_vocab, n_ctx), d_vocab=d_vocab, hidden=hidden)  # fmt: skip


HAND_BUILT = (
    _hand_built("vocab 10, period 5", 20, 10, 5),
    _hand_built("vocab 13, period 8", 21, 13, 8),
    _hand_built("vocab 24, period 20", 22, 24, 20),
    _hand_built("hidden: vocab 16, period 12", 23, 16, 12, hidden=True),
)
MIN_ACCURACY = 0.95


def _hand_built_inputs(s: Shape, g: torch.Generator) -> dict:
    W_E = torch.zeros(s.d_vocab, s.d_model, dtype=torch.float64)
    W_E[:, : s.d_vocab] = torch.eye(s.d_vocab)
    return dict(W_E=W_E, n_ctx=s.pos, d_head=s.d_head)


def induction_accuracy(W_E, weights, n_ctx: int, batch: int = 64, seed: int = 12_345):
    """Top-1 accuracy of the two-layer model built from ``weights`` = (W_pos, W_Q, W_K, W_V,
    W_O, W_U), with zero biases, on the second repeat of random sequences of distinct tokens
    after BOS (token 0); and the model and tokens, for diagnosis."""
    W_pos, W_Q, W_K, W_V, W_O, W_U = (w.double() for w in weights)
    L, H, d_model, d_head = W_Q.shape
    zeros = {"b_Q": torch.zeros(L, H, d_head), "b_K": torch.zeros(L, H, d_head),
             "b_V": torch.zeros(L, H, d_head), "b_O": torch.zeros(L, d_model),
             "b_U": torch.zeros(W_U.shape[1])}  # fmt: skip
    weights = dict(W_E=W_E.double(), W_pos=W_pos, W_Q=W_Q, W_K=W_K, W_V=W_V, W_O=W_O, W_U=W_U)
    model = build_model(weights | {k: v.double() for k, v in zeros.items()}, shortformer=False)
    period = (n_ctx - 1) // 2
    g = torch.Generator().manual_seed(seed)
    seq = torch.stack([torch.randperm(W_E.shape[0] - 1, generator=g)[:period] + 1 for _ in range(batch)])
    tokens = tile(seq, 2 * period, bos_id=0)
    with torch.no_grad():
        logits = model(tokens)
    # Position i ≥ period + 1 holds a token seen before; it predicts token i + 1.
    predicted = logits[:, period + 1 : 2 * period].argmax(-1)
    accuracy = (predicted == tokens[:, period + 2 :]).double().mean().item()
    return accuracy, model, tokens


def predicts_the_repeat(inputs, weights):
    from course import scores

    accuracy, model, tokens = induction_accuracy(inputs["W_E"], weights, inputs["n_ctx"])
    if accuracy >= MIN_ACCURACY:
        return None
    period = (inputs["n_ctx"] - 1) // 2
    prev = scores.previous_token_scores(model, tokens)[0, 0].item()
    induction = scores.induction_scores(model, tokens, period)[1, 0].item()
    return (
        f"your model predicts {accuracy:.0%} of the second repeat's next tokens (top-1); at least "
        f"{MIN_ACCURACY:.0%} are needed. Its layer-0 head puts {prev:.2f} of its attention on the "
        f"previous token, and its layer-1 head {induction:.2f} on the token after the previous "
        "occurrence of the current one (both should be close to 1; if they are, the copy is lost "
        "in the OV circuit or W_U)"
    )


CHECKS += [
    Check("induction_head_weights", _hand_built_inputs, judge=predicts_the_repeat, shapes=HAND_BUILT,
          hint="layer 0: attend from position i to i − 1 (match one-hot positions shifted by one) and "
          "write the token into a free subspace; layer 1: match the query's token with that subspace "
          "at the key, and copy the key's token strongly into what W_U reads"),
]  # fmt: skip


# --- pointer arithmetic -----------------------------------------------------------------


def _sinusoid_inputs(s: Shape, g: torch.Generator) -> dict:
    """Positions 0 … pos + 1, on odd seeds shifted by a random offset (a position need not be
    an integer, nor start at 0)."""
    offset = float(torch.randint(-50, 50, (1,), generator=g)) if s.seed % 2 else 0.0
    return dict(positions=torch.arange(s.pos + 2, dtype=torch.float64) + offset, n_freq=1 + s.seed % 4)


def rotation_moves_one_step(inputs, output):
    W_pos, R = (t.double().cpu() for t in output)
    positions = inputs["positions"].double().cpu()
    if R.shape[0] != W_pos.shape[-1] or len(positions) < 2:
        return None
    err = float((W_pos[:-1] @ R - W_pos[1:]).abs().max())
    if err > 1e-3:
        return f"W_pos[i] @ R should be W_pos[i + 1], yet it misses by {err:.3g} (a rotation the wrong way?)"
    return None


def _pointer_shape(name: str, seed: int, d_vocab: int, period: int, hidden: bool = False) -> Shape:
    """BOS and two repeats of ``period`` distinct tokens: n_ctx = 2·period + 1 = 2·n_freq + 1."""
    n_freq = period
    return Shape(name, seed, batch=64, pos=2 * period + 1, head=1, d_model=d_vocab + 4 * n_freq,
                 d_head=d_vocab + 2 * n_freq, d_vocab=d_vocab, hidden=hidden)  # fmt: skip


POINTER = (
    _pointer_shape("vocab 10, period 5", 30, 10, 5),
    _pointer_shape("vocab 13, period 8", 31, 13, 8),
    _pointer_shape("vocab 30, period 20", 32, 30, 20),
    _pointer_shape("hidden: vocab 16, period 12", 33, 16, 12, hidden=True),
)


def pointer_positions(n_ctx: int, d_vocab: int, n_freq: int, d_model: int) -> torch.Tensor:
    """The given W_pos: the reference's sinusoids (N = 2·n_freq + 1) in dimensions
    d_vocab … d_vocab + 2·n_freq, float64."""
    f = torch.arange(1, n_freq + 1, dtype=torch.float64)
    angles = torch.arange(n_ctx, dtype=torch.float64)[:, None] * 2 * math.pi * f / (2 * n_freq + 1)
    W_pos = torch.zeros(n_ctx, d_model, dtype=torch.float64)
    W_pos[:, d_vocab : d_vocab + 2 * n_freq] = torch.stack([angles.cos(), angles.sin()], -1).flatten(-2)
    return W_pos


def _pointer_inputs(s: Shape, g: torch.Generator) -> dict:
    n_freq = (s.pos - 1) // 2
    W_E = torch.zeros(s.d_vocab, s.d_model, dtype=torch.float64)
    W_E[:, : s.d_vocab] = torch.eye(s.d_vocab)
    return dict(W_E=W_E, W_pos=pointer_positions(s.pos, s.d_vocab, n_freq, s.d_model), n_freq=n_freq,
                d_head=s.d_head)  # fmt: skip


def pointer_accuracy(W_E, W_pos, weights, batch: int = 64, seed: int = 12_345):
    """On the second repeat of random sequences of distinct tokens after BOS (token 0), run
    through the two-layer model with ``weights`` = (W_Q, W_K, W_V, W_O, W_U), zero biases and
    standard positions: the share of queries whose largest layer-1 weight is on the token after
    the previous occurrence, the top-1 accuracy, and each layer's score on its own job."""
    W_Q, W_K, W_V, W_O, W_U = (w.double().cpu() for w in weights)
    L, H, d_model, d_head = W_Q.shape
    zeros = {"b_Q": torch.zeros(L, H, d_head), "b_K": torch.zeros(L, H, d_head),
             "b_V": torch.zeros(L, H, d_head), "b_O": torch.zeros(L, d_model), "b_U": torch.zeros(W_U.shape[1])}  # fmt: skip
    model = build_model(dict(W_E=W_E.double().cpu(), W_pos=W_pos.double().cpu(), W_Q=W_Q, W_K=W_K, W_V=W_V,
                             W_O=W_O, W_U=W_U) | zeros, shortformer=False)  # fmt: skip
    n_ctx = W_pos.shape[0]
    period = (n_ctx - 1) // 2
    g = torch.Generator().manual_seed(seed)
    seq = torch.stack([torch.randperm(W_E.shape[0] - 1, generator=g)[:period] + 1 for _ in range(batch)])
    tokens = tile(seq, 2 * period, bos_id=0)
    with torch.no_grad():
        logits, cache = model.run_with_cache(tokens)
    queries = torch.arange(period + 1, 2 * period + 1)  # second-repeat positions
    layer1 = cache["pattern", 1][:, 0, queries]  # [batch, query, key]
    attends = (layer1.argmax(-1) == queries - period + 1).double().mean().item()
    duplicate = cache["pattern", 0][:, 0, queries, queries - period].mean().item()
    predicted = logits[:, period + 1 : 2 * period].argmax(-1)
    accuracy = (predicted == tokens[:, period + 2 :]).double().mean().item()
    return attends, accuracy, duplicate


def attends_after_the_match(inputs, weights):
    attends, accuracy, duplicate = pointer_accuracy(inputs["W_E"], inputs["W_pos"], weights)
    if attends >= MIN_ACCURACY and accuracy >= MIN_ACCURACY:
        return None
    return (
        f"in the second repeat, {attends:.0%} of your layer-1 head's queries put their largest weight on "
        f"the token after the previous occurrence, and the model predicts {accuracy:.0%} of the next "
        f"tokens (top-1); at least {MIN_ACCURACY:.0%} of each are needed. Your layer-0 head puts "
        f"{duplicate:.2f} of its attention on the previous occurrence of the current token (it should "
        "be close to 1; if it is, the position it writes, or the layer-1 query that reads it, is off)"
    )


CHECKS += [
    Check("sinusoidal_positions", _sinusoid_inputs, invariants=(rotation_moves_one_step,),
          hint="ω_f = 2π f / (2·n_freq + 1), f = 1 … n_freq; columns cos, sin interleaved per frequency; "
          "R block-diagonal, each block [[cos ω, sin ω], [−sin ω, cos ω]] for row vectors"),
    Check("pointer_induction_head_weights", _pointer_inputs, judge=attends_after_the_match, shapes=POINTER,
          hint="layer 0: match tokens, minus the self-match of positions; values read the position block, "
          "W_O writes it times R into the free block. Layer 1: query reads the free block, key its own "
          "position block; copy the token strongly where W_U reads"),
]  # fmt: skip
