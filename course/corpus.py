"""The training text: every ``.py`` file of the running Python's standard library.

Every Python installation carries this text, so the course can train its models
with no download. It depends on the Python version, so the corpus is identified
by a sha256 that checkpoints record: a checkpoint is only reproducible from the
corpus it names.
"""

from __future__ import annotations

import hashlib
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: Every ``HOLDOUT_EVERY``-th file (in sorted order) is held out for validation.
#: Splitting by file, not by offset, keeps one file's text out of both splits.
HOLDOUT_EVERY = 20

#: Files whose text depends on how this interpreter was built, not on its version.
_BUILD_SPECIFIC = ("_sysconfigdata_",)


@dataclass(frozen=True)
class Corpus:
    """The corpus text as one string per file, split by file, and the hash that
    identifies it."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    sha256: str

    @property
    def n_files(self) -> int:
        return len(self.train) + len(self.val)


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def source_files(root: Path | None = None) -> list[Path]:
    """The standard library's ``.py`` files in sorted order, without site-packages."""
    root = root or stdlib_dir()
    files = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if rel.parts[0] == "site-packages" or rel.parts[0].startswith("config-"):
            continue
        if rel.name.startswith(_BUILD_SPECIFIC):
            continue
        files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


@lru_cache(maxsize=2)
def load_corpus(root: Path | None = None) -> Corpus:
    """Read and split the corpus. A few test files are not UTF-8 on purpose; they are
    decoded with replacement characters so that reading never fails."""
    root = root or stdlib_dir()
    train, val = [], []
    digest = hashlib.sha256()
    files = source_files(root)
    for i, path in enumerate(files):
        raw = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + raw + b"\0")
        text = raw.decode("utf-8", errors="replace")
        (val if i % HOLDOUT_EVERY == 0 else train).append(text)
    return Corpus(train=tuple(train), val=tuple(val), sha256=digest.hexdigest())
