"""Training the zoo's models, reproducibly, with a progress bar.

A run is fixed by its recipe (``RECIPES``), the corpus hash and the tokenizer
hash. With ``torch.use_deterministic_algorithms(True)`` and a fixed thread
count, the same recipe on the same Python and torch gives the same bytes.
"""

from __future__ import annotations

import contextlib
import json
import math
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm

from course import heldout, scores
from course.dataset import (
    TokenStreams,
    frequent_tokens,
    load_streams,
    repeated_text,
    repeated_tokens,
    text_batch,
)
from course.model import AttnOnlyTransformer, ModelConfig
from course.tokenizer import Tokenizer


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run besides the data."""

    model: ModelConfig
    steps: int
    batch_size: int = 32
    lr: float = 1e-2
    warmup: int = 50
    #: After warm-up, "cosine" decays to a tenth of ``lr``; "constant" holds it;
    #: "wsd" holds it, then decays linearly to a tenth over the last fifth of the run.
    schedule: str = "cosine"
    seed: int = 0
    #: Shares of each batch made of repeated random tokens and of repeated windows of
    #: text (see ``dataset.tile``). Natural text alone does not form an induction head
    #: in minutes on a CPU; repeats reward one directly.
    random_repeat_frac: float = 0.0
    text_repeat_frac: float = 0.0
    repeat_periods: tuple[int, int] = (8, 64)
    #: Repeated random tokens draw from this many of the most frequent tokens; 0 means from
    #: every token seen at least ``heldout.MIN_COUNT`` times but the held-out ones.
    repeat_pool: int = 1024
    eval_every: int = 50
    threads: int = 2
    #: "random" (see ``AttnOnlyTransformer.init_weights``), or "embedding": W_U starts as
    #: W_Eᵀ / √d_model, at the same scale. Every token's unembedding then starts aligned with
    #: its embedding, so a head that copies the direction it reads starts out copying *any*
    #: token, also the rare ones whose two matrices training seldom touches.
    unembed_init: str = "random"

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d, model=ModelConfig.from_dict(d["model"]))
        d["repeat_periods"] = tuple(d["repeat_periods"])
        return cls(**d)


def _model(n_layers: int, d_model: int) -> ModelConfig:
    return ModelConfig(
        n_layers=n_layers, d_model=d_model, n_heads=4, d_head=16, d_vocab=2048, n_ctx=128,
        positional_embedding_type="shortformer",
    )  # fmt: skip


#: The zoo's recipes. Shortformer positions keep position out of the values, so
#: the path expansion of the paper holds exactly: the direct path is W_E W_U.
#: 0l is wider because its one job is a rank-d_model approximation of the bigram
#: table. 2l's repeats come from both sources: random tokens give a sharp induction
#: signal, repeated text keeps it working on text. Its random repeats draw from every trained
#: token but the held-out ones, W_U starts aligned with W_E, and its heads are twice as wide
#: as 1l's: the first 2l recipe (a pool of the 256 most frequent tokens, d_head 16) copied
#: mostly the tokens it was trained to repeat (the models page measures both). One thread,
#: so that a rerun gives the same bytes on any machine with the same CPU capability.
RECIPES: dict[str, TrainConfig] = {
    "0l": TrainConfig(_model(0, 128), steps=1500),
    "1l": TrainConfig(_model(1, 64), steps=800),
    "2l": TrainConfig(
        replace(_model(2, 128), d_head=32), steps=6000, schedule="wsd",
        random_repeat_frac=0.25, text_repeat_frac=0.5, repeat_pool=0, unembed_init="embedding", threads=1,
    ),
}  # fmt: skip
#: Shorter runs for tests and impatient learners; 2l still shows the phase change, sooner
#: with its random repeats drawn from the 256 most frequent tokens only (a short run on the
#: recipe's whole pool did not form one in 800 steps), on two threads.
QUICK: dict[str, TrainConfig] = {
    "0l": replace(RECIPES["0l"], steps=200),
    "1l": replace(RECIPES["1l"], steps=200),
    "2l": replace(
        RECIPES["2l"], steps=800, schedule="constant", random_repeat_frac=0.75, text_repeat_frac=0.0,
        repeat_pool=256, threads=2,
    ),
}  # fmt: skip


def describe(cfg: TrainConfig) -> str:
    """The curriculum of ``cfg`` in words, for the pages that show what a model learnt."""
    n = cfg.batch_size
    random, text = round(n * cfg.random_repeat_frac), round(n * cfg.text_repeat_frac)
    low, high = cfg.repeat_periods
    pool = (
        f"the {cfg.repeat_pool:,} most frequent tokens"
        if cfg.repeat_pool
        else f"every token seen ≥ {heldout.MIN_COUNT} times in training but the held-out ones"
    )
    out = (
        f"{cfg.steps:,} steps of {n} rows of {cfg.model.n_ctx} tokens, BOS first, with Adam at "
        f"a peak learning rate of {cfg.lr:g} ({cfg.schedule} schedule); in every batch, "
        f"{n - random - text} rows of training text"
    )
    if random or text:
        out += (
            f", {random} rows ({random / n:.0%}) of random tokens drawn from {pool} and {text} rows "
            f"({text / n:.0%}) of windows of training text, each tiled with a period from {low} "
            f"to {high - 1}"
        )
    if cfg.unembed_init == "embedding":
        out += "; W_U initialised as W_Eᵀ / √d_model"
    return out


def lr_at(step: int, cfg: TrainConfig) -> float:
    """The learning rate of ``step`` under ``cfg.schedule`` (see ``TrainConfig``)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule == "wsd":
        decay_start = cfg.steps - cfg.steps // 5
        t = max(0, step - decay_start) / max(1, cfg.steps - decay_start)
        return cfg.lr * (1 - 0.9 * t)
    if cfg.schedule == "cosine":
        t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


