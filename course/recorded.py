"""Measurements of runs too long or too old to redo at build time, recorded by the code here.

The models page compares the shipped attn-only-2l with two runs that the zoo does not ship:

- the superseded 2L recipe (a repeat pool of the 256 most frequent tokens). Shipping its
  checkpoint for one table would weigh as much as the zoo's 2L, so ``measure_old`` reads it
  from git history (commit ``OLD_COMMIT``) and measures it on today's held-out test sets;
- a 2L model trained on natural text alone, the paper's setting: an hour or more on a 2-core
  CPU. ``natural_text_run`` trains it and appends the held-out measurements to its record
  every ``NATURAL_EVERY`` steps.

The page reads the files they write, never typed numbers. Rerun them (maintainers, in a clone)
with ``python -m course.recorded old`` (needs git and ``OLD_COMMIT``) or
``python -m course.recorded natural`` (stop it when you have seen enough).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from course import heldout, zoo
from course.dataset import load_streams
from course.model import ModelConfig
from course.train import TrainConfig

#: The last commit whose attn-only-2l was trained by the superseded recipe.
OLD_COMMIT = "f821375a88872b39a224740294fcf53c548db66f"
RECORDS = Path(__file__).parent / "data" / "recorded"
OLD = RECORDS / "old-2l-heldout.json"
NATURAL = RECORDS / "natural-2l.jsonl"
#: The natural-text run: the superseded 2L architecture with a context of 256, no synthetic
#: rows, a constant learning rate after warm-up.
NATURAL_RECIPE = TrainConfig(
    ModelConfig(
        n_layers=2, d_model=64, n_heads=4, d_head=16, d_vocab=2048, n_ctx=256,
        positional_embedding_type="shortformer",
    ),
    steps=40_000, schedule="constant", warmup=100, repeat_pool=256, eval_every=500,
)  # fmt: skip
NATURAL_EVERY = 1000


def _git_show(commit: str, path: str) -> bytes:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=True
    ).stdout


def measure_old(commit: str = OLD_COMMIT) -> dict:
    """The old attn-only-2l's measurements on every held-out test set, with its recipe."""
    streams = load_streams()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("model.safetensors", "config.json"):
            (Path(tmp) / name).write_bytes(_git_show(commit, f"course/data/zoo/attn-only-2l/{name}"))
        model = zoo.load_checkpoint(Path(tmp))
        config = json.loads((Path(tmp) / "config.json").read_text())
    results = heldout.measure_all(model, streams)
    return {
        "commit": commit,
        "train": config["train"],
        "corpus_sha256": streams.corpus_sha256,
        "results": {k: vars(m) for k, m in results.items()},
    }


def natural_text_run(path: Path = NATURAL) -> None:
    """Train ``NATURAL_RECIPE``, writing its recipe then one line of held-out measurements
    every ``NATURAL_EVERY`` steps to ``path``."""
    from course import train as T

    streams, start, evals = load_streams(), time.perf_counter(), [0]
    per = NATURAL_EVERY // NATURAL_RECIPE.eval_every
    with open(path, "w") as out:
        out.write(json.dumps({"train": asdict(NATURAL_RECIPE), "corpus_sha256": streams.corpus_sha256}) + "\n")
        original = T.evaluate

        def evaluate(model, probe):
            row = original(model, probe)
            if evals[0] % per == 0:
                m = heldout.measure_all(model, streams)
                out.write(json.dumps({
                    "step": evals[0] * NATURAL_RECIPE.eval_every,
                    "minutes": round((time.perf_counter() - start) / 60, 2),
                    "val_loss": row["val_loss"],
                    **{k: {"induction": v.induction, "ratio": v.ratio} for k, v in m.items()},
                }) + "\n")  # fmt: skip
                out.flush()
            evals[0] += 1
            return row

        T.evaluate = evaluate
        try:
            T.train(NATURAL_RECIPE, streams)
        finally:
            T.evaluate = original


def load_old() -> dict:
    """The recorded measurements, as ``measure_old`` returned them."""
    return json.loads(OLD.read_text())


def load_natural() -> tuple[TrainConfig, list[dict]]:
    """The natural-text run's recipe and its rows, as ``natural_text_run`` wrote them."""
    head, *rows = (json.loads(line) for line in NATURAL.read_text().splitlines())
    return TrainConfig.from_dict(head["train"]), rows


if __name__ == "__main__":
    which = sys.argv[1:] or ["old"]
    RECORDS.mkdir(parents=True, exist_ok=True)
    if "old" in which:
        OLD.write_text(json.dumps(measure_old(), indent=2) + "\n")
        print(f"wrote {OLD}")
    if "natural" in which:
        natural_text_run()
