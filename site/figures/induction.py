"""Figures and numbers of the induction chapter, computed on the zoo's models with the
chapter's reference solutions (see site/hooks/course_blocks.py for how pages use them)."""

from functools import cache

import torch

from autograder.checks.induction import induction_accuracy
from course import heldout, plots, zoo
from course.dataset import load_streams
from course.tokenizer import Tokenizer
from course.train import TrainConfig, describe, repeat_pool
from solutions import induction as ind

PERIOD = 40  # tokens in each repeat
HAND_BUILT_VOCAB, HAND_BUILT_PERIOD = 50, 40


@cache
def _model(name: str = "attn-only-2l"):
    return zoo.load(name, dtype=torch.float64).requires_grad_(False)


@cache
def _pool() -> torch.Tensor:
    """The held-out tokens: seen in training text, never drawn by a synthetic repeat."""
    return heldout.split(load_streams()).held_out


@cache
def _repeated() -> torch.Tensor:
    return ind.repeated_random_tokens(_pool(), 32, PERIOD, 2, Tokenizer().bos_id, seed=0)


def _head(layer: int, head: int) -> str:
    return f"L{layer}H{head}"


# --- the phase change -------------------------------------------------------------------


@cache
def _crossing() -> tuple[dict, dict]:
    """The two evaluations of the 2l run between which the best layer-1 induction score
    first passes 0.5."""
    curve = zoo.entry("attn-only-2l").curve
    after = next(i for i, r in enumerate(curve) if max(r["induction"][-1]) > 0.5)
    return curve[after - 1], curve[after]


def phase_change():
    """The training run of attn-only-2l: the loss on the second half of repeated random
    tokens collapses within a few evaluations, while the best induction and previous-token
    scores jump; the held-out loss shows a bump at the same steps."""
    return plots.training_curve(zoo.entry("attn-only-2l").curve, title="attn-only-2l, training")


def phase_steps() -> str:
    before, after = _crossing()
    return f"between steps {before['step']} and {after['step']}"


def phase_induction() -> str:
    before, after = _crossing()
    return f"{max(before['induction'][-1]):.2f} to {max(after['induction'][-1]):.2f}"


def phase_repeat_loss() -> str:
    before, after = _crossing()
    return f"{before['rep_loss_second_half']:.1f} to {after['rep_loss_second_half']:.1f} nats"


def curriculum() -> str:
    """How attn-only-2l was trained, read from the config recorded with its weights."""
    return describe(TrainConfig.from_dict(zoo.entry("attn-only-2l").config["train"]))


# --- per-token loss and head scores -----------------------------------------------------


@cache
def _loss_by_position() -> dict[str, torch.Tensor]:
    tokens = _repeated()
    return {
        name: ind.per_token_loss(_model(name)(tokens), tokens).mean(0)
        for name in ("attn-only-0l", "attn-only-1l", "attn-only-2l")
    }


def loss_by_position():
    """Mean loss at each position of random held-out tokens repeated once, after BOS, for the
    three zoo models. Only the two-layer model's loss falls once the sequence repeats: it
    alone has induction heads."""
    return plots.loss_by_position(
        _loss_by_position(), repeat_starts=PERIOD, title="loss on repeated random tokens"
    )


def repeat_losses() -> str:
    loss = _loss_by_position()["attn-only-2l"]
    return f"{loss[1:PERIOD].mean().item():.2f} nats in the first half and {loss[PERIOD + 1 :].mean().item():.2f} in the second"


@cache
def _scores() -> dict[str, torch.Tensor]:
    _, cache_ = _model().run_with_cache(_repeated())
    pattern = torch.stack([cache_["pattern", l] for l in range(_model().cfg.n_layers)])
    prev, dup, induction = ind.head_scores(pattern, PERIOD)
    return {"previous-token": prev, "duplicate-token": dup, "induction": induction}


def head_score_heatmaps():
    """Previous-token, duplicate-token and induction scores of every head of attn-only-2l on
    random held-out tokens repeated once: one previous-token head in layer 0, induction heads
    in layer 1, and no duplicate-token head."""
    cfg = _model().cfg
    return plots.annotated_heatmaps(
        _scores(),
        row_labels=[f"layer {l}" for l in range(cfg.n_layers)],
        col_labels=[f"H{h}" for h in range(cfg.n_heads)],
        colorbar_label="mean attention weight",
        xlabel="head",
    )


