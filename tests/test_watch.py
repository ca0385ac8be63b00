"""`course check --watch`: a save is graded again in the warm worker, the new text and not a
cached copy of the old."""

from autograder.paths import module_file
from autograder.watch import watch


def test_every_save_is_graded_again(tmp_path):
    path = tmp_path / "zero_layer.py"
    answer = module_file("solutions", "zero_layer").read_text()
    stub = module_file("exercises", "zero_layer").read_text()
    path.write_text(answer)
    seen = []

    def show(results):
        seen.append(results[0].exercises[0].status)
        if len(seen) == 1:
            path.write_text(stub)  # the same second, another size: a cached .pyc would look fresh

    watch({"zero_layer": path}, "exercises", ["bigram_counts"], show, poll=0.05, stop=lambda: len(seen) >= 2)
    assert seen == ["passed", "not attempted"]
