"""The grading process behind a notebook's test cells.

A test cell runs in the learner's kernel, where anything may have been patched
(``torch.allclose``, say), so it grades nothing there: it sends the source of the
notebook's definitions to this process, a fresh interpreter. Here grading is
``course check``'s: the learner's functions run in a worker with time and memory
limits and imports of ``solutions`` blocked, while references and comparisons stay in
this process. One warm worker serves the whole notebook, each cell's module loaded
into it in turn, since starting one costs about a second.

Hidden cases run together with the visible ones; their outcome is kept for the cell's
hidden test. A hidden failure says which exercise failed and how many cases, never
their inputs or expected values: nbgrader's feedback shows whatever a test printed
(nbgrader #917).

Run as ``python -m autograder.nbgrader.judge``: one JSON request per line on stdin,
``{"chapter", "exercise", "source", "hidden"}``; one JSON reply per line on stdout,
``{"status", "messages", "module"}``, where ``module`` is the file name that messages
use for places in the source. ``{"warm": chapter}``, sent when the notebook starts,
gets no reply: it prepares the chapter while the kernel imports torch.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from autograder import framework, runner, snapshots
from course.chapters import chapter
from course.errors import CourseError
from course.exercise import anchor


class _LoadFailed(Exception):
    pass


class Judge:
    """Grades exercises given as module source, in one warm worker, and remembers each
    result, so that a cell's hidden test costs nothing more."""

    def __init__(
        self,
        directory: Path,
        time_limit: float = runner.TIME_LIMIT,
        memory: int = runner.MEMORY_LIMIT,
        sandbox=None,
        secret: str | None = None,
        verdicts: Path | None = None,
    ):
        self.directory = Path(directory)
        self.time_limit, self.memory = time_limit, memory
        self.slot = runner.WorkerSlot(sandbox)
        # Hidden cases need solutions/ for their references; with the course's secret,
        # their seeds are the secret's.
        self.hidden_cases, self.secret = snapshots.have_solutions(), secret
        self.results: dict[tuple[str, str, str], dict[bool, runner.ExerciseResult]] = {}
        # Verdicts kept on disk (an instructor's course folder, out of every sandbox's sight),
        # so that `course nbgrader autograde --jobs N` can grade in parallel beforehand.
        self.verdicts = Path(verdicts) if verdicts else None

    def module_path(self, slug: str, source: str) -> Path:
        """One file per distinct source: rewriting a file in place could let Python
        reuse the bytecode cached for the old text."""
        return self.directory / f"{slug}_{hashlib.sha256(source.encode()).hexdigest()[:16]}.py"

    def warm(self, slug: str) -> None:
        """Get ready for chapter ``slug`` before its first test cell asks: its checks and
        references loaded, and a worker started, on an empty module until then."""
        importlib.import_module(f"autograder.checks.{slug}")
        _reference(slug)
        if self.slot.worker is None:
            empty = self.directory / "empty.py"
            empty.write_text("")
            self.slot.get(empty, True, self.time_limit, self.memory)

    def grade(self, slug: str, exercise: str, source: str, hidden: bool = False) -> runner.ExerciseResult:
        """The visible (or hidden) part of grading ``exercise`` of chapter ``slug`` in
        ``source``."""
        path = self.module_path(slug, source)
        key = (slug, exercise, path.name)
        if key not in self.results:
            self.results[key] = self._stored(slug, exercise, source) or self._grade(
                slug, exercise, source, path
            )
        return self.results[key][hidden]

    def _verdict_file(self, slug: str, exercise: str, source: str) -> Path | None:
        if self.verdicts is None:
            return None
        what = f"{self.secret}|{self.hidden_cases}|{slug}|{exercise}|{source}"
        return self.verdicts / f"{hashlib.sha256(what.encode()).hexdigest()}.json"

    def _stored(self, slug: str, exercise: str, source: str) -> dict[bool, runner.ExerciseResult] | None:
        path = self._verdict_file(slug, exercise, source)
        if path is None or not path.exists():
            return None
        parts = json.loads(path.read_text())
        return {h == "hidden": runner.ExerciseResult(**r) for h, r in parts.items()}

    def _store(self, slug: str, exercise: str, source: str, parts: dict[bool, runner.ExerciseResult]) -> None:
        path = self._verdict_file(slug, exercise, source)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({("hidden" if h else "visible"): asdict(r) for h, r in parts.items()})
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(path)

    def _grade(self, slug: str, exercise: str, source: str, path: Path) -> dict[bool, runner.ExerciseResult]:
        parts = self._judge(slug, exercise, source, path)
        self._store(slug, exercise, source, parts)
        return parts

    def _judge(self, slug: str, exercise: str, source: str, path: Path) -> dict[bool, runner.ExerciseResult]:
        ch = chapter(slug)
        checks = {c.exercise: c for c in importlib.import_module(f"autograder.checks.{slug}").CHECKS}
        if exercise not in checks:
            raise CourseError(f"chapter {slug} has no exercise {exercise!r}; it has: {', '.join(checks)}")
        check = checks[exercise]
        worth = snapshots.points(slug, snapshots.preferred(slug))[exercise]
        parts = {h: runner.ExerciseResult(slug, exercise, "failed", 0, worth) for h in (False, True)}
        path.write_text(source)
        case_list = framework.cases(check, runner.devices(), hidden=self.hidden_cases, secret=self.secret)
        reference = _reference(slug)
        try:
            _refuse_solutions(source, path, exercise)
            worker = self.slot.get(path, True, self.time_limit, self.memory)
            if not worker.load["loaded"]:
                self.slot.close()  # a fresh worker for the next module
                raise _LoadFailed(f"running your notebook's definitions failed: {worker.load['error']}")
            worker.send(check, case_list)
            expected = [reference(exercise, case) for case in case_list]  # while the learner's code runs
            replies = worker.results(len(case_list))
        except (runner.WorkerDied, _LoadFailed) as e:
            if isinstance(e, runner.WorkerDied):
                self.slot.drop()
            for result in parts.values():
                result.messages.append(str(e))
            return parts
        for hidden, result in parts.items():
            picked = [t for t in zip(case_list, expected, replies) if t[0].shape.hidden == hidden]
            if not picked:  # a check without hidden cases: its hidden test has nothing to fail
                result.status, result.points = "passed", worth
                continue
            cases, wants, answers = (list(t) for t in zip(*picked))
            runner._judge(result, check, wants, cases, answers)
            if hidden and result.status == "failed":
                failed = sum(runner.problem_of(check, w, c, r) is not None for c, w, r in picked)
                result.messages = [
                    f"the hidden tests of {exercise} fail: {failed} of {len(picked)} cases with other "
                    "seeds and sizes (their inputs are not shown, so that they stay hidden)",
                    f"hint: {check.hint} (docs: {ch.url(anchor(exercise))})",
                ]
        return parts

    def close(self) -> None:
        self.slot.close()


