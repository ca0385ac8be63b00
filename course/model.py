"""An attention-only transformer, written to be read next to the paper.

No MLPs and no LayerNorm, so every path from tokens to logits is a product of
the weight matrices below. Parameter names, shapes and hook names are
TransformerLens's (``embed.W_E [d_vocab, d_model]``, ``blocks.{l}.attn.W_Q
[n_heads, d_model, d_head]``, ...), so that what learners write here carries over.

Shapes in comments: b batch, p (or q, k) position, h head, d d_model, e d_head, v d_vocab.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Literal

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from course.hooks import HookedModule, HookPoint

PositionType = Literal["standard", "shortformer"]


@dataclass(frozen=True)
class ModelConfig:
    """The architecture. ``positional_embedding_type``: "standard" adds W_pos to the
    residual stream; "shortformer" adds it only to the input of queries and keys, so
    values, and hence what heads move, never carry position."""

    n_layers: int
    d_model: int
    n_heads: int
    d_head: int
    d_vocab: int
    n_ctx: int
    positional_embedding_type: PositionType = "standard"

    def __post_init__(self) -> None:
        for f in ("d_model", "n_heads", "d_head", "d_vocab", "n_ctx"):
            if getattr(self, f) < 1:
                raise ValueError(f"{f} must be at least 1, got {getattr(self, f)}")
        if self.n_layers < 0:
            raise ValueError(f"n_layers must be at least 0, got {self.n_layers}")
        if self.positional_embedding_type not in ("standard", "shortformer"):
            raise ValueError(
                "positional_embedding_type must be 'standard' or 'shortformer', "
                f"got {self.positional_embedding_type!r}"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)


def attn_param_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Shapes of one layer's attention parameters."""
    h, d, e = cfg.n_heads, cfg.d_model, cfg.d_head
    return {
        "W_Q": (h, d, e), "W_K": (h, d, e), "W_V": (h, d, e), "W_O": (h, e, d),
        "b_Q": (h, e), "b_K": (h, e), "b_V": (h, e), "b_O": (d,),
    }  # fmt: skip


class Attention(nn.Module):
    """Multi-head causal attention, one independent head per index of the first weight
    axis. Each head writes its own result r^h W_O^h into the residual stream; the layer
    output is their sum plus b_O (added once per layer, as in TransformerLens)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        for name, shape in attn_param_shapes(cfg).items():
            setattr(self, name, nn.Parameter(torch.zeros(shape)))
        self.hook_q = HookPoint()  # [b, p, h, e]
        self.hook_k = HookPoint()
        self.hook_v = HookPoint()
        self.hook_attn_scores = HookPoint()  # [b, h, q, k], -inf above the diagonal
        self.hook_pattern = HookPoint()  # [b, h, q, k], rows sum to 1
        self.hook_z = HookPoint()  # [b, p, h, e]
        self.hook_result = HookPoint()  # [b, p, h, d], each head's own output

    def forward(
        self,
        x: Float[Tensor, "b p d"],
        x_qk: Float[Tensor, "b p d"],
    ) -> Float[Tensor, "b p d"]:
        """``x`` feeds the values; ``x_qk`` feeds queries and keys (it differs from ``x``
        only with shortformer positions)."""
        q = self.hook_q(einops.einsum(x_qk, self.W_Q, "b p d, h d e -> b p h e") + self.b_Q)
        k = self.hook_k(einops.einsum(x_qk, self.W_K, "b p d, h d e -> b p h e") + self.b_K)
        v = self.hook_v(einops.einsum(x, self.W_V, "b p d, h d e -> b p h e") + self.b_V)

        scores = einops.einsum(q, k, "b q h e, b k h e -> b h q k") / math.sqrt(self.cfg.d_head)
        n = x.shape[1]
        future = torch.triu(torch.ones(n, n, dtype=torch.bool, device=x.device), diagonal=1)
        scores = self.hook_attn_scores(scores.masked_fill(future, float("-inf")))
        pattern = self.hook_pattern(scores.softmax(dim=-1))

        z = self.hook_z(einops.einsum(pattern, v, "b h q k, b k h e -> b q h e"))
        result = self.hook_result(einops.einsum(z, self.W_O, "b q h e, h e d -> b q h d"))
        return result.sum(dim=2) + self.b_O


class Block(nn.Module):
    """One residual block: x_{l+1} = x_l + attn(x_l)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn = Attention(cfg)
        self.hook_resid_pre = HookPoint()
        self.hook_attn_out = HookPoint()
        self.hook_resid_post = HookPoint()

    def forward(self, resid: Tensor, pos: Tensor | None) -> Tensor:
        resid = self.hook_resid_pre(resid)
        x_qk = resid if pos is None else resid + pos
        out = self.hook_attn_out(self.attn(resid, x_qk))
        return self.hook_resid_post(resid + out)