def _top(scores: torch.Tensor, k: int) -> list[tuple[str, float]]:
    flat = scores.flatten().topk(k)
    n_heads = scores.shape[1]
    return [(_head(*divmod(int(i), n_heads)), v.item()) for v, i in zip(flat.values, flat.indices)]


def previous_token_head() -> str:
    ((name, value),) = _top(_scores()["previous-token"], 1)
    return f"{name} ({value:.2f})"


@cache
def _circuit() -> heldout.Circuit:
    return heldout.circuit(_model(), load_streams())


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def induction_heads() -> str:
    induction = _scores()["induction"]
    return _and([f"{_head(1, h)} ({induction[1, h].item():.2f})" for h in _circuit().induction])


@cache
def _two_back() -> torch.Tensor:
    """Each layer-0 head's mean attention two tokens back, on the page's repeated tokens."""
    return heldout.two_back_scores(_model(), _repeated())


def two_back_heads() -> str:
    """The circuit's layer-0 heads that attend two tokens back, in words."""
    heads = _circuit().two_back
    if not heads:
        return "No other layer-0 head attends a fixed distance back"
    named = _and([f"{_head(0, h)} ({_two_back()[h].item():.2f} of its attention)" for h in heads])
    return f"{named} attend{'s' if len(heads) == 1 else ''} two tokens back"


def _gated() -> list[int]:
    """Layer-1 heads that the weights call induction heads but that are not induction heads on
    the held-out tokens."""
    return [h for h, v in enumerate(_from_weights().tolist()) if v > 0.9 and h not in _circuit().induction]


@cache
def _trained_repeats() -> torch.Tensor:
    """Random repeats of the tokens that the 2l recipe's random repeats drew from."""
    streams, bos = load_streams(), Tokenizer().bos_id
    pool = repeat_pool(streams, TrainConfig.from_dict(zoo.entry("attn-only-2l").config["train"]), bos)
    return ind.repeated_random_tokens(pool, 32, PERIOD, 2, bos, seed=0)


def gated_heads() -> str:
    """What the heads that the weights call induction heads, but the held-out repeats do not,
    do instead, in words."""
    gated = _gated()
    if not gated:
        return "Every head that the weights call an induction head is one on the held-out tokens too"
    _, held = _model().run_with_cache(_repeated())
    _, trained = _model().run_with_cache(_trained_repeats())
    parts = []
    for h in gated:
        bos = held["pattern", 1][:, h, PERIOD + 1 :, 0].mean().item()  # on the repeat
        ind_held = _scores()["induction"][1, h].item()
        ind_trained = _layer_induction(trained["pattern", 1])[h].item()
        parts.append(
            f"{_head(1, h)} is one by its weights, and its induction score is {ind_trained:.2f} on "
            f"repeats of tokens that training did repeat; on the held-out tokens it is "
            f"{ind_held:.2f}, and the head puts {bos:.2f} of its attention on BOS instead"
        )
    return "; ".join(parts)


def _layer_induction(pattern: torch.Tensor) -> torch.Tensor:
    """The induction score of each head of one layer, from its pattern on ``PERIOD``-repeats."""
    _, _, induction = ind.head_scores(pattern[None], PERIOD)
    return induction[0]


def max_duplicate() -> str:
    return f"{_scores()['duplicate-token'].max().item():.2f}"


# --- in-context learning ----------------------------------------------------------------


def _n_ctx() -> int:
    return _model().cfg.n_ctx


@cache
def _icl() -> dict[str, heldout.ICL]:
    """On every disjoint window of the held-out text, in float32 and in chunks: a single
    position's loss is noisy, so the score needs many windows, and disjoint ones give an
    honest standard error."""
    windows = heldout.disjoint_windows(load_streams().val, _n_ctx(), Tokenizer().bos_id)
    early, late, _ = heldout.icl_anchors(_n_ctx())
    return {
        name: heldout.in_context_learning(zoo.load(name).requires_grad_(False), windows, early, late)
        for name in ("attn-only-0l", "attn-only-1l", "attn-only-2l")
    }


