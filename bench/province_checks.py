"""Nothing lost, nothing doubled: the province-day's checks, from Telegram's log (the emulator's)
and the database (the inbox, the audit trail, the outbox). Every check is an assertion: one that
fails stops the benchmark with every problem found listed, never a figure that looks fine.

Telegram's side comes from `bench.province_driver` (`Officials.report`): each update an official
caused as `UpdateRow`, each message call the bot made as `SentRow`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import col, select

from bench.province_driver import text_hash
from sopbot.messaging.formatting import split_message
from sopbot.services.audit_verify import verify_audit_trail
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import (
    AuditRow,
    CommandRow,
    InstanceRow,
    MemberRow,
    OutboxRow,
    StepAlertRow,
)

# Entities whose every action happens at most once to one row: a step run opens and completes
# once (a step done again is a new run, in its next round), a disposition is sent, claimed,
# done or released once, a procedure starts and finishes once.
ONCE_ENTITIES = ("instance", "step_run", "disposition")
NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """An update an official caused, and what became of it (times on the monotonic clock)."""

    update_id: int
    kind: str
    chat: int
    pushed_at: float
    query_id: str | None
    message_id: int | None
    delivered_at: float | None
    answered_at: float | None
    replied_at: float | None


@dataclass(frozen=True, slots=True)
class SentRow:
    """A message call the bot made: method, chat, digest of its text or caption, the message an
    edit changes, status, when, Telegram's description, an alert's first characters."""

    method: str
    chat: int
    digest: str
    message_id: int | None
    status: int
    at: float
    description: str | None
    alert: str | None


class DayFailed(AssertionError):
    """Something was lost or doubled; the message lists every problem found."""


def updates_of(report: dict[str, Any]) -> list[UpdateRow]:
    """The officials' updates, as the driver reported them."""
    return [UpdateRow(*row) for row in report["updates"]]


def sent_of(report: dict[str, Any]) -> list[SentRow]:
    """The bot's message calls, as the driver reported them."""
    return [SentRow(*row) for row in report["sent"]]


def check_day(
    database: Database,
    report: dict[str, Any],
    *,
    procedures_planned: int,
    neglected: str,
) -> dict[str, Any]:
    """Run every check; DayFailed listing all problems, or what was counted."""
    problems: list[str] = []
    updates, sent = updates_of(report), sent_of(report)
    counted: dict[str, Any] = {}
    counted |= _updates_once(database, updates, report, problems)
    counted |= _commands_once(database, updates, problems)
    counted |= _transitions_once(database, problems)
    counted |= _messages_once(database, sent, problems)
    counted |= _procedures_done(database, procedures_planned, neglected, problems)
    verification = verify_audit_trail(database)
    counted["audit_rows_verified"] = verification.rows
    if not verification.intact:
        problems += [f"audit trail: {p}" for p in verification.problems[:20]]
    twice = report["direct_replies_twice"]
    _expect(problems, not twice, f"{len(twice)} direct answer(s) sent twice: {twice[:5]}")
    _expect(
        problems,
        not report["press_answers_refused"],
        f"{report['press_answers_refused']} press(es) answered twice (Telegram refused one)",
    )
    counted["direct_replies_checked"] = report["direct_replies"]
    if report["error_count"]:
        problems.append(
            f"{report['error_count']} time(s) an official's action got no answer: "
            + "; ".join(report["errors"][:10])
        )
    if problems:
        raise DayFailed("the province-day lost or doubled something:\n  " + "\n  ".join(problems))
    return counted


