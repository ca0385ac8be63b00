"""A smoke run of every benchmark suite at toy sizes: the suites must keep running as
the code changes. Their numbers mean nothing here, and nothing is timed."""

import json
import subprocess
import sys

import pytest

SUITES = ("factored", "model", "training", "check")


@pytest.mark.slow
def test_benchmarks_run(tmp_path, user_env):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "course.cli", "bench", *SUITES, "--smoke", "--json", str(out)],
        capture_output=True, text=True, env=user_env, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    suites = {row["suite"] for row in result["rows"]}
    assert suites == set(SUITES) and result["smoke"] and result["machine"]["torch"]
    names = [row["name"] for row in result["rows"]]
    assert any(n.startswith("svd") for n in names) and "whole course" in names
    assert "2L forward" in done.stdout  # the table is printed