def icl_scores() -> str:
    return ", ".join(
        f"`{name}` {r.score:+.2f} ± {r.score_sem:.2f}" for name, r in _icl().items()
    )


def icl_curve():
    """Mean loss at every position of held-out text windows for the three zoo models, with a
    band of ± one standard error over the windows; the dotted lines are the in-context
    learning score's two anchors. Only the models with attention gain from more context, and
    the two-layer model the most."""
    early, late, _ = heldout.icl_anchors(_n_ctx())
    icl = _icl()
    return plots.loss_by_position(
        {name: r.loss for name, r in icl.items()},
        title="loss by position on held-out text",
        bands={name: r.sem for name, r in icl.items()},
        anchors=(early, late),
    )


def icl_anchor_scaling() -> str:
    early, late, scale = heldout.icl_anchors(_n_ctx())
    return (
        f"Olsson et al. compare the {heldout.OLSSON_LATE}th token with the {heldout.OLSSON_EARLY}th; "
        f"the zoo's windows have {_n_ctx()} tokens, the last of them predicted from position "
        f"{late}, so both anchors are multiplied by {late}/{heldout.OLSSON_LATE} = {scale:.3f}: "
        f"the score is the loss at position {late} minus the loss at position {early}"
    )


def icl_rows() -> str:
    return f"{next(iter(_icl().values())).n:,}"


# --- ablation ---------------------------------------------------------------------------


@cache
def _ablation() -> dict[str, torch.Tensor]:
    model, tokens = _model(), _repeated()
    return {
        "zero ablation": ind.ablation_loss_increase(model, tokens, mean=False),
        "mean ablation": ind.ablation_loss_increase(model, tokens, mean=True),
    }


def ablation_bars():
    """How much the loss on repeated random held-out tokens rises when each head of
    attn-only-2l is ablated, its output replaced by zeros or by its mean over the batch: the
    previous-token head and the induction heads carry the repeat."""
    cfg = _model().cfg
    labels = [_head(l, h) for l in range(cfg.n_layers) for h in range(cfg.n_heads)]
    return plots.component_bars(
        labels,
        {name: t.flatten().tolist() for name, t in _ablation().items()},
        ylabel="loss increase (nats)",
        title="ablating one head at a time",
    )


def top_ablations() -> str:
    k = len(_circuit().layer_0) + len(_circuit().induction)
    return ", ".join(f"{name} (+{value:.2f})" for name, value in _top(_ablation()["mean ablation"], k))


def zero_only_ablation() -> str:
    """The head outside the circuit whose zero ablation costs the most more than its mean
    ablation."""
    zero, mean = _ablation()["zero ablation"], _ablation()["mean ablation"]
    c = _circuit()
    gap = zero - mean
    gap[0, list(c.layer_0)] = gap[1, list(c.induction)] = -float("inf")
    layer, head = divmod(int(gap.argmax()), zero.shape[1])
    return (
        f"{_head(layer, head)} ({zero[layer, head].item():+.2f} zeroed, "
        f"{mean[layer, head].item():+.2f} at its mean)"
    )


# --- the circuit from the weights -------------------------------------------------------


@cache
def _positional() -> torch.Tensor:
    m = _model()
    return ind.positional_previous_token_scores(m.W_pos, m.W_Q[0], m.b_Q[0], m.W_K[0], m.b_K[0])


def positional_previous_token_head() -> str:
    scores = _positional()
    best = int(scores.argmax())
    return f"{_head(0, best)} ({scores[best].item():.2f}; the other heads at most {scores[torch.arange(len(scores)) != best].max().item():.2f})"


