"""Training throughput of ``course train 2l --quick``'s recipe, in tokens per second.
There is no baseline to race: the row tracks our own speed between runs."""

from __future__ import annotations

from dataclasses import replace

from bench.harness import Row
from course.dataset import load_streams
from course.train import QUICK, train


def rows(smoke: bool) -> list[Row]:
    cfg = QUICK["2l"]
    cfg = replace(cfg, steps=5 if smoke else 100, eval_every=10**9)
    streams = load_streams()
    result = train(cfg, streams, progress=False)
    tokens = cfg.steps * cfg.batch_size * (cfg.model.n_ctx - 1)
    return [
        Row(
            "training",
            f"2l --quick, {cfg.steps} steps",
            result.seconds,
            note=f"{tokens / result.seconds:,.0f} tokens/s",
        )
    ]
