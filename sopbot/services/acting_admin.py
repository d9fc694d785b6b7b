"""/plt for agency admins: the Plt/Plh in office and scheduled, ending one, and appointing one
step by step (position, person, Plt or Plh, for whom, start, end, decree, then "Tunjuk").

The appointment's answers so far are kept as the admin's open question (`pending_question`,
kind `plt_flow`), so a restart between two answers loses nothing. Every press names the flow
and its turn, and is checked against the stored flow (the caller's own, the current question)
and against the agency (the position, the person, the holder are the caller's agency's; the
caller is one of its admins), all in the transaction that moves the flow on. A button from an
earlier turn, another flow or another agency changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from sopbot.engine.errors import DomainError, NotAllowed, NotFound
from sopbot.engine.organization import ActingKind
from sopbot.engine.term_times import TermTimeError, read_moment, term_end, term_start
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.organization import (
    DECREE_LIMIT,
    ActingAppointed,
    ActingEnded,
    OrganizationService,
)
from sopbot.services.pending import PENDING_TTL
from sopbot.storage import acting_terms, members
from sopbot.storage.acting_terms import ListedTerm, Pick
from sopbot.storage.members import Member
from sopbot.storage.pending_questions import forget_question, put_question, question_of
from sopbot.storage.unit_of_work import UnitOfWork

FLOW_KIND = "plt_flow"
PAGE_SIZE = 8  # positions or people per page of buttons
FLOW_TOKEN_BYTES = 4  # 8 hex characters in each button: the flow they belong to
VACANT = 0  # the "for whom" answer of a vacant post


class Stage(StrEnum):
    """The questions of an appointment, in order."""

    POSITION = "position"
    MEMBER = "member"
    KIND = "kind"
    FOR = "for"
    START = "start"
    END = "end"
    DECREE = "decree"
    CONFIRM = "confirm"


_NEXT = {
    Stage.POSITION: Stage.MEMBER,
    Stage.MEMBER: Stage.KIND,
    Stage.KIND: Stage.FOR,
    Stage.FOR: Stage.START,
    Stage.START: Stage.END,
    Stage.END: Stage.DECREE,
    Stage.DECREE: Stage.CONFIRM,
}
TYPED_STAGES = frozenset({Stage.START, Stage.END, Stage.DECREE})


class StaleFlow(DomainError):
    """A /plt button or answer of a flow that is over, or of an earlier question."""

    code = "plt_stale"


class AlreadyAnswered(DomainError):
    """The same press again (a double tap): answered already, nothing to do."""

    code = "plt_already_answered"


@dataclass(frozen=True, slots=True)
class Flow:
    """An appointment being put together: the answers given so far, as stored."""

    flow: str
    turn: int = 0
    stage: Stage = Stage.POSITION
    page: int = 0
    position_id: int | None = None
    member_id: int | None = None
    kind: str | None = None
    for_member_id: int | None = None  # None with `for_chosen`: the vacant post
    for_chosen: bool = False
    start: str | None = None  # ISO instant; None: "Sekarang"
    end: str | None = None  # ISO instant; None: no end (Plt only)
    decree: str | None = None
    last: list[Any] = field(default_factory=list)  # [turn, answer] of the last press

    def payload(self) -> dict[str, Any]:
        """As the pending question keeps it."""
        return {**asdict(self), "stage": self.stage.value}

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Flow:
        """Read back from the pending question (unknown keys, such as the prompt's message
        id, are left out)."""
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in payload.items() if k in names}
        values["stage"] = Stage(values.get("stage", Stage.POSITION.value))
        return cls(**values)

    @property
    def starts_at(self) -> dt.datetime | None:
        """The start given, or None for "now"."""
        return dt.datetime.fromisoformat(self.start) if self.start else None

    @property
    def ends_at(self) -> dt.datetime | None:
        """The end given, or None for no end."""
        return dt.datetime.fromisoformat(self.end) if self.end else None


@dataclass(frozen=True, slots=True)
class FlowView:
    """What the admin is asked now, with what the answers so far name. `problem` says why a
    typed answer was not taken (the same question stands)."""

    flow: Flow
    timezone: str
    choices: tuple[Pick, ...] = ()
    pages: int = 1
    position_name: str = ""
    member_name: str = ""
    for_member_name: str | None = None
    problem: str | None = None

    @property
    def stage(self) -> Stage:
        """The question asked now."""
        return self.flow.stage


@dataclass(frozen=True, slots=True)
class TermListing:
    """An agency's Plt/Plh in office and to come, at `now`, in its time zone."""

    terms: tuple[ListedTerm, ...]
    timezone: str
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class TermDone:
    """An appointment or an end as the admin is told of it: the term as it now stands, and
    how many running procedures moved work."""

    term: ListedTerm
    timezone: str
    instances_rerouted: int
    replayed: bool
    starts_later: bool = False  # appointed in advance: nothing moved yet


