"""Grading a chapter: the learner's functions run in a worker process; references,
comparisons and invariants run here, where the learner's code cannot reach them.

One worker serves a whole chapter, since starting one costs about a second. If it
dies or hangs, that exercise fails and a fresh worker takes the rest.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from autograder import framework, snapshots
from autograder.limits import data_held
from autograder.paths import module_file
from autograder.wire import decode
from course.chapters import chapter
from course.errors import CourseError
from course.exercise import anchor

#: Where the grader's own packages are: the worker starts there, not in the learner's folder.
_PACKAGES = Path(__file__).resolve().parents[1]
#: Seconds one exercise may take across all its cases, and bytes of memory a worker
#: may allocate. Generous for correct code, small enough to stop runaway code.
TIME_LIMIT = float(os.environ.get("COURSE_CHECK_TIME_LIMIT", 30))
MEMORY_LIMIT = int(os.environ.get("COURSE_CHECK_MEMORY_LIMIT", 8 << 30))
#: The same for judging one exercise here, in the grader's own process, and the largest
#: reply it reads: more than any correct answer needs.
JUDGE_TIME_LIMIT = float(os.environ.get("COURSE_JUDGE_TIME_LIMIT", 60))
JUDGE_MEMORY = int(os.environ.get("COURSE_JUDGE_MEMORY", 2 << 30))
MAX_REPLY_BYTES = 256 << 20


@dataclass
class ExerciseResult:
    chapter: str
    exercise: str
    status: str  # "passed", "failed" or "not attempted"
    points: int
    max_points: int
    messages: list[str] = field(default_factory=list)


@dataclass
class ChapterResult:
    chapter: str
    path: str
    exercises: list[ExerciseResult]
    devices: list[str]
    error: str | None = None  # a problem with the whole file, e.g. a syntax error

    def to_dict(self) -> dict:
        return asdict(self)


class WorkerDied(Exception):
    pass


class Worker:
    """A learner process; see ``autograder.worker``."""

    def __init__(
        self, module_path: Path, block_solutions: bool, time_limit: float, memory: int, sandbox=None
    ):
        self.time_limit, self.sandbox = time_limit, sandbox
        ours, theirs = socket.socketpair()
        # A worker that stops reading (learner code that floods the channel with replies of
        # its own, say) must not block the grader's requests forever: sends time out.
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", max(1, int(time_limit)), 0))
        command = [sys.executable, "-m", "autograder.worker", str(theirs.fileno()), str(module_path),
                   str(memory), "1" if block_solutions else "0"]  # fmt: skip
        if sandbox is not None:
            command = sandbox.wrap(command, Path(module_path).parent)
        self.proc = subprocess.Popen(
            command,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,  # the learner's prints must not mix with --json output
            cwd=_PACKAGES,  # a folder of the learner's cannot shadow the grader's modules
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.path, self.block_solutions = Path(module_path), block_solutions
        self.load = _load_reply(self._receive(self.time_limit + 30))  # imports torch first

    def _receive(self, timeout: float):
        if not self.conn.poll(timeout):
            self.close()
            raise WorkerDied(f"timed out after {timeout:.0f} s: an infinite loop, or far too slow")
        try:
            data = self.conn.recv_bytes(MAX_REPLY_BYTES)
        except OSError as exc:
            if "bad message length" in str(exc):  # refused before it is read
                self.close()
                raise WorkerDied(f"your answer is larger than {MAX_REPLY_BYTES >> 20} MB") from None
            data = None
        except EOFError:
            data = None
        if data is None:  # it exited, or closed our channel: either way it is done
            self.close()
            code = self.proc.returncode
            raise WorkerDied(
                f"your code ended the grading process (exit status {code}): "
                "sys.exit/os._exit, a crash, or running out of memory"
            ) from None
        try:
            return decode(data)
        except Exception as exc:  # a malformed or hostile reply
            self.close()
            raise WorkerDied(
                f"the grading process sent back something unreadable ({type(exc).__name__})"
            ) from None

    def send(self, check: framework.Check, cases: list[framework.Case]) -> None:
        """Start the learner's code on ``cases``; ``results`` collects the replies. In
        between, the grader is free to compute the references on its own core."""
        driver = check.driver
        request = {
            "function": check.exercise,
            "driver": f"{driver.__module__}:{driver.__name__}" if driver else None,
            "cases": [{"device": c.device, "kwargs": c.kwargs, "memory": c.shape.memory} for c in cases],
        }
        try:
            self.conn.send_bytes(pickle.dumps(request))
        except OSError:
            self.close()
            raise WorkerDied("the grading process is gone, or stopped reading") from None

    def results(self, n_cases: int) -> list[dict]:
        replies = self._receive(self.time_limit)
        # One reply per case, or one for all (no such function). Learner code can write to
        # the channel itself: an empty list would otherwise pass every case.
        if not isinstance(replies, list) or len(replies) not in (1, n_cases):
            self.close()
            raise WorkerDied("the grading process sent back the wrong number of results")
        return replies * n_cases if len(replies) == 1 else replies

    def reload(self, module_path: Path) -> dict:
        """Load another module of the same learner into this warm worker, as the
        notebook grader does for each test cell; returns (and keeps) the load reply."""
        try:
            self.conn.send_bytes(pickle.dumps({"load": str(module_path)}))
        except OSError:
            self.close()
            raise WorkerDied("the grading process is gone, or stopped reading") from None
        self.path, self.load = Path(module_path), _load_reply(self._receive(self.time_limit))
        return self.load

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.conn.close()


def _load_reply(reply) -> dict:
    """The worker's word on loading a module, as ``{"loaded": bool, "error": str}``;
    anything else (learner code can write to the channel) reads as a failed load."""
    if isinstance(reply, dict) and reply.get("loaded") is True:
        return {"loaded": True, "error": ""}
    error = reply.get("error") if isinstance(reply, dict) else None
    return {"loaded": False, "error": str(error)[:1000] if error else "it sent back something malformed"}


class WorkerSlot:
    """At most one warm worker, reused from chapter to chapter of the same learner:
    starting one costs over a second, loading another module into it almost nothing.
    With a ``sandbox`` (``autograder.sandbox``), the worker runs inside it, and sees
    only its module's folder."""

    def __init__(self, sandbox=None) -> None:
        self.worker: Worker | None = None
        self.sandbox = sandbox

    def get(self, path: Path, block_solutions: bool, time_limit: float, memory: int) -> Worker:
        w = self.worker
        if w is not None and (
            w.block_solutions != block_solutions
            or w.time_limit != time_limit
            or (self.sandbox is not None and w.path.parent != Path(path).parent)
        ):
            self.close()
            w = None
        if w is None:
            self.worker = Worker(path, block_solutions, time_limit, memory, self.sandbox)
        elif w.path != Path(path):
            w.reload(path)
        return self.worker

    def drop(self) -> None:
        """Forget a worker that died; the next ``get`` starts a fresh one."""
        self.worker = None

    def close(self) -> None:
        if self.worker:
            self.worker.close()
        self.worker = None


