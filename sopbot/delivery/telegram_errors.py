"""Which Bot API failures pass by themselves, decided in one place for every caller."""

from __future__ import annotations

import datetime as dt

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut


def is_transient(error: BaseException) -> bool:
    """True for a failure that a later try may not meet: a 429, a timeout, a dropped
    connection or a 5xx (python-telegram-bot raises NetworkError for those). A refusal of the
    request itself (BadRequest, which PTB also derives from NetworkError) is not."""
    if isinstance(error, RetryAfter | TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def retry_after_seconds(error: RetryAfter) -> float:
    """A 429's retry_after in seconds (PTB gives a timedelta or a number)."""
    delay = error.retry_after
    return delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