class ActingAdmin:
    """The /plt commands; every one checks that the caller is an admin of the agency."""

    def __init__(self, organization: OrganizationService, *, clock: Clock = utc_now) -> None:
        self.organization = organization
        self.database = organization.procedures.database
        self.clock = clock
        self.runner = CommandRunner(self.database, clock)

    # -- the terms ---------------------------------------------------------------------------

    def listing(self, admin_id: int) -> TermListing:
        """The caller's agency's terms in office and scheduled."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            admin = _admin(uow, admin_id)
            terms = acting_terms.terms_of_agency(uow, admin.agency_id, ending_after=now)
            zone = acting_terms.agency_timezone(uow, admin.agency_id)
        return TermListing(tuple(terms), zone, now)

    def term(self, admin_id: int, acting_id: int) -> tuple[ListedTerm, str]:
        """A term of the caller's agency that is in office or to come, and the agency's zone
        (NotFound: another agency's, or ended)."""
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            admin = _admin(uow, admin_id)
            listed = acting_terms.listed_term(uow, acting_id)
            if listed is None or listed.agency_id != admin.agency_id:
                raise NotFound("no such acting appointment", what="acting", acting_id=acting_id)
            valid_to = listed.acting.valid_to
            if valid_to is not None and valid_to <= now:
                raise StaleFlow("the appointment has ended already", acting_id=acting_id)
            return listed, acting_terms.agency_timezone(uow, admin.agency_id)

    def end(self, key: CommandKey, admin_id: int, acting_id: int) -> TermDone:
        """End a term of the caller's agency now (a double tap answers as the first)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ActingEnded:
            admin = _admin(uow, admin_id)
            return self.organization.end_acting_in(
                uow, now, acting_id=acting_id, actor_id=admin_id, agency_id=admin.agency_id
            )

        outcome = self.runner.run(key, "end_acting", work, ActingEnded)
        return self._done(admin_id, acting_id, outcome.result.instances_rerouted, outcome)

    # -- appointing ------------------------------------------------------------------------

    def begin(self, admin_id: int) -> FlowView:
        """A new appointment (any earlier one of the caller's is dropped): which position?"""
        flow = Flow(secrets.token_hex(FLOW_TOKEN_BYTES))
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, admin_id)
            self._keep(uow, admin_id, flow)
            return self._view(uow, admin, flow)

    def pick(self, admin_id: int, flow_id: str, turn: int, answer: str) -> FlowView:
        """A button's answer to the question of `turn`; the next question."""
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, admin_id)
            flow = _flow(uow, admin_id, flow_id, turn, answer, self.clock())
            if flow.stage is Stage.CONFIRM:
                raise StaleFlow("the appointment is confirmed with its own button")
            flow = self._answer(uow, admin, flow, answer)
            flow = replace(flow, turn=flow.turn + 1, page=0, last=[turn, answer])
            self._keep(uow, admin_id, flow)
            return self._view(uow, admin, flow)

    def page(self, admin_id: int, flow_id: str, turn: int, page: int) -> FlowView:
        """Another page of the choices of the current question."""
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, admin_id)
            flow = _flow(uow, admin_id, flow_id, turn, None, self.clock())
            flow = replace(flow, page=max(0, page))
            self._keep(uow, admin_id, flow)
            return self._view(uow, admin, flow)

    def typed(self, admin_id: int, payload: dict[str, Any], text: str) -> FlowView:
        """A typed answer (a start, an end, a decree number), given the question it answers
        (taken from the pending questions by the text handler). The question stays open,
        answered or not: a refusal in `problem` asks again."""
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, admin_id)
            flow = Flow.of(payload)
            problem: str | None = "use_buttons"
            if flow.stage in TYPED_STAGES:
                zone = acting_terms.agency_timezone(uow, admin.agency_id)
                answered = _typed_answer(flow, text.strip(), zone, self.clock())
                if isinstance(answered, Flow):
                    flow, problem = replace(answered, turn=flow.turn + 1, page=0), None
                else:
                    problem = answered
            self._keep(uow, admin_id, flow)
            return replace(self._view(uow, admin, flow), problem=problem)

    def end_again(self, admin_id: int, flow_id: str) -> FlowView:
        """Ask for the end again: "Tunjuk" was refused because the end given has passed by
        now (the admin took a while), or no longer comes after the start."""
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, admin_id)
            question = question_of(uow, admin_id)
            if question is None or question.kind != FLOW_KIND:
                raise StaleFlow("no appointment in progress")
            flow = Flow.of(question.payload)
            if flow.flow != flow_id or flow.stage is not Stage.CONFIRM:
                raise StaleFlow("not this appointment's summary")
            flow = replace(flow, stage=Stage.END, turn=flow.turn + 1, end=None)
            self._keep(uow, admin_id, flow)
            return self._view(uow, admin, flow)

    def cancel(self, admin_id: int, flow_id: str) -> bool:
        """Drop the caller's appointment in progress; False when it was over already."""
        with self.database.unit_of_work() as uow:
            _admin(uow, admin_id)
            question = question_of(uow, admin_id)
            if question is None or question.kind != FLOW_KIND:
                return False
            if question.payload.get("flow") != flow_id:
                return False
            forget_question(uow, admin_id)
            return True

    def appoint(self, key: CommandKey, admin_id: int, flow_id: str, turn: int) -> TermDone:
        """ "Tunjuk": appoint as the flow says, and close the flow, in one transaction (a
        double tap, under the same key, answers as the first)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> ActingAppointed:
            _admin(uow, admin_id)
            flow = _flow(uow, admin_id, flow_id, turn, None, now)
            if flow.stage is not Stage.CONFIRM or flow.member_id is None or flow.kind is None:
                raise StaleFlow("the appointment is not complete")
            assert flow.position_id is not None  # noqa: S101 - answered before CONFIRM
            appointed = self.organization.appoint_acting_in(
                uow,
                now,
                member_id=flow.member_id,
                position_id=flow.position_id,
                kind=ActingKind(flow.kind),
                for_member_id=flow.for_member_id,
                valid_from=flow.starts_at,
                valid_to=flow.ends_at,
                decree=flow.decree,
                actor_id=admin_id,
            )
            forget_question(uow, admin_id)
            return appointed

        outcome = self.runner.run(key, "appoint_acting", work, ActingAppointed)
        result = outcome.result
        return self._done(admin_id, result.acting_id, result.instances_rerouted, outcome)

    # -- the steps ---------------------------------------------------------------------------

    def _answer(self, uow: UnitOfWork, admin: Member, flow: Flow, answer: str) -> Flow:
        """The flow with a button's answer to its current question, checked against the
        agency (NotFound for anything the question does not offer)."""
        now = self.clock()
        stage = flow.stage
        chosen: Flow | None = None
        if stage is Stage.POSITION:
            chosen = _chosen_id(
                answer, _positions(uow, admin), lambda i: replace(flow, position_id=i)
            )
        elif stage is Stage.MEMBER:
            people = _candidates(uow, admin, flow, now)
            chosen = _chosen_id(answer, people, lambda i: replace(flow, member_id=i))
        elif stage is Stage.KIND and answer in (ActingKind.PLT.value, ActingKind.PLH.value):
            chosen = replace(flow, kind=answer)
        elif stage is Stage.FOR:
            holders = _holders(uow, flow, now)
            if answer == str(VACANT):
                chosen = replace(flow, for_member_id=None, for_chosen=True)
            else:
                chosen = _chosen_id(
                    answer, holders, lambda i: replace(flow, for_member_id=i, for_chosen=True)
                )
        elif stage is Stage.START and answer == "now":
            chosen = replace(flow, start=None)
        elif stage is Stage.END and answer == "none" and flow.kind == ActingKind.PLT.value:
            chosen = replace(flow, end=None)
        elif stage is Stage.DECREE and answer == "skip":
            chosen = replace(flow, decree=None)
        if chosen is None:
            raise NotFound("not a choice of this question", what="plt_answer", answer=answer)
        return replace(chosen, stage=_NEXT[stage])

    def _view(self, uow: UnitOfWork, admin: Member, flow: Flow) -> FlowView:
        """What the question of the flow's stage shows: its choices (a page of them) and the
        names of the answers so far."""
        now = self.clock()
        choices: list[Pick] = []
        if flow.stage is Stage.POSITION:
            choices = _positions(uow, admin)
        elif flow.stage is Stage.MEMBER:
            choices = _candidates(uow, admin, flow, now)
        elif flow.stage is Stage.FOR:
            choices = _holders(uow, flow, now)
        pages = max(1, -(-len(choices) // PAGE_SIZE))
        page = min(flow.page, pages - 1)
        names = acting_terms.people(
            uow, {m for m in (flow.member_id, flow.for_member_id) if m is not None}
        )
        positions = {p.id: p.name for p in acting_terms.open_positions(uow, admin.agency_id)}
        return FlowView(
            flow=replace(flow, page=page),
            timezone=acting_terms.agency_timezone(uow, admin.agency_id),
            choices=tuple(choices[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]),
            pages=pages,
            position_name=positions.get(flow.position_id or -1, ""),
            member_name=names[flow.member_id].name if flow.member_id in names else "",
            for_member_name=(
                names[flow.for_member_id].name if flow.for_member_id in names else None
            ),
        )

    def _keep(self, uow: UnitOfWork, admin_id: int, flow: Flow) -> None:
        now = self.clock()
        put_question(
            uow, admin_id, FLOW_KIND, flow.payload(), asked_at=now, expires_at=now + PENDING_TTL
        )

    def _done(
        self, admin_id: int, acting_id: int, instances: int, outcome: Outcome[Any]
    ) -> TermDone:
        with self.database.unit_of_work(read_only=True) as uow:
            admin = _admin(uow, admin_id)
            listed = acting_terms.listed_term(uow, acting_id)
            if listed is None or listed.agency_id != admin.agency_id:
                raise NotFound("no such acting appointment", what="acting", acting_id=acting_id)
            zone = acting_terms.agency_timezone(uow, admin.agency_id)
        later = listed.acting.valid_from > self.clock()
        return TermDone(listed, zone, instances, outcome.replayed, starts_later=later)


def _admin(uow: UnitOfWork, admin_id: int) -> Member:
    """The caller, who must be an active admin of their agency."""
    admin = members.member(uow, admin_id)
    if admin is None or not admin.is_admin or admin.deactivated_at is not None:
        raise NotAllowed("only the agency's admins use /plt", member_id=admin_id)
    return admin


def _flow(
    uow: UnitOfWork,
    admin_id: int,
    flow_id: str,
    turn: int,
    answer: str | None,
    now: dt.datetime,
) -> Flow:
    """The caller's open flow, if the press belongs to it and to its current question; the
    same press again (a double tap) is AlreadyAnswered, anything else StaleFlow."""
    question = question_of(uow, admin_id)
    if question is None or question.kind != FLOW_KIND or question.expires_at <= now:
        raise StaleFlow("no appointment in progress")
    flow = Flow.of(question.payload)
    if flow.flow != flow_id:
        raise StaleFlow("another appointment is in progress")
    if flow.turn != turn:
        if answer is not None and flow.last == [turn, answer]:
            raise AlreadyAnswered("pressed again")
        raise StaleFlow("an earlier question")
    return flow


def _chosen_id(answer: str, offered: list[Pick], choose: Any) -> Flow | None:
    """The flow with the id the answer names, if it is among those offered."""
    if not answer.isdigit():
        return None
    wanted = int(answer)
    if not any(pick.id == wanted for pick in offered):
        return None
    chosen: Flow = choose(wanted)
    return chosen


def _positions(uow: UnitOfWork, admin: Member) -> list[Pick]:
    return acting_terms.open_positions(uow, admin.agency_id)


def _holders(uow: UnitOfWork, flow: Flow, now: dt.datetime) -> list[Pick]:
    if flow.position_id is None:
        return []
    return [
        pick
        for pick in acting_terms.holders_at(uow, flow.position_id, now)
        if pick.id != flow.member_id
    ]


def _candidates(uow: UnitOfWork, admin: Member, flow: Flow, now: dt.datetime) -> list[Pick]:
    """Who may act for the position: the agency's active members who do not hold it."""
    holders = (
        {p.id for p in acting_terms.holders_at(uow, flow.position_id, now)}
        if flow.position_id is not None
        else set()
    )
    return [p for p in acting_terms.active_members(uow, admin.agency_id) if p.id not in holders]


def _typed_answer(flow: Flow, text: str, zone: str, now: dt.datetime) -> Flow | str:
    """The flow with a typed start, end or decree number, or why it was not taken."""
    if flow.stage is Stage.DECREE:
        if not text or len(text) > DECREE_LIMIT:
            return "decree_too_long"
        return replace(flow, decree=text, stage=Stage.CONFIRM)
    try:
        moment = read_moment(text, zone)
    except TermTimeError as exc:
        return exc.problem.value
    if flow.stage is Stage.START:
        return replace(flow, start=term_start(moment, zone).isoformat(), stage=Stage.END)
    end = term_end(moment, zone)
    start = flow.starts_at or now
    if end <= now:
        return "end_passed"
    if end <= start:
        return "end_not_after_start"
    return replace(flow, end=end.isoformat(), stage=Stage.DECREE)
