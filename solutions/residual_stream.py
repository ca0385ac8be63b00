"""Chapter "The residual stream and independent heads".

Every component reads the residual stream and adds its output back,
x_{i+1} = x_i + layer_i(x_i), and an attention layer's output is a sum of
independent per-head terms. Shapes follow TransformerLens: W_Q [head, d_model,
d_head], W_O [head, d_head, d_model], activations [batch, pos, ...].
"""

import math

import einops
import torch
from jaxtyping import Float
from torch import Tensor

from course.exercise import exercise


@exercise(difficulty=2, importance=5, minutes=15)
def attention_pattern(
    x: Float[Tensor, "batch pos d_model"],
    W_Q: Float[Tensor, "head d_model d_head"],
    b_Q: Float[Tensor, "head d_head"],
    W_K: Float[Tensor, "head d_model d_head"],
    b_K: Float[Tensor, "head d_head"],
) -> Float[Tensor, "batch head query key"]:
    """The causal attention pattern A^h of every head, read from the residual stream.

    q_i = x_i W_Q^h + b_Q^h,  k_j = x_j W_K^h + b_K^h,
    A^h_{ij} = softmax_j( q_i · k_j / sqrt(d_head) ), with A^h_{ij} = 0 for j > i:
    a token attends only to itself and to earlier tokens. Each row sums to 1.
    (b_K adds q_i · b_K to every score in row i alike, so it cannot change A^h.)
    """
    ### BEGIN SOLUTION
    q = einops.einsum(x, W_Q, "b p d, h d e -> b p h e") + b_Q
    k = einops.einsum(x, W_K, "b p d, h d e -> b p h e") + b_K
    scores = einops.einsum(q, k, "b q h e, b k h e -> b h q k") / math.sqrt(W_Q.shape[-1])
    n = x.shape[1]
    future = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    ### END SOLUTION


@exercise(difficulty=1, importance=5, minutes=10)
def head_results(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
) -> Float[Tensor, "batch pos head d_model"]:
    """What each head writes into the residual stream: r^h W_O^h for every head h.

    r^h = z[:, :, h] is head h's weighted sum of values. Heads do not interact
    here: head h's result depends on its own r^h and W_O^h only.
    """
    ### BEGIN SOLUTION
    return einops.einsum(z, W_O, "b p h e, h e d -> b p h d")
    ### END SOLUTION


@exercise(difficulty=2, importance=5, minutes=10)
def attention_output(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    b_O: Float[Tensor, "d_model"],
) -> Float[Tensor, "batch pos d_model"]:
    """The attention layer's output as a sum of independent heads:

    W_O^H [r^{h_1}; r^{h_2}; …] + b_O = Σ_h r^h W_O^h + b_O.

    Concatenating the heads and multiplying by the stacked W_O gives the same
    numbers; writing it as a sum shows that each head acts on its own.
    """
    ### BEGIN SOLUTION
    return einops.einsum(z, W_O, "b p h e, h e d -> b p d") + b_O
    ### END SOLUTION
