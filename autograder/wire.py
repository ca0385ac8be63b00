"""What crosses from the learner's process to the grader's: plain tensors and
containers only. The grader decodes with ``torch.load(weights_only=True)``, so a
hostile submission cannot make it run code by sending a crafted object."""

from __future__ import annotations

import io

import torch


def encode(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def decode(data: bytes):
    return torch.load(io.BytesIO(data), weights_only=True)


def to_wire(value):
    """A learner's return value as (plain value, metadata). Tensors leave their device
    and subclass behind; the metadata keeps dtype and device so the grader can still
    check them."""
    if isinstance(value, torch.Tensor):
        plain = value.detach().as_subclass(torch.Tensor).to("cpu", copy=True)
        return plain, {"kind": "tensor", "dtype": str(value.dtype), "device": str(value.device)}
    if isinstance(value, (tuple, list)):
        pairs = [to_wire(v) for v in value]
        return [p[0] for p in pairs], {"kind": type(value).__name__, "items": [p[1] for p in pairs]}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value, {"kind": type(value).__name__}
    return None, {"kind": "unsupported", "type": type(value).__name__}
