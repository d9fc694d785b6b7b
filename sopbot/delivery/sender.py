"""Delivering the outbox: messages that state changes wrote, sent in order per chat.

Delivery is at least once: a message is marked sent (with Telegram's message_id) after Telegram
accepted it, so a crash in between can repeat it, and only then. Outcomes are recorded in group
commits (one transaction for every send that finished meanwhile), and no more than
MAX_UNRECORDED messages may be taken by Telegram and not yet recorded: that bounds what one
crash can repeat. Network errors and 5xx are retried with backoff; a 429 delays that chat only;
a permanent refusal marks the message failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBUserWarning

from sopbot.delivery import metrics
from sopbot.delivery.flood import FloodControl
from sopbot.delivery.group_commit import GroupCommit
from sopbot.delivery.redaction import redact
from sopbot.delivery.telegram_errors import retry_after_seconds
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import escape, plain_text, split_message
from sopbot.messaging.keyboards import Keyboard, from_payload
from sopbot.storage import outbox, outbox_delivery
from sopbot.storage.database import Database
from sopbot.storage.document_store import DocumentUnavailable, LocalDocumentStore
from sopbot.storage.outbox_delivery import DeliveryOutcome, DueMessage, Undelivered
from sopbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# python-telegram-bot 22 gives RetryAfter.retry_after as a timedelta only when asked to (and
# warns otherwise); this module, which handles 429s, reads it as a timedelta. Set before any
# RetryAfter is built.
os.environ.setdefault("PTB_TIMEDELTA", "1")

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(seconds=30)  # a claimed row is someone else's to take after this
BATCH = 200  # rows claimed per round: big enough that the gaps between rounds cost little
PER_CHAT = 5  # rows of one chat per round: at about 1 a second, well inside the lease
# Messages sent and not yet recorded, at most: a crash repeats no more than these. At 100 ms a
# round trip to Telegram this still allows about 80 messages a second, above the flood limit.
MAX_UNRECORDED = 8

T = TypeVar("T")


# `do_api_request` is PTB's way to have an answer as JSON; for a method PTB has, it nudges
# towards the typed one, which would build the Message that send_html_text avoids.
SEND_AS_JSON_WARNING = r"Please use 'Bot\.(sendMessage|editMessageText)'"
warnings.filterwarnings("ignore", message=SEND_AS_JSON_WARNING, category=PTBUserWarning)


async def send_html_text(
    bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> int:
    """Send one message of HTML text (one part of `split_message`); its message id.

    Telegram's answer is read as JSON and not made into a `Message`, which no caller needs:
    building it was a noticeable part of the bot's CPU per reply (bench/findings.md). Errors are
    raised as `send_message` raises them (RetryAfter, Forbidden, NetworkError...), except that
    HTML Telegram cannot parse is sent again as plain text (see `_html_request`).
    """
    api_kwargs: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if keyboard is not None:
        api_kwargs["reply_markup"] = keyboard
    sent = await _html_request(bot, "sendMessage", api_kwargs)
    return int(sent["message_id"])


async def edit_html_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace a message's text with one message of HTML text (no keyboard: buttons removed)."""
    api_kwargs: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
    if keyboard is not None:
        api_kwargs["reply_markup"] = keyboard
    await _html_request(bot, "editMessageText", api_kwargs)


