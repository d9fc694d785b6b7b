"""Heavy files (/laporan, /ekspor): one at a time per member, a few at a time for the bot."""

from __future__ import annotations

import asyncio

from sopbot.handlers.common import HeavyJobs


async def test_a_member_has_one_job_at_a_time_and_the_bot_a_few() -> None:
    jobs = HeavyJobs(at_once=2)
    release = asyncio.Event()
    running: list[int] = []
    turns: list[tuple[int, bool]] = []

    async def job(member: int) -> None:
        async with jobs.turn(member) as allowed:
            turns.append((member, allowed))
            if allowed:
                running.append(member)
                await release.wait()

    first = asyncio.create_task(job(1))
    await asyncio.sleep(0)
    await job(1)  # a second tap of the same member while the first is made: refused at once
    others = [asyncio.create_task(job(member)) for member in (2, 3)]
    await asyncio.sleep(0.05)
    assert turns[:2] == [(1, True), (1, False)]
    assert running == [1, 2]  # member 3 waits for a slot
    release.set()
    await asyncio.gather(first, *others)
    assert running == [1, 2, 3]
    async with jobs.turn(1) as again:  # once done, the member may ask again
        assert again
