"""A whole course of plausible slips, graded the way a learner grades: `course check --json`
in a learner's kit whose every exercise returns the same wrong object. Every chapter is
graded, every exercise fails with no points and a message, and stdout is JSON."""

import json
import re
import subprocess
import sys

import pytest

from autograder.kit import make_kit
from course.chapters import CHAPTERS

#: What each stub returns instead of raising: the slips learners make.
SLIPS = {
    "a 0-d tensor": "torch.tensor(0.5)",
    "a one-element tensor": "torch.zeros(1)",
    "three stacked tensors": "torch.stack([torch.zeros(2, 2)] * 3)",
    "None": "None",
    "nan": "float('nan')",
    "a numpy array": "__import__('numpy').zeros(3)",
}


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit")
    make_kit(root / "kit")
    return root / "kit"


@pytest.mark.parametrize("slip", SLIPS)
def test_every_chapter_fails_cleanly(kit, slip, user_env):
    for slug in CHAPTERS:
        stub = kit / "exercises" / f"{slug}.py"
        text = stub.read_text()
        if "\nimport torch\n" not in text:
            text = "import torch\n" + text
        stub.write_text(re.sub(r"raise NotImplementedError\(.*\)", f"return {SLIPS[slip]}", text))
    # From the kit's folder, `python -m` imports the kit's course, autograder and exercises.
    out = subprocess.run(
        [sys.executable, "-m", "course.cli", "check", "--json"],
        capture_output=True, text=True, env=user_env, cwd=kit, timeout=900,
    )  # fmt: skip
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr[-3000:]
    chapters = json.loads(out.stdout)
    assert isinstance(chapters, list), chapters
    assert [c["chapter"] for c in chapters] == list(CHAPTERS)
    assert all(c["error"] is None for c in chapters), [c["error"] for c in chapters]
    exercises = [e for c in chapters for e in c["exercises"]]
    assert all(e["status"] == "failed" and e["points"] == 0 for e in exercises), [
        (e["exercise"], e["status"]) for e in exercises if e["status"] != "failed"
    ]
    unclear = [e for e in exercises if not re.search(r"expected|must return", " ".join(e["messages"][:1]))]
    assert not unclear, [(e["exercise"], e["messages"][:1]) for e in unclear]
