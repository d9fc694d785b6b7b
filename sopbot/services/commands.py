"""Running a command once: idempotency keys, optimistic retries, one transaction per attempt.

Every command carries an idempotency key (in practice the Telegram update id). The key is stored
with the command's result in the same transaction as its effects, so a replay finds the key and
returns the stored result without changing anything. A refusal is stored too: a replayed update
gets the same answer it got the first time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from sopbot.engine.errors import DomainError
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.instance_store import ConcurrentUpdate
from sopbot.storage.models import CommandRow
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import table_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Clock = Callable[[], dt.datetime]

_COMMAND = table_of(CommandRow)
# Built once: every command runs both (see storage.prepared).
_PRIOR_RESULT = PreparedQuery(select(_COMMAND.c.result).where(_COMMAND.c.key == bindparam("key")))
_RECORD = PreparedWrite(insert(_COMMAND))


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did: its result, and whether this call was a replay."""

    result: Mapping[str, Any]
    replayed: bool = False


class CommandRunner:
    """Runs a unit of work under an idempotency key, retrying when an instance changed."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def run(
        self,
        key: str | None,
        kind: str,
        work: Callable[[Session, dt.datetime], Mapping[str, Any]],
    ) -> Outcome:
        """Do `work` once for this key; raise the DomainError it raises (or raised before)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            now = self.clock()
            try:
                with self.database.transaction() as session:
                    if key is not None:
                        prior = _PRIOR_RESULT.first(session, {"key": key})
                        if prior is not None:
                            return _replay(prior.result)
                    result = dict(work(session, now))
                    if key is not None:
                        _RECORD.run(
                            session, {"key": key, "kind": kind, "at": now, "result": result}
                        )
                    claim = _mark_inbox_processed(session, now)
                if claim is not None:
                    claim.marked = True
                return Outcome(result)
            except DomainError as refusal:
                # The transaction rolled back: nothing changed. Remember the answer.
                if key is not None:
                    concurrent = self._remember_refusal(key, kind, now, refusal)
                    if concurrent is not None:
                        # The same command committed after this attempt looked for its key
                        # (on PostgreSQL each statement sees the latest commits): what it saw
                        # was that command's effect, so answer as its replay.
                        return _replay(concurrent)
                raise
            except (ConcurrentUpdate, IntegrityError) as conflict:
                # Another transaction changed the instance (or used the key) first: reload and
                # decide again; the engine then sees what the other did.
                log.info("retrying %s (attempt %d): %s", kind, attempt, type(conflict).__name__)
        raise ConcurrentUpdate(f"{kind} kept conflicting after {MAX_ATTEMPTS} attempts")

    def _remember_refusal(
        self, key: str, kind: str, now: dt.datetime, refusal: DomainError
    ) -> dict[str, Any] | None:
        """Store the refusal under the key; if the key is taken already, its stored result."""
        result = {
            "refused": refusal.code,
            "message": str(refusal),
            "params": {k: _jsonable(v) for k, v in refusal.params.items()},
        }
        try:
            with self.database.transaction() as session:
                stored = session.get(CommandRow, key)
                if stored is None:
                    session.add(CommandRow(key=key, kind=kind, at=now, result=result))
                claim = _mark_inbox_processed(session, now)
            if claim is not None:
                claim.marked = True
        except IntegrityError:
            log.info("refusal of %s already recorded by a concurrent replay", kind)
            return None
        return None if stored is None else stored.result


@dataclass(slots=True)
class InboxClaim:
    """The stored update being handled; `marked` once a committed command marked it processed;
    `passing_failure` when handling it met trouble that may pass (Telegram down), so the
    processor tries the update again instead of counting it handled."""

    inbox_id: int
    marked: bool = False
    passing_failure: str | None = None


current_inbox: ContextVar[InboxClaim | None] = ContextVar("current_inbox", default=None)
"""The update being handled, so its command marks it processed in the same transaction as its
effects (set by the inbox processor; None outside it)."""


def _mark_inbox_processed(session: Session, now: dt.datetime) -> InboxClaim | None:
    claim = current_inbox.get()
    if claim is None:
        return None
    session.execute(
        update(InboxRow)
        .where(col(InboxRow.id) == claim.inbox_id)
        .where(col(InboxRow.processed_at).is_(None))
        .values(processed_at=now)
    )
    return claim


def _replay(result: dict[str, Any]) -> Outcome:
    if "refused" in result:
        raise DomainError.from_code(
            str(result["refused"]), str(result.get("message", "")), result.get("params", {})
        )
    return Outcome(result, replayed=True)


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
