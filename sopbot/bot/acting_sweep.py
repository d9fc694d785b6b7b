"""The Plt/Plh term sweep, a job of the reminder scheduler: every half minute, and once at
start-up, the starts and ends of terms that have passed are applied (`services.acting_terms`).

The job has a fixed id and only says when to look: what a term's boundary does is decided from
the database, and a boundary applied once is marked, so a sweep in another process, a restart
or a sweep that overlaps a slow one applies nothing twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler

from sopbot.services.acting_terms import ActingTerms

log = logging.getLogger(__name__)

TERMS_JOB_ID = "acting:terms"
"""The fixed id of the term sweep's job."""

SWEEP_SECONDS = 30.0
"""How often the sweep looks: a term ends within this (and the sweep's own time) of its end."""


class ActingTermsJob:
    """Applies passed Plt/Plh term boundaries on the scheduler the reminders run on."""

    def __init__(
        self,
        terms: ActingTerms,
        *,
        every_seconds: float = SWEEP_SECONDS,
        wake_sender: Callable[[], None] = lambda: None,
    ) -> None:
        self.terms = terms
        self.every_seconds = every_seconds
        self.wake_sender = wake_sender

    def schedule(self, scheduler: BaseScheduler) -> None:
        """Add (or replace) the job; its first run is now (the start-up sweep)."""
        scheduler.add_job(
            self.run,
            "interval",
            seconds=self.every_seconds,
            next_run_time=dt.datetime.now(dt.UTC),
            id=TERMS_JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )

    async def run(self) -> None:
        """Apply what has passed; the outbox sender delivers the notices at once."""
        try:
            applied = await asyncio.to_thread(self.terms.apply_due)
        except Exception:
            log.exception("Plt/Plh terms could not be applied; the next sweep tries again")
            return
        if applied.starts or applied.ends:
            log.info(
                "Plt/Plh terms applied: %d start(s), %d end(s) in %d agenc(ies)",
                applied.starts,
                applied.ends,
                applied.agencies,
            )
            self.wake_sender()
