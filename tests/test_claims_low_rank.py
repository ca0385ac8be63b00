"""Chapter "Low-rank circuits": its claims, checked with the reference solutions on the zoo's
models, its FactoredMatrix against dense computation and against TransformerLens's (skipped
without TransformerLens), and the full circuits of attn-only-1l never built."""

import pytest
import torch

from autograder.checks.low_rank import MaterialisedError, bounded
from course import scores, zoo
from solutions import low_rank as lr
from solutions.low_rank import FactoredMatrix


def circuits(name: str) -> tuple[FactoredMatrix, FactoredMatrix]:
    m = zoo.load(name, dtype=torch.float64)
    qk, ov = lr.head_circuit_factors(m.W_Q, m.W_K, m.W_V, m.W_O)
    return FactoredMatrix(*qk), FactoredMatrix(*ov)


@pytest.mark.parametrize("name", ["attn-only-1l", "attn-only-2l"])
def test_every_head_has_rank_d_head_though_d_model_is_larger(name):
    cfg = zoo.load(name).cfg
    assert cfg.d_head < cfg.d_model
    for M in circuits(name):
        assert M.shape[-2:] == (cfg.d_model, cfg.d_model) and M.mdim == cfg.d_head
        dense = M.AB  # d_model × d_model: small
        assert (lr.numerical_rank(dense) == cfg.d_head).all()
        assert (torch.linalg.matrix_rank(dense, rtol=1e-8) == cfg.d_head).all()
        S = torch.linalg.svdvals(dense)
        ratios = S / S[..., :1]
        assert (ratios[..., cfg.d_head - 1] > 1e-3).all()  # every kept direction is used
        assert (ratios[..., cfg.d_head] < 1e-12).all()  # the cliff: the rest is rounding


def test_the_head_circuits_drive_attention_and_what_it_moves():
    """x W_QK xᵀ is q kᵀ, and x W_OV is v W_O, on the 2l model's own activations."""
    m = zoo.load("attn-only-2l", dtype=torch.float64)
    tokens = torch.randint(0, m.cfg.d_vocab, (1, 12), generator=torch.Generator().manual_seed(0))
    _, cache = m.run_with_cache(tokens)
    QK, OV = circuits("attn-only-2l")
    x = cache["resid_pre", 0]
    x_qk = x + m.W_pos[: tokens.shape[1]]  # shortformer: positions enter queries and keys only
    scores_ = torch.einsum("qd,hde,ke->hqk", x_qk[0], QK[0].AB, x_qk[0])
    q, k = cache["q", 0][0], cache["k", 0][0]  # [pos, head, d_head]; the zoo's b_Q, b_K are zero
    torch.testing.assert_close(scores_, torch.einsum("qhe,khe->hqk", q - m.b_Q[0], k - m.b_K[0]))
    moved = torch.einsum("pd,hde->hpe", x[0], OV[0].AB)
    v = cache["v", 0][0] - m.b_V[0]
    torch.testing.assert_close(moved, torch.einsum("phe,hed->hpd", v, m.W_O[0]))


def small(seed: int, l: int = 40, m: int = 5, r: int = 30, lead=(2, 3)) -> FactoredMatrix:
    g = torch.Generator().manual_seed(seed)
    return FactoredMatrix(
        torch.randn(*lead, l, m, generator=g, dtype=torch.float64),
        torch.randn(lead[-1], m, r, generator=g, dtype=torch.float64),  # broadcasts over the first
    )


def test_factored_results_agree_with_dense_computation():
    M, square = small(0), small(1, r=40)
    dense = M.AB
    U, S, V = M.svd()
    torch.testing.assert_close(S, torch.linalg.svdvals(dense)[..., : M.mdim])
    torch.testing.assert_close((U * S[..., None, :]) @ V.mT, dense)
    torch.testing.assert_close(M.norm(), torch.linalg.matrix_norm(dense))
    torch.testing.assert_close(M.T.AB, dense.mT)
    # the non-zero eigenvalues of the big matrix, the m largest in modulus, are those of B A
    big = torch.linalg.eigvals(square.AB)
    big = big.gather(-1, big.abs().argsort(-1, descending=True)[..., : square.mdim])
    ours = square.eigenvalues
    for e in (big, ours):
        e.copy_(e.gather(-1, e.real.argsort(-1)))
    torch.testing.assert_close(ours.real, big.real)
    torch.testing.assert_close(ours.imag.abs(), big.imag.abs())
    X, v = torch.randn(30, 7, dtype=torch.float64), torch.randn(30, dtype=torch.float64)
    torch.testing.assert_close((M @ X).AB, dense @ X)
    torch.testing.assert_close(M @ v, dense @ v)
    Y = torch.randn(4, 40, dtype=torch.float64)
    torch.testing.assert_close((Y @ M).AB, Y @ dense)
    w = torch.randn(40, dtype=torch.float64)
    torch.testing.assert_close(w @ M, w @ dense)
    values, rows, cols = lr.top_k_entries(M[1, 2], k=10, chunk_size=7)
    top = dense[1, 2].flatten().topk(10)
    torch.testing.assert_close(values, top.values)
    assert torch.equal(rows * 30 + cols, top.indices)


