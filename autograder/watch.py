"""``course check --watch``: grade again on every save, with one warm worker.

Starting a worker and importing torch cost most of a one-exercise ``course check``; here
they are paid once. The chapter files are polled for changes (a save changes the time
and size), the changed ones are loaded afresh into the warm worker, and only they are
graded again, against references that stay loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from autograder.runner import ChapterResult, WorkerSlot, grade_chapter


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        s = path.stat()
    except OSError:
        return None
    return s.st_mtime_ns, s.st_size


def watch(
    files: dict[str, Path],
    impl: str,
    only: list[str] | None,
    show: Callable[[list[ChapterResult]], None],
    poll: float = 0.3,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Grade each chapter in ``files`` (slug → its file), then again whenever its file
    changes, calling ``show`` with the results, until ``stop()`` or Ctrl-C."""
    slot, seen = WorkerSlot(), {}
    try:
        while not stop():
            changed = [s for s, f in files.items() if _stamp(f) != seen.get(s)]
            results = []
            for slug in changed:
                seen[slug] = _stamp(files[slug])
                if slot.worker is not None and slot.worker.path == files[slug]:
                    slot.worker.reload(files[slug])  # the same file, saved again
                results.append(grade_chapter(slug, impl, only, path=files[slug], slot=slot))
            if results:
                show(results)
            time.sleep(poll)
    finally:
        slot.close()
