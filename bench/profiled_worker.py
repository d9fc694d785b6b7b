"""`sopbot run` under cProfile, timing each function by the CPU its thread used (not the
wall clock, which a waiting event loop fills): `python -m bench.profiled_worker OUT.prof`, with
the worker's settings in the environment. The profile is written when the worker stops
(SIGTERM). cProfile follows the thread that started it: the event loop, where a worker spends
most of its CPU (the database work in its threads is not in the profile).

    python -m bench.province_day --quick --logs DIR --profile  # DIR/worker-N.prof
"""

from __future__ import annotations

import cProfile
import sys
import time

from sopbot.cli import main


def run(output: str) -> int:
    """Run the worker, profiled; write the profile to `output` when it stops."""
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        return main(["run"])
    finally:
        profile.disable()
        profile.dump_stats(output)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
