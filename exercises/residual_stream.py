# stub-sha256: 525b38b3163545029086a14b0efd96f86dc257df043b63a132b9c4b9ea65ed4e
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
from jaxtyping import Float, Int
from torch import Tensor

from course.exercise import exercise


@exercise(
    difficulty=1,
    importance=4,
    minutes=5,
    hints=(
        "`W_E[tokens]` looks up rows for the whole batch at once: [batch, pos, d_model].",
        "Slice W_pos to the sequence's length, `W_pos[:pos]`, and let it broadcast over the batch.",
    ),
)
def embed(
    tokens: Int[Tensor, "batch pos"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
) -> Float[Tensor, "batch pos d_model"]:
    """The residual stream before the first layer, with standard positions:

    x_0 = W_E[t_i] + W_pos[i] at position i holding token t_i.

    Token i's row of W_E is its embedding; W_pos has a row per position up to
    n_ctx, of which a sequence uses the first pos.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.embed: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#embed')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        '`einops.einsum(x, W_Q, "b p d, h d e -> b p h e")` gives every head\'s queries; keys alike. Then contract d_head between them.',
        "Fill the future (`torch.ones(n, n).triu(diagonal=1)`) with `-inf` before the softmax, and take the softmax over keys, the last axis.",
    ),
)
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
    raise NotImplementedError('residual_stream.attention_pattern: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#attention_pattern')


@exercise(
    difficulty=1,
    importance=5,
    minutes=10,
    hints=('One einsum that contracts d_head and keeps the head axis: `"b p h e, h e d -> b p h d"`.',),
)
def head_results(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
) -> Float[Tensor, "batch pos head d_model"]:
    """What each head writes into the residual stream: r^h W_O^h for every head h.

    r^h = z[:, :, h] is head h's weighted sum of values. Heads do not interact
    here: head h's result depends on its own r^h and W_O^h only.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.head_results: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#head_results')


@exercise(
    difficulty=2,
    importance=5,
    minutes=10,
    hints=(
        "Sum over heads inside the einsum by leaving `h` out of its output, and add b_O once, not once per head.",
    ),
)
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
    raise NotImplementedError('residual_stream.attention_output: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#attention_output')


