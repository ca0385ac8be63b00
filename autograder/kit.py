"""``course kit DIR``: a learner's copy of the course, without the reference solutions.

It grades with the stored snapshots instead (see ``autograder.snapshots``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from course.errors import CourseError

#: What a learner gets: the package, the stubs, the grader, the site and the packaging.
INCLUDE = (
    "course",
    "exercises",
    "autograder",
    "site",
    "pyproject.toml",
    "README.md",
    "mkdocs.yml",
    ".gitignore",
)
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.new", "*.bak", "*.egg-info")


def project_root() -> Path:
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").exists() or not (root / "solutions").is_dir():
        raise CourseError("`course kit` runs from a development checkout of the course (with solutions/)")
    return root


def make_kit(dest: Path) -> list[str]:
    """Copy the course to ``dest`` without ``solutions/``; return what was copied."""
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
    return copied