def devices() -> list[str]:
    """Every device the grader can use: the CPU always, CUDA when present."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _solutions_imports(tree: ast.Module) -> dict[str | None, int]:
    """Where the file imports ``solutions`` (or names it in a string, as
    ``importlib.import_module`` would need): exercise name (``function`` or
    ``Class.method``; None for module level, class bodies included) → line."""
    found: dict[str | None, int] = {}

    def visit(node: ast.AST, function: str | None, cls: str | None = None) -> None:
        if isinstance(node, ast.ClassDef) and function is None and cls is None:
            cls = node.name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and function is None:
            function = f"{cls}.{node.name}" if cls else node.name
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        if any(n.split(".")[0] == "solutions" for n in names):
            found.setdefault(function, node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, function, cls)

    visit(tree, None)
    return found


def grade_chapter(
    slug: str,
    impl: str = "exercises",
    only: list[str] | None = None,
    hidden: bool | None = None,
    time_limit: float = TIME_LIMIT,
    memory: int = MEMORY_LIMIT,
    path: Path | None = None,
    use_snapshots: bool | None = None,
    slot: WorkerSlot | None = None,
) -> ChapterResult:
    """Grade ``impl`` (``exercises`` or ``solutions``) of chapter ``slug``, or the file at
    ``path``. ``only`` restricts grading to the named exercises. References come from
    the stored snapshots, or from ``solutions/`` where there is no snapshot (or when
    ``use_snapshots`` is False). A ``slot``
    shared between calls keeps one worker warm across chapters."""
    chapter(slug)  # an unknown chapter fails here, naming the chapters there are
    path = Path(path) if path else module_file(impl, slug)
    if use_snapshots is None:
        use_snapshots = snapshots.preferred(slug)
    if hidden is None:  # a learner's kit has the visible cases' references only
        hidden = snapshots.have_solutions()
    reference = snapshots.reference(slug, use_snapshots)
    check_list = importlib.import_module(f"autograder.checks.{slug}").CHECKS
    checks = {c.exercise: c for c in check_list}
    names = [c.exercise for c in check_list]
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise CourseError(f"chapter {slug} has no exercise {unknown[0]!r}; it has: {', '.join(names)}")
        names = [n for n in names if n in only]
    devs = devices()
    worth = snapshots.points(slug, use_snapshots)
    results = {n: ExerciseResult(slug, n, "failed", 0, worth[n]) for n in names}
    chapter_result = ChapterResult(slug, str(path), list(results.values()), devs)

    def fail_all(message: str) -> ChapterResult:
        chapter_result.error = message
        for r in results.values():
            r.messages.append(message)
        return chapter_result

    if not path.exists():
        raise CourseError(f"{path} does not exist; run `course exercises build` to create it")
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as e:
        return fail_all(f"{path}:{e.lineno}:{e.offset}: SyntaxError: {e.msg}\n    {(e.text or '').rstrip()}")
    block = impl != "solutions"
    flagged = _solutions_imports(tree) if block else {}
    if None in flagged:
        return fail_all(
            f"{path}:{flagged[None]}: imports `solutions`; graded code may not use the reference answers"
        )

    own_slot = slot is None
    slot = slot or WorkerSlot()
    try:
        for name in names:
            result, check = results[name], checks[name]
            if name in flagged:
                result.messages.append(f"{path}:{flagged[name]}: imports `solutions`; this exercise scores 0")
                continue
            try:
                worker = slot.get(path, block, time_limit, memory)
                if not worker.load["loaded"]:
                    slot.close()  # a worker whose first module failed has exited
                    return fail_all(f"{path}: importing it failed: {worker.load['error']}")
                case_list = framework.cases(check, devs, hidden)
                worker.send(check, case_list)
                expected = [reference(check.exercise, case) for case in case_list]  # meanwhile
                replies = worker.results(len(case_list))
            except WorkerDied as e:
                result.messages.append(str(e))
                slot.drop()
                continue
            _judge(result, check, expected, case_list, replies)
    finally:
        if own_slot:
            slot.close()
    return chapter_result


def _judge(result: ExerciseResult, check, expected, case_list, replies) -> None:
    """Score one exercise from the worker's replies. Nothing in a reply is trusted: a
    malformed one, or one that makes the comparison itself fail, fails its case."""
    if any(isinstance(r, dict) and r.get("status") == "not attempted" for r in replies):
        result.status = "not attempted"
        return
    problems = []
    with judging_limits(JUDGE_TIME_LIMIT, JUDGE_MEMORY):
        for case, want, reply in zip(case_list, expected, replies):
            problem = problem_of(check, want, case, reply)
            if problem:
                problems.append(f"{case.label}: {problem}")
    if not problems:
        result.status, result.points = "passed", result.max_points
        return
    result.messages.extend(problems[:3])
    if len(problems) > 3:
        result.messages.append(f"… and {len(problems) - 3} more failing cases")
    result.messages.append(
        f"hint: {check.hint} (docs: {chapter(result.chapter).url(anchor(result.exercise))})"
    )


class JudgingLimit(Exception):
    pass


@contextlib.contextmanager
def judging_limits(seconds: float, memory: int) -> Iterator[None]:
    """Time and memory limits on judging one exercise in this process, which runs no
    learner code but reads the learner's values: a comparison that runs away fails that
    exercise. The memory cap is RLIMIT_DATA above what this process holds now; the
    clock is SIGALRM, so it applies in the main thread only (the nbgrader judge's and
    ``course check``'s)."""
    timed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if timed:

        def expired(*_):
            raise JudgingLimit(f"judging your answer took over {seconds:.0f} s")

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    old = _cap_data(memory)
    try:
        yield
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if old is not None:
            resource.setrlimit(resource.RLIMIT_DATA, old)


def _cap_data(memory: int):
    """Lower RLIMIT_DATA to ``memory`` bytes above the data this process holds; return the
    old limits, or None where that cannot be done (not Linux, or a lower hard limit)."""
    try:
        held = data_held()
        old = resource.getrlimit(resource.RLIMIT_DATA)
        cap = held + memory
        if old[1] != resource.RLIM_INFINITY and cap > old[1] or memory <= 0:
            return None
        resource.setrlimit(resource.RLIMIT_DATA, (cap, old[1]))
        return old
    except (OSError, ValueError, StopIteration):
        return None


def problem_of(check, expected, case, reply) -> str | None:
    """What is wrong with one case's reply, or None; never raises. Whatever breaks while
    judging becomes this case's failure, naming what was expected."""
    try:
        return _problem(check, expected, case, reply)
    except JudgingLimit as e:
        return f"{e}; expected {framework.describe(expected)}"
    except (Exception, RecursionError) as e:  # MemoryError included: the cap above tripped
        got = reply.get("output") if isinstance(reply, dict) else reply
        return (
            f"the grader could not judge your answer ({type(e).__name__}): expected "
            f"{framework.describe(expected)}, got {_safe_describe(got)}"
        )


def _safe_describe(value) -> str:
    try:
        return framework.describe(value)
    except Exception:
        return "something unreadable"


def _problem(check, expected, case, reply) -> str | None:
    if not isinstance(reply, dict) or reply.get("status") not in ("ok", "error"):
        return "the grading process sent back a malformed reply"
    if reply["status"] == "error":
        return str(reply.get("error"))[:1000] + _out_of_memory(check, reply.get("error"))
    mutated = framework.mutated_inputs(case, reply.get("inputs_after"))
    if mutated:
        return mutated
    got, meta = reply.get("output"), reply.get("meta")
    problem = framework.compare(expected, got, meta, case, values=False, counts=check.counts)
    if problem:
        return problem
    if check.judge or check.canonical:  # they compute with the answer: not with a broken one
        broken = framework.nonfinite(expected, got)
        if broken:
            return broken
    if check.judge:
        return check.judge(case.kwargs, got)
    if check.canonical:
        expected, got = check.canonical(expected), check.canonical(got)
        meta = {"device": case.device}
    problem = framework.compare(expected, got, meta, case, counts=check.counts)
    if problem:
        # Right structure, wrong values: an invariant, when one is broken, says why.
        for invariant in check.invariants:
            complaint = _quietly(invariant, case.kwargs, reply["output"])
            if complaint:
                return f"{complaint}. {problem}"
        if check.fragile and case.dtype == torch.float32:
            return f"{problem}. {check.fragile}"
    return problem


def _quietly(invariant, inputs, output) -> str | None:
    """An invariant's complaint; None where it cannot read this answer (a Python number
    for a 0-d tensor, say): the comparison has already said what is wrong."""
    try:
        return invariant(inputs, output)
    except Exception:
        return None


def _out_of_memory(check, error) -> str:
    """Advice for an answer that ran out of memory where the docstring forbids the product."""
    text = str(error)
    if check.never_build and (
        "allocate memory" in text or "out of memory" in text.lower() or "MemoryError" in text
    ):
        return f". This case is too large for it: {check.never_build}"
    return ""


def grade(
    slugs: list[str], impl: str = "exercises", only: list[str] | None = None, **kw
) -> list[ChapterResult]:
    """Grade each chapter in ``slugs`` with one warm worker. A chapter whose grading
    breaks (a bug of the grader's: the learner's answers cannot cause one) fails alone,
    with the error, and the others are still graded."""
    slot = WorkerSlot()
    results = []
    try:
        for slug in slugs:
            try:
                results.append(grade_chapter(slug, impl, only, slot=slot, **kw))
            except CourseError:
                raise
            except Exception as e:
                slot.close()
                results.append(
                    _broken(slug, impl, only, f"grading this chapter failed: {type(e).__name__}: {e}")
                )
    finally:
        slot.close()
    return results


def _broken(slug: str, impl: str, only: list[str] | None, error: str) -> ChapterResult:
    checks = importlib.import_module(f"autograder.checks.{slug}").CHECKS
    worth = snapshots.points(slug, snapshots.preferred(slug))
    names = [c.exercise for c in checks if not only or c.exercise in only]
    exercises = [ExerciseResult(slug, n, "failed", 0, worth.get(n, 0), [error]) for n in names]
    return ChapterResult(slug, str(module_file(impl, slug)), exercises, devices(), error)
