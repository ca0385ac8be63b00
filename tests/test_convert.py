"""Conversion to and from TransformerLens. Skips cleanly without the ``tl`` extra."""

import pytest
import torch

from course.convert import (
    from_hooked_transformer,
    from_transformer_lens_state_dict,
    to_hooked_transformer,
    to_transformer_lens_state_dict,
)
from course.errors import CourseError
from tests.test_model import random_model


def test_state_dict_round_trip_without_transformer_lens():
    model = random_model("shortformer")
    state = to_transformer_lens_state_dict(model)
    state["blocks.0.attn.mask"] = torch.ones(9, 9).tril().bool()  # a TL buffer, ignored
    back = from_transformer_lens_state_dict(state, model.cfg)
    tokens = torch.randint(0, 17, (2, 9))
    torch.testing.assert_close(back(tokens), model(tokens))


def test_state_dict_of_another_architecture_is_refused():
    model = random_model()
    state = to_transformer_lens_state_dict(model)
    state["blocks.0.ln1.w"] = torch.ones(12)
    with pytest.raises(CourseError, match="blocks.0.ln1.w"):
        from_transformer_lens_state_dict(state, model.cfg)
    state = to_transformer_lens_state_dict(model)
    state["embed.W_E"] = state["embed.W_E"][:5]
    with pytest.raises(CourseError, match="embed.W_E has shape"):
        from_transformer_lens_state_dict(state, model.cfg)


@pytest.mark.parametrize("pos_type", ["standard", "shortformer"])
def test_same_logits_and_cache_as_transformer_lens(pos_type):
    pytest.importorskip("transformer_lens", reason="the tl extra is not installed")
    model = random_model(pos_type).double()
    tl_model = to_hooked_transformer(model).double()
    tl_model.set_use_attn_result(True)
    tokens = torch.randint(0, 17, (3, 9), generator=torch.Generator().manual_seed(0))
    ours, our_cache = model.run_with_cache(tokens)
    theirs, their_cache = tl_model.run_with_cache(tokens)
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-10)
    for name, act in our_cache.items():
        torch.testing.assert_close(act, their_cache[name], rtol=1e-10, atol=1e-10, msg=name)

    back = from_hooked_transformer(tl_model)
    torch.testing.assert_close(back(tokens), ours)
