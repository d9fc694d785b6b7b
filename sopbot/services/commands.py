"""Running a command once: idempotency keys, optimistic retries, one transaction per attempt.

Every command carries an idempotency key (in practice built from the Telegram update). The key
is stored with the command's result in the same transaction as its effects, so a replay finds
the key and returns the stored result without changing anything. A refusal is stored too: a
replayed update gets the same answer it got the first time. When the command handles a stored
update (`CommandKey.inbox`), that update is marked processed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sopbot.engine.errors import DomainError
from sopbot.services.results import decode, encode
from sopbot.storage import command_keys
from sopbot.storage.database import Database
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Clock = Callable[[], dt.datetime]
R = TypeVar("R")


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class InboxClaim:
    """The stored update being handled; `marked` once a committed command marked it processed;
    `passing_failure` when handling it met trouble that may pass (Telegram down), so the
    processor tries the update again instead of counting it handled."""

    inbox_id: int
    marked: bool = False
    passing_failure: str | None = None


@dataclass(frozen=True, slots=True)
class CommandKey:
    """A command's idempotency key, and the stored update it handles (None outside the inbox
    processor: the command line, the scheduler, tests)."""

    value: str
    inbox: InboxClaim | None = None


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """What a command did: its result, and whether this call was a replay."""

    result: R
    replayed: bool = False


class CommandRunner:
    """Runs a unit of work under an idempotency key, retrying when an instance changed."""

    def __init__(self, database: Database, clock: Clock = utc_now) -> None:
        self.database = database
        self.clock = clock

    def run(
        self,
        key: CommandKey | str | None,
        kind: str,
        work: Callable[[UnitOfWork, dt.datetime], R],
        result_type: type[R],
    ) -> Outcome[R]:
        """Do `work` once for this key; raise the DomainError it raises (or raised before).

        `result_type` is the dataclass `work` returns, to read a stored result back on replay.
        """
        command = CommandKey(key) if isinstance(key, str) else key
        for attempt in range(1, MAX_ATTEMPTS + 1):
            now = self.clock()
            try:
                with self.database.unit_of_work() as uow:
                    if command is not None:
                        prior = command_keys.prior_result(uow, command.value)
                        if prior is not None:
                            return _replay(prior, result_type)
                    result = work(uow, now)
                    if command is not None:
                        command_keys.record(uow, command.value, kind, now, encode(result))
                    _mark_handled(uow, command, now)
                _note_marked(command)
                return Outcome(result)
            except DomainError as refusal:
                # The transaction rolled back: nothing changed. Remember the answer.
                if command is not None:
                    concurrent = self._remember_refusal(command, kind, now, refusal)
                    if concurrent is not None:
                        # The same command committed after this attempt looked for its key
                        # (on PostgreSQL each statement sees the latest commits): what it saw
                        # was that command's effect, so answer as its replay.
                        return _replay(concurrent, result_type)
                raise
            except ConcurrentUpdate as conflict:
                # Another transaction changed the instance (or used the key) first: reload and
                # decide again; the engine then sees what the other did.
                log.info("retrying %s (attempt %d): %s", kind, attempt, conflict)
        raise ConcurrentUpdate(f"{kind} kept conflicting after {MAX_ATTEMPTS} attempts")

    def _remember_refusal(
        self, command: CommandKey, kind: str, now: dt.datetime, refusal: DomainError
    ) -> dict[str, Any] | None:
        """Store the refusal under the key; if the key is taken already, its stored result."""
        refused = {
            "refused": refusal.code,
            "message": str(refusal),
            "params": {k: _jsonable(v) for k, v in refusal.params.items()},
        }
        try:
            with self.database.unit_of_work() as uow:
                stored = command_keys.prior_result(uow, command.value)
                if stored is None:
                    command_keys.record(uow, command.value, kind, now, refused)
                _mark_handled(uow, command, now)
            _note_marked(command)
        except ConcurrentUpdate:
            log.info("refusal of %s already recorded by a concurrent replay", kind)
            return None
        return stored


def _mark_handled(uow: UnitOfWork, command: CommandKey | None, now: dt.datetime) -> None:
    """Mark the stored update this command handles as processed, in its transaction."""
    if command is not None and command.inbox is not None:
        command_keys.mark_processed(uow, command.inbox.inbox_id, now)


def _note_marked(command: CommandKey | None) -> None:
    """Tell the inbox processor, once committed, that no separate mark is owed."""
    if command is not None and command.inbox is not None:
        command.inbox.marked = True


def _replay(stored: dict[str, Any], result_type: type[R]) -> Outcome[R]:
    if "refused" in stored:
        raise DomainError.from_code(
            str(stored["refused"]), str(stored.get("message", "")), stored.get("params", {})
        )
    return Outcome(decode(result_type, stored), replayed=True)


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class ClaimsInHand:
    """The stored updates being handled right now, by Telegram update id.

    The inbox processor holds a claim here while the Application handles its update; a
    handler turns the update into a `CommandKey` carrying that claim (`handlers.common.
    command_key`), and the error handler finds it to report passing trouble.
    """

    def __init__(self) -> None:
        self._by_update: dict[int, InboxClaim] = {}

    def hold(self, update_id: int, claim: InboxClaim) -> None:
        """The update with this id is being handled under `claim`."""
        self._by_update[update_id] = claim

    def release(self, update_id: int) -> None:
        """The update is no longer being handled."""
        self._by_update.pop(update_id, None)

    def of(self, update_id: int) -> InboxClaim | None:
        """The claim of the update being handled, if the processor is handling it."""
        return self._by_update.get(update_id)


CLAIMS_KEY = "sopbot.inbox_claims"
"""Where the Application's `bot_data` keeps its `ClaimsInHand`."""
