"""The zoo's 2L model against TransformerLens's ``HookedTransformer`` holding the same
weights: a forward pass, and ``run_with_cache``. Both run on the same batch, on the same
device (the CPU with the same thread count, or the GPU that ``--device`` names), in the
same process, in turns: the two are close, and a drifting machine would decide the ratio."""

from __future__ import annotations

import torch

from bench.harness import Row, optional_baseline, paired_median_times
from course import zoo
from course.convert import to_hooked_transformer

#: This suite runs on the device that ``--device`` names.
ON_DEVICE = True


def rows(smoke: bool, device: str = "cpu") -> list[Row]:
    model = zoo.load("attn-only-2l").to(device)
    batch, pos = (2, 16) if smoke else (32, 128)
    tokens = torch.randint(0, model.cfg.d_vocab, (batch, pos), generator=torch.Generator().manual_seed(0))
    tokens = tokens.to(device)
    repeat = 2 if smoke else 20
    tl = optional_baseline("transformer_lens", lambda: to_hooked_transformer(model))  # on model's device
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
