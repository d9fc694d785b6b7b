"""Every benchmark in one run, and docs/BENCHMARKS.md written from what it measured.

    python -m bench [--runs 5] [--quick] [--only NAME ...] [--output docs/BENCHMARKS.md]

`--quick` shrinks every size (a check that the suite runs, not figures to publish).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from bench.report import BENCHMARKS, Measured, machine, render

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named (default: all) and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHMARKS])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also keep the raw figures here")
    args = parser.parse_args(argv)
    measured: list[Measured] = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        print(f"== {benchmark.name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        summary = benchmark.run(args.runs, args.quick)
        measured.append(Measured(benchmark, summary, time.perf_counter() - started))
    report = render(measured, machine(), dt.datetime.now(dt.UTC), args.runs, args.quick)
    args.output.write_text(report, encoding="utf-8")
    if args.json is not None:
        args.json.write_text(
            json.dumps({m.benchmark.name: m.summary for m in measured}, indent=2),
            encoding="utf-8",
        )
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
