"""Planted wrong implementations of chapter "Low-rank circuits: W_QK and W_OV": each is a
textual edit of the reference, and the message its failure must contain.
`tests/test_autograder.py` runs them."""

_QK = "return (W_Q, W_K.transpose(-1, -2)), (W_V, W_O)"
_MATMUL_VECTOR = "return (self.A @ (self.B @ other.unsqueeze(-1))).squeeze(-1)"
_RMATMUL_VECTOR = "return ((other.unsqueeze(-2) @ self.A) @ self.B).squeeze(-2)"
_SVD_RETURN = "return Q_a @ U_c, S, Q_b @ Vh_c.transpose(-1, -2)"
_NORM = "return (gram_A * gram_B).sum((-2, -1)).clamp(min=0).sqrt()"
_FULL_QK = "return W_E @ FactoredMatrix(W_Q, W_K.transpose(-1, -2)) @ W_E.T"
_FULL_OV = "return W_E @ FactoredMatrix(W_V, W_O) @ W_U"
_BLOCK = "block = M.A[start : start + chunk_size] @ M.B"

MUTATIONS = {
    "head_circuit_factors": [
        ("W_K not transposed", (_QK, "return (W_Q, W_K), (W_V, W_O)"), "expected shape"),
        ("keys on the left", (_QK, "return (W_K, W_Q.transpose(-1, -2)), (W_V, W_O)"), "values are off"),
        ("OV factors in the wrong order", (_QK, "return (W_Q, W_K.transpose(-1, -2)), (W_O, W_V)"),
         "expected shape"),
    ],
    "FactoredMatrix.AB": [
        ("transposed", ("return self.A @ self.B", "return (self.A @ self.B).transpose(-1, -2)"), "expected shape"),
        ("one inner dimension only",
         ("return self.A @ self.B", "return self.A[..., :, :1] @ self.B[..., :1, :]"), "values are off"),
    ],
    "FactoredMatrix.BA": [
        ("A B instead", ("return self.B @ self.A", "return self.A @ self.B"), "expected shape"),
        ("transposed", ("return self.B @ self.A", "return (self.B @ self.A).transpose(-1, -2)"), "values are off"),
    ],
    "FactoredMatrix.T": [
        ("factors not swapped",
         ("FactoredMatrix(self.B.transpose(-1, -2), self.A.transpose(-1, -2))",
          "FactoredMatrix(self.A.transpose(-1, -2), self.B.transpose(-1, -2))"), "inner dimension"),
        ("factors not transposed",
         ("FactoredMatrix(self.B.transpose(-1, -2), self.A.transpose(-1, -2))", "FactoredMatrix(self.B, self.A)"),
         "inner dimension"),
    ],
    "FactoredMatrix.__matmul__": [
        ("always multiplied out",
         ("return FactoredMatrix(self.A, self.B @ other)", "return FactoredMatrix(self.AB, other)"),
         "must stay factored"),
        ("a FactoredMatrix times a FactoredMatrix made dense",
         ("return (self @ other.A) @ other.B", "return self.AB @ other.AB"), "must return a FactoredMatrix"),
        ("a vector as a matrix", (_MATMUL_VECTOR, "return self.A @ (self.B @ other)"), "RuntimeError"),
        ("a vector times the dense A B", (_MATMUL_VECTOR, "return self.AB @ other"), "never build A B"),
    ],
    "FactoredMatrix.__rmatmul__": [
        ("always multiplied out",
         ("return FactoredMatrix(other @ self.A, self.B)", "return FactoredMatrix(other, self.AB)"),
         "must stay factored"),
        ("a vector as a matrix",
         (_RMATMUL_VECTOR, "return (other @ self.A) @ self.B"), "RuntimeError"),
    ],
    "FactoredMatrix.svd": [
        ("Vᵀ returned, not V",
         (_SVD_RETURN, "return Q_a @ U_c, S, (Q_b @ Vh_c.transpose(-1, -2)).transpose(-1, -2)"), "expected shape"),
        ("singular values ascending",
         (_SVD_RETURN, "return Q_a @ U_c.flip(-1), S.flip(-1), Q_b @ Vh_c.transpose(-1, -2).flip(-1)"),
         "descending order"),
        ("core not transposed",
         ("torch.linalg.svd(R_a @ R_b.transpose(-1, -2), full_matrices=False)",
          "torch.linalg.svd(R_a @ R_b, full_matrices=False)"), "differs from A B"),
        ("U diag(S) Vᵀ not A B",
         (_SVD_RETURN, "return Q_a @ U_c, S.sqrt(), Q_b @ Vh_c.transpose(-1, -2)"), "differs from A B"),
        ("dense SVD of A B",
         ("Q_a, R_a = torch.linalg.qr(self.A)  # A = Q_a R_a",
          "k = min(self.A.shape[-2], self.A.shape[-1], self.B.shape[-1])\n"
          "        U, S, Vh = torch.linalg.svd(self.A @ self.B, full_matrices=False)\n"
          "        return U[..., :k], S[..., :k], Vh[..., :k, :].transpose(-1, -2)\n"
          "        Q_a, R_a = torch.linalg.qr(self.A)"), "never build A B"),
    ],
    "FactoredMatrix.eigenvalues": [
        ("eigenvalues of the big A B",
         ("torch.linalg.eigvals(small)", "torch.linalg.eigvals(self.AB)"), "expected shape"),
        ("real parts only",
         ("torch.linalg.eigvals(small)", "torch.linalg.eigvals(small).real"),
         "expected dtype"),
        ("singular values instead",
         ("torch.linalg.eigvals(small)", "(torch.linalg.svdvals(small) + 0j)"), "trace"),
    ],
    "FactoredMatrix.norm": [
        ("no square root", (_NORM, "return (gram_A * gram_B).sum((-2, -1)).clamp(min=0)"), "values are off"),
        ("the factors' norms multiplied",
         (_NORM, "return torch.linalg.matrix_norm(self.A) * torch.linalg.matrix_norm(self.B)"), "values are off"),
        ("the norm of the dense A B", (_NORM, "return torch.linalg.matrix_norm(self.A @ self.B)"), "never build A B"),
    ],
    "full_qk_circuit": [
        ("keys on the left",
         (_FULL_QK, "return W_E @ FactoredMatrix(W_K, W_Q.transpose(-1, -2)) @ W_E.T"), "values are off"),
        ("W_E on the query side only",
         (_FULL_QK, "return W_E @ FactoredMatrix(W_Q, W_K.transpose(-1, -2))"), "expected shape"),
        ("folded through d_model",
         (_FULL_QK, "return FactoredMatrix(W_E @ W_Q @ W_K.transpose(-1, -2), W_E.T)"), "must stay factored"),
    ],
    "full_ov_circuit": [
        ("transposed", (_FULL_OV, "return W_U.T @ FactoredMatrix(W_V, W_O) @ W_E.T"), "values are off"),
        ("unembedding left out", (_FULL_OV, "return W_E @ FactoredMatrix(W_V, W_O)"), "expected shape"),
    ],
    "numerical_rank": [
        ("absolute tolerance", ("(S > rtol * S[..., :1])", "(S > rtol)"), "values are off"),
        ("one σ_max for all matrices", ("(S > rtol * S[..., :1])", "(S > rtol * S.max())"), "values are off"),
    ],
    "top_k_entries": [
        ("the whole matrix built",
         (_BLOCK, "block = (M.A @ M.B)[start : start + chunk_size]"), "was built"),
        ("the whole matrix built from plain tensors, past the size guard",
         ("    values = M.A.new_empty(0)\n",
          "    A, B = M.A.as_subclass(torch.Tensor), M.B.as_subclass(torch.Tensor)\n"
          "    top = (A @ B).flatten().topk(k)\n"
          "    return top.values, top.indices // M.rdim, top.indices % M.rdim\n"
          "    values = M.A.new_empty(0)\n"), "never build the whole of A B"),
        ("row offset forgotten", ("rows = start + top.indices", "rows = top.indices"), "values are off"),
        ("divided by the wrong width",
         ("return values, flat // M.rdim, flat % M.rdim", "return values, flat // M.ldim, flat % M.ldim"),
         "values are off"),
    ],
}  # fmt: skip

