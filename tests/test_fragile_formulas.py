"""Where the formula read literally is numerically fragile, the grader says why."""

from autograder.paths import module_file
from autograder.runner import grade_chapter


def test_copying_score_from_the_big_matrix_is_explained(tmp_path):
    text = module_file("solutions", "eigenvalues").read_text()
    answer = "    eigenvalues = factored_eigenvalues(A, B)\n    return eigenvalues.sum(-1).real"
    assert answer in text
    literal = "    eigenvalues = torch.linalg.eigvals(A @ B)\n    return eigenvalues.sum(-1).real"
    path = tmp_path / "eigenvalues.py"
    path.write_text(text.replace(answer, literal))
    result = grade_chapter("eigenvalues", path=path, only=["copying_score"]).exercises[0]
    if result.status == "failed":  # float32 rounding decides; when it fails, it must say why
        assert "the small B A" in "\n".join(result.messages), result.messages
        assert all("float32" in m for m in result.messages[:-1] if m.startswith("case")), result.messages
