"""The home page's table of chapters, read from the course's code: titles from
course.chapters, exercises and points from the reference solutions' @exercise cards."""

import importlib

from course.chapters import CHAPTERS
from course.exercise import exercises_in


def chapter_table() -> str:
    """Every chapter with its number of graded exercises, their points and minutes."""
    rows = ["| | chapter | graded exercises | points | about |", "|---|---|---|---|---|"]
    total_n = total_points = 0
    for i, ch in enumerate(CHAPTERS.values(), start=1):
        infos = [
            fn.__exercise__ for fn in exercises_in(importlib.import_module(f"solutions.{ch.slug}")).values()
        ]
        points, minutes = sum(x.points for x in infos), sum(x.minutes for x in infos)
        total_n, total_points = total_n + len(infos), total_points + points
        rows.append(
            f"| {i} | [{ch.title}]({ch.slug.replace('_', '-')}.md) | {len(infos)} | {points} | {minutes / 60:.1f} h |"
        )
    rows.append(f"| | **all chapters** | **{total_n}** | **{total_points}** | |")
    return "\n".join(rows)
