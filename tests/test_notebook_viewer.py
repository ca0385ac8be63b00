"""``course.plots.attention``: the site's attention viewer in a notebook, offline.

The unit tests read the HTML it returns; the last test runs it in JupyterLab in a real browser
(tests/jupyter_lab.py), hovers tokens, and checks that no request leaves 127.0.0.1.
"""

import ast
import html
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import torch

from course import plots, zoo
from course.tokenizer import Tokenizer
from course.viewer import ASSETS, AttentionViewer
from tests.jupyter_lab import LabNotebook

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r'<figure class="course-figure course-viewer" id="([^"]+)" data-viewer="([^"]*)">')


def causal(n_heads: int, n: int, seed: int = 0) -> torch.Tensor:
    """Random attention patterns that attend to the past only, as a model's do."""
    scores = torch.randn(n_heads, n, n, generator=torch.Generator().manual_seed(seed))
    future = torch.ones(n, n, dtype=torch.bool).triu(1)
    return scores.masked_fill(future, float("-inf")).softmax(-1)


def figures(page: str) -> list[tuple[str, dict]]:
    """Each viewer's element id and data, read back from the HTML as a browser would."""
    return [(id_, json.loads(html.unescape(data))) for id_, data in FIGURE.findall(page)]


def test_the_html_holds_the_lower_triangle_and_inlines_the_sites_files():
    pattern = causal(2, 4)
    view = plots.attention(
        ["a", " b", "\n", "</script>"], pattern, head_names=["L0H0", "L0H1"], notes=["x", "y"]
    )
    page = view._repr_html_()
    ((_, data),) = figures(page)
    assert data["tokens"] == ["a", "␣b", "↵", "</script>"]  # as the site labels tokens
    assert [h["name"] for h in data["heads"]] == ["L0H0", "L0H1"] and data["heads"][1]["note"] == "y"
    for head, weights in zip(data["heads"], pattern):
        assert [len(row) for row in head["pattern"]] == [1, 2, 3, 4]  # keys 0..q only
        for q, row in enumerate(head["pattern"]):
            assert row == pytest.approx(weights[q, : q + 1].tolist(), abs=5e-4)
    assert (ASSETS / "attention-viewer.js").read_text() in page
    assert (ASSETS / "attention-viewer.css").read_text() in page
    assert page.count("</script>") == 1, "a token must not end the script early"


def test_nothing_is_fetched():
    page = plots.attention(["a", "b"], causal(1, 2)[0])._repr_html_()
    assert not re.search(r"https?://", page)
    for loader in ("<script src", "<link", "@import", "url(", "@font-face"):
        assert loader not in page, loader


def test_every_output_has_its_own_element_id():
    view = plots.attention(["a", "b"], causal(1, 2))
    pages = [view._repr_html_(), view._repr_html_(), plots.attention(["c"], causal(1, 1))._repr_html_()]
    ids = [figures(page)[0][0] for page in pages]
    assert len(set(ids)) == 3, ids
    assert all(page.count(id_) == 1 for page, id_ in zip(pages, ids))


def test_a_pattern_from_the_cache_and_a_short_repr():
    model = zoo.load("attn-only-2l")
    tok = Tokenizer()
    ids = torch.tensor([tok.encode("def f(x):\n    return x")])
    _, cache = model.run_with_cache(ids)
    labels = [tok.token_str(int(t)) for t in ids[0]]
    view = plots.attention(labels, cache["pattern", 0][0])
    names = [f"H{h}" for h in range(model.cfg.n_heads)]
    assert [h["name"] for h in view.data["heads"]] == names
    assert repr(view) == f"<attention viewer: {len(labels)} tokens; heads {', '.join(names)}>"
    one = plots.attention(labels, cache["pattern", 1][0, 2], caption="L1H2 & co")
    assert len(one.data["heads"]) == 1 and "<figcaption>L1H2 &amp; co</figcaption>" in one._repr_html_()


