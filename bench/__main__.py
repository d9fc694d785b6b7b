"""Every benchmark in one run, and docs/BENCHMARKS.md written from what it measured.

    python -m bench [--runs 5] [--quick] [--only NAME ...] [--output docs/BENCHMARKS.md]
                    [--json figures.json]
    python -m bench --rerender figures.json

`--quick` shrinks every size (a check that the suite runs, not figures to publish).
`--json` keeps the raw figures of the run; `--rerender` writes the report again from them
without measuring, so an explanation in `bench/findings.md` written after a run can quote that
run's figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import BENCHMARKS, Measured, machine, render

REPO = Path(__file__).resolve().parents[1]


def _record(
    measured: list[Measured], host: dict[str, str], when: dt.datetime, runs: int, quick: bool
) -> dict[str, Any]:
    """Everything the report is rendered from, as JSON-ready data."""
    return {
        "measured_at": when.isoformat(),
        "machine": host,
        "runs": runs,
        "quick": quick,
        "benchmarks": {
            m.benchmark.name: {"seconds": m.seconds, "summary": m.summary} for m in measured
        },
    }


def _rerender(record: dict[str, Any]) -> str:
    """The report again from a record written by `--json`, in the suite's order."""
    kept = record["benchmarks"]
    unknown = sorted(set(kept) - {b.name for b in BENCHMARKS})
    if unknown:
        raise SystemExit(f"unknown benchmarks in the figures: {', '.join(unknown)}")
    measured = [
        Measured(b, kept[b.name]["summary"], kept[b.name]["seconds"])
        for b in BENCHMARKS
        if b.name in kept
    ]
    when = dt.datetime.fromisoformat(record["measured_at"])
    return render(measured, record["machine"], when, record["runs"], record["quick"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named (default: all) and write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHMARKS])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also keep the raw figures here")
    parser.add_argument(
        "--rerender", type=Path, help="write the report from figures kept by --json; no runs"
    )
    args = parser.parse_args(argv)
    if args.rerender is not None:
        report = _rerender(json.loads(args.rerender.read_text(encoding="utf-8")))
    else:
        report = _run(args)
    args.output.write_text(report, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> str:
    """Run the benchmarks `args` names, keep their figures if asked, and render the report."""
    measured: list[Measured] = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        print(f"== {benchmark.name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        summary = benchmark.run(args.runs, args.quick)
        measured.append(Measured(benchmark, summary, time.perf_counter() - started))
    host, when = machine(), dt.datetime.now(dt.UTC)
    if args.json is not None:
        record = _record(measured, host, when, args.runs, args.quick)
        args.json.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return render(measured, host, when, args.runs, args.quick)


if __name__ == "__main__":
    sys.exit(main())
