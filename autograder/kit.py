"""``course kit DIR``: a learner's copy of the course, without the reference solutions.

It grades with the stored snapshots instead (see ``autograder.snapshots``). It does not carry
the docs site's sources: their figures and cards are computed from ``solutions/``, which the kit
leaves out. Its README sends learners to the hosted site instead, and ``--site`` adds a built
copy of the site without the solutions, to open from the disk.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from course.errors import CourseError

#: What a learner gets: the package, the stubs, the grader and the packaging; the kit writes
#: its own README.md.
INCLUDE = ("course", "exercises", "autograder", "pyproject.toml", ".gitignore")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.new", "*.bak", "*.egg-info")
SITE = "site"  # where --site puts the built copy
#: Where the chapter notebooks go, with the code that draws their figures (``site/figures`` in
#: a checkout, which the kit does not carry): see ``autograder.notebooks.kernel``.
NOTEBOOKS = "notebooks"

README = """\
# Transformer Circuits, hands-on: a learner's copy

The course's exercises and their grader, without the reference solutions: `course check`
grades your answers against reference outputs stored in `autograder/snapshots/`.

## Read the course

The chapters, with the math, the figures and each exercise's card, are at
**<{hosted}>**.{offline}

This copy does not hold the site's sources, since its figures are computed from the reference
solutions: `course serve` and `course site` build the site in a checkout of the full course.

## Set up

```bash
python3 -m venv .venv && .venv/bin/pip install {torch} -e .
```

The same torch as the full course's README pins; `.venv/bin/pip install torch` instead takes
whatever build your platform's default index offers.

## Do the exercises

Each chapter is a module in `exercises/` whose functions raise `NotImplementedError`. Replace
the bodies with your answers and grade them:

```bash
course check                              # every chapter
course check residual_stream              # one chapter
course check residual_stream head_results # one exercise
pytest autograder                         # the same grading, as pytest tests
```

Or work in Jupyter: `notebooks/` holds each chapter as a notebook, with the page's text, each
exercise's stub followed by a `check(...)` cell that grades it in place, and the page's figures
drawn with your own functions beside the site's:

```bash
jupyter lab notebooks
```

Answers in a notebook and answers in `exercises/*.py` are separate: `course check` grades the
files, a notebook's `check` cells grade the notebook.

Your answers in `exercises/` and `notebooks/` are yours: no command here overwrites them. This copy has no
reference solutions, so `course exercises build` and `--impl solutions` are for the full
course only.
"""

OFFLINE = """

To read it without a network, open `site/index.html` in a browser: a copy of the site, search
included, that leaves out the reference solutions the hosted site shows under each card."""


def project_root() -> Path:
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").exists() or not (root / "solutions").is_dir():
        raise CourseError("`course kit` runs from a development checkout of the course (with solutions/)")
    return root


def torch_pin(root: Path) -> str:
    """The torch requirement of the course's README quick start (``torch==2.13.0``), so the
    kit installs what the course was tested with; a bare ``torch`` where it pins none."""
    found = re.search(r"pip install (torch==[\w.+]+)", (root / "README.md").read_text())
    return found.group(1) if found else "torch"


def make_kit(dest: Path, site: bool = False) -> list[str]:
    """Copy the course to ``dest`` without ``solutions/`` and write its README; with ``site``,
    add a built copy of the site without the solutions. Return what was written."""
    from course.site import hosted_url, offline_copy

    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise CourseError(f"{dest} is not empty; choose a new folder for the kit")
    root = project_root()
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in INCLUDE:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_SKIP)
        elif src.exists():
            shutil.copy2(src, dest / name)
        else:
            continue
        copied.append(name)
    from autograder.notebooks import build

    for slug in build.chapters([]):
        build.write(slug, dest / NOTEBOOKS)
    shutil.copytree(root / "site" / "figures", dest / NOTEBOOKS / "figures", ignore=_SKIP)
    copied.append(NOTEBOOKS)
    ignore = dest / ".gitignore"  # the checkout ignores the notebooks it writes; a learner's are work
    if ignore.exists():
        ignore.write_text(ignore.read_text().replace("\n# What `course notebooks` writes by default\n/notebooks/\n", "\n"))
    readme = README.format(hosted=hosted_url(), offline=OFFLINE if site else "", torch=torch_pin(root))
    (dest / "README.md").write_text(readme)
    copied.append("README.md")
    if site:
        offline_copy(dest / SITE, COURSE_HIDE_SOLUTIONS="1")
        copied.append(SITE)
    return copied
