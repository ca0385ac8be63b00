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


def test_readme_links_to_the_site_that_the_pages_workflow_publishes():
    import tomllib

    import yaml

    docs = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Documentation"]
    assert docs.startswith("https://") and docs.endswith("/")
    assert f"<{docs}>" in (ROOT / "README.md").read_text()

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text())
    build, deploy = workflow["jobs"]["build"]["steps"], workflow["jobs"]["deploy"]["steps"]
    runs = "\n".join(step.get("run", "") for step in build)
    assert "npm ci" in runs and "mkdocs build --strict" in runs
    assert "download.pytorch.org/whl/cpu" in runs and "'.[dev]'" in runs
    uses = [step.get("uses", "").split("@")[0] for step in build + deploy]
    for action in ("actions/setup-python", "actions/setup-node", "actions/configure-pages"):
        assert action in uses, action
    assert "actions/upload-pages-artifact" in uses and uses[-1] == "actions/deploy-pages"
    built, graded = [step for step in build if "mkdocs build" in step.get("run", "")]
    assert built["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}/"
    # and the copy without solutions that graded notebooks link to, inside the published folder
    assert graded["env"]["COURSE_HIDE_SOLUTIONS"] == "1" and "-d build/site/graded" in graded["run"]
    (upload,) = [step for step in build if step.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert f"site_dir: {upload['with']['path']}\n" in (ROOT / "mkdocs.yml").read_text()
