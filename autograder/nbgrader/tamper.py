"""What a submission changed of the cells a student may not change, told apart from
nbgrader's checksum warnings.

nbgrader warns "Attribute 'checksum' … has changed" for every test cell of every
student, since a released test cell lacks the source's hidden tests (nbgrader #1961), so
its log cannot show who tampered. Here a submission is compared with the release, the
notebook the student was given: each locked cell (test cells and read-only cells) must
be there with nbgrader's own checksum (source, type, grade id, points, flags), and no
other cell may claim to be graded. nbgrader restores a changed locked cell, and with
``OverwriteCells.add_missing_cells`` a deleted test cell, before grading, so tampering
costs the student nothing extra and gains nothing: it is reported for the instructor.
"""

from __future__ import annotations

from nbgrader.utils import compute_checksum, is_grade, is_locked


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _kind(cell) -> str:
    return "test cell" if is_grade(cell) else "read-only cell"


def _checksum(cell) -> str | None:
    try:
        return compute_checksum(cell)
    except (KeyError, TypeError, ValueError, AttributeError):  # metadata a student broke
        return None


def tampering(submitted, release) -> list[str]:
    """What ``submitted`` changed of ``release``'s locked cells, one phrase each."""
    locked = {_grade_id(c): c for c in release.cells if _grade_id(c) and is_locked(c)}
    graded = {_grade_id(c) for c in release.cells if _grade_id(c) and is_grade(c)}
    found: dict[str, list] = {}
    for cell in submitted.cells:
        found.setdefault(_grade_id(cell), []).append(cell)
    problems = []
    for grade_id, cell in locked.items():
        copies = found.get(grade_id, [])
        if not copies:
            problems.append(f"{_kind(cell)} {grade_id} deleted")
        elif any(_checksum(c) != _checksum(cell) for c in copies):
            problems.append(f"{_kind(cell)} {grade_id} changed")
    for grade_id, cells in found.items():
        if grade_id in locked:
            if len(cells) > 1:
                problems.append(f"{_kind(locked[grade_id])} {grade_id} copied")
        elif any(c.get("metadata", {}).get("nbgrader", {}).get("grade") for c in cells):
            if grade_id not in graded:
                problems.append(f"cell {grade_id or 'without a grade id'} marked as graded")
    return problems
