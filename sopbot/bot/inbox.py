"""The durable inbox: every update is stored before Telegram is told it arrived.

python-telegram-bot confirms a batch of updates (by the next getUpdates offset) before its
handlers run, and answers a webhook 200 before handling: a crash then loses updates. Here the
poller (or the webhook server) stores each update first; only then is it confirmed. A processor
feeds stored updates to the Application, one chat in order, different chats in parallel. A
command marks its update processed in the same transaction as its effects (its
`services.commands.CommandKey` carries the update's claim); after a crash, what was stored
but not processed is processed once, and a replayed command changes nothing.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.ext import Application

from sopbot.bot.chat_claims import LEASE_SECONDS, ChatClaims, ChatId, LocalChats
from sopbot.delivery import metrics
from sopbot.delivery.group_commit import GroupCommit
from sopbot.delivery.redaction import redact
from sopbot.handlers.common import tell_not_processed
from sopbot.services.commands import CLAIMS_KEY, ClaimsInHand, InboxClaim
from sopbot.storage import inbox_store
from sopbot.storage.database import Database
from sopbot.storage.inbox_store import ArrivedUpdate

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
CHAT_WORKERS = 32  # chats handled at once; each chat's updates strictly in order
MAX_ATTEMPTS = 3  # a handler that keeps failing on an update does not block its chat forever
# Seconds before handling an update again after trouble that may pass: together they outlast a
# short outage of the Bot API; then the person is told.
PASSING_FAILURE_DELAYS = (1.0, 2.0, 4.0, 8.0)
FULL_READ_EVERY = 5.0  # seconds between reads of the whole inbox (for updates owed a retry)
PENDING_READ_LIMIT = 5000  # updates one read of the inbox takes at most
HANDED_OVER_LIMIT = 10_000  # parsed updates the poller may hand the processor at most
# Several workers: a chat another worker holds is asked for again after this many seconds
# (for an update this worker received; others' are left to the next full read, made every
# SHARED_FULL_READ_EVERY seconds).
BLOCKED_RETRY = 0.05
SHARED_FULL_READ_EVERY = 1.0


def digest_of(payload: dict[str, Any]) -> str:
    """A digest of an update's content: a redelivery has the same one."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (the person's private chat), for ordering."""
    for key in ("message", "edited_message", "channel_post", "my_chat_member"):
        if isinstance(payload.get(key), dict):
            chat = payload[key].get("chat") or {}
            return int(chat["id"]) if "id" in chat else None
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        chat = message.get("chat") or {}
        if "id" in chat:
            return int(chat["id"])
        sender = query.get("from") or {}
        return int(sender["id"]) if "id" in sender else None
    return None


class UpdateInbox:
    """The inbox table's operations (blocking; run them in a worker thread)."""

    def __init__(self, database: Database, clock: Callable[[], dt.datetime]) -> None:
        self.database = database
        self.clock = clock

    def store(self, payloads: Sequence[dict[str, Any]]) -> dict[int, int]:
        """Keep updates that are not stored yet; returns the new ones' inbox ids by update id.

        A redelivery (Telegram had not seen our confirmation) or an update stored at the same
        moment by another receiver is skipped (`inbox_store.store_new`).
        """
        if not payloads:
            return {}
        received_at = self.clock()
        arrived = [
            ArrivedUpdate(
                update_id=int(payload["update_id"]),
                digest=digest_of(payload),
                chat_id=chat_of(payload),
                payload=payload,
            )
            for payload in payloads
        ]
        with self.database.unit_of_work() as uow:
            return inbox_store.store_new(uow, arrived, received_at)

    def pending(
        self, after: int = 0, limit: int = PENDING_READ_LIMIT
    ) -> list[tuple[int, int | None]]:
        """Unprocessed updates stored after inbox id `after`, in arrival order: (inbox id,
        chat id), without their content."""
        with self.database.unit_of_work(read_only=True) as uow:
            return inbox_store.pending(uow, after=after, limit=limit, max_attempts=MAX_ATTEMPTS)

    def payloads(self, inbox_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The stored updates with these ids, by id."""
        return inbox_store.payloads(self.database, inbox_ids)

    def finish(self, inbox_ids: Sequence[int]) -> None:
        """Mark updates processed (those their commands did not already mark), in one commit."""
        with self.database.unit_of_work() as uow:
            inbox_store.mark_processed(uow, inbox_ids, self.clock())

    def failed(self, inbox_id: int, error: str) -> None:
        """Count a failed attempt at an update (it is tried again, up to MAX_ATTEMPTS)."""
        with self.database.unit_of_work() as uow:
            # Errors may echo the request URL, and the token in it.
            inbox_store.count_failed_attempt(uow, inbox_id, redact(error))

    def unprocessed_count(self) -> int:
        """How many updates wait (for tests and health checks)."""
        with self.database.unit_of_work(read_only=True) as uow:
            return inbox_store.unprocessed_count(uow, max_attempts=MAX_ATTEMPTS)


class InboxProcessor:
    """Feeds stored updates to the Application: per chat in order, chats in parallel.

    With several workers on one database (`claims` a `LeasedChats`) each chat is handled by the
    worker holding its lease: a worker handles the updates it received itself at once, and
    picks up others' only when they stay pending (their worker died, or they are owed another
    attempt), from its full reads of the inbox.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        inbox: UpdateInbox,
        claims: ChatClaims | None = None,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.claims: ChatClaims = claims if claims is not None else LocalChats()
        self._shared = not isinstance(self.claims, LocalChats)
        self._wake = asyncio.Event()
        self._stopping = False
        self._busy_chats: set[ChatId] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        # Handled updates are marked processed in group commits: a commit each was the
        # bottleneck of a burst.
        self._finished: GroupCommit[int] = GroupCommit(self._mark_processed)
        # Updates read from the store and not handed out yet, per chat in id order. Reading
        # only what was stored after the newest id seen keeps a burst linear; a full read
        # now and then picks up failed updates owed another attempt.
        self._queued: dict[ChatId, list[int]] = {}
        self._queued_ids: set[int] = set()
        self._newest = 0
        # Updates the poller parsed and stored, by inbox id: handled from memory, they are
        # neither read back nor parsed again, which in a burst was work worth saving
        # (bench/findings.md). What is not here (after a restart, a failure, from the
        # webhook) is read from the store.
        self._handed_over: dict[int, Update] = {}
        # Several workers: chats another worker holds, and when to ask for them again; the
        # pending updates of others seen at the last full read (picked up when still pending
        # at the next one).
        self._retry_at: dict[ChatId, float] = {}
        self._others_pending: set[int] | None = None
        # The claim of each update being handled, for the handlers' command keys.
        self._claims: ClaimsInHand = application.bot_data.setdefault(CLAIMS_KEY, ClaimsInHand())

    async def _mark_processed(self, inbox_ids: Sequence[int]) -> None:
        await asyncio.to_thread(self.inbox.finish, inbox_ids)

    def wake(self) -> None:
        """New updates were stored."""
        self._wake.set()

    def hand_over(self, updates: dict[int, tuple[ChatId, Update]]) -> None:
        """Updates just stored (by inbox id: their chat and the update as parsed by the
        poller or the webhook server); then `wake`."""
        if len(self._handed_over) + len(updates) <= HANDED_OVER_LIMIT:
            self._handed_over.update({i: update for i, (_, update) in updates.items()})
        if self._shared:
            # Several workers: this worker's own updates are handled from here, not read back.
            self._queue([(inbox_id, chat) for inbox_id, (chat, _) in updates.items()])
        self._wake.set()

    def stop(self) -> None:
        """Finish the updates in hand, then stop."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Process until stopped."""
        loop = asyncio.get_running_loop()
        full_read_due = loop.time()
        renew_due = loop.time() + LEASE_SECONDS / 3
        while not self._stopping:
            self._wake.clear()
            full = loop.time() >= full_read_due
            if full:
                every = SHARED_FULL_READ_EVERY if self._shared else FULL_READ_EVERY
                full_read_due = loop.time() + every
            if full or not self._shared:
                await self._read_store(full)
            try:
                await self._hand_out()
            except Exception:
                log.exception("claiming chats failed")
            if self._shared and loop.time() >= renew_due:
                renew_due = loop.time() + LEASE_SECONDS / 3
                try:
                    await self.claims.renew(set(self._busy_chats))
                except Exception:
                    log.exception("renewing the chat leases failed")
            wait = 1.0
            if self._retry_at:
                wait = max(0.0, min(wait, min(self._retry_at.values()) - loop.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self.claims.release_all()
        except Exception:
            log.exception("giving back the chat leases failed; they run out by themselves")

    async def _read_store(self, full: bool) -> None:
        """Queue what the store holds pending: after the newest id seen, or (`full`) all.

        Several workers: only full reads, and another worker's update only when it was
        pending at the previous full read too (its worker did not take it), or at the first
        read after start-up.
        """
        try:
            rows = await asyncio.to_thread(self.inbox.pending, 0 if full else self._newest)
        except Exception:
            log.exception("reading the inbox failed")
            return
        read = {inbox_id for inbox_id, _ in rows}
        if full and len(rows) < PENDING_READ_LIMIT:
            self._forget_handled(read)
        if self._shared:
            others = read - self._in_flight - self._queued_ids
            before, self._others_pending = self._others_pending, others
            if before is not None:
                rows = [(i, chat) for i, chat in rows if i not in others or i in before]
        self._queue(rows)

    def _queue(self, rows: Sequence[tuple[int, int | None]]) -> None:
        for inbox_id, chat_id in rows:
            self._newest = max(self._newest, inbox_id)
            if inbox_id in self._in_flight or inbox_id in self._queued_ids:
                continue
            bisect.insort(self._queued.setdefault(chat_id, []), inbox_id)
            self._queued_ids.add(inbox_id)

    def _forget_handled(self, pending: set[int]) -> None:
        """Drop handed-over updates that a full read no longer finds pending (handled by
        another process, or owed no more attempts), so the memory they take stays bounded."""
        newest_read = max(pending, default=0)
        for inbox_id in [i for i in self._handed_over if i <= newest_read and i not in pending]:
            del self._handed_over[inbox_id]

    async def _hand_out(self) -> None:
        """Start a worker for each waiting chat that has none, up to CHAT_WORKERS, once the
        chat is this worker's (`claims`)."""
        now = asyncio.get_running_loop().time()
        room = CHAT_WORKERS - len(self._busy_chats)
        chats = [
            chat
            for chat in self._queued
            if chat not in self._busy_chats and self._retry_at.get(chat, 0.0) <= now
        ][: max(room, 0)]
        if not chats:
            return
        asked = {chat: set(self._queued[chat]) for chat in chats}
        claimed = await self.claims.claim(chats)
        now = asyncio.get_running_loop().time()
        for chat in chats:
            if chat not in claimed:
                self._put_off(chat, now)  # another worker has it now
                continue
            self._retry_at.pop(chat, None)
            inbox_ids = self._queued.pop(chat, [])
            self._queued_ids.difference_update(inbox_ids)
            pending = claimed[chat]
            if pending is not None:
                # As stored now: what another worker handled meanwhile is gone from it; what
                # arrived here during the claim is kept.
                gone = asked[chat] - set(pending)
                for inbox_id in gone:
                    self._handed_over.pop(inbox_id, None)
                kept = set(pending) | (set(inbox_ids) - asked[chat])
                inbox_ids = sorted(kept - self._in_flight)
            self._busy_chats.add(chat)
            self._in_flight.update(inbox_ids)
            task = asyncio.create_task(self._chat(chat, inbox_ids))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _put_off(self, chat: ChatId, now: float) -> None:
        """A chat another worker holds: ask again soon for the updates received here; leave
        others' to the full reads (they come back while they stay pending)."""
        own = [i for i in self._queued.get(chat, []) if i in self._handed_over]
        others = set(self._queued.get(chat, [])) - set(own)
        self._queued_ids.difference_update(others)
        if own:
            self._queued[chat] = own
            self._retry_at[chat] = now + BLOCKED_RETRY
        else:
            self._queued.pop(chat, None)
            self._retry_at.pop(chat, None)

    async def _chat(self, chat_id: ChatId, inbox_ids: list[int]) -> None:
        marks: list[asyncio.Future[None]] = []
        try:
            stored: dict[int, Update | dict[str, Any]] = {
                inbox_id: update
                for inbox_id in inbox_ids
                if (update := self._handed_over.pop(inbox_id, None)) is not None
            }
            if unread := [i for i in inbox_ids if i not in stored]:
                stored.update(await self.inbox.database.point_read(self.inbox.payloads, unread))
            for inbox_id in inbox_ids:
                if inbox_id in stored:
                    mark = await self._process(inbox_id, stored[inbox_id])
                    if mark is not None:
                        marks.append(mark)
            # The chat's next update need not wait for this one's mark, but the ids stay in
            # flight until it is committed, or a rescan would hand them out again.
            await asyncio.gather(*marks)
        except Exception:
            log.exception("handling the updates of chat %s failed", chat_id)
        finally:
            if chat_id not in self._queued:
                # Given back before the chat is free here, so a claim of it never races the
                # release of an earlier one.
                try:
                    await self.claims.release(chat_id)
                except Exception:
                    log.exception("giving back chat %s failed; its lease runs out", chat_id)
            self._busy_chats.discard(chat_id)
            self._in_flight.difference_update(inbox_ids)
            self._wake.set()  # this chat may have more waiting

    async def _process(
        self, inbox_id: int, stored: Update | dict[str, Any]
    ) -> asyncio.Future[None] | None:
        """Handle one update (parsed, or as stored); the future of its processed mark, when
        one is still owed.

        Trouble that may pass (the Bot API down while a file is fetched or a reply sent) does
        not use the update up: it is handled again after PASSING_FAILURE_DELAYS, the chat's
        later updates waiting behind it, so their order holds. (Commands are idempotent: a
        second run finds the first one's result.) When it still fails, the person is told,
        through the outbox, what to do.
        """
        marked = False
        for delay in (*PASSING_FAILURE_DELAYS, None):
            claim = InboxClaim(inbox_id, marked=marked)
            update_id: int | None = None
            began = time.monotonic()
            try:
                bot = self.application.bot
                update = stored if isinstance(stored, Update) else Update.de_json(stored, bot)
                stored = update
                update_id = update.update_id
                self._claims.hold(update_id, claim)
                await self.application.process_update(update)
            except Exception as exc:
                log.exception("update %s failed", _update_id(stored))
                metrics.update_handled(time.monotonic() - began, "failed")
                metrics.error_seen("inbox")
                await asyncio.to_thread(self.inbox.failed, inbox_id, f"{type(exc).__name__}: {exc}")
                return None
            finally:
                if update_id is not None:
                    self._claims.release(update_id)
            marked = claim.marked
            if claim.passing_failure is None:
                outcome = "handled"
            else:
                outcome = "retried" if delay is not None else "failed"
            metrics.update_handled(time.monotonic() - began, outcome)
            if claim.passing_failure is None:
                break
            if delay is None:
                log.warning(
                    "update %s still failed after %d tries: %s",
                    _update_id(stored),
                    len(PASSING_FAILURE_DELAYS) + 1,
                    claim.passing_failure,
                )
                await tell_not_processed(self.application, update)
                break
            await asyncio.sleep(delay)
        if marked:  # a command already did it, with its effects
            return None
        return self._finished.add(inbox_id)


def _update_id(stored: Update | dict[str, Any]) -> object:
    return stored.update_id if isinstance(stored, Update) else stored.get("update_id")


class SecondPoller(Exception):
    """Another process polls this bot: polling is one worker, so this one stops.

    The message says what to do (and never carries the token).
    """


SECOND_POLLER = (
    "Telegram says another process is polling this bot (409 Conflict: terminated by other "
    "getUpdates request). Polling is one worker: stop the other `sopbot run`, or run several "
    "workers behind a webhook (WEBHOOK_URL; see docs/deploy.md)."
)
# An established poller that meets a 409 polls again at once (so a newcomer meets the 409
# and stops); it gives up only when the conflict does not end.
CONFLICTS_TOLERATED = 5


class InboxPoller:
    """Long-polls getUpdates, storing each batch before the next call confirms it.

    Telegram answers a getUpdates with 409 Conflict when a newer one from another process
    ends it: the two would otherwise take turns and both handle some updates. A poller that
    has not yet finished a poll of its own is the newcomer and stops at its first 409
    (`SecondPoller`); an established one polls again at once, which ends the newcomer's poll,
    and stops only after CONFLICTS_TOLERATED conflicts in a row.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        inbox: UpdateInbox,
        processor: InboxProcessor,
        *,
        timeout: int = LONG_POLL_SECONDS,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.processor = processor
        self.timeout = timeout
        self._stopping = False

    def stop(self) -> None:
        """Stop after the current long poll."""
        self._stopping = True

    async def run(self) -> None:
        """Poll until stopped; network trouble is waited out with back-off. Raises
        SecondPoller when another process polls the bot."""
        await self.application.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        delay = 1.0
        established = False
        conflicts = 0
        while not self._stopping:
            try:
                updates = await self.application.bot.get_updates(
                    offset=offset,
                    timeout=self.timeout,
                    allowed_updates=Update.ALL_TYPES,
                    read_timeout=self.timeout + 10,
                )
            except Conflict as conflict:
                conflicts += 1
                if not established or conflicts > CONFLICTS_TOLERATED:
                    raise SecondPoller(SECOND_POLLER) from conflict
                log.warning("another process polls this bot (409 Conflict); polling again")
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(60.0, delay * 2)
                continue
            delay = 1.0
            established, conflicts = True, 0
            if not updates:
                # Everything before was confirmed by this call's offset. Polling without an
                # offset from here on also copes with Telegram restarting update ids (they
                # may start lower after a quiet week).
                offset = None
                continue
            payloads = [u.to_dict() for u in updates]
            stored = await asyncio.to_thread(self.inbox.store, payloads)  # before confirming
            metrics.update_received("polling", len(updates))
            offset = max(u.update_id for u in updates) + 1
            received = {
                u.update_id: (u, chat_of(p)) for u, p in zip(updates, payloads, strict=True)
            }
            self.processor.hand_over(
                {
                    inbox_id: (received[update_id][1], received[update_id][0])
                    for update_id, inbox_id in stored.items()
                }
            )
