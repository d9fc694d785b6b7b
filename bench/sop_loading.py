"""Validation time against the number of steps: loading an SOP must stay linear in its size.

Each size is an SOP whose steps alternate between two roles and where every fifth step is a
decision that sends the work back three steps (loops with a way out), validated from its text by
`parse_definition`, as `sopbot run` and `sopbot sop validate` do. Two more rows: the same table
closed into one loop with no way out (refused, after the loop checks have run), and a table over
the step cap (refused before any step is read). Then the flow checks alone, on step tables far
larger than a definition may be, to show that their cost per step stays flat.

    python -m bench.sop_loading [--sizes 50 100 250 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import yaml

from bench.figures import spread
from sopbot.engine.definition import END, Decision, Executor, OutputKind, Step
from sopbot.engine.durations import parse_standard_time
from sopbot.engine.flow_checks import check_flow
from sopbot.engine.limits import MAX_STEPS
from sopbot.engine.loader import parse_definition
from sopbot.engine.yaml_nodes import NodeReader

OVER_THE_CAP = 10_000
FLOW_SIZES = (1_000, 10_000, 100_000)


def sop_with_loops(steps: int, *, decision_every: int = 5, way_out: bool = True) -> str:
    """The YAML of an SOP of `steps` steps, one short line each so that large tables stay small.

    Every `decision_every`-th step (none when 0) is a decision whose 'tidak' goes back three
    steps. Without `way_out` the last step goes back to step 1, closing the whole table into one
    loop that never reaches the end.
    """
    rows = []
    for number in range(1, steps + 1):
        flow = ""
        last = number == steps
        if (
            decision_every
            and number % decision_every == 0
            and number > 3
            and not (last and not way_out)
        ):
            flow = f", keputusan: {{ya: {'selesai' if last else number + 1}, tidak: {number - 3}}}"
        elif last and not way_out:
            flow = ", lanjut: 1"
        role = "a" if number % 2 else "b"
        rows.append(
            f"  - {{no: {number}, kegiatan: K {number}, pelaksana: {role}, waktu: 1 Hari, "
            f"jenis_output: catatan{flow}}}\n"
        )
    return (
        "sop:\n  instansi: Dinas Uji\n  nomor: 000.1/9\n  nama: SOP Uji Muat\n"
        "  tanggal_pembuatan: 4 Mei 2026\n  tanggal_efektif: 4 Mei 2026\n"
        "  disahkan_oleh: {jabatan: Kepala Dinas, nama: Uji}\n"
        "pelaksana:\n  - {id: a, nama: Pejabat A}\n  - {id: b, nama: Pejabat B}\n"
        "langkah:\n" + "".join(rows)
    )


def _validate(text: str) -> Callable[[], None]:
    def run() -> None:
        parse_definition(text, source="uji.yaml", sop_id="uji/muat", agency_key="uji")

    return run


def _flow_steps(steps: int) -> list[Step]:
    """A step table shaped like `sop_with_loops`, built directly (no YAML), for the flow checks."""
    time_ = parse_standard_time("1 Hari")
    table = []
    for number in range(1, steps + 1):
        decision = None
        if number % 5 == 0 and number > 3:
            decision = Decision.approval(None, number + 1 if number < steps else END, number - 3)
        table.append(
            Step(
                number=number,
                activity=f"K {number}",
                executors=(Executor("a"),),
                standard_time=time_,
                output_kind=OutputKind.NOTE,
                next=number + 1 if number < steps else END,
                decision=decision,
                line=number,
            )
        )
    return table


def _flow_checks(steps: list[Step]) -> Callable[[], None]:
    def run() -> None:
        check_flow(steps, NodeReader("uji.yaml"))

    return run


def _seconds(work: Callable[[], None], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 250, MAX_STEPS])
    parser.add_argument("--flow-sizes", type=int, nargs="+", default=list(FLOW_SIZES))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    validation: dict[str, Any] = {}
    for steps in args.sizes:
        times = _seconds(_validate(sop_with_loops(steps)), args.runs)
        validation[str(steps)] = {
            "seconds": spread(times),
            "us_per_step": spread([t / steps * 1e6 for t in times]),
        }
    largest = max(args.sizes)
    closed = _seconds(_validate(sop_with_loops(largest, way_out=False)), args.runs)
    over = _seconds(
        _validate(sop_with_loops(OVER_THE_CAP, decision_every=0, way_out=False)), args.runs
    )
    flow: dict[str, Any] = {}
    for steps in args.flow_sizes:
        table = _flow_steps(steps)
        times = _seconds(_flow_checks(table), args.runs)
        flow[str(steps)] = {
            "seconds": spread(times),
            "us_per_step": spread([t / steps * 1e6 for t in times]),
        }
    summary = {
        "runs": args.runs,
        "libyaml": bool(yaml.__with_libyaml__),
        "validation": validation,
        f"closed_loop_{largest}_s": spread(closed),
        f"over_the_cap_{OVER_THE_CAP}_s": spread(over),
        "flow_checks_only": flow,
    }
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