def _updates_once(
    database: Database, updates: list[UpdateRow], report: dict[str, Any], problems: list[str]
) -> dict[str, Any]:
    """Every update delivered once (one 2xx), stored once, handled, and answered."""
    pushed = [u.update_id for u in updates]
    if len(set(pushed)) != len(pushed):
        problems.append("the officials' updates reuse ids (the emulator's log is wrong)")
    deliveries: dict[str, list[list[Any]]] = report["deliveries"]
    twice = [k for k, tries in deliveries.items() if sum(1 for t in tries if t[0] == 200) > 1]
    never = [u for u in pushed if not any(t[0] == 200 for t in deliveries.get(str(u), []))]
    retried = sum(1 for tries in deliveries.values() for t in tries if t[0] != 200)
    with database.reading() as session:
        stored = session.exec(select(InboxRow.update_id, InboxRow.processed_at)).all()
    ids = Counter(row[0] for row in stored)
    unhandled = [row[0] for row in stored if row[1] is None]
    _expect(problems, not twice, f"{len(twice)} update(s) delivered twice: {twice[:5]}")
    _expect(problems, not never, f"{len(never)} update(s) never delivered: {never[:5]}")
    doubled = [u for u, n in ids.items() if n > 1]
    _expect(problems, not doubled, f"{len(doubled)} update(s) stored twice: {doubled[:5]}")
    lost = sorted(set(pushed) - set(ids))
    _expect(problems, not lost, f"{len(lost)} update(s) never stored: {lost[:5]}")
    strays = sorted(set(ids) - set(pushed))
    _expect(problems, not strays, f"{len(strays)} stored update(s) nobody sent: {strays[:5]}")
    _expect(problems, not unhandled, f"{len(unhandled)} update(s) never handled")
    unanswered = [u.update_id for u in updates if u.replied_at is None]
    _expect(problems, not unanswered, f"{len(unanswered)} update(s) never answered")
    return {
        "updates_sent_by_telegram": len(pushed),
        "updates_stored": len(stored),
        "updates_handled": len(stored) - len(unhandled),
        "webhook_deliveries_refused": retried,
    }


def _commands_once(
    database: Database, updates: list[UpdateRow], problems: list[str]
) -> dict[str, Any]:
    """Every command key is one update's (a press or a message), kept once."""
    with database.reading() as session:
        keys = list(session.exec(select(CommandRow.key)))
    counts = Counter(keys)
    doubled = [k for k, n in counts.items() if n > 1]
    _expect(problems, not doubled, f"{len(doubled)} idempotency key(s) kept twice")
    known = {f"cb:{u.query_id}" for u in updates if u.query_id is not None}
    known |= {f"msg:{u.chat}:{u.message_id}" for u in updates if u.message_id is not None}
    of_updates = [k for k in counts if k.startswith(("cb:", "msg:"))]
    strays = [k for k in of_updates if k not in known]
    _expect(problems, not strays, f"{len(strays)} command key(s) of no update: {strays[:5]}")
    return {"commands_of_updates": len(of_updates)}


def _transitions_once(database: Database, problems: list[str]) -> dict[str, Any]:
    """No transition recorded twice: each action on a procedure, a step run or a disposition
    happens once to that row."""
    with database.reading() as session:
        twice = session.exec(
            select(AuditRow.entity, AuditRow.entity_id, AuditRow.action, func.count())
            .where(col(AuditRow.entity).in_(ONCE_ENTITIES))
            .group_by(AuditRow.entity, AuditRow.entity_id, AuditRow.action)
            .having(func.count() > 1)
        ).all()
        transitions = session.exec(
            select(func.count())
            .select_from(AuditRow)
            .where(col(AuditRow.entity).in_(ONCE_ENTITIES))
        ).one()
    _expect(
        problems,
        not twice,
        f"{len(twice)} transition(s) recorded twice in the audit trail: {list(twice[:5])}",
    )
    return {"transitions_checked": int(transitions)}


def _messages_once(database: Database, sent: list[SentRow], problems: list[str]) -> dict[str, Any]:
    """Every outbox row was sent, and Telegram took each message, document and edit exactly
    as many times as the outbox says (plus the copies the sender recorded after an ambiguous
    failure)."""
    rows = _outbox(database)
    states = Counter(row["state"] for row in rows)
    unsent = {state: n for state, n in states.items() if state != "sent"}
    _expect(problems, not unsent, f"outbox rows not sent: {unsent}")
    expected: Counter[tuple[Any, ...]] = Counter()
    allowed_extra: Counter[tuple[Any, ...]] = Counter()
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        for key in _keys_of(row, by_id):
            expected[key] += 1
            allowed_extra[key] += row["copies"]
    taken: Counter[tuple[Any, ...]] = Counter()
    unchanged: Counter[tuple[Any, ...]] = Counter()
    for call in sent:
        key = _key_of_call(call)
        if call.status == 200:
            taken[key] += 1
        elif call.description and NOT_MODIFIED in call.description.lower():
            unchanged[key] += 1
    lost = [k for k, n in expected.items() if taken[k] + unchanged[k] < n]
    doubled = [k for k, n in expected.items() if taken[k] > n + allowed_extra[k]]
    _expect(problems, not lost, f"{len(lost)} outbox message(s) never taken: {lost[:5]}")
    _expect(problems, not doubled, f"{len(doubled)} outbox message(s) taken twice: {doubled[:5]}")
    return {
        "outbox_rows": len(rows),
        "outbox_copies": sum(row["copies"] for row in rows),
        "telegram_messages_taken": sum(1 for c in sent if c.status == 200),
    }