_MUL = "return FactoredMatrix(self.A * scalar, self.B)"
_EVEN = "return FactoredMatrix(self.U * root[..., None, :], root[..., :, None] * self.V.transpose(-1, -2))"
MUTATIONS |= {
    "FactoredMatrix.__mul__": [
        (
            "both factors scaled",
            (_MUL, "return FactoredMatrix(self.A * scalar, self.B * scalar)"),
            "values are off",
        ),
        ("the scalar added", (_MUL, "return FactoredMatrix(self.A + scalar, self.B)"), "values are off"),
        (
            "multiplied out",
            (_MUL, "return FactoredMatrix(self.AB * scalar, torch.eye(self.rdim, dtype=self.A.dtype))"),
            "must stay factored",
        ),
    ],
    "FactoredMatrix.collapse_l": [
        (
            "U diag(S), the other side",
            (
                "return self.S[..., :, None] * self.V.transpose(-1, -2)",
                "return self.U * self.S[..., None, :]",
            ),
            "expected shape",
        ),
        (
            "without the singular values",
            ("return self.S[..., :, None] * self.V.transpose(-1, -2)", "return self.V.transpose(-1, -2)"),
            "values are off",
        ),
        (
            "square roots of the singular values",
            (
                "return self.S[..., :, None] * self.V.transpose(-1, -2)",
                "return self.S.sqrt()[..., :, None] * self.V.transpose(-1, -2)",
            ),
            "values are off",
        ),
    ],
    "FactoredMatrix.collapse_r": [
        (
            "without the singular values",
            ("return self.U * self.S[..., None, :]", "return self.U"),
            "values are off",
        ),
        (
            "singular values on the wrong axis",
            ("return self.U * self.S[..., None, :]", "return self.U * self.S[..., :, None]"),
            "RuntimeError",
        ),
    ],
    "FactoredMatrix.make_even": [
        (
            "all of S on the left",
            (_EVEN, "return FactoredMatrix(self.U * self.S[..., None, :], self.V.transpose(-1, -2))"),
            "values are off",
        ),
        ("the model's own factors", (_EVEN, "return FactoredMatrix(self.A, self.B)"), "values are off"),
    ],
}
