"""The `course` command as a user meets it: installed on PATH, errors in one line."""

import subprocess

import pytest


@pytest.fixture
def run(user_env):
    def run(*args):
        return subprocess.run(["course", *args], capture_output=True, text=True, env=user_env)

    return run


def test_help_lists_subcommands(run):
    out = run("--help")
    assert out.returncode == 0
    for cmd in ("train", "zoo", "info"):
        assert cmd in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "3l"], "invalid choice: '3l'"),
        (["train"], "the following arguments are required: model"),
        (["train", "2l", "--seed", "x"], "invalid int value"),
        (["nope"], "invalid choice: 'nope'"),
        ([], "the following arguments are required: command"),
        (["train", "2l", "--quick", "--into-zoo"], "--quick runs do not go into the zoo"),
    ],
)
def test_bad_arguments_give_one_line(run, args, message):
    out = run(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_zoo_table(run):
    out = run("zoo")
    assert out.returncode == 0, out.stderr
    for name in ("attn-only-0l", "attn-only-1l", "attn-only-2l"):
        line = next(l for l in out.stdout.splitlines() if l.startswith(name))
        assert line.rstrip().endswith("ok")
    assert "of the unigram→bigram gap" in out.stdout and "induction" in out.stdout


def test_info(run):
    out = run("info")
    assert out.returncode == 0, out.stderr
    assert "torch" in out.stdout and "devices      cpu" in out.stdout and "corpus" in out.stdout


def test_train_writes_a_run_folder(run, tmp_path):
    out = run("train", "0l", "--quick", "--out", str(tmp_path / "run"), "--no-progress")
    assert out.returncode == 0, out.stderr
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert files == {"model.safetensors", "config.json", "metrics.json", "curve.json", "curve.png"}
    assert "sha256" in out.stdout

    again = run("train", "0l", "--quick", "--out", str(tmp_path / "run"))
    assert again.returncode == 1 and "already holds a run; pass --force" in again.stderr
