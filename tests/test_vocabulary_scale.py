"""The reference FactoredMatrix at GPT-2's vocabulary, 50,257 tokens and d_head 64,
under a memory cap: its dense product would take 10 GB, and the cap allows 200 MB
beyond what the factors themselves hold. An operation that builds anything n × n, or
even a few n × n/100 blocks at once, is stopped by the cap."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import resource
    import torch
    from solutions.low_rank import FactoredMatrix, top_k_entries

    torch.set_num_threads(2)
    n, m = 50257, 64
    g = torch.Generator().manual_seed(0)
    A, B = torch.randn(n, m, generator=g), torch.randn(m, n, generator=g)
    M = FactoredMatrix(A, B)
    M.eigenvalues, M.svd(), M.norm()  # warm up: lazy initialisation is not the operation's memory

    def data_bytes():
        for line in open("/proc/self/status"):
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024

    cap = data_bytes() + (200 << 20)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    eig = M.eigenvalues
    U, S, V = M.svd()
    norm = M.norm()
    assert eig.shape == (m,) and U.shape == (n, m) and S.shape == (m,) and V.shape == (n, m)
    assert torch.allclose(norm, S.norm(), rtol=1e-4)
    # A product that keeps the inner dimension: (n × 64) stays thin.
    chain = torch.randn(100, n, generator=g) @ M
    assert chain.mdim == m
    values, rows, cols = top_k_entries(FactoredMatrix(A[:4000], B[:, :4000]), 5, chunk_size=256)
    assert torch.allclose(values, (A[rows] * B[:, cols].T).sum(-1), rtol=1e-4)
    try:
        M.AB
    except (MemoryError, RuntimeError):  # torch reports a refused allocation as RuntimeError
        print("dense refused")
    """
)


def test_factored_operations_fit_in_200_mb_at_vocabulary_scale():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "dense refused" in out.stdout  # the cap is real: the dense product does not fit