class Embed(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.W_E = nn.Parameter(torch.empty(cfg.d_vocab, cfg.d_model))


class PosEmbed(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.W_pos = nn.Parameter(torch.empty(cfg.n_ctx, cfg.d_model))


class Unembed(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.W_U = nn.Parameter(torch.empty(cfg.d_model, cfg.d_vocab))
        self.b_U = nn.Parameter(torch.zeros(cfg.d_vocab))


class AttnOnlyTransformer(HookedModule):
    """tokens [b, p] → logits [b, p, d_vocab].

    logits = (W_E[tokens] + W_pos + Σ_layers Σ_heads r^h W_O^h + b_O) W_U + b_U
    """

    def __init__(self, cfg: ModelConfig, seed: int | None = 0):
        super().__init__()
        self.cfg = cfg
        self.embed = Embed(cfg)
        self.pos_embed = PosEmbed(cfg)
        self.hook_embed = HookPoint()
        self.hook_pos_embed = HookPoint()
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.unembed = Unembed(cfg)
        self.setup_hooks()
        if seed is not None:
            self.init_weights(seed)

    @torch.no_grad()
    def init_weights(self, seed: int) -> None:
        """Unit-scale embeddings, fan-in-scaled matrices, sinusoidal positions.

        Without LayerNorm the residual stream keeps the scale of the embeddings, so
        the embeddings are unit scale; GPT-2's std 0.02 leaves attention uniform.
        """
        g = torch.Generator().manual_seed(seed)
        cfg = self.cfg

        def normal(p: Tensor, std: float) -> None:
            p.copy_(torch.randn(p.shape, generator=g) * std)

        normal(self.embed.W_E, 1.0)
        self.pos_embed.W_pos.copy_(sinusoids(cfg.n_ctx, cfg.d_model))
        for block in self.blocks:
            a = block.attn
            for W in (a.W_Q, a.W_K, a.W_V):
                normal(W, cfg.d_model**-0.5)
            normal(a.W_O, (cfg.n_heads * cfg.d_head) ** -0.5)
            for b in (a.b_Q, a.b_K, a.b_V, a.b_O):
                b.zero_()
        normal(self.unembed.W_U, cfg.d_model**-0.5)
        self.unembed.b_U.zero_()

    def forward(self, tokens: Int[Tensor, "b p"]) -> Float[Tensor, "b p v"]:
        b, n = tokens.shape
        if n > self.cfg.n_ctx:
            raise ValueError(f"sequence length {n} exceeds n_ctx={self.cfg.n_ctx}")
        embed = self.hook_embed(self.embed.W_E[tokens])
        pos = self.hook_pos_embed(einops.repeat(self.pos_embed.W_pos[:n], "p d -> b p d", b=b))
        if self.cfg.positional_embedding_type == "standard":
            resid, qk_pos = embed + pos, None
        else:
            resid, qk_pos = embed, pos
        for block in self.blocks:
            resid = block(resid, qk_pos)
        # One fused pass: the bias is added inside the product, not over the logits again.
        logits = torch.addmm(self.unembed.b_U, resid.reshape(b * n, -1), self.unembed.W_U)
        return logits.view(b, n, -1)

    # Weights stacked over layers, as TransformerLens exposes them: [n_layers, n_heads, ...].
    def _stack(self, name: str) -> Tensor:
        if not self.blocks:
            return self.W_E.new_zeros(0, *attn_param_shapes(self.cfg)[name])
        return torch.stack([getattr(b.attn, name) for b in self.blocks])

    W_E = property(lambda self: self.embed.W_E)
    W_pos = property(lambda self: self.pos_embed.W_pos)
    W_U = property(lambda self: self.unembed.W_U)
    b_U = property(lambda self: self.unembed.b_U)
    W_Q = property(lambda self: self._stack("W_Q"))
    W_K = property(lambda self: self._stack("W_K"))
    W_V = property(lambda self: self._stack("W_V"))
    W_O = property(lambda self: self._stack("W_O"))
    b_Q = property(lambda self: self._stack("b_Q"))
    b_K = property(lambda self: self._stack("b_K"))
    b_V = property(lambda self: self._stack("b_V"))
    b_O = property(lambda self: self._stack("b_O"))


def sinusoids(n_ctx: int, d_model: int) -> Tensor:
    """The fixed positional code of Vaswani et al.; used as an initialisation here."""
    pos = torch.arange(n_ctx, dtype=torch.float64)[:, None]
    freq = torch.exp(-math.log(10_000.0) * torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    out = torch.zeros(n_ctx, d_model, dtype=torch.float64)
    out[:, 0::2] = torch.sin(pos * freq)
    out[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return out.float()
