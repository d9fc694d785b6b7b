"""When a late step is reminded and escalated: pure rules on the working clock.

The holder is reminded when the step reaches its standard time (at the next opening if that
falls outside working hours), then again every `repeat` working minutes (never more often than
every 30) while it stays open. When it stays open past `escalate_factor` times its standard,
the one who sent the work and the agency admins are told, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sopbot.engine.working_calendar import WorkingCalendar

MIN_REPEAT_MINUTES = 30
REMINDER = "reminder"
ESCALATION = "escalation"


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Reminder interval (working minutes) and escalation threshold (times the standard)."""

    repeat_minutes: int = 120
    escalate_factor: float = 2.0

    def __post_init__(self) -> None:
        if self.repeat_minutes < MIN_REPEAT_MINUTES:
            raise ValueError(f"reminders repeat at most every {MIN_REPEAT_MINUTES} working minutes")
        if self.escalate_factor < 1:
            raise ValueError("escalation comes at or after the standard time")


@dataclass(frozen=True, slots=True)
class SentAlert:
    """An alert already sent for a step run."""

    kind: str
    seq: int
    due_at: dt.datetime
    sent_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NextAlert:
    """The next alert a step run is owed, and when."""

    kind: str
    seq: int
    at: dt.datetime


def next_alert(
    *,
    opened_at: dt.datetime,
    due_at: dt.datetime,
    standard_seconds: float | None,
    sent: Sequence[SentAlert],
    policy: AlertPolicy,
    calendar: WorkingCalendar,
) -> NextAlert | None:
    """The earliest alert not yet sent (reminders go only in working time)."""
    reminders = sorted((a for a in sent if a.kind == REMINDER), key=lambda a: a.seq)
    if not reminders:
        reminder = NextAlert(REMINDER, 1, calendar.next_opening(due_at))
    else:
        last = reminders[-1]
        # Counted from when the last one went, so a burst after a restart cannot happen.
        repeat_from = max(last.sent_at, last.due_at)
        when = calendar.add(calendar.next_opening(repeat_from), policy.repeat_minutes * 60.0)
        reminder = NextAlert(REMINDER, last.seq + 1, calendar.next_opening(when))
    candidates = [reminder]
    if standard_seconds is not None and not any(a.kind == ESCALATION for a in sent):
        threshold = calendar.add(opened_at, standard_seconds * policy.escalate_factor)
        candidates.append(NextAlert(ESCALATION, 1, calendar.next_opening(max(threshold, due_at))))
    return min(candidates, key=lambda a: (a.at, a.kind != ESCALATION))
