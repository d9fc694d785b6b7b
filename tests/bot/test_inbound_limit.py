"""The per-person inbound limit, on a fake clock."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from sopbot.bot.settings import Settings
from sopbot.handlers.inbound_limit import InboundLimiter, InboundLimits


@dataclass
class ManualMonotonic:
    """A monotonic clock that moves only when told."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_person_over_the_limit_is_told_once_and_let_in_again_later() -> None:
    clock = ManualMonotonic()
    limiter = InboundLimiter(InboundLimits(burst=3, per_second=1.0), clock=clock)
    assert [limiter.admit(7) for _ in range(6)] == [True, True, True, False, None, None]
    assert limiter.admit(8) is True  # someone else is not held up
    clock.advance(1.0)
    assert limiter.admit(7) is True
    assert limiter.admit(7) is False  # a new flood is told again


def test_the_people_remembered_stay_bounded() -> None:
    clock = ManualMonotonic()
    limiter = InboundLimiter(InboundLimits(burst=2, per_second=1.0), clock=clock)
    limiter.MAX_TRACKED = 100
    for user in range(100):
        limiter.admit(user)
    limiter.admit(5)
    limiter.admit(5)  # person 5 is over the limit: remembered
    clock.advance(10.0)  # everyone else is rested
    limiter.admit(1000)
    assert limiter.tracked <= 3
    assert limiter.admit(5) is True


def test_the_settings_default_to_the_limiter_s_own_limits_and_can_be_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SOPBOT_INBOUND_BURST", "SOPBOT_INBOUND_PER_SECOND"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.inbound_burst, settings.inbound_per_second) == (
        InboundLimits().burst,
        InboundLimits().per_second,
    )
    monkeypatch.setenv("SOPBOT_INBOUND_BURST", "12")
    monkeypatch.setenv("SOPBOT_INBOUND_PER_SECOND", "0.5")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.inbound_burst, settings.inbound_per_second) == (12.0, 0.5)
    monkeypatch.setenv("SOPBOT_INBOUND_BURST", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
