"""``python -m bench`` (or ``course bench``): every benchmark suite, as one table of
medians with each baseline's time and how many times faster ours is, and a JSON file.

``--smoke`` runs each suite once at toy sizes: CI uses it to prove the suites still
run, and its numbers mean nothing. ``--device cuda`` runs the suites that work on
tensors (``factored``, ``model``) on the GPU; the ``check`` suite grades on every device
there is, and the others run on the CPU.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from bench.harness import Row, fmt_seconds

SUITES = ("factored", "model", "training", "check", "site", "nbgrader")


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def table(rows: list[Row]) -> str:
    lines = [f"{'suite':<10} {'row':<44} {'ours':>10}  baselines (time, ours × faster, peak MB)"]
    for r in rows:
        parts = []
        for name, t in r.baselines.items():
            ratio = r.ratios()[name]
            parts.append(f"{name} {fmt_seconds(t)}" + (f" ({ratio:.2f}×)" if ratio else ""))
        peaks = ", ".join(f"{k} {v:.0f} MB" for k, v in r.peak_mb.items() if v is not None)
        extra = "; ".join(p for p in (", ".join(parts), peaks, r.note) if p)
        lines.append(f"{r.suite:<10} {r.name:<44} {fmt_seconds(r.ours):>10}  {extra}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("suites", nargs="*", help=f"some of: {', '.join(SUITES)} (default: all)")
    p.add_argument("--smoke", action="store_true", help="toy sizes, one repeat: checks that the suites run")
    p.add_argument("--device", default="cpu", help="where the factored and model suites run: cpu or cuda")
    p.add_argument(
        "--json", type=Path, default=Path("bench/results/latest.json"), help="where to write the results"
    )
    args = p.parse_args(argv)
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        p.error(f"no suite named {unknown[0]!r}; the suites are: {', '.join(SUITES)}")
    if args.device != "cpu" and not torch.cuda.is_available():
        p.error(f"--device {args.device}: torch sees no GPU here (torch {torch.__version__})")
    rows: list[Row] = []
    on_device: list[str] = []
    for suite in args.suites or SUITES:
        try:
            module = importlib.import_module(f"bench.{suite}")
        except ModuleNotFoundError as e:
            print(f"skipping {suite}: {e}", file=sys.stderr)
            continue
        if getattr(module, "ON_DEVICE", False):
            on_device.append(suite)
            rows += module.rows(args.smoke, args.device)
        else:
            rows += module.rows(args.smoke)
    if on_device:
        print(f"{' and '.join(on_device)} on {args.device}")
    print(table(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": machine(),
                "device": args.device,
                "smoke": args.smoke,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
    )
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
