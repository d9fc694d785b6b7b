"""Telegram's flood limits, kept by the sender before each call instead of learnt from 429s:
about 1 message a second per private chat (a token bucket with a small burst), at most 20 in
any minute per group (a sliding window, counted one under the limit); overall, sends are paced
evenly at 28.8 a second (96% of Telegram's 30), never more than 29 in any second, leaving room
for the jitter of the network and of event loops."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    updated: float = field(init=False)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def wait_time(self) -> float:
        """Seconds until a token is free (0 when one is free now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Use a token (call after wait_time() returned 0)."""
        self._refill()
        self.tokens -= 1

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


@dataclass
class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    limit: int
    period: float
    clock: Callable[[], float] = time.monotonic
    events: deque[float] = field(default_factory=deque)

    def wait_time(self) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        now = self.clock()
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.period - now

    def take(self) -> None:
        """Record an event (call after wait_time() returned 0)."""
        self.events.append(self.clock())


class Pacer:
    """Spaces events evenly at `rate` a second: each caller reserves the next slot of a fixed
    schedule and sleeps until it. A caller that wakes late does not shift the others, so the
    rate holds under load; when the schedule falls behind the clock (idle) it restarts, so no
    burst builds up: never more than `rate` in any second."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._next: float | None = None
        self._last = float("-inf")
        self.set_rate(rate)
        self._lock = asyncio.Lock()

    def set_rate(self, rate: float) -> None:
        """Pace at `rate` a second from now on (several workers share one bot's limit)."""
        self.rate = rate
        self.interval = 1.0 / rate
        self.min_gap = 0.9 * self.interval
        # The actual sends of the last second: catching up after a stall may not put more
        # than ceil(rate) of them in any one second (a short stall of the event loop followed
        # by catching up at min_gap would otherwise let a counting server see a 31st;
        # bench/findings.md).
        self.window = SlidingWindow(math.ceil(rate), 1.0, clock=self.clock)

    def reserve(self) -> float:
        """The next free slot, taken for the caller (when to send)."""
        now = self.clock()
        if self._next is None or self._next < now:
            self._next = now  # idle: start again from now, with nothing saved up
        slot = self._next
        self._next += self.interval
        return slot

    async def acquire(self) -> None:
        """Wait for this caller's slot, and keep a minimum gap to the last actual send.

        After a pause of the event loop (a garbage collection, a slow disk), several callers
        whose slots passed wake together; the gap spreads them out again instead of letting
        them leave in a clump that a counting server would see as a burst.
        """
        async with self._lock:
            slot = self.reserve()
        delay = slot - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)
        while True:
            async with self._lock:
                now = self.clock()
                wait = max(self._last + self.min_gap - now, self.window.wait_time())
                if wait <= 0:
                    self._last = now
                    self.window.take()
                    return
            await asyncio.sleep(wait)


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """How fast a bot may send. The defaults are the limits the sender keeps: Telegram's own
    (`TELEGRAM_LIMITS`, which the Bot API emulator enforces) with a margin where it counts in
    windows."""

    per_private_chat_per_second: float = 1.0
    private_burst: float = 3.0
    per_group_per_minute: int = 19
    overall_per_second: float = 28.8


# Telegram's documented limits: about 1 message a second per private chat after a small
# burst, 20 a minute per group, 30 a second overall.
TELEGRAM_LIMITS = FloodLimits(per_group_per_minute=20, overall_per_second=30.0)


class FloodControl:
    """One bucket per chat and one for the bot; `acquire` waits for both."""

    def __init__(
        self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or FloodLimits()
        self.clock = clock
        self.overall = Pacer(self.limits.overall_per_second, clock=clock)
        self._chats: dict[int, TokenBucket | SlidingWindow] = {}
        self._lock = asyncio.Lock()

    def share_among(self, workers: int) -> None:
        """Several workers send for one bot: each keeps its share of the overall pace, so
        together they stay within Telegram's limit. (A chat's own limit is not shared: two
        workers seldom send to one chat at once, a member's outbox rows going out in order
        through one sender and direct replies from the worker holding the chat, and a 429
        for a chat delays only that chat.)"""
        rate = self.limits.overall_per_second / max(workers, 1)
        if rate != self.overall.rate:
            self.overall.set_rate(rate)

    def _bucket(self, chat_id: int) -> TokenBucket | SlidingWindow:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:  # groups and channels have negative ids
                bucket = SlidingWindow(self.limits.per_group_per_minute, 60.0, clock=self.clock)
            else:
                bucket = TokenBucket(
                    self.limits.per_private_chat_per_second,
                    self.limits.private_burst,
                    clock=self.clock,
                )
            self._chats[chat_id] = bucket
        return bucket

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to this chat keeps within every limit, then take its turn."""
        await self.acquire_chat(chat_id)
        await self.overall.acquire()

    async def acquire_chat(self, chat_id: int) -> None:
        """Wait for the chat's own limit only (then `overall.acquire` before sending)."""
        chat = self._bucket(chat_id)
        while True:
            wait = chat.wait_time()
            if wait == 0:
                chat.take()
                return
            await asyncio.sleep(wait)
