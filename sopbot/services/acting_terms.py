"""Plt/Plh terms start and end on time, although no one does anything at that moment.

Work moves on events (`ProcedureService.reconcile_agency`), and the passing of a term's start
or end is not one. The sweep (`ActingTerms.apply_due`, run by the bot every half minute and at
start-up) applies every boundary that has passed and is not applied yet: per agency, in one
transaction, it takes those terms (FOR UPDATE SKIP LOCKED on PostgreSQL, so a sweep in another
process never applies them too), re-routes the agency's open work, marks each boundary applied
(`start_applied_at`, `end_applied_at`), records it in the audit trail and tells the people
concerned through the outbox. A restart neither loses a boundary (it is applied at the next
sweep) nor repeats one (it is marked in the transaction that applied it).

Appointing and ending a term now (`OrganizationService.appoint_acting`, `end_acting`) apply
their boundary in their own transaction, with the same audit rows and notices (below).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sopbot.messaging.acting_notices import TermChange, TermTexts, TermView, VacantStep
from sopbot.messaging.catalog import Language
from sopbot.services.commands import Clock, CommandRunner, utc_now
from sopbot.services.procedures import ProcedureService, WorkMoved
from sopbot.storage import acting_terms, outbox
from sopbot.storage.acting_terms import ListedTerm
from sopbot.storage.audit import record_change
from sopbot.storage.holdings import StoredActing
from sopbot.storage.unit_of_work import UnitOfWork

# An end applied this long after it passed, with no work to move, is a term that ended before
# terms were applied on time (migration 0015 left those ends unmarked): its official is not told
# months later that it ended.
LATE_NOTICE = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TermsApplied:
    """What one sweep applied: boundaries (starts, ends) in how many agencies."""

    agencies: int = 0
    starts: int = 0
    ends: int = 0

    def __add__(self, other: TermsApplied) -> TermsApplied:
        return TermsApplied(
            self.agencies + other.agencies, self.starts + other.starts, self.ends + other.ends
        )


class ActingTerms:
    """Applies the starts and ends of Plt/Plh terms that have passed."""

    def __init__(
        self,
        procedures: ProcedureService,
        *,
        clock: Clock = utc_now,
        texts: TermTexts | None = None,
    ) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.clock = clock
        self.runner = CommandRunner(procedures.database, clock)
        self.texts = texts or TermTexts()

    def apply_due(self) -> TermsApplied:
        """Apply every start and end that has passed and is not applied yet, an agency at a
        time (one transaction each)."""
        with self.database.unit_of_work(read_only=True) as uow:
            agency_ids = acting_terms.agencies_with_due_terms(uow, self.clock())
        applied = TermsApplied()
        for agency_id in agency_ids:

            def work(uow: UnitOfWork, now: dt.datetime, agency_id: int = agency_id) -> TermsApplied:
                return self._apply_in_agency(uow, agency_id, now)

            applied += self.runner.run(None, "acting_terms", work, TermsApplied).result
        return applied

    def _apply_in_agency(self, uow: UnitOfWork, agency_id: int, now: dt.datetime) -> TermsApplied:
        due = acting_terms.take_due_terms(uow, agency_id, now)
        if not due:
            return TermsApplied()  # none left, or another process holds them
        moves = self.procedures.reconcile_agency_moves(uow, agency_id, now, None).moves
        starts = ends = 0
        for term in due:
            acting_terms.mark_applied(
                uow,
                term.acting.id,
                start_at=now if term.start_due else None,
                end_at=now if term.end_due else None,
            )
            if term.start_due:
                starts += 1
                record_term(uow, agency_id, term.acting, "term_start", None, now, moves)
            if term.end_due:
                ends += 1
                record_term(uow, agency_id, term.acting, "term_end", None, now, moves)
            if term.end_due:
                stale = (
                    term.acting.valid_to is not None and now - term.acting.valid_to > LATE_NOTICE
                )
                tell(uow, self.texts, term.acting, TermChange.ENDED, moves, now, quiet=stale)
            else:
                tell(uow, self.texts, term.acting, TermChange.STARTED, moves, now)
        return TermsApplied(1, starts, ends)


def record_term(
    uow: UnitOfWork,
    agency_id: int,
    term: StoredActing,
    action: str,
    actor_id: int | None,
    now: dt.datetime,
    moves: Sequence[WorkMoved],
) -> None:
    """The audit row of a term's boundary applied (`term_start`, `term_end`, or an admin's
    `end`), with how much open work it moved."""
    came, went = _moves_of_term(term, moves)
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="acting",
        entity_id=term.id,
        action=action,
        before="scheduled" if action == "term_start" else "acting",
        after="acting" if action == "term_start" else "ended",
        detail={
            "member_id": term.member_id,
            "position_id": term.position_id,
            "kind": term.kind.value,
            "for_member_id": term.for_member_id,
            "valid_from": term.valid_from.isoformat(),
            "valid_to": term.valid_to.isoformat() if term.valid_to else None,
            "moved_in": len(came),
            "moved_out": len([m for m in went if m.to_member_id is not None]),
            "left_vacant": len([m for m in went if m.to_member_id is None]),
        },
    )


def tell(
    uow: UnitOfWork,
    texts: TermTexts,
    term: StoredActing,
    change: TermChange,
    moves: Sequence[WorkMoved],
    now: dt.datetime,
    *,
    quiet: bool = False,
) -> None:
    """Queue the notices of a term's change: the acting official hears what happened and
    where their open work went (unless `quiet` and nothing moved); when an end leaves open
    work with nobody to do it, the agency's admins hear which steps wait."""
    listed = acting_terms.listed_term(uow, term.id)
    if listed is None:
        return
    view = _view(uow, listed, term)
    came, went = _moves_of_term(term, moves)
    if quiet and not came and not went:
        return
    left = [m for m in went if m.to_member_id is None]
    receivers = Counter(m.to_member_id for m in went if m.to_member_id is not None)
    people = acting_terms.people(uow, {term.member_id, *receivers})
    official = people.get(term.member_id)
    if official is not None:
        language = Language.of(official.language)
        text = texts.to_acting_official(
            view,
            change,
            language,
            moved_in=len(came),
            moved_out=[(people[m].name, count) for m, count in receivers.items() if m in people],
            vacant=len(left),
        )
        outbox.add_text(uow, official.id, text, now)
    if left:
        steps = [VacantStep(m.number, m.title, m.step_label) for m in left]
        for admin in acting_terms.active_admins(uow, listed.agency_id):
            text = texts.to_admins(view, Language.of(admin.language), steps)
            outbox.add_text(uow, admin.id, text, now, notice=True)


def _moves_of_term(
    term: StoredActing, moves: Sequence[WorkMoved]
) -> tuple[list[WorkMoved], list[WorkMoved]]:
    """The moves that gave the acting official work for the term's position, and those that
    took it from them."""
    came = [
        m for m in moves if m.position_id == term.position_id and m.to_member_id == term.member_id
    ]
    went = [
        m for m in moves if m.position_id == term.position_id and m.from_member_id == term.member_id
    ]
    return came, went


def _view(uow: UnitOfWork, listed: ListedTerm, term: StoredActing) -> TermView:
    """The term as messages show it, with the times it has now (`term`, which may be newer
    than the row read before a change in this transaction)."""
    return TermView(
        kind=term.kind,
        member_name=listed.member_name,
        position_name=listed.position_name,
        for_member_name=listed.for_member_name,
        valid_from=term.valid_from,
        valid_to=term.valid_to,
        decree=term.decree,
        timezone=acting_terms.agency_timezone(uow, listed.agency_id),
    )
