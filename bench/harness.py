"""How every benchmark row is measured, so that rows are comparable: the median of
repeated wall-clock runs after a warm-up, and the peak memory a call adds, measured
in a forked child so that one row's allocations cannot hide another's."""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    """One line of the table: our time and each baseline's, in seconds (None where a
    baseline was not run: too big for memory, or its package is missing)."""

    suite: str
    name: str
    ours: float
    baselines: dict[str, float | None] = field(default_factory=dict)
    peak_mb: dict[str, float | None] = field(default_factory=dict)
    note: str = ""

    def ratios(self) -> dict[str, float | None]:
        """How many times faster ours is than each baseline (> 1: ours is faster)."""
        return {
            k: (v / self.ours if v is not None and self.ours > 0 else None) for k, v in self.baselines.items()
        }


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _child(fn: Callable[[], object], conn) -> None:
    before = _rss_kb()
    fn()
    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)


def peak_extra_mb(fn: Callable[[], object]) -> float | None:
    """Peak resident memory that one call of ``fn`` adds, in MB, on Linux (fork); None
    elsewhere. Run after a warm-up, so that lazy initialisation is not counted."""
    if not os.path.exists("/proc/self/statm"):
        return None
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, theirs))
    proc.start()
    proc.join()
    return max(ours.recv(), 0) / 1024 if ours.poll() else math.nan


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"
