"""The `course` command as a user meets it: installed on PATH, errors in one line."""

import re
import socket
import subprocess
import urllib.request

import pytest

from course.errors import CourseError


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
    # attn-only-2l's bars, measured where it was not trained, each with its verdict.
    bars = [l for l in out.stdout.splitlines() if l.strip().startswith(("eligible", "held_out"))]
    assert len(bars) == 3 and all(l.endswith(("ok", "MISSED")) for l in bars), bars


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


def test_serve_builds_the_site_and_serves_it_on_localhost(user_env, tmp_path):
    from course.site import ROOT, assets_ok

    if not assets_ok(ROOT):
        pytest.skip("the site's npm packages are not installed: run `npm ci` at the repository root")
    site = tmp_path / "site"
    proc = subprocess.Popen(
        ["course", "serve", "--port", "0", "--site-dir", str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=user_env,
    )
    try:
        lines = []
        for line in proc.stdout:  # the address comes once the site is built
            lines.append(line)
            if line.startswith("serving the course at "):
                break
        address = re.match(r"serving the course at (http://127\.0\.0\.1:\d+/) ", lines[-1])
        assert address, "".join(lines)
        with urllib.request.urlopen(address.group(1) + "zero-layer/", timeout=30) as response:
            assert response.status == 200 and "Zero-layer" in response.read().decode()
        assert (site / "index.html").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_says_how_to_get_katex_without_npm(tmp_path, monkeypatch):
    from course import site

    (tmp_path / "package.json").write_text('{"devDependencies": {"katex": "0.19.1"}}')
    monkeypatch.setattr(site.shutil, "which", lambda name: None)
    with pytest.raises(CourseError, match=r"npm is not installed.*then run `npm ci` in"):
        site.ensure_assets(tmp_path)


def test_site_never_builds_over_a_folder_that_is_not_a_site(run, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    out = run("site", str(tmp_path))
    assert out.returncode == 1 and "is not empty and holds no site" in out.stderr, out.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_serve_on_a_busy_port_says_so(run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = run("serve", "--port", str(busy.getsockname()[1]))
    assert out.returncode == 1 and "choose another --port" in out.stderr, out.stderr