def test_factored_matrix_matches_transformer_lens():
    tl = pytest.importorskip("transformer_lens", reason="the tl extra is not installed")
    for ours in (small(2), small(3, m=50, r=45), circuits("attn-only-2l")[0]):
        theirs = tl.FactoredMatrix(ours.A, ours.B)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.mdim == theirs.mdim
        torch.testing.assert_close(ours.AB, theirs.AB)
        torch.testing.assert_close(ours.T.AB, theirs.T.AB)
        torch.testing.assert_close(ours.norm(), theirs.norm())
        torch.testing.assert_close(ours.get_corner(2), theirs.get_corner(2))
        (U, S, V), (Ut, St, Vt) = ours.svd(), theirs.svd()
        assert U.shape == Ut.shape and V.shape == Vt.shape  # V, not Vᵀ, in both
        torch.testing.assert_close(S, St)
        torch.testing.assert_close((U * S[..., None, :]) @ V.mT, (Ut * St[..., None, :]) @ Vt.mT)
        X = torch.randn(ours.rdim, 3, dtype=torch.float64)
        Y = torch.randn(3, ours.ldim, dtype=torch.float64)
        N = FactoredMatrix(
            torch.randn(ours.rdim, 2, dtype=torch.float64), torch.randn(2, 6, dtype=torch.float64)
        )
        for a, b in ((ours @ X, theirs @ X), (Y @ ours, Y @ theirs),
                     (ours @ N, theirs @ tl.FactoredMatrix(N.A, N.B))):  # fmt: skip
            assert a.mdim == b.mdim
            torch.testing.assert_close(a.AB, b.AB)
        torch.testing.assert_close(ours @ X[:, 0], theirs @ X[:, 0])
        torch.testing.assert_close(Y[0] @ ours, Y[0] @ theirs)
        if ours.ldim == ours.rdim:
            torch.testing.assert_close(ours.BA, theirs.BA)
            e, et = ours.eigenvalues, theirs.eigenvalues
            torch.testing.assert_close(e.real.sort(-1).values, et.real.sort(-1).values)
            torch.testing.assert_close(e.imag.sort(-1).values, et.imag.sort(-1).values)

    m = zoo.load("attn-only-1l", dtype=torch.float64)
    full = lr.full_ov_circuit(m.W_E, m.W_V, m.W_O, m.W_U)  # 2,048 × 2,048 per head
    theirs = m.W_E @ tl.FactoredMatrix(m.W_V, m.W_O) @ m.W_U
    assert theirs.mdim == full.mdim
    torch.testing.assert_close(full.svd()[1], theirs.svd()[1])
    torch.testing.assert_close(full.norm(), theirs.norm())
    e, et = full.eigenvalues, theirs.eigenvalues
    torch.testing.assert_close(e.real.sort(-1).values, et.real.sort(-1).values)


