"""How grading results are shown: a table per chapter, the reasons for each failure,
and a one-line summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from autograder.runner import ChapterResult
from course.chapters import chapter

_STYLE = {"passed": "green", "failed": "red", "not attempted": "yellow"}


def show(results: list[ChapterResult], console: Console | None = None) -> None:
    console = console or Console(stderr=False, highlight=False)
    for ch in results:
        table = Table(
            title=chapter(ch.chapter).title, caption=f"{ch.path} · graded on {', '.join(ch.devices)}"
        )
        table.add_column("exercise")
        table.add_column("status")
        table.add_column("points", justify="right")
        for r in ch.exercises:
            table.add_row(r.exercise, f"[{_STYLE[r.status]}]{r.status}[/]", f"{r.points}/{r.max_points}")
        console.print(table)
        if ch.error:
            console.print(ch.error, style="red", markup=False)
            continue
        for r in ch.exercises:
            if r.status == "failed":
                console.print(f"✗ {ch.chapter}.{r.exercise}", style="bold red")
                for m in r.messages:
                    console.print(f"    {m}", markup=False)
    console.print(summary(results), markup=False)


def summary(results: list[ChapterResult]) -> str:
    ex = [r for ch in results for r in ch.exercises]
    done = sum(r.status == "passed" for r in ex)
    todo = sum(r.status == "not attempted" for r in ex)
    points, total = sum(r.points for r in ex), sum(r.max_points for r in ex)
    return (
        f"{done} of {len(ex)} exercises passed, {len(ex) - done - todo} failed, {todo} not attempted; "
        f"{points}/{total} points ({points / total:.0%})"
        if total
        else "no exercises graded"
    )
