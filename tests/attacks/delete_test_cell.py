"""Delete the test cell of a wrong answer, hoping that an ungraded cell costs nothing."""

import nbformat

BODY = ""


def tamper(nb):
    nb.cells = [
        c
        for c in nb.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "test_bigram_counts"
    ]
    return nb


def harmless(course, before):
    graded = nbformat.read(
        course / "autograded" / "attack_delete_test_cell" / "zero_layer" / "zero_layer.ipynb", 4
    )
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert "test_bigram_counts" in ids, "the deleted test cell must be put back and graded"