@contextlib.contextmanager
def deterministic(threads: int) -> Iterator[None]:
    """Deterministic kernels and a fixed thread count, restored afterwards."""
    old = (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old[0])
        torch.set_num_threads(old[1])


@dataclass
class Probe:
    """Fixed held-out batches, drawn once, on which every evaluation is measured."""

    val: torch.Tensor
    repeated: torch.Tensor
    period: int

    @classmethod
    def make(cls, streams: TokenStreams, cfg: TrainConfig, bos_id: int, pool: torch.Tensor) -> Probe:
        g = torch.Generator().manual_seed(10_000 + cfg.seed)
        period = 50
        return cls(
            val=text_batch(streams.val, 64, cfg.model.n_ctx, bos_id, g),
            repeated=repeated_tokens(pool, 32, period, 2 * period, bos_id, g),
            period=period,
        )


@torch.no_grad()
def evaluate(model: AttnOnlyTransformer, probe: Probe) -> dict:
    """Held-out loss, and for models with layers the per-head scores."""
    out: dict = {"val_loss": scores.mean_loss(model, probe.val).mean().item()}
    if model.cfg.n_layers == 0:
        return out
    rep_loss = scores.mean_loss(model, probe.repeated)
    p = probe.period
    out["rep_loss_first_half"] = rep_loss[1:p].mean().item()
    out["rep_loss_second_half"] = rep_loss[p:].mean().item()
    out["copying"] = scores.copying_scores(model).tolist()
    out["previous_token"] = scores.previous_token_scores(model, probe.repeated).tolist()
    out["induction"] = scores.induction_scores(model, probe.repeated, p).tolist()
    return out


@dataclass
class RunResult:
    model: AttnOnlyTransformer
    config: TrainConfig
    curve: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final(self) -> dict:
        """The last evaluation, taken at the final step."""
        return self.curve[-1]


def repeat_pool(streams: TokenStreams, cfg: TrainConfig, bos_id: int) -> torch.Tensor:
    """The tokens that ``cfg``'s random repeats draw from (see ``TrainConfig.repeat_pool``):
    they never include ``heldout``'s held-out tokens, which claims are measured on."""
    if cfg.repeat_pool == 0:
        return heldout.token_split(streams.train, bos_id).pool
    return frequent_tokens(streams.train, cfg.repeat_pool, exclude=bos_id)


