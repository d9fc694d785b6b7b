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
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, update
from sqlmodel import Session, col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBUserWarning

from sopbot.bot.flood import FloodControl
from sopbot.bot.group_commit import GroupCommit
from sopbot.bot.redaction import redact
from sopbot.bot.telegram_errors import retry_after_seconds
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import escape, plain_text, split_message
from sopbot.messaging.keyboards import Keyboard, from_payload
from sopbot.storage.database import Database
from sopbot.storage.document_store import DocumentUnavailable, LocalDocumentStore
from sopbot.storage.models import MemberRow, OutboxRow

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


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one send ended, to be recorded."""

    outbox_id: int
    state: str  # sent, failed or skipped
    message_id: int | None = None
    error: str | None = None
    blocked: bool = False
    copies: tuple[int, ...] = ()  # other messages that may show it (see `ChatLedger`)


@dataclass(frozen=True, slots=True)
class _Job:
    """A pending outbox row, with what is needed to send it."""

    id: int
    kind: str
    payload: dict[str, Any]
    chat_id: int | None
    attempts: int
    edit_target: tuple[int, int] | None  # (chat, message_id) of the message an edit changes
    edit_target_state: str | None
    edit_copies: tuple[int, ...] = ()  # duplicates of that message an edit changes too


# `do_api_request` is PTB's way to have an answer as JSON; for a method PTB has, it nudges
# towards the typed one, which would build the Message that send_html_text avoids.
SEND_AS_JSON_WARNING = r"Please use 'Bot\.(sendMessage|editMessageText)'"
warnings.filterwarnings("ignore", message=SEND_AS_JSON_WARNING, category=PTBUserWarning)


async def send_html_text(
    bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> int:
    """Send one message of HTML text (one part of `split_message`); its message id.

    Telegram's answer is read as JSON and not made into a `Message`, which no caller needs:
    building it was about a tenth of the bot's CPU per reply (bench/findings.md). Errors are
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
        self._recording: GroupCommit[_Outcome] = GroupCommit(self._write_outcomes)

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
        by_chat: dict[int | None, list[_Job]] = {}
        for job in jobs:
            by_chat.setdefault(job.chat_id, []).append(job)
        results = await asyncio.gather(
            *(self._deliver_chat(chat_jobs) for chat_jobs in by_chat.values())
        )
        return sum(results)

    async def _deliver_chat(self, jobs: list[_Job]) -> int:
        done = 0
        for index, job in enumerate(jobs):
            if not await self._deliver(job):
                # Keep this chat's order: the later messages go back to wait for this one.
                await self._in_thread(self._release, [j.id for j in jobs[index + 1 :]])
                break
            done += 1
        return done

    async def _deliver(self, job: _Job) -> bool:
        """Send one job; True when the chat may go on to its next message."""
        if job.chat_id is None:
            await self._record(_Outcome(job.id, "skipped", error="member not bound"))
            return True
        if job.kind == "edit" and job.edit_target is None:
            await self._record(_Outcome(job.id, "skipped", error="original not shown"))
            return True
        await self.flood.acquire_chat(job.chat_id)
        async with self._unrecorded:  # released once the outcome is committed
            try:
                message_id = await self._send(job)
            except RetryAfter as exc:
                await self._in_thread(
                    self._postpone, job, retry_after_seconds(exc), "429 retry_after", False
                )
                return False
            except DocumentUnavailable as exc:
                # Missing or damaged in the store: no later try would find other bytes.
                await self._record(_Outcome(job.id, "failed", error=f"document: {exc}"))
                return True
            except Forbidden as exc:
                # The person blocked the bot (or left): their admins are told.
                error = f"forbidden: {exc}"
                await self._record(_Outcome(job.id, "failed", error=error, blocked=True))
                return True
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    await self._record(_Outcome(job.id, "sent"))
                    return True
                await self._record(_Outcome(job.id, "failed", error=f"bad request: {exc}"))
                return True
            except TelegramError as exc:
                if job.kind == "message":  # Telegram may have taken it: a retry may duplicate
                    self.ledger.uncertain(job.id, job.chat_id)
                await self._in_thread(self._postpone, job, _backoff(job.attempts), str(exc), True)
                return False
            copies = self.ledger.copies(job.id, job.chat_id, message_id)
            await self._record(_Outcome(job.id, "sent", message_id, copies=copies))
            return True

    async def _record(self, outcome: _Outcome) -> None:
        """Record an outcome with whatever else finished meanwhile (a group commit)."""
        await self._recording.add(outcome)

    async def _write_outcomes(self, outcomes: Sequence[_Outcome]) -> None:
        await self._in_thread(self._finish, list(outcomes))

    async def _send(self, job: _Job) -> int | None:
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

    def _due_jobs(self) -> list[_Job]:
        """Claim what is due, keeping each chat's order, even with other senders running.

        Rows are taken with FOR UPDATE SKIP LOCKED (PostgreSQL) and held by a lease. A member's
        later message is never taken while an earlier one is still to be sent by anyone, so
        several senders can run without overtaking or sending anything twice.
        """
        now = self.clock()
        with self.database.transaction() as session:
            claimable = (col(OutboxRow.state) == "pending") | (
                (col(OutboxRow.state) == "sending") & (col(OutboxRow.lease_until) < now)
            )
            query = select(OutboxRow).where(claimable).order_by(col(OutboxRow.id)).limit(BATCH * 4)
            if not self.database.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = session.exec(query).all()
            members = {row.member_id for row in rows}
            # Each member's next unsent rows, whoever holds them: a member's rows may be taken
            # only as a run from the first of these. Rows locked by another sender are skipped
            # by the query above, so a run with a gap would let a later message overtake.
            next_unsent = self._next_unsent(session, members)
            # Every member's chat in one query: this runs while messages wait to be sent.
            chats: dict[int, int | None] = {}
            if members:
                for member_id, telegram_id in session.exec(
                    select(MemberRow.id, MemberRow.telegram_user_id).where(
                        col(MemberRow.id).in_(members)
                    )
                ):
                    if member_id is not None:
                        chats[member_id] = telegram_id
            jobs: list[_Job] = []
            taken: list[OutboxRow] = []
            blocked: set[int] = set()
            per_chat: dict[int, int] = {}
            for row in rows:
                member = row.member_id
                if member in blocked:
                    continue
                expected = next_unsent.get(member, [])
                taken_before = per_chat.get(member, 0)
                if taken_before >= len(expected) or expected[taken_before] != row.id:
                    blocked.add(member)  # an earlier message is held by another sender
                    continue
                if row.not_before is not None and row.not_before > now:
                    blocked.add(member)  # a later message must not overtake this one
                    continue
                job = self._job(session, row, chats)
                if job.kind == "edit" and job.edit_target_state in ("pending", "sending"):
                    blocked.add(member)  # the original goes first, the edit next round
                    continue
                if row.state == "sending":
                    log.warning(
                        "outbox %s: its sender's lease ran out; sending again (a "
                        "duplicate if Telegram had already taken it)",
                        row.id,
                    )
                per_chat[member] = taken_before + 1
                if per_chat[member] >= PER_CHAT:
                    blocked.add(member)  # the rest of this chat waits for the next round
                jobs.append(job)
                taken.append(row)
                if len(jobs) >= BATCH:
                    break
            if taken:
                # One statement for the lot: this runs while messages wait to be sent.
                session.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.id).in_([row.id for row in taken]))
                    .values(state="sending", lease_owner=self.owner, lease_until=now + LEASE)
                    .execution_options(synchronize_session=False)
                )
            return jobs

    @staticmethod
    def _next_unsent(session: Session, members: set[int]) -> dict[int, list[int]]:
        """Each member's first PER_CHAT unsent rows (pending or being sent), in order."""
        if not members:
            return {}
        unsent = (
            select(
                col(OutboxRow.member_id).label("member_id"),
                col(OutboxRow.id).label("id"),
                func.row_number()
                .over(partition_by=col(OutboxRow.member_id), order_by=col(OutboxRow.id))
                .label("place"),
            )
            .where(col(OutboxRow.state).in_(["pending", "sending"]))
            .where(col(OutboxRow.member_id).in_(members))
            .subquery()
        )
        next_unsent: dict[int, list[int]] = {}
        for member_id, outbox_id in session.exec(
            select(unsent.c.member_id, unsent.c.id)
            .where(unsent.c.place <= PER_CHAT)
            .order_by(unsent.c.member_id, unsent.c.id)
        ):
            next_unsent.setdefault(member_id, []).append(outbox_id)
        return next_unsent

    def _job(self, session: Session, row: OutboxRow, chats: dict[int, int | None]) -> _Job:
        assert row.id is not None  # noqa: S101 - a stored row
        chat_id = chats.get(row.member_id)
        target = None
        target_state = None
        copies: tuple[int, ...] = ()
        if row.kind == "edit" and row.edits_outbox_id is not None:
            original = session.get(OutboxRow, row.edits_outbox_id)
            if original is not None:
                target_state = original.state
                if original.telegram_message_id is not None and original.chat_id is not None:
                    target = (original.chat_id, original.telegram_message_id)
                copies = tuple(int(c) for c in original.payload.get("copies", ()))
        return _Job(
            row.id, row.kind, dict(row.payload), chat_id, row.attempts, target, target_state, copies
        )

    def _finish(self, outcomes: list[_Outcome]) -> None:
        """Record how sends ended, all in one transaction."""
        now = self.clock()
        with self.database.transaction() as session:
            rows = {
                row.id: row
                for row in session.exec(
                    select(OutboxRow).where(col(OutboxRow.id).in_([o.outbox_id for o in outcomes]))
                )
            }
            for outcome in outcomes:
                row = rows.get(outcome.outbox_id)
                if row is not None:
                    self._apply(session, row, outcome, now)
        for outcome in outcomes:
            if outcome.state == "failed":
                log.warning("outbox message %s failed: %s", outcome.outbox_id, outcome.error)

    def _apply(self, session: Session, row: OutboxRow, outcome: _Outcome, now: dt.datetime) -> None:
        member = session.get(MemberRow, row.member_id)
        row.state = outcome.state
        row.attempts += 1
        row.chat_id = member.telegram_user_id if member else None
        if outcome.message_id is not None:
            row.telegram_message_id = outcome.message_id
        if outcome.copies:
            row.payload = {**row.payload, "copies": list(outcome.copies)}
        row.sent_at = now if outcome.state == "sent" else None
        row.last_error = redact(outcome.error)[:500] if outcome.error else None
        row.lease_owner, row.lease_until = None, None
        session.add(row)
        if outcome.state == "failed" and member is not None:
            if outcome.blocked:
                member.blocked_at = now
                session.add(member)
            self._tell_admins(session, row, member, outcome.blocked, outcome.error or "")

    def _tell_admins(
        self, session: Session, row: OutboxRow, member: MemberRow, blocked: bool, error: str
    ) -> None:
        """Tell the member's agency admins that a message did not reach them (once per cause)."""
        if row.payload.get("notice"):
            return  # a notice about a notice would never end
        catalog = default_catalog()
        admins = session.exec(
            select(MemberRow).where(
                MemberRow.agency_id == member.agency_id,
                col(MemberRow.is_admin),
                MemberRow.id != member.id,
            )
        ).all()
        for admin in admins:
            assert admin.id is not None  # noqa: S101 - a stored row
            language = Language.of(admin.language)
            text = (
                catalog.text(language, "notice.blocked", person=escape(member.name))
                if blocked
                else catalog.text(
                    language,
                    "notice.outbox_failed",
                    person=escape(member.name),
                    error=escape(redact(error)[:200]),
                )
            )
            session.add(
                OutboxRow(
                    created_at=self.clock(),
                    member_id=admin.id,
                    kind="message",
                    payload={"text": text, "notice": True},
                )
            )

    def _reclaim_orphans(self) -> None:
        with self.database.transaction() as session:
            for row in session.exec(select(OutboxRow).where(OutboxRow.state == "sending")):
                log.warning(
                    "outbox %s: left by a sender that stopped; sending again (a "
                    "duplicate if Telegram had already taken it)",
                    row.id,
                )
                row.state, row.lease_owner, row.lease_until = "pending", None, None
                session.add(row)

    def _release(self, outbox_ids: list[int]) -> None:
        """Give claimed rows back (unsent, still in order) without waiting for the lease."""
        if not outbox_ids:
            return
        with self.database.transaction() as session:
            for row in session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(outbox_ids))):
                if row.state == "sending" and row.lease_owner == self.owner:
                    row.state, row.lease_owner, row.lease_until = "pending", None, None
                    session.add(row)

    def _postpone(self, job: _Job, seconds: float, error: str, counts: bool) -> None:
        with self.database.transaction() as session:
            row = session.get(OutboxRow, job.id)
            if row is None:
                return
            if counts:
                row.attempts += 1
            row.last_error = redact(error)[:500]
            row.lease_owner, row.lease_until = None, None
            if row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"
                member = session.get(MemberRow, row.member_id)
                if member is not None:
                    self._tell_admins(session, row, member, False, error)
                log.warning(
                    "outbox message %s failed after %d attempts: %s", job.id, row.attempts, error
                )
            else:
                row.state = "pending"
                row.not_before = self.clock() + dt.timedelta(seconds=seconds)
            session.add(row)


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
        if before is None or message_id is None or chat_id is None:
            return ()
        known = set(self._seen.get(chat_id, ()))
        gap = [i for i in range(before + 1, message_id) if i not in known]
        return tuple(gap) if len(gap) <= self.MAX_GAP else ()


def _backoff(attempts: int) -> float:
    """Seconds to wait before the next try: 1, 2, 4 ... up to 5 minutes."""
    return float(min(300, 2**attempts))
