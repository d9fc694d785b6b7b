"""`sopbot run` under cProfile, every thread of it, each function timed by the CPU its thread
used (not the wall clock, which a waiting event loop or a thread waiting for the database
fills): `python -m bench.profiled_worker OUT.prof`, with the worker's settings in the
environment. The event loop's profile and those of the threads the worker starts (its database
work goes to threads) are merged into OUT.prof when the worker stops (SIGTERM).

    python -m bench.province_day --quick --logs DIR --profile  # DIR/worker-N.prof
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from types import FrameType
from typing import Any

from sopbot.cli import main

_threads: list[cProfile.Profile] = []
_lock = threading.Lock()


def _profile_this_thread(frame: FrameType, event: str, arg: Any) -> None:
    """The first profiling event of a new thread: give it a profiler of its own (which then
    takes the thread's profiling hook over from this function)."""
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _threads.append(profile)
    profile.enable()


def run(output: str) -> int:
    """Run the worker, profiled; write the merged profile to `output` when it stops."""
    threading.setprofile(_profile_this_thread)
    loop = cProfile.Profile(time.thread_time)
    loop.enable()
    try:
        return main(["run"])
    finally:
        loop.disable()
        threading.setprofile(None)
        merged = pstats.Stats(loop)
        with _lock:
            for profile in _threads:
                # The other threads are idle as the worker stops; their profilers are read
                # as they stand (disabling one here would stop this thread's, not theirs).
                profile.snapshot_stats()
                merged.add(profile)
        merged.dump_stats(output)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
