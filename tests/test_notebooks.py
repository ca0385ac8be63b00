"""``course notebooks``: every chapter's notebook, executed as a learner would with nbclient.

Twice per chapter: with the reference answers pasted into the stub cells (every check
passes, every figure cell draws an image, every viewer renders) and as generated (every
check says "not attempted", every figure says what it waits for, and no cell raises).
"""

from __future__ import annotations

import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.notebooks import build
from autograder.paths import module_file
from course.chapters import CHAPTERS
from course.errors import CourseError


@pytest.fixture(scope="module")
def jupyter_home(tmp_path_factory):
    """A fresh user's HOME and Jupyter folders for the kernels that nbclient starts."""
    home = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in [
            ("HOME", "home"), ("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
            ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
        ]:  # fmt: skip
            (home / sub).mkdir()
            mp.setenv(var, str(home / sub))
        yield home


@pytest.fixture(scope="module")
def notebooks() -> dict[str, nbformat.NotebookNode]:
    return {slug: build.notebook(slug) for slug in CHAPTERS}


def run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)  # a copy: the fixture's notebook is run twice
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True).execute()
    return nb


def with_reference_answers(slug: str, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    stubs = build.stubs(slug)
    reference = build.stubs(slug, module_file("solutions", slug).read_text())
    answers = {src: reference.cells[name] for name, src in stubs.cells.items() if src}
    pasted = 0
    for c in nb.cells:
        if c.cell_type == "code" and c.source in answers:
            c.source = answers[c.source]
            pasted += 1
    assert pasted == len(answers)
    return nb


def code_cells(nb, start: str) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]


def check_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("check(")]


def figure_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "\nfigure(" in c.source]


def viewer_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "\nviewer(" in c.source]


def errors(nb) -> list[str]:
    return [
        f"{c.source.splitlines()[0]}: {o.ename}: {o.evalue}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]


def plain(c) -> str:
    return "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in c.outputs)


@pytest.mark.parametrize("slug", list(CHAPTERS))
def test_reference_answers_pass_every_check_and_draw_every_figure(slug, notebooks, jupyter_home):
    nb = run(with_reference_answers(slug, notebooks[slug]))
    assert errors(nb) == []
    checks = check_cells(nb)
    assert len(checks) == len(build.stubs(slug).cells)  # one per exercise
    for c in checks:
        assert "passes every check" in plain(c), (c.source, plain(c))
    for c in figure_cells(nb):
        assert any("image/png" in o.get("data", {}) for o in c.outputs), (c.source, plain(c))
    for c in viewer_cells(nb):
        assert any("text/html" in o.get("data", {}) for o in c.outputs), (c.source, plain(c))


@pytest.mark.parametrize("slug", list(CHAPTERS))
def test_as_generated_every_check_is_not_attempted_and_no_cell_raises(slug, notebooks, jupyter_home):
    nb = run(notebooks[slug])
    assert errors(nb) == []
    for c in check_cells(nb):
        assert "is not attempted yet" in plain(c), (c.source, plain(c))
    for c in figure_cells(nb) + viewer_cells(nb):  # drawn, where it uses no exercise (a training curve)
        drawn = any({"image/png", "text/html"} & set(o.get("data", {})) for o in c.outputs)
        assert "which is not attempted yet" in plain(c) or drawn, (c.source, plain(c))


def test_every_chapter_page_becomes_cells_in_its_order(notebooks):
    nb = notebooks["zero_layer"]
    text = "\n".join(c.source for c in nb.cells)
    assert (
        text.index("def bigram_counts")
        < text.index("check(bigram_counts)")
        < text.index("def bigram_log_probs")
    )
    assert "{{" not in "".join(c.source for c in nb.cells if c.cell_type == "markdown")  # every block made
    assert "raise NotImplementedError" in text and "### BEGIN SOLUTION" not in text
    (figure,) = [c for c in nb.cells if c.get("attachments")]  # the site's figure, for comparison
    assert "image/svg+xml" in figure.attachments["bigram_heatmaps.svg"]


def test_the_theme_markdown_becomes_jupyter_markdown():
    text = (
        "## A section {#a_section}\n\n"
        "See [the models](models.md#how-they-are-trained).\n\n"
        '!!! tip "Try it"\n\n    Run it.\n\n'
        '??? note "Why"\n\n    Because.\n\nAfter.'
    )
    out = build._jupyter_markdown(text)
    assert "## A section\n" in out and "{#" not in out
    assert "](https://" in out and "/models/#how-they-are-trained)" in out
    assert "> **Try it**" in out and "> Run it." in out
    assert "<details><summary>Why</summary>" in out and "Because." in out and out.rstrip().endswith("After.")


def test_an_edited_notebook_is_never_overwritten(tmp_path, notebooks):
    first = build.write("zero_layer", tmp_path)
    assert first.action == "written"
    assert build.write("zero_layer", tmp_path).action == "unchanged"

    nb = nbformat.read(first.path, as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="ran it\n")]  # run, not edited
    nbformat.write(nb, first.path)
    assert build.write("zero_layer", tmp_path).action == "written"

    nb = nbformat.read(first.path, as_version=4)
    stub = next(c for c in nb.cells if c.source.startswith("def bigram_counts"))
    stub.source = stub.source.replace(
        "raise NotImplementedError", "return 1  # mine\n    raise NotImplementedError"
    )
    nbformat.write(nb, first.path)
    mine = first.path.read_text()
    with pytest.raises(build.Edited, match="--new"):
        build.write("zero_layer", tmp_path)
    assert first.path.read_text() == mine
    assert build.write("zero_layer", tmp_path, new=True).path.name == "zero_layer.new.ipynb"
    assert first.path.read_text() == mine
    assert build.write("zero_layer", tmp_path, force=True).action == "forced"
    assert (tmp_path / "zero_layer.bak.ipynb").read_text() == mine


