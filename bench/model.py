"""The zoo's 2L model against TransformerLens's ``HookedTransformer`` holding the same
weights: a forward pass, and ``run_with_cache``. Both run on the same batch, on the same
device (the CPU with the same thread count, or the GPU that ``--device`` names), in the
same process, in turns: the two are close, and a drifting machine would decide the ratio."""

from __future__ import annotations

import importlib.util

import torch

from bench.harness import Row, paired_median_times
from course import zoo

#: This suite runs on the device that ``--device`` names.
ON_DEVICE = True


def _hooked_transformer(model):
    """The same weights in TransformerLens, or None where it is missing or does not import."""
    if not importlib.util.find_spec("transformer_lens"):
        return None
    from course.convert import to_hooked_transformer

    try:
        return to_hooked_transformer(model)
    except Exception as e:  # any failure to import only drops the baseline
        print(f"TransformerLens does not import ({type(e).__name__}: {e}); its baselines are skipped")
        return None


def rows(smoke: bool, device: str = "cpu") -> list[Row]:
    model = zoo.load("attn-only-2l")
    batch, pos = (2, 16) if smoke else (32, 128)
    tokens = torch.randint(0, model.cfg.d_vocab, (batch, pos), generator=torch.Generator().manual_seed(0))
    repeat = 2 if smoke else 20
    tl = _hooked_transformer(model)
    model, tokens = model.to(device), tokens.to(device)
    if tl is not None and device != "cpu":
        tl = tl.to(device)  # TransformerLens announces every move; the CPU needs none
    out = []
    with torch.inference_mode():
        for name, ours, theirs in [
            ("forward", lambda: model(tokens), tl and (lambda: tl(tokens))),
            ("run_with_cache", lambda: model.run_with_cache(tokens), tl and (lambda: tl.run_with_cache(tokens))),
        ]:  # fmt: skip
            ours_s, *theirs_s = paired_median_times([ours, theirs] if theirs else [ours], repeat)
            row = Row("model", f"2L {name}, batch {batch}×{pos}", ours_s)
            row.baselines["TransformerLens"] = theirs_s[0] if theirs_s else None
            out.append(row)
    return out