def test_the_full_ov_circuit_of_the_1l_model_is_never_built():
    """Every operation runs on factors that refuse to make any tensor of more than a quarter
    of one head's d_vocab × d_vocab circuit; the results agree with dense computation."""
    m = zoo.load("attn-only-1l", dtype=torch.float64)
    V = m.cfg.d_vocab
    limit = V * V // 4
    W_E, W_V, W_O, W_U = bounded((m.W_E, m.W_V, m.W_O, m.W_U), limit, "the circuit must stay factored")
    full = lr.full_ov_circuit(W_E, W_V, W_O, W_U)
    assert full.shape == (1, m.cfg.n_heads, V, V) and full.mdim == m.cfg.d_head
    with pytest.raises(MaterialisedError):
        _ = full.AB  # the bound is real
    U, S, V_ = full.svd()
    assert S.shape[-1] == m.cfg.d_head  # rank ≤ d_head, though d_vocab × d_vocab
    ev = full.eigenvalues
    norm = full.norm()
    values, rows, cols = lr.top_k_entries(full[0, 1], k=8, chunk_size=256)

    # Dense, for one head and a slice, built here by the test only.
    head = (m.W_E @ m.W_V[0, 1]) @ (m.W_O[0, 1] @ m.W_U)
    top = head.flatten().topk(8)
    torch.testing.assert_close(values.as_subclass(torch.Tensor), top.values)
    assert torch.equal((rows * V + cols).as_subclass(torch.Tensor), top.indices)
    torch.testing.assert_close(norm[0, 1].as_subclass(torch.Tensor), torch.linalg.matrix_norm(head))
    torch.testing.assert_close(S[0, 1].square().sum().as_subclass(torch.Tensor), head.square().sum())
    # A dense SVD of the whole head takes LAPACK tens of seconds here; 300 rows of it do not.
    rows_S = FactoredMatrix(m.W_E[:300] @ m.W_V[0, 1], m.W_O[0, 1] @ m.W_U).svd()[1]
    torch.testing.assert_close(rows_S, torch.linalg.svdvals(head[:300])[: m.cfg.d_head])

    # The copying scores, from the eigenvalues of d_head × d_head matrices: every head copies.
    ev = ev.as_subclass(torch.Tensor)
    copying = ev.real.sum(-1) / ev.abs().sum(-1)
    torch.testing.assert_close(copying, scores.copying_scores(m))
    assert (copying > 0.8).all()


def test_the_strongest_entries_of_the_1l_full_ov_circuits_are_off_the_diagonal():
    """The page's table: copying shows in the eigenvalues, not in the single largest entries."""
    m = zoo.load("attn-only-1l", dtype=torch.float64)
    full = lr.full_ov_circuit(m.W_E, m.W_V, m.W_O, m.W_U)
    for h in range(m.cfg.n_heads):
        _, rows, cols = lr.top_k_entries(full[0, h], k=5, chunk_size=512)
        assert not (rows == cols).any()


def test_scaling_collapsing_and_even_factors_on_the_zoo():
    """W_QK · 1/√d_head, kept thin, gives the scores' query-key part; the collapsed W_OV of every
    head spreads its norm over several directions; and make_even balances factors that training
    left close to, but not at, balance, without changing the matrix."""
    m = zoo.load("attn-only-2l", dtype=torch.float64).requires_grad_(False)
    tokens = torch.randint(0, m.cfg.d_vocab, (1, 16), generator=torch.Generator().manual_seed(0))
    _, cache = m.run_with_cache(tokens)
    QK, OV = circuits("attn-only-2l")
    x = cache["resid_pre", 0][0] + m.W_pos[:16]
    scaled = x @ (QK[0] * m.cfg.d_head**-0.5) @ x.T
    assert isinstance(scaled, FactoredMatrix) and scaled.mdim == m.cfg.d_head
    q, k = cache["q", 0][0] - m.b_Q[0], cache["k", 0][0] - m.b_K[0]
    torch.testing.assert_close(scaled.AB, torch.einsum("qhe,khe->hqk", q, k) / m.cfg.d_head**0.5)
    torch.testing.assert_close((m.cfg.d_head**-0.5 * QK).AB, (QK * m.cfg.d_head**-0.5).AB)

    written, read = OV.collapse_l(), OV.collapse_r()
    torch.testing.assert_close(written.norm(dim=-1), OV.S)
    torch.testing.assert_close(read.norm(dim=-2), OV.S)
    torch.testing.assert_close(written.mT @ written, OV.AB.mT @ OV.AB)
    share = written.norm(dim=-1)[..., 0] ** 2 / OV.norm() ** 2
    assert (share < 0.6).all() and (share > 0.05).all()  # several directions, none dominant

    for M in (QK, OV):
        ratio = M.A.norm(dim=(-2, -1)) / M.B.norm(dim=(-2, -1))
        assert ((ratio - 1).abs() > 0.1).any() and (ratio > 0.5).all() and (ratio < 2).all()
        even = M.make_even()
        torch.testing.assert_close(even.AB, M.AB)
        torch.testing.assert_close(even.A.norm(dim=(-2, -1)), even.B.norm(dim=(-2, -1)))
        torch.testing.assert_close(even.A.mT @ even.A, torch.diag_embed(M.S))