@pytest.mark.parametrize(
    "tokens, pattern, kwargs, error, message",
    [
        (
            ["a", "b"],
            causal(2, 3),
            {},
            ValueError,
            "pattern is over 3 positions (shape [2, 3, 3]) but there are 2 tokens",
        ),
        (
            ["a", "b"],
            causal(2, 2)[None],
            {},
            ValueError,
            "take one sequence of the batch, cache['pattern', layer][0]",
        ),
        (
            ["a", "b"],
            torch.ones(2),
            {},
            ValueError,
            "pattern must be [n_heads, q, k] or [q, k], not 1-dimensional [2]",
        ),
        (
            ["a", "b"],
            torch.ones(2, 2, 3),
            {},
            ValueError,
            "pattern must be square, as many queries as keys, not 2 × 3",
        ),
        (["a", "b"], torch.ones(2, 2) / 2, {}, ValueError, "pattern attends to later positions"),
        (["a", "b"], causal(1, 2) * torch.nan, {}, ValueError, "pattern holds NaN or infinite weights"),
        ([], torch.ones(0, 0), {}, ValueError, "nothing to show"),
        (torch.tensor([3, 4]), causal(1, 2), {}, TypeError, "tokens must be a list of str"),
        ("ab", causal(1, 2), {}, TypeError, "tokens must be a list of str"),
        (["a", 4], causal(1, 2), {}, TypeError, "tokens must be a list of str"),
        (["a", "b"], causal(2, 2), {"head_names": ["L0H0"]}, ValueError, "1 head_names for 2 heads"),
        (["a", "b"], causal(2, 2), {"notes": ["x", "y", "z"]}, ValueError, "3 notes for 2 heads"),
    ],
)
def test_bad_inputs_say_what_is_wrong(tokens, pattern, kwargs, error, message):
    with pytest.raises(error) as raised:
        plots.attention(tokens, pattern, **kwargs)
    assert message in str(raised.value)


def test_the_sites_own_viewer_data_draws_as_it_is():
    """What a page's {{ viewer NAME }} function returns, as a chapter's notebook draws it."""
    path = ROOT / "site" / "figures" / "residual_stream.py"
    spec = importlib.util.spec_from_file_location("figures_residual_stream", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = module.attention_viewer()
    assert figures(plots.attention_viewer(data)._repr_html_())[0][1] == data


GOOD = {"tokens": ["a", "b"], "heads": [{"name": "H0", "note": "", "pattern": [[1.0], [0.5, 0.5]]}]}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"tokens": ["a"]}, "viewer data must be a dict with tokens and heads"),
        ({**GOOD, "tokens": ["a", 2]}, "tokens must be a non-empty list of str"),
        ({**GOOD, "heads": []}, "heads must be a non-empty list"),
        ({**GOOD, "heads": [{"pattern": [[1.0], [0.5, 0.5]]}]}, "head 0 must be a dict with a name"),
        ({**GOOD, "heads": [{"name": "H0", "pattern": [[1.0]]}]}, "head H0 needs a pattern of 2 rows"),
        (
            {**GOOD, "heads": [{"name": "H0", "pattern": [[1.0], [0.5, 0.5, 0.0]]}]},
            "row 1 of head H0 must hold 2",
        ),
        ({**GOOD, "heads": [{"name": "H0", "pattern": [[1.0], [0.5, float("nan")]]}]}, "2 finite weights"),
    ],
)
def test_bad_viewer_data_says_what_is_wrong(data, message):
    with pytest.raises((TypeError, ValueError)) as raised:
        plots.attention_viewer(data)
    assert message in str(raised.value)


def test_the_script_cannot_end_its_own_tag():
    script = (ASSETS / "attention-viewer.js").read_text().lower()
    assert "</script" not in script and "<!--" not in script


