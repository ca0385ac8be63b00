"""One module per chapter, each with ``CHECKS``: one ``Check`` per exercise."""


def factored_product(factors, probes: int = 16, largest: int = 1 << 20):
    """What an answer given as factors (left, right) determines: their product, the
    canonical form where only the product is graded. Where the product has more than
    ``largest`` entries (a case too large to build it, whose docstring says never to),
    its product with ``probes`` fixed random vectors instead, computed as left (right P):
    two different products of low rank differ on random vectors, and the grader then
    holds a few columns rather than the whole matrix (an index in a message counts
    probes, not columns; a wrong answer fails on the small cases first anyway)."""
    import torch

    left, right = (t.double() for t in factors)
    if left.shape[-2] * right.shape[-1] <= largest:
        return left @ right
    g = torch.Generator().manual_seed(0)
    return left @ (right @ torch.randn(right.shape[-1], probes, generator=g, dtype=torch.float64))
