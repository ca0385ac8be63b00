"""The worker inside bubblewrap, for grading that must not trust the learner's code:
an instructor's nbgrader autograde. ``course check`` on a learner's own machine needs
none of this, since a learner's code can only harm its own author there.

Inside: the machine read-only, with the reference solutions, the stored references
and the given folders (the nbgrader course folder: gradebook, source, submissions)
hidden behind empty tmpfs mounts; a fresh /tmp that holds only the learner's module
folder, read-only; uid 65534; no network; its own PID namespace, so the judge's
/proc is out of sight and every process the learner started ends with the worker.
Limits on memory and time are the worker's own (``autograder.worker``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import package_dir
from autograder.snapshots import SNAPSHOT_DIR
from course.errors import CourseError

#: The folder of the grader's own packages, which the worker imports.
_PACKAGES = Path(__file__).resolve().parents[1] / "autograder"


@dataclass(frozen=True)
class Sandbox:
    """How to wrap the worker: ``hidden`` folders are masked on top of the defaults."""

    hidden: tuple[Path, ...] = ()

    def masked(self) -> list[Path]:
        """Everything the learner's code must not read: the answers and the references,
        and the folders the caller names."""
        folders = [package_dir("solutions"), SNAPSHOT_DIR, *self.hidden]
        return sorted({Path(f).resolve() for f in folders if f is not None and Path(f).exists()})

    def wrap(self, command: list[str], module_dir: Path) -> list[str]:
        """``command`` run by bwrap, with ``module_dir`` (the learner's file) readable."""
        if not available():
            raise CourseError(unavailable_message(self))
        module_dir = Path(module_dir).resolve()
        args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        needed = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, _PACKAGES.parent)]
        for path in needed:  # the fresh /tmp must not hide the grader itself (a CI clone in /tmp)
            if path.is_relative_to("/tmp"):
                args += ["--ro-bind", str(path), str(path)]
        for folder in self.masked():
            if module_dir.is_relative_to(folder):
                continue  # never hide the file being graded (it is in /tmp, bound below)
            inside = [p for p in needed if p.is_relative_to(folder)]
            if inside:
                raise CourseError(
                    f"{folder} must be hidden from the students' code, but it holds {inside[0]}, which "
                    "grading needs: keep the course's Python and packages outside the course folder"
                )
            args += ["--tmpfs", str(folder)]
        args += ["--ro-bind", str(module_dir), str(module_dir)]
        args += ["--unshare-all", "--uid", "65534", "--gid", "65534"]
        args += ["--die-with-parent", "--new-session", "--chdir", "/tmp", "--"]
        return args + command


@functools.cache
def available() -> bool:
    """Whether bwrap exists and can make the namespaces it needs on this machine."""
    if shutil.which("bwrap") is None:
        return False
    probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--uid", "65534", "--die-with-parent", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def unavailable_message(sandbox: Sandbox) -> str:
    exposed = ", ".join(str(p) for p in sandbox.masked()) or "nothing masked"
    return (
        "grading untrusted code needs bubblewrap (`apt-get install bubblewrap`; it needs user "
        "namespaces) and it is not usable here. Without it, each submission's code runs as you, "
        f"with read access to {exposed}, write access to whatever you can write, and the network"
    )