@exercise(
    difficulty=2,
    importance=4,
    minutes=10,
    hints=(
        '`einops.rearrange(z, "b p h e -> b p (h e)")` concatenates the heads; stack W_O the same way, `"h e d -> (h e) d"`, so that the orders match.',
    ),
)
def attention_output_concat(
    z: Float[Tensor, "batch pos head d_head"],
    W_O: Float[Tensor, "head d_head d_model"],
    b_O: Float[Tensor, "d_model"],
) -> Float[Tensor, "batch pos d_model"]:
    """The same output as ``attention_output``, computed the way it is usually written:
    concatenate the heads' r^h into one vector of length head·d_head and multiply it
    by W_O stacked into a (head·d_head) × d_model matrix,

    W_O^H [r^{h_1}; r^{h_2}; …] + b_O.

    That the two agree is the paper's first observation: the concatenation hides
    heads that act independently and add their results.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.attention_output_concat: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#attention_output_concat')


@exercise(
    difficulty=3,
    importance=5,
    minutes=25,
    hints=(
        'Reuse `attention_pattern` and `attention_output`. The values are `x W_V + b_V` per head, mixed by the pattern: `"b h q k, b k h e -> b q h e"`.',
        "With shortformer positions, add `W_pos[:pos]` to the input of the pattern only; the values and the residual stream never see it.",
    ),
)
def attn_only_forward(
    tokens: Int[Tensor, "batch pos"],
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_Q: Float[Tensor, "layer head d_model d_head"],
    b_Q: Float[Tensor, "layer head d_head"],
    W_K: Float[Tensor, "layer head d_model d_head"],
    b_K: Float[Tensor, "layer head d_head"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    b_V: Float[Tensor, "layer head d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    b_O: Float[Tensor, "layer d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    b_U: Float[Tensor, "d_vocab"],
    shortformer: bool,
) -> Float[Tensor, "batch pos d_vocab"]:
    """The whole attention-only transformer, built from your parts above:

    x_0 = W_E[t] (+ W_pos with standard positions),
    x_{l+1} = x_l + Σ_h A^{l,h} (x_l W_V^{l,h} + b_V^{l,h}) W_O^{l,h} + b_O^l,
    logits = x_L W_U + b_U.

    With ``shortformer`` positions, W_pos is not added to the residual stream but
    to the input of queries and keys in every layer (values never see it), which
    is how the zoo's models are built. The weights are stacked over layers, as
    TransformerLens exposes them (``model.W_Q`` is [layer, head, d_model, d_head]).
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.attn_only_forward: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#attn_only_forward')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        'Put the heads of all layers on one axis: `einops.rearrange(results, "l b p h d -> (l h) b p d")`, layer 0 first.',
        "The bias component is Σ_l b_O^l broadcast to [1, batch, pos, d_model]; concatenate everything along the first axis.",
    ),
)
def residual_components(
    embed: Float[Tensor, "batch pos d_model"],
    pos_embed: Float[Tensor, "batch pos d_model"],
    results: Float[Tensor, "layer batch pos head d_model"],
    b_O: Float[Tensor, "layer d_model"],
) -> Float[Tensor, "component batch pos d_model"]:
    """The final residual stream split into what each component wrote:

    x_final = embed + pos_embed + Σ_layers Σ_heads r^{l,h} W_O^{l,h} + Σ_layers b_O^l.

    Return the components in this order: the token embedding, the positional
    embedding, every head's result (layer 0's heads first), and one last component
    holding the sum of the layers' biases b_O. They sum to the residual stream.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.residual_components: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#residual_components')


@exercise(
    difficulty=2,
    importance=5,
    minutes=15,
    hints=(
        "`W_U[:, tokens[:, 1:]]` gathers the correct next token's unembedding column at every position: [d_model, batch, pos − 1].",
        "Drop the last position of the components (it has no next token), then contract d_model.",
    ),
)
def logit_attribution(
    components: Float[Tensor, "component batch pos d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    tokens: Int[Tensor, "batch pos"],
) -> Float[Tensor, "component batch pos_minus_1"]:
    """Direct logit attribution: how much each component adds to the logit of the
    correct next token. At position i the correct token is t_{i+1}, so

    DLA[c, b, i] = components[c, b, i] · W_U[:, t_{b, i+1}]   for i < pos − 1.

    The unembedding is linear, so the attributions sum over components to the
    logit of the correct token, minus b_U.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.logit_attribution: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#logit_attribution')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "y_i = Σ_j A[i, j] (x_j W): a matrix product over positions and one over features; they "
        "commute, so pick the cheaper order.",
        "x @ W first shrinks the features to d_out before A mixes positions: pos · d_in · d_out + "
        "pos² · d_out multiplications, against pos² · d_in + pos · d_in · d_out the other way.",
    ),
)
def tensor_product_apply(
    A: Float[Tensor, "pos pos"], W: Float[Tensor, "d_in d_out"], x: Float[Tensor, "... pos d_in"]
) -> Float[Tensor, "... pos d_out"]:
    """(A ⊗ W) applied to activations x, in the course's row form: A mixes positions and W
    maps features, independently,

    y_i = Σ_j A[i, j] x_j W,   i.e. y = A x W   for each leading index of x.

    The paper writes a head as (A^h ⊗ W_OV^h) x: the attention pattern acts on the position
    axis, W_OV on the d_model axis. As a matrix on flattened activations, A ⊗ W is
    (pos · d_in) × (pos · d_out): never build it; the grader has 1,500 positions and 1,000
    features, where it would take 36 GB.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.tensor_product_apply: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#tensor_product_apply')


@exercise(
    difficulty=3,
    importance=3,
    minutes=15,
    hints=(
        "Flattened row-major, x.flatten()[j · d_in + k] = x[j, k], and y[i, l] = Σ_{j,k} x[j, k] A[i, j] W[k, l]: "
        "the matrix entry at row (j, k), column (i, l) is A[i, j] W[k, l].",
        "einops.einsum(A, W, 'i j, k l -> j k i l') puts A[i, j] W[k, l] at [j, k, i, l]; merge (j k) and "
        "(i l) with einops.rearrange. (It is also torch.kron(A.T, W).)",
    ),
)
def tensor_product_matrix(
    A: Float[Tensor, "pos pos"], W: Float[Tensor, "d_in d_out"]
) -> Float[Tensor, "pos_d_in pos_d_out"]:
    """The explicit matrix of A ⊗ W on flattened activations, for small sizes: M
    [pos · d_in, pos · d_out] such that, for any x [pos, d_in],

    x.flatten() @ M == tensor_product_apply(A, W, x).flatten(),

    with PyTorch's row-major flattening (index j · d_in + k holds x[j, k]). In the row-vector
    convention the position part appears transposed: the paper's column-vector A ⊗ W is this
    M transposed. It shows what the notation means, a block matrix with block (j, i) equal to
    A[i, j] W; the computation itself should stay factored.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.tensor_product_matrix: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#tensor_product_matrix')