@cache
def _circuit_rates() -> dict[str, tuple[float, float]]:
    """For every layer-1 head: the same-token rate of its QK circuit through the previous-token
    head found from positions, and the copying rate of its OV circuit, on the frequent tokens."""
    m, pool = _model(), _pool()
    prev = int(_positional().argmax())
    out = {}
    for h in range(m.cfg.n_heads):
        left, right = ind.induction_qk_circuit(
            m.W_E, m.W_V[0, prev], m.W_O[0, prev], m.W_Q[1, h], m.W_K[1, h]
        )
        qk = ind.diagonal_top1_rate(left, right, pool).item()
        ov = ind.diagonal_top1_rate(m.W_E @ m.W_V[1, h], m.W_O[1, h] @ m.W_U, pool).item()
        out[_head(1, h)] = (qk, ov)
    return out


def circuit_rates() -> str:
    return "; ".join(
        f"{name}: {qk:.0%} same-token, {ov:.0%} copying" for name, (qk, ov) in _circuit_rates().items()
    )


# --- the QK circuit by eigenvalues ------------------------------------------------------


@cache
def _k_composition() -> torch.Tensor:
    """Every layer-1 head's K-composition score through every layer-0 head, [later, earlier]."""
    m = _model()
    return ind.k_composition_scores(m.W_E, m.W_V[0], m.W_O[0], m.W_Q[1], m.W_K[1])


def _normalised(eigenvalues: torch.Tensor) -> torch.Tensor:
    return eigenvalues / eigenvalues.abs().amax(-1, keepdim=True)


def k_composition_heatmap():
    """The eigenvalue score Re(Σλ) / Σ|λ| of the K-composition term of every layer-1 head's QK
    circuit through every layer-0 head of attn-only-2l: through the previous-token head, every
    layer-1 head's term has only positive eigenvalues; through the other layer-0 heads, none."""
    cfg = _model().cfg
    return plots.annotated_heatmaps(
        {"K-composition term, Re(Σλ) / Σ|λ|": _k_composition()},
        row_labels=[_head(1, h) for h in range(cfg.n_heads)],
        col_labels=[_head(0, h) for h in range(cfg.n_heads)],
        colorbar_label="eigenvalue score",
        vmin=-1.0,
        xlabel="earlier head (layer 0)",
        ylabel="later head (layer 1)",
    )


def qk_ov_eigenvalue_scatters():
    """Eigenvalues of the layer-1 heads of attn-only-2l, each head's divided by its largest
    modulus. Left: the K-composition term of the QK circuit through the previous-token head
    (matching). Right: the full OV circuit W_E W_V W_O W_U (copying). Every layer-1 head's
    spectra lie near the positive real axis."""
    m = _model()
    prev = int(_positional().argmax())
    qk = ind.k_composition_eigenvalues(m.W_E, m.W_V[0, prev : prev + 1], m.W_O[0, prev : prev + 1], m.W_Q[1],
                                       m.W_K[1])[:, 0]  # fmt: skip
    ov = torch.linalg.eigvals(m.W_O[1] @ (m.W_U @ m.W_E) @ m.W_V[1])
    panels = {
        f"QK: K-composition through {_head(0, prev)}": _normalised(qk),
        "OV: W_E W_V W_O W_U": _normalised(ov),
    }
    return plots.eigenvalue_scatter(panels, [_head(1, h) for h in range(m.cfg.n_heads)])


def k_composition_through_previous() -> str:
    prev = int(_positional().argmax())
    scores = _k_composition()[:, prev]
    return ", ".join(f"{_head(1, h)} {v:+.2f}" for h, v in enumerate(scores.tolist()))


def k_composition_through_others() -> str:
    prev = int(_positional().argmax())
    others = [h for h in range(_model().cfg.n_heads) if h != prev]
    return f"{_k_composition()[:, others].max().item():+.2f}"


def bars_verdict() -> str:
    """Whether the shipped model clears ``course.heldout.BARS``, in a few words."""
    failed = heldout.check_bars(heldout.measure_all(zoo.load("attn-only-2l"), load_streams()))
    return "it clears every bar set for a general mechanism" if not failed else (
        "it misses " + "; ".join(failed)
    )


@cache
def _from_weights() -> torch.Tensor:
    m = _model()
    return ind.induction_scores_from_weights(m.W_E, m.W_pos, m.W_Q, m.b_Q, m.W_K, m.b_K, m.W_V, m.W_O, m.W_U)


