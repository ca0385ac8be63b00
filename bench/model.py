"""The zoo's 2L model against TransformerLens's ``HookedTransformer`` holding the same
weights: a forward pass, and ``run_with_cache``. Both run on the same batch, on the
CPU with the same thread count, in the same process."""

from __future__ import annotations

import importlib.util

import torch

from bench.harness import Row, median_time
from course import zoo


def rows(smoke: bool) -> list[Row]:
    model = zoo.load("attn-only-2l")
    batch, pos = (2, 16) if smoke else (32, 128)
    tokens = torch.randint(0, model.cfg.d_vocab, (batch, pos), generator=torch.Generator().manual_seed(0))
    repeat = 2 if smoke else 20
    tl = None
    if importlib.util.find_spec("transformer_lens"):
        from course.convert import to_hooked_transformer

        tl = to_hooked_transformer(model)
    out = []
    with torch.inference_mode():
        for name, ours, theirs in [
            ("forward", lambda: model(tokens), tl and (lambda: tl(tokens))),
            ("run_with_cache", lambda: model.run_with_cache(tokens), tl and (lambda: tl.run_with_cache(tokens))),
        ]:  # fmt: skip
            out.append(
                Row(
                    "model",
                    f"2L {name}, batch {batch}×{pos}",
                    median_time(ours, repeat),
                    {"TransformerLens": median_time(theirs, repeat) if theirs else None},
                )
            )
    return out