def test_plots_and_viewer_import_only_the_core_package():
    """course/plots.py and course/viewer.py are part of the installed package: nothing from
    the site, the solutions, the exercises or the grader."""
    for module in ("plots", "viewer"):
        tree = ast.parse((ROOT / "course" / f"{module}.py").read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        bad = [n for n in names if n.split(".")[0] in {"site", "solutions", "exercises", "autograder"}]
        assert not bad, (module, bad)


def test_the_viewer_is_plain_data():
    view = AttentionViewer({"tokens": ["a"], "heads": [{"name": "H0", "note": "", "pattern": [[1.0]]}]})
    assert figures(view._repr_html_())[0][1] == view.data


# --- in JupyterLab, in a real browser -----------------------------------------------------------

#: A viewer's figure in an output that has no script, as in an output that JupyterLab did not
#: trust: the viewers' scripts must leave it alone.
NOT_OURS = (
    """<figure class="course-viewer" id="not-ours" data-viewer='{"tokens":["a"],"heads":[]}'></figure>"""
)

NOTEBOOK = [
    f"from IPython.display import HTML\nHTML({NOT_OURS!r})",
    """import torch
from course import plots, zoo
from course.tokenizer import Tokenizer

tok = Tokenizer()
model = zoo.load("attn-only-2l")
ids = torch.tensor([tok.encode("def add(x, y):\\n    return x + y\\n")])
_, cache = model.run_with_cache(ids)
labels = [tok.token_str(int(t)) for t in ids[0]]
view = plots.attention(labels, cache["pattern", 0][0], head_names=[f"L0H{h}" for h in range(model.cfg.n_heads)])
view""",
    'plots.attention(labels, cache["pattern", 1][0, 0], caption="layer 1, head 0")',
    "view  # the same viewer again: a second output, a second element",
]

#: Each viewer of the page: its id, how many times it was built, its tokens, its hovered token.
VIEWERS = """() => [...document.querySelectorAll(".jp-OutputArea figure.course-viewer:not(#not-ours)")].map(f => ({
    id: f.id, ready: f.classList.contains("is-ready"), apps: f.querySelectorAll(".course-viewer__app").length,
    tokens: f.querySelectorAll(".course-viewer__token").length, query: f.dataset.query}))"""

#: One head's row in a viewer: the weight that each cell shows, as the script set it.
SHOWN = """([id, head]) => [...document.getElementById(id)
    .querySelectorAll(".course-viewer__head")[head].querySelectorAll(".course-viewer__cell")]
    .map(c => c.style.getPropertyValue("--weight"))"""


def test_the_viewer_draws_in_jupyterlab_with_nothing_fetched(jupyter_lab, watched):
    """The test's JupyterLab fetches nothing itself (tests/jupyter_lab.py turns off its news,
    update checks and extension manager), so every request the page makes stays on 127.0.0.1,
    and the viewers' own code makes none."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    nbformat.write(notebook, jupyter_lab.root / "viewer.ipynb")
    lab = LabNotebook(watched, jupyter_lab, "viewer.ipynb")
    lab.run_all()
    assert not lab.errors(), lab.errors()
    page = watched.page
    page.locator(".jp-OutputArea figure.course-viewer.is-ready").nth(2).wait_for(timeout=10_000)
    viewers = page.evaluate(VIEWERS)
    n = viewers[0]["tokens"]
    assert len(viewers) == 3 and len({v["id"] for v in viewers}) == 3, viewers
    assert all(v["ready"] and v["apps"] == 1 and v["tokens"] == n > 5 for v in viewers), viewers
    assert [v["query"] for v in viewers] == [str(n - 1)] * 3, "each viewer starts on its last token"

    first, second, third = (v["id"] for v in viewers)
    data = json.loads(page.locator(f"#{first}").get_attribute("data-viewer"))
    for query in (2, 5):
        page.locator(f"#{first} .course-viewer__token").nth(query).hover()
        page.wait_for_function(
            "([id, q]) => document.getElementById(id).dataset.query === q", arg=[first, str(query)]
        )
        for head in (0, 3):
            shown = page.evaluate(SHOWN, [first, head])
            assert [float(w) for w in shown[: query + 1]] == data["heads"][head]["pattern"][query]
            assert all(float(w) == 0 for w in shown[query + 1 :]), "the future is not attended to"
    assert [v["query"] for v in page.evaluate(VIEWERS)][1:] == [str(n - 1)] * 2, "hovering one moved another"

    # Running a viewer's script again, as a re-rendered output would, draws nothing twice.
    page.evaluate(
        """id => { const s = document.getElementById(id).parentNode.querySelector("script");
                   const again = document.createElement("script");
                   again.textContent = s.textContent; s.after(again); }""",
        second,
    )
    assert [v["apps"] for v in page.evaluate(VIEWERS)] == [1, 1, 1]
    assert page.locator(f"#{third} .course-viewer__token").nth(1).is_visible()

    assert page.locator("#not-ours").get_attribute("class") == "course-viewer", (
        "a script built a viewer not its own"
    )

    assert not watched.foreign, f"requests left 127.0.0.1: {watched.foreign}"
    assert not watched.errors, watched.errors
