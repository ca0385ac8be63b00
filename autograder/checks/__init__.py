"""One module per chapter, each with ``CHECKS``: one ``Check`` per exercise."""

import os

# A never-build case lets the worker allocate only 32 MB more than it holds (RLIMIT_DATA),
# and a chunked answer allocates and frees a block per chunk. With glibc's dynamic mmap
# threshold, once the worker has freed one large block, blocks of up to 32 MB come from
# the heap, where torch's 64-byte-aligned requests do not fit the holes their predecessors
# left: the heap grows by about a block per chunk, and a correct answer runs out of memory.
# A fixed threshold maps every block of 128 kB or more on its own and unmaps it when it is
# freed. The grader imports this package before it starts a worker, which inherits it.
# (A stop-gap: the worker could set it itself, with mallopt, before its first case.)
os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(128 << 10))


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
