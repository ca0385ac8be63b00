"""The one number both sides of grading need to cap memory relative to what a process
already holds: its data size, as RLIMIT_DATA counts it. Imports nothing heavy, since the
worker reads it before torch is loaded."""

from __future__ import annotations

from pathlib import Path


def data_held() -> int:
    """Bytes of this process's data segment and private mappings (VmData)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmData:")).split()[1]) << 10
