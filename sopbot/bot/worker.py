"""This process among the workers that share one database: its registry row and heartbeat,
its share of the flood limits, and whether it leads.

Each `sopbot run` registers in the `worker` table and beats every HEARTBEAT_SECONDS; the live
workers (a heartbeat within STALE_AFTER) share the bot's overall flood limit, and while more
than one lives the outbox's duplicate ledger trusts no gap. One worker leads: it runs the timed
jobs that must run once (the reminders' sweep and digests, the audit anchor, the Plt/Plh
sweep). On PostgreSQL the leader holds an advisory lock on a connection of its own, so when it
dies the lock goes with its connection and another worker takes over within a heartbeat; on
SQLite, which one process serves, the only worker leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable

from sopbot.bot.acting_sweep import TERMS_JOB_ID, ActingTermsJob
from sopbot.bot.audit_anchor import ANCHOR_JOB_ID, AuditAnchorJob
from sopbot.bot.reminders import ReminderScheduler
from sopbot.delivery.flood import FloodControl
from sopbot.delivery.sender import ChatLedger
from sopbot.storage import chat_leases, workers
from sopbot.storage.database import Database
from sopbot.storage.process_locks import HeldLock, LockKey

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = dt.timedelta(seconds=30)  # a worker silent this long is taken for dead


class LeaderJobs:
    """The timed jobs one worker runs for all."""

    def __init__(
        self,
        reminders: ReminderScheduler,
        audit_anchor: AuditAnchorJob | None,
        acting_terms: ActingTermsJob,
    ) -> None:
        self.reminders = reminders
        self.audit_anchor = audit_anchor
        self.acting_terms = acting_terms

    async def lead(self) -> int:
        """Take them on; how many step runs the reminders watch."""
        watched = await self.reminders.lead()
        if self.audit_anchor is not None:
            self.audit_anchor.schedule(self.reminders.scheduler)  # one scheduler for every job
        self.acting_terms.schedule(self.reminders.scheduler)
        return watched

    def step_down(self) -> None:
        """Leave them to the worker that leads now."""
        self.reminders.step_down()
        for job_id in (ANCHOR_JOB_ID, TERMS_JOB_ID):
            if self.reminders.scheduler.get_job(job_id) is not None:
                self.reminders.scheduler.remove_job(job_id)


class Worker:
    """This process's place among the workers sharing the database."""

    def __init__(
        self,
        database: Database,
        *,
        mode: str,
        leader_jobs: LeaderJobs,
        flood: FloodControl,
        ledger: ChatLedger,
        clock: Callable[[], dt.datetime],
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.database = database
        self.mode = mode
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.leader_jobs = leader_jobs
        self.flood = flood
        self.ledger = ledger
        self.clock = clock
        self.heartbeat_seconds = heartbeat_seconds
        self.id: int | None = None
        self.live = 1
        self.leading = False
        self._leader_lock = None if database.is_sqlite else HeldLock(database, LockKey.LEADER)
        self._stopping = asyncio.Event()

    def worker_id(self) -> int:
        """The registry id (the owner of this worker's chat leases); after `start`."""
        if self.id is None:
            raise RuntimeError("the worker has not registered yet")
        return self.id

    async def start(self) -> None:
        """Register, count the live workers, and lead if no one else does."""
        self.id = await asyncio.to_thread(self._register)
        log.info("worker %s registered as %d (%s)", self.name, self.id, self.mode)
        await self._beat()

    async def run(self) -> None:
        """Beat until stopped."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.heartbeat_seconds)
            if self._stopping.is_set():
                break
            try:
                await self._beat()
            except Exception:
                log.exception("the heartbeat failed; trying again")

    async def stop(self) -> None:
        """Leave the registry, give up the lead and every chat lease."""
        self._stopping.set()
        if self.leading:
            self.leader_jobs.step_down()
            self.leading = False
        if self._leader_lock is not None:
            await asyncio.to_thread(self._leader_lock.release)
        if self.id is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._forget)

    def _register(self) -> int:
        with self.database.unit_of_work() as uow:
            return workers.register(uow, name=self.name, mode=self.mode, now=self.clock())

    def _forget(self) -> None:
        with self.database.unit_of_work() as uow:
            workers.forget(uow, self.worker_id())
            chat_leases.release_all(uow, owner=self.worker_id())

    async def _beat(self) -> None:
        live = await asyncio.to_thread(self._beat_and_count)
        if live != self.live:
            log.info("%d worker(s) live: each sends at 1/%d of the bot's pace", live, live)
        self.live = live
        self.flood.share_among(live)
        self.ledger.alone = live == 1
        await self._settle_leadership()

    def _beat_and_count(self) -> int:
        now = self.clock()
        with self.database.unit_of_work() as uow:
            workers.beat(uow, self.worker_id(), name=self.name, mode=self.mode, now=now)
            workers.forget_stale(uow, before=now - STALE_AFTER)
            if self.database.is_sqlite:
                # One process serves SQLite (its lock file): another row is a worker that
                # died moments ago (kill -9), not one sending beside this one.
                return 1
            return workers.live_count(uow, since=now - STALE_AFTER)

    async def _settle_leadership(self) -> None:
        """Lead when the lead is free; step down when the lead's connection was lost."""
        lock = self._leader_lock
        if lock is None:
            leads = True
        elif lock.held:
            leads = await asyncio.to_thread(lock.still_held)
        else:
            leads = await asyncio.to_thread(lock.try_take)
        if leads and not self.leading:
            self.leading = True
            watched = await self.leader_jobs.lead()
            log.info("this worker leads: %d open step(s) watched", watched)
        elif not leads and self.leading:
            self.leading = False
            self.leader_jobs.step_down()
            log.warning("this worker lost the lead; another worker takes the timed jobs")


def webhook_workers_live(database: Database, clock: Callable[[], dt.datetime]) -> int:
    """How many live workers receive by webhook (a poller must not start beside them: its
    deleteWebhook would take their updates away)."""
    now = clock()
    with database.unit_of_work(read_only=True) as uow:
        return sum(1 for w in workers.live(uow, since=now - STALE_AFTER) if w.mode == "webhook")
