"""Token streams of the corpus, and the batches that training and evaluation draw.

Encoding the corpus takes about 10 s, so the streams are cached on disk, keyed
by the corpus hash and the tokenizer hash.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from course.corpus import load_corpus
from course.tokenizer import Tokenizer


def cache_dir() -> Path:
    """``$COURSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/course``, else ``~/.cache/course``."""
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "course"


@dataclass(frozen=True)
class TokenStreams:
    """The corpus as token ids: ``train`` and ``val`` are 1-D int64 tensors, with BOS
    before every file."""

    train: Tensor
    val: Tensor
    corpus_sha256: str
    tokenizer_sha256: str


@lru_cache(maxsize=1)
def load_streams() -> TokenStreams:
    tok = Tokenizer()
    corpus = load_corpus()
    path = cache_dir() / f"tokens-{corpus.sha256[:16]}-{tok.sha256[:16]}.npz"
    if path.exists():
        arrays = np.load(path)
        train, val = arrays["train"], arrays["val"]
    else:
        print(f"encoding the corpus once; cached in {path.parent}", file=sys.stderr)
        train = np.asarray(tok.encode_files(corpus.train), dtype=np.uint16)
        val = np.asarray(tok.encode_files(corpus.val), dtype=np.uint16)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, train=train, val=val)
        tmp.replace(path)  # atomic: a killed run never leaves a half-written cache
    return TokenStreams(
        train=torch.from_numpy(train.astype(np.int64)),
        val=torch.from_numpy(val.astype(np.int64)),
        corpus_sha256=corpus.sha256,
        tokenizer_sha256=tok.sha256,
    )


def text_batch(stream: Tensor, batch: int, n_ctx: int, bos_id: int, g: torch.Generator) -> Tensor:
    """Random windows of the stream, each row starting with BOS: [batch, n_ctx]."""
    starts = torch.randint(0, len(stream) - n_ctx, (batch,), generator=g)
    windows = stream[starts[:, None] + torch.arange(n_ctx - 1)]
    return torch.cat([torch.full((batch, 1), bos_id), windows], dim=1)


def frequent_tokens(stream: Tensor, n: int, exclude: int) -> Tensor:
    """The ``n`` most frequent token ids. Repeated-token tasks draw from these: a token
    the corpus never contains has an untrained embedding and gives nonsense losses."""
    counts = torch.bincount(stream)
    counts[exclude] = 0
    return counts.argsort(descending=True, stable=True)[:n]


def tile(seq: Tensor, length: int, bos_id: int) -> Tensor:
    """BOS followed by each row of ``seq`` [batch, period] repeated to ``length`` tokens:
    [batch, 1 + length]. Only an induction mechanism can predict the repeats."""
    reps = -(-length // seq.shape[1])
    tiled = seq.repeat(1, reps)[:, :length]
    return torch.cat([torch.full((seq.shape[0], 1), bos_id), tiled], dim=1)


def repeated_tokens(
    pool: Tensor, batch: int, period: int, length: int, bos_id: int, g: torch.Generator
) -> Tensor:
    """Random sequences of ``period`` tokens from ``pool``, tiled (see ``tile``)."""
    return tile(pool[torch.randint(0, len(pool), (batch, period), generator=g)], length, bos_id)


def repeated_text(
    stream: Tensor, batch: int, period: int, length: int, bos_id: int, g: torch.Generator
) -> Tensor:
    """Random windows of ``period`` tokens of text, tiled (see ``tile``)."""
    starts = torch.randint(0, len(stream) - period, (batch,), generator=g)
    return tile(stream[starts[:, None] + torch.arange(period)], length, bos_id)