def _outbox(database: Database) -> list[dict[str, Any]]:
    """Every outbox row with its chat (the member's when the row names none) and its copies
    (the messages a retry after an ambiguous failure may have doubled, kept in its payload)."""
    with database.reading() as session:
        found = session.execute(
            sql_select(
                col(OutboxRow.id),
                col(OutboxRow.kind),
                col(OutboxRow.state),
                col(OutboxRow.payload),
                col(OutboxRow.edits_outbox_id),
                col(OutboxRow.telegram_message_id),
                func.coalesce(col(OutboxRow.chat_id), col(MemberRow.telegram_user_id)),
            ).join(MemberRow, col(MemberRow.id) == col(OutboxRow.member_id))
        ).all()
    names = ("id", "kind", "state", "payload", "edits_outbox_id", "telegram_message_id", "chat")
    rows = [dict(zip(names, row, strict=True)) for row in found]
    for row in rows:
        row["copies"] = len(row["payload"].get("copies", ()))
    return rows


def _keys_of(row: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> list[tuple[Any, ...]]:
    payload = row["payload"]
    chat = row["chat"]
    if row["kind"] == "message":
        return [("message", chat, text_hash(part)) for part in split_message(payload["text"])]
    if row["kind"] == "document":
        return [("document", chat, text_hash(str(payload.get("caption") or "")))]
    target = by_id.get(row["edits_outbox_id"])
    message_id = target["telegram_message_id"] if target is not None else None
    return [("edit", chat, message_id, text_hash(split_message(payload["text"])[0]))]


def _key_of_call(call: SentRow) -> tuple[Any, ...]:
    if call.method == "sendmessage":
        return ("message", call.chat, call.digest)
    if call.method in ("senddocument", "sendphoto"):
        return ("document", call.chat, call.digest)
    return ("edit", call.chat, call.message_id, call.digest)


def _procedures_done(
    database: Database, planned: int, neglected: str, problems: list[str]
) -> dict[str, Any]:
    """Every procedure the plan started exists and finished; the backlog is still open."""
    with database.reading() as session:
        rows = session.exec(select(InstanceRow.title, InstanceRow.state)).all()
    played = [row for row in rows if neglected not in row[0]]
    backlog = [row for row in rows if neglected in row[0]]
    unfinished = [row[0] for row in played if row[1] != "finished"]
    _expect(
        problems,
        len(played) == planned,
        f"{len(played)} procedure(s) started through Telegram, {planned} planned",
    )
    _expect(problems, not unfinished, f"{len(unfinished)} unfinished: {unfinished[:5]}")
    _expect(
        problems,
        all(row[1] == "running" for row in backlog),
        "an official acted on the backlog",
    )
    return {"procedures_played": len(played), "backlog_procedures": len(backlog)}


def alerts_sent(
    database: Database, since: dt.datetime, until: dt.datetime, problems: list[str]
) -> dict[str, Any]:
    """The backlog's reminders and escalations: each due by `until` went once, and how late."""
    with database.reading() as session:
        alerts = session.exec(select(StepAlertRow)).all()
    twice = Counter((a.step_run_id, a.kind, a.seq) for a in alerts)
    _expect(problems, max(twice.values(), default=0) <= 1, "an alert was recorded twice")
    within = [a for a in alerts if since <= a.due_at <= until]
    return {
        "reminders_due_in_run": sum(1 for a in within if a.kind == "reminder"),
        "escalations_due_in_run": sum(1 for a in within if a.kind == "escalation"),
        "reminders_before_run": sum(1 for a in alerts if a.kind == "reminder" and a.due_at < since),
        "lateness_s": sorted((a.sent_at - a.due_at).total_seconds() for a in within),
    }


def _expect(problems: list[str], holds: bool, problem: str) -> None:
    if not holds:
        problems.append(problem)