def _reference(slug: str):
    """The chapter's references, from the same source as ``course check``'s."""
    return snapshots.reference(slug, snapshots.preferred(slug))


def _refuse_solutions(source: str, path: Path, exercise: str) -> None:
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise _LoadFailed(f"{path.name}:{e.lineno}: SyntaxError: {e.msg}") from None
    flagged = runner._solutions_imports(tree)
    for where in (None, exercise):
        if where in flagged:
            raise _LoadFailed(
                f"{path.name}:{flagged[where]}: imports `solutions`; graded code may not use the "
                "reference answers, so this exercise scores 0"
            )


def _answer(judge: Judge, line: str) -> dict | None:
    """The reply to one request; None for a warm-up, which gets none."""
    try:
        request = json.loads(line)
        if isinstance(request, dict) and "warm" in request:
            try:
                judge.warm(chapter(str(request["warm"])).slug)
            except (CourseError, runner.WorkerDied):  # the first real request will say what is wrong
                pass
            return None
        slug, exercise, source = request["chapter"], request["exercise"], request["source"]
        hidden = request.get("hidden", False)
        if not all(isinstance(v, str) for v in (slug, exercise, source)) or not isinstance(hidden, bool):
            raise TypeError("chapter, exercise and source must be strings, hidden a boolean")
        result = judge.grade(slug, exercise, source, hidden)
    except CourseError as e:
        return {"status": "error", "messages": [str(e)]}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return {"status": "error", "messages": [f"a malformed request ({type(e).__name__}: {e})"]}
    return {
        "status": result.status,
        "messages": result.messages,
        "module": judge.module_path(slug, source).name,
    }


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else writes to stdout here must not garble the replies
    with tempfile.TemporaryDirectory(prefix="course-nbgrader-") as tmp:
        judge = Judge(Path(tmp))
        try:
            for line in sys.stdin:
                reply = _answer(judge, line)
                if reply is not None:
                    replies.write(json.dumps(reply) + "\n")
                    replies.flush()
        finally:
            judge.close()


if __name__ == "__main__":
    main()
