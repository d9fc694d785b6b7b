"""A burst of 1,000 reminders to 1,000 chats: no 429 from a bot API that enforces the limits.

The burst is the flood benchmark's run (`bench/flood_rate.py`): the emulator runs in a process
of its own, as Telegram does, and counts arrivals to the millisecond, which a shared event loop
or the GIL would distort.
"""

from __future__ import annotations

from bench.flood_rate import one_run

CHATS = 1_000


async def test_a_burst_of_reminders_stays_within_the_flood_limits() -> None:
    result = await one_run(CHATS)
    assert result["unsent"] == 0
    assert result["accepted"] == CHATS
    assert result["refusals_429"] == 0
