"""The reminder scheduler: APScheduler 3 jobs that ask the alert service when it is time.

The database is the truth. Each open step run has at most one job, with a fixed id
(`alert:<run id>`), rebuilt from the database at start-up; a job re-reads the run and sends
what is owed (the alert service records it so nothing goes twice), then schedules the next
look. Each agency gets a morning digest at the opening of every working day. A slow sweep
(every ten minutes) adds the steps that come within a day of their due time, and picks up work
started by another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from sopbot.delivery import metrics
from sopbot.engine.instance import EntityKind, Transition, TransitionAction
from sopbot.services.alerts import AlertService, PlannedAlert
from sopbot.storage.instance_store import LoadedInstance

log = logging.getLogger(__name__)

SWEEP_MINUTES = 10
# Jobs exist only for alerts due within this horizon; the sweep adds the ones entering it, so a
# hundred thousand open steps do not mean a hundred thousand jobs in memory.
HORIZON = dt.timedelta(hours=24)
BATCH = 200  # alerts sent in one transaction
SWEEP_JOB_ID = "alerts:sweep"
DIGEST_JOB_PREFIX = "digest:"


def alert_job_id(step_run_id: uuid.UUID) -> str:
    """The fixed id of a step run's alert job."""
    return f"alert:{step_run_id}"


class ReminderScheduler:
    """Keeps one job per open step run and one digest per agency."""

    def __init__(
        self,
        alerts: AlertService,
        *,
        wake_sender: Callable[[], None] = lambda: None,
        sweep_minutes: float = SWEEP_MINUTES,
    ) -> None:
        self.alerts = alerts
        self.wake_sender = wake_sender
        self.sweep_minutes = sweep_minutes
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self.leading = False  # whether this worker runs the sweep and the digests
        self._due: set[uuid.UUID] = set()
        self._drain: asyncio.Task[None] | None = None

    async def start(self, *, lead: bool = True) -> int:
        """Run the scheduler; with `lead`, take on the leader's part at once (`lead`).
        Returns how many runs are watched."""
        self.scheduler.start(paused=True)  # add everything first, then wake once
        count = await self.lead() if lead else 0
        self.scheduler.resume()
        return count

    async def lead(self) -> int:
        """Take on what one worker does for all: rebuild every look from the database, plan
        the morning digests, sweep every `sweep_minutes`. Every worker keeps the looks at the
        runs it opened itself (firing one twice sends nothing twice: `AlertService`)."""
        self.leading = True
        count = await self.rebuild()
        await self.plan_digests()
        self.scheduler.add_job(
            self.rebuild,
            "interval",
            minutes=self.sweep_minutes,
            id=SWEEP_JOB_ID,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        return count

    def step_down(self) -> None:
        """Another worker leads now: drop the sweep and the digests (the looks stay)."""
        self.leading = False
        for job in self.scheduler.get_jobs():
            if job.id == SWEEP_JOB_ID or job.id.startswith(DIGEST_JOB_PREFIX):
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(job.id)

    def stop(self) -> None:
        """Stop without waiting for running jobs (their effects are transactional)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def rebuild(self) -> int:
        """Schedule the next look at every open step run due within the horizon."""
        until = self.alerts.clock() + HORIZON
        plans = await asyncio.to_thread(self.alerts.plan_all, until)
        # In time order, so each job lands at the end of the job store's sorted list.
        for plan in sorted(plans, key=lambda p: p.at):
            self.schedule(plan.step_run_id, plan.at)
        return len(plans)

    def schedule(self, step_run_id: uuid.UUID, at: dt.datetime) -> None:
        """Look at a step run at `at` (now if that has passed); replaces an earlier plan."""
        self.scheduler.add_job(
            self._fire,
            "date",
            run_date=at,
            args=[step_run_id, at],
            id=alert_job_id(step_run_id),
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    async def _fire(self, step_run_id: uuid.UUID, planned_at: dt.datetime | None = None) -> None:
        """A job came due (planned for `planned_at`): queue the run and let one drain send the
        queue in batches."""
        if planned_at is not None:  # the scheduler keeps real time, so the lag is measured so
            metrics.reminder_ran((dt.datetime.now(dt.UTC) - planned_at).total_seconds())
        self._due.add(step_run_id)
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._drain_due())
            await self._drain

    async def _drain_due(self) -> None:
        """Send the due runs' alerts batch by batch until none is due.

        Jobs that come due while a batch is being sent join the next batch: one transaction
        for many alerts, instead of one each (SQLite takes one writer at a time).
        """
        while self._due:
            batch = self._take_batch()
            plans = await self._send(batch)
            if plans is None:
                continue
            self.wake_sender()
            self._plan_next_looks(plans)

    def _take_batch(self) -> list[uuid.UUID]:
        """Up to `BATCH` due runs, taken off the queue."""
        batch = list(self._due)[:BATCH]
        self._due.difference_update(batch)
        return batch

    async def _send(self, batch: list[uuid.UUID]) -> dict[uuid.UUID, PlannedAlert | None] | None:
        """Send what the runs are owed, in one transaction; None when it failed (logged)."""
        try:
            return await asyncio.to_thread(self.alerts.fire_many, batch)
        except Exception:
            log.exception("alerts for %d step runs failed; the sweep will try again", len(batch))
            metrics.error_seen("reminders")
            return None

    def _plan_next_looks(self, plans: dict[uuid.UUID, PlannedAlert | None]) -> None:
        """Schedule each run's next look, or drop its job when nothing more is owed."""
        for step_run_id, plan in plans.items():
            if plan is not None:
                self.schedule(step_run_id, plan.at)
            else:
                # Nothing more is owed (the step moved on): drop the job if still stored.
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(alert_job_id(step_run_id))

    async def plan_digests(self) -> None:
        """Schedule each agency's next morning digest."""
        openings = await asyncio.to_thread(self.alerts.digest_times)
        for agency_id, opening in openings.items():
            self.scheduler.add_job(
                self._digest,
                "date",
                run_date=opening,
                args=[agency_id],
                id=f"{DIGEST_JOB_PREFIX}{agency_id}",
                replace_existing=True,
                misfire_grace_time=3600,
                coalesce=True,
            )

    async def _digest(self, agency_id: int) -> None:
        try:
            await asyncio.to_thread(self.alerts.digest, agency_id)
        except Exception:
            log.exception("morning digest of agency %s failed", agency_id)
            metrics.error_seen("reminders")
        self.wake_sender()
        if self.leading:
            await self.plan_digests()


class ReminderObserver:
    """Schedules the first look at each step run as it opens (inside the command's thread)."""

    def __init__(self, reminders: ReminderScheduler) -> None:
        self.reminders = reminders

    def on_change(
        self,
        session: object,  # the command's; planning a job reads nothing from it
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Plan the alerts of the runs this change opened."""
        for transition in transitions:
            if (
                transition.entity is EntityKind.STEP_RUN
                and transition.action is TransitionAction.OPEN
            ):
                run = loaded.instance.run(transition.entity_id)
                if (
                    run.due_at is not None
                    and self.reminders.scheduler.running
                    and run.due_at <= now + HORIZON  # later ones: the sweep adds them in time
                ):
                    # If the transaction rolls back, the job finds no open run and does nothing.
                    self.reminders.schedule(run.id, run.due_at)

    def jobs(self) -> list[Any]:
        """The scheduled jobs (for tests and diagnostics)."""
        return list(self.reminders.scheduler.get_jobs())
