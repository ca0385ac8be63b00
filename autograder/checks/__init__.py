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
