"""The README's quick start: exactly two commands, and CI runs the second."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands():
    setup, tests = quick_start()
    assert "python3 -m venv" in setup and "pip install" in setup
    assert setup.endswith("course serve"), "the first command ends by serving the course's site"
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in ci and "rm -rf .venv" in ci
    assert "## Quick start" in ci  # it reads the command from the README, not a copy
