"""To and from TransformerLens, so that learners can take the zoo's models there.

Parameter names and shapes are already TransformerLens's, so a state dict needs
no renaming. What differs: TransformerLens keeps two buffers per layer
(``attn.mask``, ``attn.IGNORE``) that are not weights, and it needs its own
config. transformer-lens is optional (``pip install 'course-circuits[tl]'``);
only ``to_hooked_transformer`` imports it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import torch

from course.errors import CourseError
from course.model import AttnOnlyTransformer, ModelConfig

if TYPE_CHECKING:  # pragma: no cover
    from transformer_lens import HookedTransformer

#: TransformerLens buffers that are not weights.
_BUFFERS = ("attn.mask", "attn.IGNORE")


def hooked_transformer_config_kwargs(cfg: ModelConfig) -> dict:
    """Arguments for ``HookedTransformerConfig`` describing the same architecture."""
    return dict(
        n_layers=cfg.n_layers,
        d_model=cfg.d_model,
        n_ctx=cfg.n_ctx,
        d_head=cfg.d_head,
        n_heads=cfg.n_heads,
        d_vocab=cfg.d_vocab,
        attn_only=True,
        normalization_type=None,
        act_fn=None,
        positional_embedding_type=cfg.positional_embedding_type,
    )


def to_transformer_lens_state_dict(model: AttnOnlyTransformer) -> dict[str, torch.Tensor]:
    """A state dict that ``HookedTransformer.load_state_dict(..., strict=False)`` takes;
    only TransformerLens's own buffers are missing from it."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def from_transformer_lens_state_dict(state: dict[str, torch.Tensor], cfg: ModelConfig) -> AttnOnlyTransformer:
    """Build our model from a TransformerLens attention-only state dict. Anything that
    is not an attention-only model without LayerNorm is refused, by name."""
    weights = {k: v for k, v in state.items() if not k.endswith(_BUFFERS)}
    dtype = next(iter(weights.values())).dtype if weights else torch.float32
    model = AttnOnlyTransformer(cfg, seed=None).to(dtype)
    expected = model.state_dict()
    extra = sorted(set(weights) - set(expected))
    missing = sorted(set(expected) - set(weights))
    if extra or missing:
        raise CourseError(
            "not an attention-only model without LayerNorm of this config: "
            f"unexpected {extra[:4]}, missing {missing[:4]}"
        )
    for k, v in weights.items():
        if v.shape != expected[k].shape:
            raise CourseError(f"{k} has shape {tuple(v.shape)}, expected {tuple(expected[k].shape)}")
    model.load_state_dict(weights)
    return model


def to_hooked_transformer(model: AttnOnlyTransformer) -> HookedTransformer:
    """The same model as a TransformerLens ``HookedTransformer`` (needs the ``tl`` extra)."""
    try:
        from transformer_lens import HookedTransformer, HookedTransformerConfig
    except ImportError:
        raise CourseError("transformer-lens is not installed: pip install 'course-circuits[tl]'") from None
    with warnings.catch_warnings():  # 3.9 announces HookedTransformer's removal in 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        # On the model's device: TransformerLens would otherwise pick CUDA whenever there is a GPU.
        device = str(model.W_E.device)
        tl = HookedTransformer(
            HookedTransformerConfig(**hooked_transformer_config_kwargs(model.cfg), device=device)
        )
    missing, unexpected = tl.load_state_dict(to_transformer_lens_state_dict(model), strict=False)
    assert not unexpected and all(k.endswith(_BUFFERS) for k in missing), (missing, unexpected)
    return tl.eval()


def from_hooked_transformer(tl: HookedTransformer) -> AttnOnlyTransformer:
    """Our model from a TransformerLens attention-only ``HookedTransformer``."""
    c = tl.cfg
    if not c.attn_only or c.normalization_type is not None:
        raise CourseError("only attention-only models without LayerNorm convert")
    if c.positional_embedding_type not in ("standard", "shortformer"):
        raise CourseError(f"positional embedding {c.positional_embedding_type!r} does not convert")
    if c.attn_scale != c.d_head**0.5:
        raise CourseError(f"attn_scale {c.attn_scale} is not sqrt(d_head)")
    cfg = ModelConfig(
        n_layers=c.n_layers, d_model=c.d_model, n_heads=c.n_heads, d_head=c.d_head,
        d_vocab=c.d_vocab, n_ctx=c.n_ctx, positional_embedding_type=c.positional_embedding_type,
    )  # fmt: skip
    return from_transformer_lens_state_dict(tl.state_dict(), cfg)