@exercise(
    difficulty=2,
    importance=4,
    minutes=15,
    hints=(
        "Writers put a vector into the stream: multiply their output side by R (W_E R, W_O R, b_O R). "
        "Readers take one out: put Rᵀ on their input side (Rᵀ W_Q), so that (x R) Rᵀ W_Q = x W_Q.",
        "R is orthogonal, R Rᵀ = Id. Stacked weights [layer, head, d_model, d_head] multiply from the left "
        "with R.T @ W_Q, broadcasting over layers and heads.",
    ),
)
def rotate_residual_stream(
    W_E: Float[Tensor, "d_vocab d_model"],
    W_pos: Float[Tensor, "n_ctx d_model"],
    W_Q: Float[Tensor, "layer head d_model d_head"],
    W_K: Float[Tensor, "layer head d_model d_head"],
    W_V: Float[Tensor, "layer head d_model d_head"],
    W_O: Float[Tensor, "layer head d_head d_model"],
    b_O: Float[Tensor, "layer d_model"],
    W_U: Float[Tensor, "d_model d_vocab"],
    R: Float[Tensor, "d_model d_model"],
) -> tuple[
    Float[Tensor, "d_vocab d_model"],
    Float[Tensor, "n_ctx d_model"],
    Float[Tensor, "layer head d_model d_head"],
    Float[Tensor, "layer head d_model d_head"],
    Float[Tensor, "layer head d_model d_head"],
    Float[Tensor, "layer head d_head d_model"],
    Float[Tensor, "layer d_model"],
    Float[Tensor, "d_model d_vocab"],
]:
    """The same attention-only model in a rotated basis of its residual stream: for an
    orthogonal R, every residual vector x becomes x R. Fold R into every weight that writes to
    the stream (W_E, W_pos, W_O, b_O) and Rᵀ into every weight that reads from it (W_Q, W_K,
    W_V, W_U). Nothing in an attention-only model acts on single coordinates of the stream (no
    activation function, no LayerNorm), so the logits do not change: its basis is not
    privileged. Return the eight rotated weights in the order of the arguments; the biases of
    queries, keys, values and logits do not touch the stream and stay as they are.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.rotate_residual_stream: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#rotate_residual_stream')


@exercise(
    difficulty=1,
    importance=3,
    minutes=10,
    hints=(
        "Flatten every leading dimension into samples: x.flatten(0, -2) is [samples, d_model]. Centre each "
        "coordinate on its mean.",
        "kurtosis = mean(z⁴) / mean(z²)² − 3, per coordinate, with the same (population) means in both.",
    ),
)
def coordinate_kurtosis(x: Float[Tensor, "... d_model"]) -> Float[Tensor, "d_model"]:
    """The excess kurtosis of every coordinate of the residual stream, over all the samples in
    the leading dimensions (batch, positions):

    kurtosis_k = mean(z_k⁴) / mean(z_k²)² − 3,   z_k = x_k − mean(x_k),

    zero for a Gaussian, large for a heavy-tailed coordinate that is usually small and
    sometimes huge. A basis is privileged when such statistics single out some coordinates;
    in a rotated basis, every coordinate is a mixture of the old ones, and the tails blur.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.coordinate_kurtosis: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#coordinate_kurtosis')


@exercise(
    difficulty=2,
    importance=3,
    minutes=15,
    hints=(
        "Put each head's outputs in the rows of a matrix [samples, d_model], centred; the eigenvalues of "
        "its covariance are its squared singular values (torch.linalg.svdvals).",
        "PR = (Σ λ)² / Σ λ²: with s = svdvals, (s²).sum()² / (s⁴).sum(). Move the head axis to the front "
        "so svdvals batches over heads.",
    ),
)
def participation_ratio(result: Float[Tensor, "batch pos head d_model"]) -> Float[Tensor, "head"]:
    """How many directions each head writes in: the participation ratio of the covariance of
    its outputs over every (batch, position) sample,

    PR = (Σ_i λ_i)² / Σ_i λ_i²,   λ the covariance's eigenvalues,

    an effective rank between 1 (one direction) and the number of directions used, equally.
    A head writes through W_O, so its PR is at most d_head, whatever d_model. Centre each
    head's outputs on their mean first: a constant offset is not a direction it varies in.
    """
    # YOUR CODE HERE
    raise NotImplementedError('residual_stream.participation_ratio: not attempted yet. See the docs: The residual stream and independent heads, https://course-circuits.github.io/course-circuits/residual-stream/#participation_ratio')
