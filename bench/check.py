"""How long `course check` takes to grade one chapter: the median of repeated runs,
split into worker start-up and the rest. Run: ``python -m bench.check [--repeat N]``.

Grading the reference solutions exercises the whole path (worker, every case on every
device, comparisons) without failing early.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from autograder.paths import module_file
from autograder.runner import Worker, grade_chapter
from course.chapters import CHAPTERS


def measure(repeat: int) -> dict:
    rows = {}
    for slug in CHAPTERS:
        path = module_file("solutions", slug)
        times, startup = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            worker = Worker(path, block_solutions=False, time_limit=60, memory=0)
            startup.append(time.perf_counter() - t)
            worker.close()
            t = time.perf_counter()
            grade_chapter(slug, "solutions")
            times.append(time.perf_counter() - t)
        rows[slug] = {
            "grade_seconds_median": statistics.median(times),
            "worker_startup_seconds_median": statistics.median(startup),
            "repeat": repeat,
        }
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args()
    rows = measure(args.repeat)
    for slug, r in rows.items():
        print(
            f"{slug:<20} grade {r['grade_seconds_median']:.2f} s (median of {r['repeat']}), "
            f"of which worker start-up {r['worker_startup_seconds_median']:.2f} s"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