def train(
    cfg: TrainConfig,
    streams: TokenStreams | None = None,
    progress: bool = True,
    on_eval: Callable[[dict], None] | None = None,
) -> RunResult:
    """Train a model from ``cfg``. Every row starts with BOS."""
    streams = streams or load_streams()
    bos = Tokenizer().bos_id
    n_ctx = cfg.model.n_ctx
    with deterministic(cfg.threads):
        torch.manual_seed(cfg.seed)
        g = torch.Generator().manual_seed(cfg.seed)
        model = AttnOnlyTransformer(cfg.model, seed=cfg.seed)
        if cfg.unembed_init == "embedding":
            with torch.no_grad():
                model.unembed.W_U.copy_(model.embed.W_E.T * cfg.model.d_model**-0.5)
        elif cfg.unembed_init != "random":
            raise ValueError(f"unknown unembed_init {cfg.unembed_init!r}")
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        pool = repeat_pool(streams, cfg, bos)
        # The curve's repeats come from the training pool: that is where the phase change of a
        # short run shows; held-out claims are measured by course.heldout on the final model.
        probe = Probe.make(streams, cfg, bos, pool)
        n_random = round(cfg.batch_size * cfg.random_repeat_frac)
        n_text = round(cfg.batch_size * cfg.text_repeat_frac)
        result = RunResult(model, cfg)
        start = time.perf_counter()
        bar = tqdm(range(cfg.steps), desc=f"train {cfg.model.n_layers}L", disable=not progress)
        for step in bar:
            period = int(torch.randint(*cfg.repeat_periods, (1,), generator=g))
            batch = torch.cat([
                text_batch(streams.train, cfg.batch_size - n_random - n_text, n_ctx, bos, g),
                repeated_tokens(pool, n_random, period, n_ctx - 1, bos, g),
                repeated_text(streams.train, n_text, period, n_ctx - 1, bos, g),
            ])  # fmt: skip
            for group in opt.param_groups:
                group["lr"] = lr_at(step, cfg)
            logits = model(batch[:, :-1])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1)
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step % cfg.eval_every == 0 or step == cfg.steps - 1:
                row = {"step": step, "train_loss": loss.item(), **evaluate(model, probe)}
                result.curve.append(row)
                bar.set_postfix(loss=f"{row['train_loss']:.3f}", val=f"{row['val_loss']:.3f}")
                if on_eval:
                    on_eval(row)
        result.seconds = time.perf_counter() - start
    return result


def environment() -> dict:
    """What a bit-exact rerun must match."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


@torch.no_grad()
def summarize(model: AttnOnlyTransformer, streams: TokenStreams) -> dict:
    """The headline numbers each zoo model is shipped for, measured once at the end."""
    if model.cfg.n_layers == 0:
        V = model.cfg.d_vocab
        uni = scores.unigram_cross_entropy(streams.train, streams.val, V)
        bi = scores.best_bigram_cross_entropy(streams.train, streams.val, V)
        ce = scores.table_cross_entropy(scores.zero_layer_table(model), streams.val)
        return {
            "unigram_ce": uni, "bigram_ce": bi, "model_ce": ce,
            "gap_closed": scores.gap_closed(uni, ce, bi),
        }  # fmt: skip
    if model.cfg.n_layers >= 2:
        k = scores.composition_scores(model, "K")
        idx = torch.unravel_index(k.argmax(), k.shape)
        return {"top_k_composition": {"heads": [int(i) for i in idx], "score": k.max().item()}}
    return {}


def save_run(result: RunResult, out_dir: Path, streams: TokenStreams) -> dict:
    """Write ``model.safetensors``, ``config.json``, ``curve.json``, ``metrics.json`` and
    ``curve.png``; return the metrics."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in result.model.state_dict().items()}
    save_file(state, str(out_dir / "model.safetensors"))
    meta = {
        "model": asdict(result.config.model),
        "train": asdict(result.config),
        "corpus_sha256": streams.corpus_sha256,
        "tokenizer_sha256": streams.tokenizer_sha256,
        "environment": environment(),
    }
    (out_dir / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out_dir / "curve.json").write_text(json.dumps(result.curve, indent=1) + "\n")
    metrics = dict(result.final, **summarize(result.model, streams), train_seconds=round(result.seconds, 1))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plot_curve(out_dir)
    return metrics


def plot_curve(run_dir: Path) -> None:
    """Draw ``curve.png`` from a run folder's ``curve.json`` and ``metrics.json``."""
    from course import plots

    curve = json.loads((run_dir / "curve.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    baselines = {
        f"{name} (held-out)": metrics[f"{name}_ce"]
        for name in ("unigram", "bigram")
        if f"{name}_ce" in metrics
    }
    fig = plots.training_curve(curve, title=run_dir.name, baselines=baselines)
    fig.savefig(run_dir / "curve.png", dpi=120)
