"""A clock the tests move by hand: no real waiting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class ManualClock:
    """Returns `now` until told otherwise."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        """Jump to a moment."""
        self.now = moment.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        """Move forward by a timedelta's keyword arguments."""
        self.now += dt.timedelta(**delta)
