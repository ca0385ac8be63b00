"""How every benchmark row is measured, so that rows are comparable: the median of
repeated wall-clock runs after a warm-up, and the peak memory a call adds, from the
kernel's high-water mark reset just before the call."""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import torch

T = TypeVar("T")


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


def _sync() -> None:
    """Wait for queued CUDA kernels: a CUDA call returns before its work is done, so a
    timer read without this measures only the launch."""
    if torch.cuda.is_initialized():
        torch.cuda.synchronize()


def paired_median_times(fns: list[Callable[[], object]], repeat: int, warmup: int = 1) -> list[float]:
    """Median times of several functions measured in turns (a, b, a, b, ...), so that a
    machine that speeds up or slows down during the run moves all of them alike: their
    ratio is what a row reports."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            _sync()
            t = time.perf_counter()
            fn()
            _sync()
            ts.append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    return paired_median_times([fn], repeat, warmup)[0]


def optional_baseline(package: str, make: Callable[[], T]) -> T | None:
    """``make()``, or None where ``package`` is missing or fails to import (a GPU machine's
    own transformers, say): the baseline's column then says "—" and the suite goes on."""
    if not importlib.util.find_spec(package):
        return None
    try:
        return make()
    except Exception as e:  # any failure to import only drops the baseline
        print(f"{package} does not import ({type(e).__name__}: {e}); its baselines are skipped")
        return None


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def peak_extra_mb(fn: Callable[[], object], device: str = "cpu") -> float | None:
    """Peak memory that one call of ``fn`` adds, in MB. On the CPU: the resident set's
    high-water mark in Linux, reset to the current size just before the call
    (``/proc/self/clear_refs``); None where that is unavailable. (A forked child would be
    simpler, but a child forked after torch's thread pool has run can hang in it.) On
    CUDA: the caching allocator's peak above what was allocated before. Run after a
    warm-up, so that lazy initialisation is not counted."""
    if device != "cpu":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return max(torch.cuda.max_memory_allocated() - before, 0) / 2**20
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_kb("VmRSS")
    except OSError:
        return None
    fn()
    return max(_status_kb("VmHWM") - before, 0) / 1024


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"