async def _html_request(bot: Bot, method: str, api_kwargs: dict[str, Any]) -> Any:
    """Send HTML text; if Telegram cannot parse it, the same words as plain text.

    A message must never be lost to a formatting slip (an unescaped `<`, a tag cut short):
    the person reads it without bold or italics instead. Only that refusal is retried.
    """
    try:
        return await bot.do_api_request(
            method, api_kwargs={**api_kwargs, "parse_mode": ParseMode.HTML}
        )
    except BadRequest as exc:
        if "can't parse entities" not in str(exc).lower():
            raise
        log.warning("%s: Telegram could not parse the HTML (%s); sent as plain text", method, exc)
    return await bot.do_api_request(
        method, api_kwargs={**api_kwargs, "text": plain_text(api_kwargs["text"])}
    )


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """Our keyboard as Telegram's inline keyboard markup."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


class OutboxSender:
    """Delivers pending outbox messages with a Bot; run it as a background task."""

    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        idle_wait: float = 1.0,
        flood: FloodControl | None = None,
        documents: LocalDocumentStore | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.documents = documents  # where the documents that outbox rows hand on are kept
        self.flood = flood or FloodControl()
        self.owner = f"sender-{uuid.uuid4().hex[:12]}"  # whose lease a claimed row is under
        self.clock = clock
        self.idle_wait = idle_wait
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # The sender's own threads: recording a message Telegram took must not queue behind
        # the handlers' work in the shared executor, since a crash between the two is the one
        # moment that sends a message twice.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sopbot-outbox")
        self._unrecorded = asyncio.Semaphore(MAX_UNRECORDED)
        self.ledger = ChatLedger()
        # The rows of a failed batch stay leased: they are sent again after the lease.
        self._recording: GroupCommit[DeliveryOutcome] = GroupCommit(self._write_outcomes)

    async def _in_thread(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, partial(function, *args, **kwargs))

    def wake(self) -> None:
        """Deliver now rather than at the next poll (called after a command commits)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped; survives errors of single messages."""
        if self.database.is_sqlite:
            # SQLite serves one process: a row still "sending" was left by a process that died
            # between claiming and recording it. It is sent again now, not after its lease.
            await self._in_thread(self._reclaim_orphans)
        while not self._stopping.is_set():
            try:
                sent = await self.deliver_pending()
            except Exception:
                log.exception("outbox delivery round failed")
                metrics.error_seen("outbox")
                sent = 0
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_wait)

    def stop(self) -> None:
        """Ask the run loop to end."""
        self._stopping.set()
        self._wake.set()

    async def deliver_pending(self) -> int:
        """One round: send what is due, oldest first, one chat's messages in order."""
        jobs = await self._in_thread(self._due_jobs)
        if not jobs:
            return 0
        by_chat: dict[int | None, list[DueMessage]] = {}
        for job in jobs:
            by_chat.setdefault(job.chat_id, []).append(job)
        results = await asyncio.gather(
            *(self._deliver_chat(chat_jobs) for chat_jobs in by_chat.values())
        )
        return sum(results)

    async def _deliver_chat(self, jobs: list[DueMessage]) -> int:
        done = 0
        for index, job in enumerate(jobs):
            if not await self._deliver(job):
                # Keep this chat's order: the later messages go back to wait for this one.
                await self._in_thread(self._release, [j.id for j in jobs[index + 1 :]])
                break
            done += 1
        return done

    async def _deliver(self, job: DueMessage) -> bool:
        """Send one job; True when the chat may go on to its next message."""
        if job.chat_id is None:
            await self._record(DeliveryOutcome(job.id, "skipped", error="member not bound"))
            return True
        if job.kind == "edit" and job.edit_target is None:
            await self._record(DeliveryOutcome(job.id, "skipped", error="original not shown"))
            return True
        await self.flood.acquire_chat(job.chat_id)
        async with self._unrecorded:  # released once the outcome is committed
            try:
                message_id = await self._send(job)
            except DocumentUnavailable as exc:
                # Missing or damaged in the store: no later try would find other bytes.
                await self._record(DeliveryOutcome(job.id, "failed", error=f"document: {exc}"))
                return True
            except TelegramError as exc:
                return await self._after_telegram_error(job, exc)
            copies = self.ledger.copies(job.id, job.chat_id, message_id)
            await self._record(DeliveryOutcome(job.id, "sent", message_id, copies=copies))
            return True

    async def _after_telegram_error(self, job: DueMessage, error: TelegramError) -> bool:
        """Record or postpone a send that Telegram refused or that failed on the way; True
        when the chat may go on to its next message."""
        if isinstance(error, RetryAfter):
            await self._in_thread(
                self._postpone, job, retry_after_seconds(error), "429 retry_after", False
            )
            return False
        if isinstance(error, Forbidden):
            # The person blocked the bot (or left): their admins are told.
            failed = DeliveryOutcome(job.id, "failed", error=f"forbidden: {error}", blocked=True)
            await self._record(failed)
            return True
        if isinstance(error, BadRequest):
            if "not modified" in str(error).lower():
                await self._record(DeliveryOutcome(job.id, "sent"))
            else:
                error_text = f"bad request: {error}"
                await self._record(DeliveryOutcome(job.id, "failed", error=error_text))
            return True
        if job.kind == "message":  # Telegram may have taken it: a retry may duplicate
            self.ledger.uncertain(job.id, job.chat_id)
        await self._in_thread(self._postpone, job, _backoff(job.attempts), str(error), True)
        return False

    async def _record(self, outcome: DeliveryOutcome) -> None:
        """Record an outcome with whatever else finished meanwhile (a group commit)."""
        await self._recording.add(outcome)

    async def _write_outcomes(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        await self._in_thread(self._finish, list(outcomes))

    async def _send(self, job: DueMessage) -> int | None:
        """Send (the chat's own limit already taken); Telegram's message_id."""
        payload = job.payload
        assert job.chat_id is not None  # noqa: S101 - checked by the caller
        await self.flood.overall.acquire()
        if job.kind == "document":
            return await self._send_document(job.chat_id, payload)
        keyboard = markup(from_payload(payload.get("keyboard")))
        if job.kind == "edit":
            assert job.edit_target is not None  # noqa: S101 - checked by the caller
            chat_id, message_id = job.edit_target
            text = split_message(payload["text"])[0]
            await edit_html_text(self.bot, chat_id, message_id, text, keyboard)
            for copy in job.edit_copies:
                await self.flood.acquire(chat_id)
                try:
                    await edit_html_text(self.bot, chat_id, copy, text, keyboard)
                except BadRequest as exc:  # not a copy after all (someone's own message)
                    log.info("message %s in chat %s was not a copy: %s", copy, chat_id, exc)
            return message_id
        parts = split_message(payload["text"])
        last: int | None = None
        for index, part in enumerate(parts):
            if index:
                await self.flood.acquire(job.chat_id)  # each part is a message of its own
            last = await send_html_text(
                self.bot, job.chat_id, part, keyboard if index == len(parts) - 1 else None
            )
            self.ledger.saw(job.chat_id, last)
        return last

    async def _send_document(self, chat_id: int, payload: dict[str, Any]) -> int:
        """Upload a stored document under the name the server made for it.

        Never by the sender's file_id: Telegram would deliver it under the sender's own name.
        DocumentUnavailable when the bytes are missing or damaged, or the row predates the
        store (it names only a file_id).
        """
        storage_key = payload.get("storage_key")
        if self.documents is None or not isinstance(storage_key, str):
            raise DocumentUnavailable("no stored document to send")
        content = await self._in_thread(self.documents.read_verified, storage_key)
        sent: Message = await self.bot.send_document(
            chat_id, content, filename=str(payload["filename"]), caption=payload.get("caption")
        )
        return sent.message_id

    # -- database side (run in a worker thread) --------------------------------------------

    def _due_jobs(self) -> list[DueMessage]:
        """Claim what is due, keeping each chat's order, even with other senders running.

        Rows are taken with FOR UPDATE SKIP LOCKED (PostgreSQL) and held by a lease. A member's
        later message is never taken while an earlier one is still to be sent by anyone, so
        several senders can run without overtaking or sending anything twice.
        """
        now = self.clock()
        with self.database.unit_of_work() as uow:
            due = outbox_delivery.claimable(uow, now, BATCH * 4)
            # Each member's next unsent rows, whoever holds them: a member's rows may be taken
            # only as a run from the first of these. Rows locked by another sender are left
            # out of `due`, so a run with a gap would let a later message overtake.
            next_unsent = outbox_delivery.next_unsent(
                uow, {message.member_id for message in due}, PER_CHAT
            )
            jobs = self._in_order(due, next_unsent, now)
            # One statement for the lot: this runs while messages wait to be sent.
            outbox_delivery.lease(uow, [job.id for job in jobs], self.owner, now + LEASE)
            return jobs

    @staticmethod
    def _in_order(
        due: Sequence[DueMessage], next_unsent: dict[int, list[int]], now: dt.datetime
    ) -> list[DueMessage]:
        """The due messages to send this round: up to PER_CHAT of a member's, each only after
        all of the member's earlier ones, up to BATCH in all."""
        jobs: list[DueMessage] = []
        blocked: set[int] = set()
        per_chat: dict[int, int] = {}
        for message in due:
            member = message.member_id
            if member in blocked:
                continue
            expected = next_unsent.get(member, [])
            taken_before = per_chat.get(member, 0)
            if taken_before >= len(expected) or expected[taken_before] != message.id:
                blocked.add(member)  # an earlier message is held by another sender
                continue
            if message.not_before is not None and message.not_before > now:
                blocked.add(member)  # a later message must not overtake this one
                continue
            if message.kind == "edit" and message.edit_target_state in ("pending", "sending"):
                blocked.add(member)  # the original goes first, the edit next round
                continue
            if message.state == "sending":
                log.warning(
                    "outbox %s: its sender's lease ran out; sending again (a "
                    "duplicate if Telegram had already taken it)",
                    message.id,
                )
            per_chat[member] = taken_before + 1
            if per_chat[member] >= PER_CHAT:
                blocked.add(member)  # the rest of this chat waits for the next round
            jobs.append(message)
            if len(jobs) >= BATCH:
                break
        return jobs

    def _finish(self, outcomes: list[DeliveryOutcome]) -> None:
        """Record how sends ended, all in one transaction."""
        now = self.clock()
        # Errors may echo the request URL, and the token in it: stored and told without it.
        cleaned = [replace(o, error=redact(o.error)) if o.error else o for o in outcomes]
        with self.database.unit_of_work() as uow:
            undelivered = outbox_delivery.record_outcomes(uow, cleaned, now)
            for failure in undelivered:
                self._tell_admins(uow, failure)
        for outcome in outcomes:
            if outcome.state == "failed":
                log.warning("outbox message %s failed: %s", outcome.outbox_id, outcome.error)
                metrics.error_seen("outbox")

    def _tell_admins(self, uow: UnitOfWork, failure: Undelivered) -> None:
        """Tell the member's agency admins that a message did not reach them (once per cause)."""
        if failure.was_notice:
            return  # a notice about a notice would never end
        recipient = failure.recipient
        if recipient is None:
            return
        catalog = default_catalog()
        for admin in outbox_delivery.admins_to_tell(uow, recipient):
            language = Language.of(admin.language)
            text = (
                catalog.text(language, "notice.blocked", person=escape(recipient.name))
                if failure.blocked
                else catalog.text(
                    language,
                    "notice.outbox_failed",
                    person=escape(recipient.name),
                    error=escape(failure.error[:200]),
                )
            )
            outbox.add_text(uow, admin.member_id, text, self.clock(), notice=True)

    def _reclaim_orphans(self) -> None:
        with self.database.unit_of_work() as uow:
            for outbox_id in outbox_delivery.reclaim_all(uow):
                log.warning(
                    "outbox %s: left by a sender that stopped; sending again (a "
                    "duplicate if Telegram had already taken it)",
                    outbox_id,
                )

    def _release(self, outbox_ids: list[int]) -> None:
        """Give claimed rows back (unsent, still in order) without waiting for the lease."""
        if not outbox_ids:
            return
        with self.database.unit_of_work() as uow:
            outbox_delivery.release(uow, outbox_ids, self.owner)

    def _postpone(self, job: DueMessage, seconds: float, error: str, counts: bool) -> None:
        """Send a job again after `seconds` (a try that `counts` brings MAX_ATTEMPTS nearer,
        after which it fails and the admins are told)."""
        error = redact(error)
        with self.database.unit_of_work() as uow:
            failure = outbox_delivery.postpone(
                uow,
                job.id,
                error=error,
                not_before=self.clock() + dt.timedelta(seconds=seconds),
                counts=counts,
                max_attempts=MAX_ATTEMPTS,
            )
            if failure is not None:
                self._tell_admins(uow, failure)
        if failure is not None:
            log.warning(
                "outbox message %s failed after %d attempts: %s", job.id, failure.attempts, error
            )
            metrics.error_seen("outbox")


class ChatLedger:
    """The message ids Telegram gave this process in each chat, to find the duplicate that an
    ambiguous failure leaves (the request reached Telegram, the answer did not, the retry
    sent the message again). A private chat numbers its messages one after another, and
    every message this bot sends to it goes through this process (the outbox here, direct
    replies through `saw`): so the ids between the newest one known before the failed try and
    the retry's id are the duplicate or the person's own messages, and editing those fails
    harmlessly. Only a short gap is trusted; after a restart nothing is known, and nothing
    is guessed."""

    MAX_GAP = 3
    KEPT = 64  # recent ids remembered per chat

    def __init__(self) -> None:
        self._seen: dict[int, deque[int]] = {}
        self._before: dict[int, int | None] = {}
        # Several workers send to one chat (another worker's message could sit in the gap):
        # then no gap is trusted (`Worker` sets this from the registry).
        self.alone = True

    def saw(self, chat_id: int | None, message_id: int | None) -> None:
        """Telegram gave this message id in this chat."""
        if chat_id is not None and message_id is not None:
            self._seen.setdefault(chat_id, deque(maxlen=self.KEPT)).append(message_id)

    def uncertain(self, outbox_id: int, chat_id: int | None) -> None:
        """A send of this row failed in a way that may still have delivered it."""
        seen = self._seen.get(chat_id) if chat_id is not None else None
        self._before.setdefault(outbox_id, max(seen) if seen else None)

    def copies(
        self, outbox_id: int, chat_id: int | None, message_id: int | None
    ) -> tuple[int, ...]:
        """The ids that may hold an earlier copy of this row, now that it was sent."""
        self.saw(chat_id, message_id)
        if outbox_id not in self._before:
            return ()
        before = self._before.pop(outbox_id)
        if before is None or message_id is None or chat_id is None or not self.alone:
            return ()
        known = set(self._seen.get(chat_id, ()))
        gap = [i for i in range(before + 1, message_id) if i not in known]
        return tuple(gap) if len(gap) <= self.MAX_GAP else ()


def _backoff(attempts: int) -> float:
    """Seconds to wait before the next try: 1, 2, 4 ... up to 5 minutes."""
    return float(min(300, 2**attempts))
