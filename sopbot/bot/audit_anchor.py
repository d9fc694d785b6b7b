"""The daily anchor of the audit trail, a job of the reminder scheduler.

The job has a fixed id and runs every day at ANCHOR_TIME (UTC); it only says when to anchor:
the anchor service takes the day's anchor once (its idempotency key), queues the admins'
messages in the outbox and appends the anchor to the anchor file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler

from sopbot.services.audit_anchor import AuditAnchorService

log = logging.getLogger(__name__)

ANCHOR_JOB_ID = "audit:anchor"
"""The fixed id of the daily anchor job."""

# 07.00 WIB, 08.00 WITA, 09.00 WIT: early in the working day everywhere in Indonesia.
ANCHOR_TIME = dt.time(0, 0)


class AuditAnchorJob:
    """Anchors the audit trail once a day, on the scheduler the reminders run on."""

    def __init__(
        self, anchors: AuditAnchorService, *, wake_sender: Callable[[], None] = lambda: None
    ) -> None:
        self.anchors = anchors
        self.wake_sender = wake_sender

    def schedule(self, scheduler: BaseScheduler) -> None:
        """Add (or replace) the daily job."""
        scheduler.add_job(
            self.run,
            "cron",
            hour=ANCHOR_TIME.hour,
            minute=ANCHOR_TIME.minute,
            timezone=dt.UTC,
            id=ANCHOR_JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=3600,
        )

    async def run(self) -> None:
        """Take today's anchor (unless another process did) and wake the sender."""
        try:
            anchor = await asyncio.to_thread(self.anchors.anchor)
        except Exception:
            log.exception("the audit trail could not be anchored; tomorrow's job tries again")
            return
        if anchor is None:
            log.info("the audit trail was anchored today already")
            return
        log.info("audit trail anchored: %d chain(s)", len(anchor.heads))
        self.wake_sender()
