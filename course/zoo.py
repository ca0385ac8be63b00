"""The shipped checkpoints: ``attn-only-0l``, ``attn-only-1l`` and ``attn-only-2l``.

Each lives in ``course/data/zoo/<name>/`` with ``model.safetensors``,
``config.json`` (architecture, recipe, corpus and tokenizer hashes),
``metrics.json`` and ``curve.json``. ``manifest.json`` records the sha256 of
every weights file, so a truncated or altered download is caught before use.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from course.errors import CheckpointError
from course.model import AttnOnlyTransformer, ModelConfig

ZOO_DIR = Path(__file__).parent / "data" / "zoo"
MANIFEST = ZOO_DIR / "manifest.json"
WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    path: Path
    sha256: str
    command: str

    @property
    def config(self) -> dict:
        return _read_json(self.path / "config.json")

    @property
    def metrics(self) -> dict:
        return _read_json(self.path / "metrics.json")

    @property
    def curve(self) -> list[dict]:
        return _read_json(self.path / "curve.json")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file is missing") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None


def entries() -> dict[str, ZooEntry]:
    """The zoo's models by name, as the manifest records them."""
    return {
        name: ZooEntry(name, ZOO_DIR / name, rec["sha256"], rec["command"])
        for name, rec in _read_json(MANIFEST).items()
    }


def entry(name: str) -> ZooEntry:
    zoo = entries()
    if name not in zoo:
        raise CheckpointError(f"no zoo model named {name!r}; the zoo has {', '.join(zoo)}")
    return zoo[name]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_checkpoint(
    directory: Path,
    sha256: str | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> AttnOnlyTransformer:
    """Load a run directory written by ``course train``. With ``sha256``, the weights
    file must match it. Every failure names the file."""
    directory = Path(directory)
    weights = directory / WEIGHTS
    if not weights.exists():
        raise CheckpointError(f"{weights}: file is missing")
    if sha256 is not None:
        got = sha256_file(weights)
        if got != sha256:
            raise CheckpointError(
                f"{weights}: sha256 is {got[:12]}…, expected {sha256[:12]}…; the file is "
                "truncated or altered. Reinstall the course, or retrain it with the "
                "command `course zoo` lists."
            )
    cfg_path = directory / "config.json"
    try:
        cfg = ModelConfig.from_dict(_read_json(cfg_path)["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{cfg_path}: bad model config ({e})") from None
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"{weights}: cannot read safetensors ({e})") from None
    model = AttnOnlyTransformer(cfg, seed=None)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointError(f"{weights}: does not match {cfg_path}: {' '.join(first[:3])}") from None
    return model.to(device=device, dtype=dtype).eval()


def load(
    name: str, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> AttnOnlyTransformer:
    """A zoo model by name, e.g. ``load("attn-only-2l")``, checked against its sha256."""
    e = entry(name)
    return load_checkpoint(e.path, e.sha256, device=device, dtype=dtype)


def record(name: str, command: str) -> None:
    """Record the current weights of ``name`` in the manifest (maintainers only)."""
    manifest = _read_json(MANIFEST) if MANIFEST.exists() else {}
    manifest[name] = {"sha256": sha256_file(ZOO_DIR / name / WEIGHTS), "command": command}
    MANIFEST.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
