# stub-sha256: 53b4180ea3d94b47bd12c90a9075ed7345c81c8bc24cff80116e64982ff982b1
# Generated from solutions/residual_stream.py by `course exercises build`. Replace each
# `raise NotImplementedError` with your answer, then run `course check`.
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
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.attention_pattern: not attempted yet. See the docs: The residual stream and independent heads, residual-stream/#attention_pattern')


@exercise(difficulty=1, importance=5, minutes=10)
def head_results(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
) -> Float[Tensor, "batch pos head d_model"]:
    """What each head writes into the residual stream: r^h W_O^h for every head h.

    r^h = z[:, :, h] is head h's weighted sum of values. Heads do not interact
    here: head h's result depends on its own r^h and W_O^h only.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.head_results: not attempted yet. See the docs: The residual stream and independent heads, residual-stream/#head_results')


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
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.attention_output: not attempted yet. See the docs: The residual stream and independent heads, residual-stream/#attention_output')
