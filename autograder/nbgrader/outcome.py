"""What ``course nbgrader autograde`` tells the instructor once nbgrader is done: which
notebooks could not be graded and why, and which submissions tampered with locked cells.

nbgrader goes on past a submission it cannot grade, logs a traceback and exits 1, but a
student folder without the notebook it looks for is only a warning among hundreds of
lines, and a notebook that is not JSON is a traceback without the student's name next to
its cause. Here a notebook counts as graded when nbgrader wrote its graded copy
(``autograded/<student>/<assignment>/<notebook>``; nbgrader removes the copy of one that
failed), and each one that is not gets one line with the reason: the grader's own when it
found one (no such file, not a notebook), else the exception nbgrader logged for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_FAILED = re.compile(r"There was an error processing assignment: (?P<path>.+)$")
#: The exception line that ends a traceback in nbgrader's log (indented by its formatter).
_EXCEPTION = re.compile(r"^ {4}(?P<name>[\w.]+(?:Error|Exception|Exit|Interrupt|Warning))\b(?P<rest>.*)$")


@dataclass
class Outcome:
    """``returncode``: nbgrader autograde's; ``not_graded`` and ``tampered``: per
    ``student/notebook``, why it has no grade and what it changed of the locked cells."""

    returncode: int
    not_graded: dict[str, str] = field(default_factory=dict)
    tampered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.not_graded

    def tampering_report(self) -> str:
        if not self.tampered:
            return ""
        lines = [
            "Tampering with locked cells, which gains nothing (nbgrader grades the source's test cells "
            "in their place; its warnings above that a checksum has changed concern every student, "
            "whose released test cells lack the hidden tests):"
        ]
        lines += [f"  {key}: {'; '.join(problems)}" for key, problems in sorted(self.tampered.items())]
        return "\n".join(lines)

    def failure_report(self) -> str:
        if not self.not_graded:
            return ""
        lines = [f"{len(self.not_graded)} notebook(s) could not be graded; everyone else was:"]
        lines += [f"  {key}: {why}" for key, why in sorted(self.not_graded.items())]
        return "\n".join(lines)


def nbgrader_failures(log: list[str]) -> dict[str, str]:
    """Per student, the exception that nbgrader logged for the submission it failed on."""
    failures: dict[str, str] = {}
    student, in_traceback = None, False
    for line in log:
        line = line.rstrip("\n")
        if m := _FAILED.search(line):
            student, in_traceback = Path(m["path"].strip()).parent.name, False
            failures[student] = ""
        elif student and "Traceback (most recent call last)" in line:
            in_traceback = True
        elif student and in_traceback and (m := _EXCEPTION.match(line)):
            failures[student] = m["name"].rsplit(".", 1)[-1] + m["rest"]  # the last one is the cause
        elif line.startswith("["):
            student = None
    return failures


def missing(folder: Path, notebook: str) -> str:
    """Why ``folder`` (a student's submission) holds no ``notebook``: what it holds instead."""
    others = sorted(p.name for p in folder.glob("*.ipynb"))
    held = f"it holds {', '.join(others)}" if others else "it holds no notebook"
    return f"no {notebook} in {folder.parent.parent.name}/{folder.parent.name}/{folder.name}/ ({held})"


def not_graded(
    course: Path, assignment: str, expected: dict[str, str], returncode: int, log: list[str]
) -> dict[str, str]:
    """Of ``expected`` (``student/notebook`` to the reason known before nbgrader ran, or ""),
    those nbgrader left without a graded copy, each with the best reason known."""
    logged = nbgrader_failures(log)
    out = {}
    for key, known in expected.items():
        student, notebook = key.split("/", 1)
        if (course / "autograded" / student / assignment / notebook).exists():
            continue
        if known:
            out[key] = known
        elif logged.get(student):
            out[key] = f"nbgrader autograde failed on it: {logged[student]}"
        else:
            out[key] = f"nbgrader autograde did not grade it (exit status {returncode}; see its log above)"
    return out
