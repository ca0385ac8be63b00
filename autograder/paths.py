"""Where the course's sources live, found from the installed packages, never from
the working directory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from course.chapters import chapter
from course.errors import CourseError


def package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def module_file(package: str, slug: str) -> Path:
    """``solutions/<slug>.py`` or ``exercises/<slug>.py`` of a known chapter."""
    chapter(slug)  # a clear error for an unknown chapter
    root = package_dir(package)
    if root is None and package == "solutions":
        raise CourseError(
            "this copy of the course has no reference solutions (a learner's kit): "
            "grade your own answers with `course check`"
        )
    if root is None:
        raise CourseError(f"the {package!r} package is not installed with the course")
    return root / f"{slug}.py"