def test_the_rest_of_the_interface_matches_transformer_lens():
    """Scalars on either side, ndim, has_leading_dims, pair, unsqueeze, U/S/V/Vh, collapse_l/r,
    make_even, indexing beyond the leading dimensions, 16-bit eigenvalues and the errors of bad
    shapes: the same values, shapes and exception types as TransformerLens's FactoredMatrix."""
    tl = pytest.importorskip("transformer_lens", reason="the tl extra is not installed")
    for ours in (
        small(4),
        small(5, l=6, m=9, r=7),
        small(6, lead=(1,)),
        FactoredMatrix(*small(7).pair)[0, 1],
    ):
        theirs = tl.FactoredMatrix(ours.A, ours.B)
        assert (ours.ndim, ours.has_leading_dims) == (theirs.ndim, theirs.has_leading_dims)
        assert all(torch.equal(a, b) for a, b in zip(ours.pair, theirs.pair))
        for c in (2.5, -3, torch.tensor(0.5, dtype=torch.float64), torch.tensor([2.0], dtype=torch.float64)):
            for a, b in ((ours * c, theirs * c), (c * ours, c * theirs)):
                assert isinstance(a, FactoredMatrix) and a.mdim == b.mdim and a.shape == b.shape
                torch.testing.assert_close(a.AB, b.AB)
        for k in range(ours.ndim - 1):
            assert ours.unsqueeze(k).shape == theirs.unsqueeze(k).shape
        torch.testing.assert_close(ours.S, theirs.S)
        assert ours.U.shape == theirs.U.shape and ours.V.shape == theirs.V.shape
        with pytest.warns(DeprecationWarning):
            assert ours.Vh is ours.V
        # Singular vectors differ in sign between the two SVDs: compare what signs do not change.
        for a, b in (
            (ours.collapse_l(), theirs.collapse_l()),
            (ours.collapse_r().mT, theirs.collapse_r().mT),
        ):
            assert a.shape == b.shape
            torch.testing.assert_close(a.mT @ a, b.mT @ b)
            torch.testing.assert_close(a.norm(dim=-1), b.norm(dim=-1))
        even, their_even = ours.make_even(), theirs.make_even()
        assert even.mdim == their_even.mdim
        torch.testing.assert_close(even.AB, their_even.AB)
        torch.testing.assert_close(even.A.mT @ even.A, their_even.A.mT @ their_even.A)
        torch.testing.assert_close(even.B @ even.B.mT, their_even.B @ their_even.B.mT)
        lead = (0,) * (ours.ndim - 2)
        for index in (lead, lead + (1,), lead + (slice(1, 4),), lead + (2, 3), lead + (-1, -1),
                      lead + (slice(0, 3), 1)):  # fmt: skip
            a, b = ours[index], theirs[index]
            assert a.shape == b.shape, index
            torch.testing.assert_close(a.AB, b.AB)
        with pytest.raises(ValueError):
            theirs[lead + (0, 0, 0)]
        with pytest.raises(ValueError):
            ours[lead + (0, 0, 0)]

    square = small(8, l=12, m=4, r=12)
    for dtype in (torch.float16, torch.bfloat16):
        A, B = square.A.to(dtype), square.B.to(dtype)
        e, et = FactoredMatrix(A, B).eigenvalues, tl.FactoredMatrix(A, B).eigenvalues
        assert e.dtype == et.dtype == torch.complex64
        torch.testing.assert_close(e.real.sort(-1).values, et.real.sort(-1).values)

    A, B, X = torch.randn(3, 5, 4), torch.randn(3, 4, 6), torch.randn(7, 2)
    bad = {
        "inner dimensions": lambda F: F(A, B.mT),
        "leading dimensions": lambda F: F(A, torch.randn(2, 4, 6)),
        "B A of a non-square matrix": lambda F: F(A, B).BA,
        "a product with a matrix": lambda F: F(A, B) @ X,
        "a product on the left": lambda F: X @ F(A, B),
        "a product with a FactoredMatrix": lambda F: F(A, B) @ F(X, X.mT),
        "a tensor that is not a scalar": lambda F: F(A, B) * torch.ones(2),
    }
    for what, make in bad.items():
        with pytest.raises(Exception) as theirs:
            make(tl.FactoredMatrix)
        with pytest.raises(Exception) as ours:
            make(FactoredMatrix)
        assert ours.type is theirs.type, (what, ours.type, theirs.type)
