"""Fault injection and flood limits: the ways the real Telegram misbehaves, on demand.

A test says which calls fail and how (`inject`), and the server asks `take(method)` before
running each call. Rules are deterministic: "the next 2 sendMessage calls answer 500", or "every
call answers 502 for 1.5 s". The flood limiter answers 429 with retry_after when a bot sends
faster than Telegram allows; it counts sendMessage, sendDocument and edits, per chat and overall.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sopbot.delivery.flood import TELEGRAM_LIMITS, FloodLimits

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ServerError:
    """Answer with a 5xx status (Telegram's front ends do this during incidents)."""

    status: int = 500
    description: str = "Internal Server Error"
    # Carry the call out first, then answer the error: the client cannot tell whether it
    # happened (an "ambiguous" failure, after which a retry makes a duplicate).
    after_processing: bool = False


@dataclass(frozen=True, slots=True)
class Hang:
    """Never answer: hold the request until the client gives up (its read timeout)."""


@dataclass(frozen=True, slots=True)
class DropConnection:
    """Close the connection without any answer."""


@dataclass(frozen=True, slots=True)
class TooManyRequests:
    """Answer 429 with parameters.retry_after."""

    retry_after: int = 1


Fault = ServerError | Hang | DropConnection | TooManyRequests


@dataclass(eq=False)
class FaultRule:
    """Which calls fail and how: for the next `remaining` calls, or until `until`, or both."""

    fault: Fault
    method: str | None  # lower-case method name; None matches every method
    remaining: int | None
    until: float | None
    chat_id: int | None = None  # only calls to this chat; None: any

    def matches(self, method: str, now: float, chat_id: int | None = None) -> bool:
        """Whether this rule applies to a call of `method` (to `chat_id`) now."""
        if self.method is not None and self.method != method.lower():
            return False
        if self.chat_id is not None and self.chat_id != chat_id:
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.remaining is None or self.remaining > 0

    @property
    def spent(self) -> bool:
        """Whether the rule has no calls left to fail."""
        return self.remaining is not None and self.remaining <= 0


@dataclass(frozen=True, slots=True)
class InjectedFault:
    """A fault the emulator gave, for tests to count."""

    method: str
    fault: Fault
    at: float


# Methods that count as sending a message (the limiter looks at these only).
COUNTED_METHODS = frozenset(
    {"sendmessage", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)


class FloodLimiter:
    """Answers "wait N seconds" when a bot sends faster than the limits allow."""

    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        # private chat -> (tokens left, when they were counted): a token bucket allows a burst
        self._private: dict[int, tuple[float, float]] = {}
        self._group: dict[int, deque[float]] = {}
        self._overall: deque[float] = deque()

    def check(self, chat_id: int, private: bool) -> int | None:
        """Record one send to `chat_id`, or return the retry_after when it is over a limit."""
        now = self._clock()
        waits = [self._overall_wait(now)]
        if private:
            waits.append(self._private_wait(chat_id, now))
        else:
            waits.append(self._group_wait(chat_id, now))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._overall.append(now)
        if private:
            tokens, _ = self._private_tokens(chat_id, now)
            self._private[chat_id] = (tokens - 1, now)
        else:
            self._group.setdefault(chat_id, deque()).append(now)
        return None

    def _private_tokens(self, chat_id: int, now: float) -> tuple[float, float]:
        burst = self.limits.private_burst
        tokens, counted_at = self._private.get(chat_id, (burst, now))
        refilled = min(burst, tokens + (now - counted_at) * self.limits.per_private_chat_per_second)
        return refilled, now

    def _private_wait(self, chat_id: int, now: float) -> float:
        tokens, _ = self._private_tokens(chat_id, now)
        if tokens >= 1:
            return 0.0
        return (1 - tokens) / self.limits.per_private_chat_per_second

    def _group_wait(self, chat_id: int, now: float) -> float:
        sent = self._group.setdefault(chat_id, deque())
        return _window_wait(sent, now, 60.0, self.limits.per_group_per_minute)

    def _overall_wait(self, now: float) -> float:
        return _window_wait(self._overall, now, 1.0, self.limits.overall_per_second)


def _window_wait(sent: deque[float], now: float, window: float, allowed: float) -> float:
    while sent and sent[0] <= now - window:
        sent.popleft()
    if len(sent) < allowed:
        return 0.0
    return sent[0] + window - now


@dataclass(eq=False)
class FaultInjector:
    """The faults a test asked for, and the flood limiter when it is on."""

    clock: Clock = time.monotonic
    rules: list[FaultRule] = field(default_factory=list)
    injected: list[InjectedFault] = field(default_factory=list)
    flood_limiter: FloodLimiter | None = None
    flood_refusals: int = 0

    def inject(
        self,
        method: str | None,
        fault: Fault,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        chat_id: int | None = None,
    ) -> FaultRule:
        """Make calls of `method` (None: every method) fail: `times` calls, or for `seconds`;
        only those to `chat_id` when given.

        With `seconds` and no `times`, every matching call fails until the time is up.
        """
        if seconds is not None and times == 1:
            times = None
        until = self.clock() + seconds if seconds is not None else None
        rule = FaultRule(fault, method.lower() if method else None, times, until, chat_id)
        self.rules.append(rule)
        return rule

    def fail_next(
        self, method: str, fault: Fault, times: int = 1, *, chat_id: int | None = None
    ) -> FaultRule:
        """Make the next `times` calls of `method` (to `chat_id`, when given) fail."""
        return self.inject(method, fault, times=times, chat_id=chat_id)

    def fail_for(self, seconds: float, fault: Fault, method: str | None = None) -> FaultRule:
        """Make every call (or every call of `method`) fail with `fault` for a while."""
        return self.inject(method, fault, times=None, seconds=seconds)

    def clear(self) -> None:
        """Forget every rule (the flood limiter stays as it is)."""
        self.rules.clear()

    def take(self, method: str, chat_id: int | None = None) -> Fault | None:
        """The fault for this call, if a rule covers it (spending one of its calls)."""
        now = self.clock()
        for rule in self.rules:
            if rule.matches(method, now, chat_id):
                if rule.remaining is not None:
                    rule.remaining -= 1
                self.injected.append(InjectedFault(method, rule.fault, now))
                self.rules = [r for r in self.rules if not r.spent]
                return rule.fault
        return None

    def count(self, kind: type[ServerError | Hang | DropConnection | TooManyRequests]) -> int:
        """How many faults of this kind were given."""
        return sum(isinstance(given.fault, kind) for given in self.injected)

    def enable_flood_limits(
        self, limits: FloodLimits | None = None, clock: Clock | None = None
    ) -> FloodLimiter:
        """Start refusing sends over the limits (Telegram's by default) with 429 (a fake
        `clock` makes it exact)."""
        self.flood_limiter = FloodLimiter(limits or TELEGRAM_LIMITS, clock or self.clock)
        return self.flood_limiter

    def disable_flood_limits(self) -> None:
        """Stop enforcing flood limits."""
        self.flood_limiter = None

    def check_flood(self, method: str, chat_id: int, private: bool) -> int | None:
        """The retry_after for this send when it is over a limit (and count the refusal)."""
        if self.flood_limiter is None or method.lower() not in COUNTED_METHODS:
            return None
        retry_after = self.flood_limiter.check(chat_id, private)
        if retry_after is not None:
            self.flood_refusals += 1
        return retry_after
