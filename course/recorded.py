"""The superseded 2L recipe, measured once on the held-out test sets and recorded.

The models page compares the shipped attn-only-2l with the recipe it replaced (a repeat pool
of the 256 most frequent tokens), to show why the recipe is what it is. Shipping a second
checkpoint for one table would double the zoo's 2L weight, so the old checkpoint's numbers
are measured from git history by this module and committed as ``RECORD``; the page reads them
from there, never typed. Rerun it (maintainers, in a clone) with::

    python -m course.recorded

which needs git and the commit ``OLD_COMMIT``.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from course import heldout, zoo
from course.dataset import load_streams

#: The last commit whose attn-only-2l was trained by the old recipe.
OLD_COMMIT = "c0fc404c8c7ea2490f9ddc24659cb3639b7745fe"
RECORD = Path(__file__).parent / "data" / "recorded" / "old-2l-heldout.json"
_FILES = ("model.safetensors", "config.json")


def _git_show(commit: str, path: str) -> bytes:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=True
    ).stdout


def measure_old(commit: str = OLD_COMMIT) -> dict:
    """The old attn-only-2l's measurements on every held-out test set, with its recipe."""
    streams = load_streams()
    with tempfile.TemporaryDirectory() as tmp:
        for name in _FILES:
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


def load() -> dict:
    """The recorded measurements, as ``measure_old`` returned them."""
    return json.loads(RECORD.read_text())


if __name__ == "__main__":
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(measure_old(), indent=2) + "\n")
    print(f"wrote {RECORD}")