def test_the_command_writes_notebooks_and_names_a_wrong_chapter(tmp_path, user_env):
    def course(*args):
        return subprocess.run(
            ["course", "notebooks", *args], capture_output=True, text=True,
            env=user_env, cwd=tmp_path, timeout=600,
        )  # fmt: skip

    done = course("zero_layer", "--dir", "nbs")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "nbs" / "zero_layer.ipynb").is_file() and "jupyter lab nbs" in done.stdout
    wrong = course("zero_layers")
    assert wrong.returncode != 0 and "no chapter named 'zero_layers'" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_a_check_outside_a_started_notebook_says_what_to_run():
    from autograder.notebooks import kernel

    with pytest.raises(CourseError, match="start"):
        kernel._slug()


def test_a_learner_runs_a_stub_and_its_check_in_jupyterlab(jupyter_lab, watched, notebooks):
    """In a real browser: the generated zero-layer notebook, with the learner's answer typed
    into the first stub; its check shows "passes" and the next, untouched, "not attempted",
    rendered in the page, with no request leaving 127.0.0.1."""
    from tests.jupyter_lab import LabNotebook

    nb = with_reference_answers("zero_layer", notebooks["zero_layer"])
    first, second = [i for i, c in enumerate(nb.cells) if c.source.startswith("check(")][:2]
    nb.cells = nb.cells[: second + 1]
    stub = build.stubs("zero_layer").cells["bigram_log_probs"]
    nb.cells[second - 1].source = stub  # the second exercise as generated
    nbformat.write(nb, jupyter_lab.root / "zero_layer.ipynb")

    lab = LabNotebook(watched, jupyter_lab, "zero_layer.ipynb")
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            lab.run_cell(i)
    assert not lab.errors(), lab.errors()
    passed = lab.output(first).locator(".course-verdict[data-status='passed']")
    assert "bigram_counts passes every check" in passed.inner_text()
    todo = lab.output(second).locator(".course-verdict[data-status='not attempted']")
    assert "bigram_log_probs is not attempted yet" in todo.inner_text()
    assert todo.locator("a").get_attribute("href").endswith("zero-layer/#bigram_log_probs")
    assert not watched.foreign, f"requests left 127.0.0.1: {watched.foreign}"
