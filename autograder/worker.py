"""The learner's process. It loads the learner's module and calls its functions on
the inputs the grader sends, under memory limits, with imports of ``solutions``
blocked. References and comparisons never enter this process.

Run by the grader as ``python -m autograder.worker FD MODULE_PATH MEMORY_BYTES BLOCK``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import importlib.abc
import importlib.util
import pickle
import resource
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from autograder.limits import data_held


class _BlockSolutions(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "solutions" or name.startswith("solutions."):
            raise ImportError("the autograder does not let graded code import `solutions`")
        return None


def _steady_heap() -> None:
    """Serve every block of 128 kB or more by its own mmap, returned on free. A never-build
    case lets this process allocate only a little more than it holds, and a chunked answer
    allocates and frees a block per chunk: with glibc's dynamic threshold those blocks come
    from the heap once one large block was freed, torch's aligned requests do not fit the
    holes their predecessors left, and the heap grows by a block per chunk until a correct
    answer runs out of memory."""
    try:
        ctypes.CDLL(None).mallopt(-3, 128 << 10)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def _limit_memory(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if max_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (max_bytes, max_bytes))


@functools.cache
def _limit_cuda_memory(max_bytes: int) -> None:
    """The same cap on the GPU, set before the first CUDA case: RLIMIT_DATA does not see
    device memory, and a dense vocab × vocab answer must fail there as it does on the CPU,
    with an out-of-memory error, rather than run on a large GPU until the time limit."""
    import torch

    if max_bytes > 0:
        total = torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, max_bytes / total))


@contextlib.contextmanager
def _case_memory(budget: int):
    """RLIMIT_DATA lowered to ``budget`` bytes above what this process holds, for one
    case (0: no change). A soft limit goes back up afterwards: the hard one stays."""
    if budget <= 0:
        yield
        return
    held = data_held()
    old = resource.getrlimit(resource.RLIMIT_DATA)
    cap = held + budget if old[0] == resource.RLIM_INFINITY else min(old[0], held + budget)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, old)


def _describe(exc: BaseException, module_path: str) -> str:
    """The exception and the last line of the learner's file in its traceback."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == module_path:
            where = f" (at {Path(frame.filename).name}:{frame.lineno}: {frame.line})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}{where}"


def _load(module_path: str):
    """The module at ``module_path``, compiled from its text as it is now: never from a cached
    .pyc, which a save within the same second as the last one could leave looking fresh."""
    spec = importlib.util.spec_from_file_location(f"graded_{Path(module_path).stem}", module_path)
    module = importlib.util.module_from_spec(spec)
    source = Path(module_path).read_bytes()
    exec(compile(source, module_path, "exec", dont_inherit=True), module.__dict__)
    return module


def _try_load(module_path: str):
    """(module, reply); the module is None when loading it failed."""
    try:
        return _load(module_path), {"loaded": True}
    except BaseException as exc:
        return None, {"loaded": False, "error": _describe(exc, module_path)}


def _run_case(call, case: dict, module_path: str, max_bytes: int) -> dict:
    import torch

    from autograder.wire import encode, to_wire

    device = case["device"]
    if device.startswith("cuda"):
        _limit_cuda_memory(max_bytes)
    kwargs = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in case["kwargs"].items()}
    try:
        with _case_memory(case.get("memory", 0)):
            out = call(**kwargs)
    except NotImplementedError:
        return {"status": "not attempted"}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: they cost this case only
        return {"status": "error", "error": _describe(exc, module_path)}
    try:
        value, meta = to_wire(out)
        after = {k: to_wire(v)[0] for k, v in kwargs.items() if isinstance(v, torch.Tensor)}
        encode(value)  # what cannot cross to the grader fails here, as this case's error
    except BaseException as exc:
        return {
            "status": "error",
            "error": f"your answer cannot be sent to the grader: {_describe(exc, module_path)}",
        }
    return {"status": "ok", "output": value, "meta": meta, "inputs_after": after}


def _run_request(module, request: dict, module_path: str, max_bytes: int) -> list[dict]:
    """Every case of one exercise. A check's driver (``module:name`` in the grader's
    package) calls the learner's code where the exercise is not a plain function."""
    if request["driver"]:
        where, name = request["driver"].split(":")
        driver = getattr(importlib.import_module(where), name)

        def call(**kwargs):
            return driver(module, **kwargs)
    else:
        call = getattr(module, request["function"], None)
        if not callable(call):
            return [{"status": "error", "error": f"no function named {request['function']}"}]
    return [_run_case(call, case, module_path, max_bytes) for case in request["cases"]]


def main(fd: int, module_path: str, max_bytes: int, block: bool) -> None:
    conn = Connection(fd)
    _steady_heap()
    _limit_memory(max_bytes)
    import torch  # noqa: F401  (imported before the learner's code can patch anything)

    from autograder.wire import encode

    if block:
        sys.meta_path.insert(0, _BlockSolutions())
    module, reply = _try_load(module_path)
    conn.send_bytes(encode(reply))
    if module is None:
        return
    while True:
        try:
            request = pickle.loads(conn.recv_bytes())  # from the grader, which we trust
        except EOFError:
            return
        if "load" in request:  # the same learner's next module: a notebook is graded cell by cell
            module_path = request["load"]
            module, reply = _try_load(module_path)
            conn.send_bytes(encode(reply))
            continue
        results = _run_request(module, request, module_path, max_bytes)
        conn.send_bytes(encode(results))


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1")
