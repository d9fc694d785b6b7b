"""The flood buckets keep to Telegram's limits (on a fake clock, but for the stall test)."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from sopbot.delivery.flood import (
    TELEGRAM_LIMITS,
    FloodControl,
    FloodLimits,
    Pacer,
    SlidingWindow,
    TokenBucket,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sent_within(
    bucket: TokenBucket | SlidingWindow, clock: FakeClock, seconds: float, step: float
) -> int:
    sent = 0
    while clock.now < seconds:
        if bucket.wait_time() == 0:
            bucket.take()
            sent += 1
        else:
            clock.now += step
    return sent


def test_the_bot_keeps_within_telegrams_limits() -> None:
    # One definition for both sides: what the sender keeps, and what the emulator enforces.
    kept, telegram = FloodLimits(), TELEGRAM_LIMITS
    assert kept.per_private_chat_per_second <= telegram.per_private_chat_per_second
    assert kept.private_burst <= telegram.private_burst
    assert kept.per_group_per_minute < telegram.per_group_per_minute
    assert kept.overall_per_second < telegram.overall_per_second


def test_a_private_chat_gets_about_one_message_a_second_after_a_small_burst() -> None:
    clock = FakeClock()
    limits = FloodLimits()
    bucket = TokenBucket(limits.per_private_chat_per_second, limits.private_burst, clock=clock)
    # The burst, then one a second: never more, and at most one short at the boundary.
    assert 3 + 60 - 1 <= sent_within(bucket, clock, 60, 0.01) <= 3 + 60


def test_overall_paced_evenly_with_no_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(FloodLimits().overall_per_second, clock=clock)
    # A burst of demand at once: slots are spaced evenly, 29 in any second.
    slots = [pacer.reserve() for _ in range(290)]
    # (a hair under one second, so that float rounding of 29 x 1/29 does not count a 30th)
    assert max(sum(1 for t in slots if start <= t < start + 1 - 1e-9) for start in slots) <= 29
    assert slots[-1] - slots[0] == pytest.approx(289 / FloodLimits().overall_per_second)
    # After an idle spell nothing was saved up: the next slots start from now.
    clock.now = 100.0
    rate = FloodLimits().overall_per_second
    assert [pacer.reserve() for _ in range(2)] == pytest.approx([100.0, 100.0 + 1 / rate])


def test_a_group_never_gets_more_than_twenty_a_minute() -> None:
    clock = FakeClock()
    limits = FloodLimits()
    bucket = SlidingWindow(limits.per_group_per_minute, 60.0, clock=clock)
    assert sent_within(bucket, clock, 60, 0.05) <= 20


async def test_catching_up_after_a_stall_never_puts_more_than_the_rate_in_a_second() -> None:
    # Real time: the event loop stalls (as in a long garbage collection) while callers wait.
    # Without the window, the callers whose slots passed would leave at min_gap and put more
    # than `rate` sends in the second around the stall.
    rate = 50.0
    pacer = Pacer(rate)
    sends: list[float] = []

    async def sender() -> None:
        for _ in range(20):
            await pacer.acquire()
            sends.append(time.monotonic())

    async def stall() -> None:
        await asyncio.sleep(0.3)
        time.sleep(0.3)  # noqa: ASYNC251 - blocks the loop on purpose

    await asyncio.gather(*(sender() for _ in range(6)), stall())
    assert len(sends) == 120
    in_any_second = max(sum(1 for t in sends if start <= t < start + 1.0) for start in sends)
    assert in_any_second <= math.ceil(rate)


def test_workers_sharing_one_bot_each_keep_their_share_of_the_overall_pace() -> None:
    clock = FakeClock()
    limits = FloodLimits()
    flood = FloodControl(limits, clock=clock)
    flood.share_among(3)
    # A burst of demand on one of three workers: its slots a third of the bot's pace apart,
    # so the three together keep within Telegram's limit in any second.
    slots = [flood.overall.reserve() for _ in range(90)]
    share = limits.overall_per_second / 3
    assert slots[-1] - slots[0] == pytest.approx(89 / share)
    most_in_a_second = max(sum(1 for t in slots if s <= t < s + 1 - 1e-9) for s in slots)
    assert 3 * most_in_a_second <= TELEGRAM_LIMITS.overall_per_second
    # The others stopped: the whole pace again.
    flood.share_among(1)
    assert flood.overall.rate == limits.overall_per_second