def ov_copying_layer_1() -> str:
    m = _model()
    eigenvalues = torch.linalg.eigvals(m.W_O[1] @ (m.W_U @ m.W_E) @ m.W_V[1])
    scores = eigenvalues.sum(-1).real / eigenvalues.abs().sum(-1)
    return ", ".join(f"{_head(1, h)} {v:+.2f}" for h, v in enumerate(scores.tolist()))


def induction_from_weights() -> str:
    return ", ".join(f"{_head(1, h)} {v:+.2f}" for h, v in enumerate(_from_weights().tolist()))


def pool_size() -> str:
    return str(len(_pool()))


# --- the hand-built head ----------------------------------------------------------------


def hand_built_accuracy() -> str:
    n_ctx = 2 * HAND_BUILT_PERIOD + 1
    W_E = torch.zeros(HAND_BUILT_VOCAB, 2 * HAND_BUILT_VOCAB + n_ctx, dtype=torch.float64)
    W_E[:, :HAND_BUILT_VOCAB] = torch.eye(HAND_BUILT_VOCAB)
    weights = ind.induction_head_weights(W_E, n_ctx, max(HAND_BUILT_VOCAB, n_ctx))
    accuracy, _, _ = induction_accuracy(W_E, weights, n_ctx)
    return f"{accuracy:.1%}"


def hand_built_setting() -> str:
    return f"{HAND_BUILT_VOCAB} tokens and sequences of {HAND_BUILT_PERIOD} distinct tokens repeated twice"


# --- pointer arithmetic -----------------------------------------------------------------

POINTER_VOCAB, POINTER_PERIOD = 50, 40


def _best_rotation_error(W_pos: torch.Tensor) -> float:
    """How far the best orthogonal map R (Procrustes) is from moving every position one step
    on: ‖W_pos[:-1] R − W_pos[1:]‖ / ‖W_pos[1:]‖."""
    X, Y = W_pos[:-1], W_pos[1:]
    U, _, Vh = torch.linalg.svd(X.T @ Y)
    return ((X @ (U @ Vh) - Y).norm() / Y.norm()).item()


def position_similarity():
    """Dot products of positional embeddings, W_pos[i] · W_pos[j], over the first 64 positions.
    Left: rotated sinusoids with 64 frequencies, n_freq on the diagonal and −1/2 everywhere
    else, so that a position matches only itself. Right: attn-only-2l's learned (shortformer)
    positions, cosine similarities: smooth bands, with no exact match."""
    n = 64
    sinusoids, _ = ind.sinusoidal_positions(torch.arange(128, dtype=torch.float64), 64)
    learned = torch.nn.functional.normalize(_model().W_pos[:n], dim=-1)
    return plots.matrix_maps(
        {
            "rotated sinusoids": (sinusoids @ sinusoids.T)[:n, :n],
            "attn-only-2l (cosine)": learned @ learned.T,
        },
        xlabel="position j",
        ylabel="position i",
    )


def pointer_result() -> str:
    from autograder.checks.induction import pointer_accuracy, pointer_positions

    n_ctx, n_freq = 2 * POINTER_PERIOD + 1, POINTER_PERIOD
    d_model = POINTER_VOCAB + 4 * n_freq
    W_E = torch.zeros(POINTER_VOCAB, d_model, dtype=torch.float64)
    W_E[:, :POINTER_VOCAB] = torch.eye(POINTER_VOCAB)
    W_pos = pointer_positions(n_ctx, POINTER_VOCAB, n_freq, d_model)
    weights = ind.pointer_induction_head_weights(W_E, W_pos, n_freq, POINTER_VOCAB + 2 * n_freq)
    attends, accuracy, duplicate = pointer_accuracy(W_E, W_pos, weights)
    return (
        f"with {POINTER_VOCAB} tokens and sequences of {POINTER_PERIOD} distinct tokens repeated twice, "
        f"its layer-0 head puts {duplicate:.2f} of its attention on the previous occurrence, {attends:.0%} "
        f"of the layer-1 queries look hardest at the right key, and it predicts {accuracy:.0%} of the "
        "second repeat"
    )


def zoo_rotation_error() -> str:
    return f"{_best_rotation_error(_model().W_pos):.0%}"
