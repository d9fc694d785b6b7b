"""The SOP engine: runs a definition as an instance, one guarded move at a time.

`Procedure` wraps a definition and an instance. Each command checks that the move is allowed
(raising a DomainError and changing nothing otherwise), changes the instance, and records every
state change as a Transition: the storage layer persists the changed entities and writes one
audit row per transition, in one transaction. `can_*` queries tell the UI which actions apply.

Routing is passed in as a function from a role key to the people who act for it today, so the
engine never looks up holdings itself and works on any store.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from sopbot.engine.definition import (
    END,
    Assignment,
    Branch,
    OutputKind,
    SopDefinition,
    Step,
    Together,
)
from sopbot.engine.durations import StandardTime
from sopbot.engine.errors import (
    AlreadyDone,
    CannotClaim,
    DocumentRequired,
    InstanceNotRunning,
    InvalidHandOver,
    NotADecision,
    NotAllowed,
    NotFound,
    NothingToReturnTo,
    NotYourStep,
    ReasonRequired,
    StepMoved,
    StepNotOpen,
)
from sopbot.engine.instance import (
    Disposition,
    DispositionState,
    EntityKind,
    Instance,
    InstanceState,
    StepRun,
    StepRunState,
    Transition,
    TransitionAction,
)
from sopbot.engine.letters import Letter
from sopbot.engine.organization import Assignee

Routing = Callable[[str], Sequence[Assignee]]
"""A role key -> the people who act for it now (holders, or the Plt/Plh standing in)."""

Deadline = Callable[[StandardTime, dt.datetime], dt.datetime | None]
"""A step run's standard (`Step.standard_for_round`) and the moment it opens -> when it is due
(on the agency's working clock)."""

IdFactory = Callable[[], uuid.UUID]


class Procedure:
    """A definition and a running instance of it, with the moves the SOP allows."""

    def __init__(
        self,
        definition: SopDefinition,
        instance: Instance,
        *,
        new_id: IdFactory = uuid.uuid4,
    ) -> None:
        if definition.id != instance.sop_id:
            raise ValueError(f"instance runs {instance.sop_id}, not {definition.id}")
        self.definition = definition
        self.instance = instance
        self.transitions: list[Transition] = []
        self._new_id = new_id
        # Set by the caller that knows the agency's calendar; without it, steps have no due time.
        self.deadline: Deadline | None = None

    # -- starting --------------------------------------------------------------------------

    @classmethod
    def start(  # noqa: PLR0913 - what a new instance is made of, keyword-only
        cls,
        definition: SopDefinition,
        *,
        agency_id: int,
        title: str,
        starter_id: int,
        note: str | None,
        at: dt.datetime,
        routing: Routing,
        instance_id: uuid.UUID | None = None,
        new_id: IdFactory = uuid.uuid4,
        deadline: Deadline | None = None,
        letter: Letter | None = None,
    ) -> Procedure:
        """Start an instance: its first step goes to the holders of the first role.

        The starter's note travels with the first disposition, and the letter the procedure is
        about (if any) with every disposition. When the starter holds the first step
        themselves, the caller completes it next (see `first_disposition_of`).
        """
        _require_aware(at)
        clean_title = title.strip()
        if not clean_title:
            raise ReasonRequired("an instance needs a title", field="title")
        instance = Instance(
            id=instance_id or new_id(),
            agency_id=agency_id,
            sop_id=definition.id,
            sop_version=definition.version,
            sop_digest=definition.digest,
            title=clean_title,
            started_by_id=starter_id,
            started_at=at,
            state=InstanceState.RUNNING,
            letter=letter,
        )
        procedure = cls(definition, instance, new_id=new_id)
        procedure.deadline = deadline
        procedure._record(
            EntityKind.INSTANCE,
            instance.id,
            TransitionAction.START,
            None,
            InstanceState.RUNNING,
            starter_id,
            at,
            sop_id=definition.id,
            sop_version=definition.version,
            title=clean_title,
            note=note,
            **_letter_detail(letter),
        )
        procedure._open_step(
            definition.first_step.number,
            at=at,
            routing=routing,
            sender_id=starter_id,
            instruction=note,
            previous=None,
        )
        return procedure

    def first_disposition_of(self, member_id: int) -> Disposition | None:
        """The starter's own live disposition on the first step, when they hold it."""
        first = self.instance.step_runs[0]
        for disposition in self.instance.dispositions_of(first):
            if disposition.is_live and disposition.assignee_id == member_id:
                return disposition
        return None

    # -- queries for the UI ----------------------------------------------------------------

    def can_complete(self, disposition_id: uuid.UUID, member_id: int) -> bool:
        """True when the member may press "Selesai" on this disposition now."""
        return self._allowed(disposition_id, member_id, decision=False)

    def can_decide(self, disposition_id: uuid.UUID, member_id: int) -> bool:
        """True when the member may answer "Sesuai"/"Tidak sesuai" on this disposition now."""
        return self._allowed(disposition_id, member_id, decision=True)

    def can_claim(self, disposition_id: uuid.UUID, member_id: int) -> bool:
        """True when the member may take this team step for themselves."""
        if not self._allowed(disposition_id, member_id, decision=None):
            return False
        disposition = self.instance.disposition(disposition_id)
        run = self.instance.run(disposition.step_run_id)
        step = self.definition.step(run.step_number)
        team, assignment = self._team(run, step, self.role_of(disposition))
        return (
            assignment is Assignment.ANY_ONE
            and disposition.state is DispositionState.PENDING
            and sum(1 for d in team if d.is_live) > 1
        )

    def can_send_back(self, disposition_id: uuid.UUID, member_id: int) -> bool:
        """True when the member may return the step to the one before it ("Kembalikan")."""
        if not self._allowed(disposition_id, member_id, decision=None):
            return False
        disposition = self.instance.disposition(disposition_id)
        run = self.instance.run(disposition.step_run_id)
        return run.previous_run_id is not None or self._chain_back_to(disposition) is not None

    def _chain_back_to(self, disposition: Disposition) -> str | None:
        """In an initialling chain, the role before this disposition's (None for the first
        role, or a step that is no chain): "Kembalikan" goes back to it."""
        run = self.instance.run(disposition.step_run_id)
        step = self.definition.step(run.step_number)
        if step.together is not Together.IN_TURN:
            return None
        index = step.roles.index(self.role_of(disposition))
        return step.roles[index - 1] if index > self._first_role_index(run, step) else None

    def _first_role_index(self, run: StepRun, step: Step) -> int:
        """Where a run's chain starts: its first role, or the role the chain was sent back to."""
        return step.roles.index(run.resume_role) if run.resume_role in step.roles else 0

    def can_hand_over(
        self, disposition_id: uuid.UUID, member_id: int, *, is_admin: bool = False
    ) -> bool:
        """True when the member (or an agency admin) may hand the step to someone else."""
        return self._allowed(disposition_id, member_id, decision=None, is_admin=is_admin)

    def can_cancel(self, member_id: int | None, *, is_admin: bool) -> bool:
        """True when the member may cancel the whole instance (None: the server's operator,
        who acts as an admin)."""
        return self.instance.state is InstanceState.RUNNING and (
            is_admin or member_id == self.instance.started_by_id
        )

    def can_change_letter(self, member_id: int | None, *, is_admin: bool) -> bool:
        """True when the member may give, change or remove the procedure's letter: an admin
        of its agency at any time (an ended procedure's record may need its number corrected;
        None: the server's operator), and its starter while it runs (they gave it at /mulai)."""
        return is_admin or (
            self.instance.state is InstanceState.RUNNING
            and member_id == self.instance.started_by_id
        )

    def needs_document(self, disposition_id: uuid.UUID) -> bool:
        """True when the step's output is a document this disposition owes and has none yet."""
        disposition = self.instance.disposition(disposition_id)
        step = self.definition.step(self.instance.run(disposition.step_run_id).step_number)
        return self.owes_output(disposition, step) and (
            step.output_kind is OutputKind.DOCUMENT and not disposition.document_ids
        )

    def role_of(self, disposition: Disposition) -> str:
        """The executing role a disposition is for (rows older than multi-executor steps
        carry none: then the step's only role)."""
        if disposition.role_key is not None:
            return disposition.role_key
        run = self.instance.run(disposition.step_run_id)
        return self.definition.step(run.step_number).roles[0]

    def owes_output(self, disposition: Disposition, step: Step) -> bool:
        """True when this disposition's holder delivers the step's output (on a step done by
        several roles, the role named by `output_oleh`; on one that any of them may do, whoever
        does it, since the others are released)."""
        return step.delivers_output(self.role_of(disposition))

    def answers_question(self, disposition: Disposition, step: Step) -> bool:
        """True when this disposition is answered with the question's buttons rather than
        "Selesai" (in an initialling chain only the last role answers)."""
        return step.answered_by(self.role_of(disposition))

    def branch_taken(self, run: StepRun) -> Branch | None:
        """The question's branch a completed run took, if it asked one."""
        step = self.definition.step(run.step_number)
        if run.answer is None or step.decision is None or not step.decision.has_branch(run.answer):
            return None
        return step.decision.branch(run.answer)

    def _allowed(
        self,
        disposition_id: uuid.UUID,
        member_id: int,
        *,
        decision: bool | None,
        is_admin: bool = False,
    ) -> bool:
        try:
            disposition, _, step = self._actionable(disposition_id, member_id, is_admin=is_admin)
        except (NotFound, *_REFUSALS):
            return False
        return decision is None or self.answers_question(disposition, step) == decision

    # -- commands --------------------------------------------------------------------------

    def attach_document(
        self, disposition_id: uuid.UUID, actor_id: int, document_id: uuid.UUID, at: dt.datetime
    ) -> None:
        """Record an uploaded document as (part of) this disposition's output."""
        _require_aware(at)
        disposition, run, _ = self._actionable(disposition_id, actor_id)
        if document_id in disposition.document_ids:
            return
        disposition.document_ids.append(document_id)
        self._record(
            EntityKind.DOCUMENT,
            document_id,
            TransitionAction.ATTACH,
            None,
            "attached",
            actor_id,
            at,
            disposition_id=str(disposition.id),
            step_number=run.step_number,
        )

    def complete(
        self,
        disposition_id: uuid.UUID,
        actor_id: int,
        *,
        at: dt.datetime,
        routing: Routing,
        note: str | None = None,
    ) -> None:
        """The holder delivers the step ("Selesai"); when it is complete, the next step goes out."""
        _require_aware(at)
        disposition, run, step = self._actionable(disposition_id, actor_id)
        if self.answers_question(disposition, step):
            raise NotADecision(
                "a decision step is answered with its question's buttons", step_number=step.number
            )
        self._deliver(disposition, run, actor_id, note=note, at=at, branch=None)
        if step.together is Together.IN_TURN and not self._run_is_complete(run):
            self._staff_run(run, routing, at=at, actor_id=actor_id)  # the next in the chain
        elif self._run_is_complete(run):
            self._complete_run(run, actor_id, at, answer=None, reason=None)
            self._advance(
                step.next,
                run,
                at=at,
                routing=routing,
                sender_id=actor_id,
                instruction=self._notes_of(run),
            )

    def decide(
        self,
        disposition_id: uuid.UUID,
        actor_id: int,
        answer: str,
        *,
        at: dt.datetime,
        routing: Routing,
        reason: str | None = None,
        note: str | None = None,
    ) -> None:
        """Answer a question: the branch `answer` (its key) says where the work goes; a branch
        that sends the work back ("tidak") needs a reason."""
        _require_aware(at)
        disposition, run, step = self._actionable(disposition_id, actor_id)
        if step.decision is None or not self.answers_question(disposition, step):
            raise NotADecision("this step is not a decision", step_number=step.number)
        if not step.decision.has_branch(answer):
            raise NotADecision("the question has no such answer", step_number=step.number)
        branch = step.decision.branch(answer)
        clean_reason = (reason or "").strip()
        if branch.rejects and not clean_reason:
            raise ReasonRequired("say why the work goes back", field="reason")
        self._deliver(disposition, run, actor_id, note=note, at=at, branch=branch)
        self._complete_run(
            run,
            actor_id,
            at,
            answer=branch.key,
            reason=clean_reason or None,
        )
        instruction = clean_reason if branch.rejects else self._notes_of(run)
        self._advance(
            branch.target,
            run,
            at=at,
            routing=routing,
            sender_id=actor_id,
            instruction=instruction,
        )

    def claim(self, disposition_id: uuid.UUID, actor_id: int, at: dt.datetime) -> None:
        """A team member takes a step that any one of them may do; the others are released."""
        _require_aware(at)
        disposition, run, step = self._actionable(disposition_id, actor_id)
        team, assignment = self._team(run, step, self.role_of(disposition))
        if assignment is not Assignment.ANY_ONE:
            raise CannotClaim("every holder must deliver this step", step_number=run.step_number)
        if disposition.state is DispositionState.CLAIMED:
            return
        self._set_disposition(
            disposition, DispositionState.CLAIMED, actor_id, at, TransitionAction.CLAIM
        )
        self._release_others(team, disposition, actor_id, at)

    def send_back(
        self,
        disposition_id: uuid.UUID,
        actor_id: int,
        *,
        reason: str,
        at: dt.datetime,
        routing: Routing,
    ) -> None:
        """Return the step to the step that led to it ("Kembalikan"), with a reason; in an
        initialling chain, to the role before in the chain: the step runs again (the next
        round) from that role on."""
        _require_aware(at)
        disposition, run, _ = self._actionable(disposition_id, actor_id)
        clean_reason = reason.strip()
        if not clean_reason:
            raise ReasonRequired("say why the step goes back", field="reason")
        back_to_role = self._chain_back_to(disposition)
        if run.previous_run_id is None and back_to_role is None:
            raise NothingToReturnTo("the first step has no step before it")
        disposition.reason = clean_reason
        self._set_disposition(
            disposition,
            DispositionState.RETURNED,
            actor_id,
            at,
            TransitionAction.SEND_BACK,
            reason=clean_reason,
        )
        for other in self.instance.dispositions_of(run):
            if other.is_live:
                self._set_disposition(
                    other, DispositionState.CANCELLED, actor_id, at, TransitionAction.CANCEL
                )
        run.reason = clean_reason
        self._set_run(
            run,
            StepRunState.RETURNED,
            actor_id,
            at,
            TransitionAction.SEND_BACK,
            reason=clean_reason,
        )
        target = run.step_number
        if back_to_role is None and run.previous_run_id is not None:
            target = self.instance.run(run.previous_run_id).step_number
        self._open_step(
            target,
            at=at,
            routing=routing,
            sender_id=actor_id,
            instruction=clean_reason,
            previous=run,
            resume_role=back_to_role,
        )

    def hand_over(
        self,
        disposition_id: uuid.UUID,
        actor_id: int | None,
        to: Assignee,
        *,
        reason: str,
        at: dt.datetime,
        is_admin: bool = False,
    ) -> Disposition:
        """Hand one's step to another person ("Alihkan"), with a reason; returns the new one.

        An admin (or the server's operator, `actor_id` None, with `is_admin`) may move anyone's
        open step: the audit row then says so (`by_admin`), and the new disposition comes from
        the admin, with the reason as its instruction."""
        _require_aware(at)
        disposition, _, _ = self._actionable(disposition_id, actor_id, is_admin=is_admin)
        clean_reason = reason.strip()
        if not clean_reason:
            raise ReasonRequired("say why the step is handed over", field="reason")
        if to.member_id == disposition.assignee_id:
            raise InvalidHandOver("the step is already with this person", member_id=to.member_id)
        kept_state = disposition.state
        disposition.reason = clean_reason
        self._set_disposition(
            disposition,
            DispositionState.HANDED_OVER,
            actor_id,
            at,
            TransitionAction.HAND_OVER,
            to_member_id=to.member_id,
            reason=clean_reason,
            by_admin=True if actor_id != disposition.assignee_id else None,
        )
        return self._send(
            disposition.step_run_id,
            Assignee(to.member_id, disposition.position_id, to.acting, to.acting_for_id),
            state=kept_state,
            at=at,
            actor_id=actor_id,
            sender_id=actor_id,
            instruction=clean_reason,
            manual=True,
            handed_from=disposition,
            role=self.role_of(disposition),
        )

    def cancel(self, actor_id: int | None, *, reason: str, at: dt.datetime, is_admin: bool) -> None:
        """Stop the whole instance, with a reason; open steps and dispositions are cancelled
        (`actor_id` None: the server's operator, with `is_admin`)."""
        _require_aware(at)
        self._require_running()
        if not self.can_cancel(actor_id, is_admin=is_admin):
            raise NotAllowed("only the starter or an agency admin may cancel", member_id=actor_id)
        clean_reason = reason.strip()
        if not clean_reason:
            raise ReasonRequired("say why the procedure is cancelled", field="reason")
        for disposition in self.instance.dispositions:
            if disposition.is_live:
                self._set_disposition(
                    disposition, DispositionState.CANCELLED, actor_id, at, TransitionAction.CANCEL
                )
        for run in self.instance.open_runs():
            self._set_run(run, StepRunState.CANCELLED, actor_id, at, TransitionAction.CANCEL)
        self.instance.cancel_reason = clean_reason
        self.instance.finished_at = at
        self._set_instance(
            InstanceState.CANCELLED, actor_id, at, TransitionAction.CANCEL, reason=clean_reason
        )

    def require_letter_change(self, actor_id: int | None, *, is_admin: bool) -> None:
        """Raise why the member may not change the letter: NotAllowed, or InstanceNotRunning
        for its starter once it has ended."""
        if self.can_change_letter(actor_id, is_admin=is_admin):
            return
        if actor_id == self.instance.started_by_id:
            self._require_running()  # the starter's right ends with the procedure
        raise NotAllowed(
            "only an agency admin or the starter may change the letter", member_id=actor_id
        )

    def set_letter(
        self, letter: Letter | None, actor_id: int | None, *, at: dt.datetime, is_admin: bool
    ) -> bool:
        """Give the procedure its letter, change it, or remove it (None); one transition
        with the letter before and after. False, and no transition, when it is as it was."""
        _require_aware(at)
        self.require_letter_change(actor_id, is_admin=is_admin)
        before = self.instance.letter
        if before == letter:
            return False
        self.instance.letter = letter
        state = self.instance.state
        detail = {
            **_letter_detail(letter),
            **{f"was_{k}": v for k, v in _letter_detail(before).items()},
            "removed": True if letter is None else None,
        }
        self._record(
            EntityKind.INSTANCE,
            self.instance.id,
            TransitionAction.LETTER,
            state,
            state,
            actor_id,
            at,
            **detail,
        )
        return True

    def reconcile(
        self,
        *,
        at: dt.datetime,
        routing: Routing,
        actor_id: int | None = None,
        gone: frozenset[int] = frozenset(),
    ) -> None:
        """Bring open steps in line with today's holders (mutasi, a new Plt/Plh, a filled post).

        Dispositions of people who no longer act for the position move to those who do;
        a vacant step gets its holder once one is appointed. Handed-over steps stay put, but
        for the people in `gone` (deactivated: they take no work at all), whose steps go back
        to their position's holders.
        """
        _require_aware(at)
        if self.instance.state is not InstanceState.RUNNING:
            return
        for run in self.instance.open_runs():
            self._staff_run(run, routing, at=at, actor_id=actor_id, gone=gone)

    def check_actionable(
        self, disposition_id: uuid.UUID, member_id: int | None, *, is_admin: bool = False
    ) -> None:
        """Raise the DomainError that says why the member (or, `is_admin`, an agency admin who
        would move it) cannot act on it now, if any."""
        self._actionable(disposition_id, member_id, is_admin=is_admin)

    def write_note(self, disposition_id: uuid.UUID, member_id: int, note: str) -> None:
        """Keep a note the holder wrote before pressing Selesai (not a change of state)."""
        disposition, _, _ = self._actionable(disposition_id, member_id)
        clean = note.strip()
        if clean:
            disposition.note = clean if not disposition.note else f"{disposition.note}\n{clean}"

    # -- guards ----------------------------------------------------------------------------

    def _require_running(self) -> None:
        if self.instance.state is not InstanceState.RUNNING:
            raise InstanceNotRunning(
                "the procedure is no longer running", state=self.instance.state.value
            )

    def _actionable(
        self, disposition_id: uuid.UUID, actor_id: int | None, *, is_admin: bool = False
    ) -> tuple[Disposition, StepRun, Step]:
        """The disposition, its run and its step, if `actor_id` may act on it now."""
        self._require_running()
        disposition = self.instance.disposition(disposition_id)
        run = self.instance.run(disposition.step_run_id)
        step = self.definition.step(run.step_number)
        if disposition.state is DispositionState.DONE:
            raise AlreadyDone("already delivered", by_member_id=disposition.assignee_id)
        if disposition.state is DispositionState.RELEASED or run.state is StepRunState.COMPLETED:
            raise AlreadyDone("someone else did this step", by_member_id=self._done_by(run))
        if disposition.state in (DispositionState.HANDED_OVER, DispositionState.REROUTED):
            raise StepMoved(
                "the step went to someone else", to_member_id=self._moved_to(disposition)
            )
        if run.state is not StepRunState.OPEN or not disposition.is_live:
            raise StepNotOpen("the step is no longer open", state=run.state.value)
        if disposition.assignee_id != actor_id and not is_admin:
            raise NotYourStep("this step is not yours", member_id=actor_id)
        return disposition, run, step

    def _done_by(self, run: StepRun) -> int | None:
        delivered = [
            d
            for d in self.instance.dispositions_of(run)
            if d.state in (DispositionState.DONE, DispositionState.CLAIMED)
        ]
        return delivered[-1].assignee_id if delivered else None

    def _moved_to(self, disposition: Disposition) -> int | None:
        for other in self.instance.dispositions:
            if other.handed_from_id == disposition.id:
                return other.assignee_id
        return None

    # -- moves -----------------------------------------------------------------------------

    def _deliver(
        self,
        disposition: Disposition,
        run: StepRun,
        actor_id: int,
        *,
        note: str | None,
        at: dt.datetime,
        branch: Branch | None,
    ) -> None:
        step = self.definition.step(run.step_number)
        if (
            self.owes_output(disposition, step)
            and step.output_kind_on(branch) is OutputKind.DOCUMENT
            and not disposition.document_ids
        ):
            output = branch.output if branch is not None and branch.output else step.output
            raise DocumentRequired("upload the output document first", output=output)
        if note is not None and note.strip():
            disposition.note = note.strip()  # else keep a note written earlier (a draft)
        self._set_disposition(
            disposition,
            DispositionState.DONE,
            actor_id,
            at,
            TransitionAction.COMPLETE,
            note=disposition.note,
            documents=[str(d) for d in disposition.document_ids],
        )
        team, assignment = self._team(run, step, self.role_of(disposition))
        if assignment is Assignment.ANY_ONE:
            self._release_others(team, disposition, actor_id, at)

    def _notes_of(self, run: StepRun) -> str | None:
        """What the next step is told: every holder's note, in the order they delivered (on a
        step every holder does, each one's note counts, not just the last one's)."""
        notes = [
            d.note
            for d in sorted(
                self.instance.dispositions_of(run), key=lambda d: d.acted_at or d.created_at
            )
            if d.state is DispositionState.DONE and d.note
        ]
        return "\n".join(notes) or None

    def _release_others(
        self, team: Sequence[Disposition], taker: Disposition, actor_id: int, at: dt.datetime
    ) -> None:
        for other in team:
            if other is not taker and other.is_live:
                self._set_disposition(
                    other,
                    DispositionState.RELEASED,
                    actor_id,
                    at,
                    TransitionAction.RELEASE,
                    taken_by=taker.assignee_id,
                )

    def _run_is_complete(self, run: StepRun) -> bool:
        """Done when its one team delivered (one role, or several of which any one does it),
        or when every role's group delivered (together, or in turn)."""
        step = self.definition.step(run.step_number)
        if not step.shared or step.together is Together.ANY_ONE:
            return _delivered(self.instance.dispositions_of(run))
        return all(_delivered(self._group(run, role)) for role in self._roles_of_run(run, step))

    def _roles_of_run(self, run: StepRun, step: Step) -> tuple[str, ...]:
        """The roles a run needs: all of the step's, or in a chain sent back to one of its
        roles, that role and those after it (the ones before have delivered already)."""
        return step.roles[self._first_role_index(run, step) :]

    def _group(self, run: StepRun, role: str) -> list[Disposition]:
        """The dispositions of a run that are for one executing role."""
        return [d for d in self.instance.dispositions_of(run) if self.role_of(d) == role]

    def _team(self, run: StepRun, step: Step, role: str) -> tuple[list[Disposition], Assignment]:
        """Who shares the work with a disposition of `role`, and how: the whole run when one
        role does the step or any one of several roles may, else the role's own group."""
        if not step.shared:
            return self.instance.dispositions_of(run), run.assignment
        if step.together is Together.ANY_ONE:
            return self.instance.dispositions_of(run), Assignment.ANY_ONE
        return self._group(run, role), step.executor(role).assignment

    def _staff_run(
        self,
        run: StepRun,
        routing: Routing,
        *,
        at: dt.datetime,
        actor_id: int | None,
        gone: frozenset[int] = frozenset(),
    ) -> None:
        """Staff each role that should be working on the run now: every role that has not
        delivered, or in an initialling chain the first that has not."""
        step = self.definition.step(run.step_number)
        pending = [
            role for role in self._roles_of_run(run, step) if not _delivered(self._group(run, role))
        ]
        if step.together is Together.IN_TURN:
            pending = pending[:1]
        for role in pending:
            desired = routing(self.definition.routed_role(role))
            self._staff(run, step, role, desired, at=at, actor_id=actor_id, gone=gone)

    def _handed_in_turn(self, run: StepRun, step: Step, role: str) -> tuple[int | None, str | None]:
        """Who sends the work to `role` and with what note: in an initialling chain, the one
        before it in the chain; otherwise whoever sent the work into the step."""
        index = step.roles.index(role)
        if step.together is not Together.IN_TURN or index <= self._first_role_index(run, step):
            return run.sender_id, run.instruction
        done = [
            d for d in self._group(run, step.roles[index - 1]) if d.state is DispositionState.DONE
        ]
        if not done:
            return run.sender_id, run.instruction
        last = max(done, key=lambda d: d.acted_at or d.created_at)
        return last.assignee_id, last.note or run.instruction

    def _complete_run(
        self,
        run: StepRun,
        actor_id: int,
        at: dt.datetime,
        *,
        answer: str | None,
        reason: str | None,
    ) -> None:
        run.answer = answer
        run.reason = reason
        run.completed_at = at
        detail: dict[str, object] = {"step_number": run.step_number, "round": run.round}
        if answer is not None:
            detail["answer"] = answer
        if reason:
            detail["reason"] = reason
        self._set_run(
            run, StepRunState.COMPLETED, actor_id, at, TransitionAction.COMPLETE, **detail
        )

    def _advance(
        self,
        target: int,
        run: StepRun,
        *,
        at: dt.datetime,
        routing: Routing,
        sender_id: int,
        instruction: str | None,
    ) -> None:
        if target == END:
            self.instance.finished_at = at
            self._set_instance(InstanceState.FINISHED, sender_id, at, TransitionAction.FINISH)
            return
        self._open_step(
            target,
            at=at,
            routing=routing,
            sender_id=sender_id,
            instruction=instruction,
            previous=run,
        )

    def _open_step(
        self,
        step_number: int,
        *,
        at: dt.datetime,
        routing: Routing,
        sender_id: int,
        instruction: str | None,
        previous: StepRun | None,
        resume_role: str | None = None,
    ) -> StepRun:
        step = self.definition.step(step_number)
        round_number = self.instance.rounds_of(step_number) + 1
        standard = step.standard_for_round(round_number)
        run = StepRun(
            id=self._new_id(),
            step_number=step_number,
            round=round_number,
            state=StepRunState.OPEN,
            assignment=step.assignment,
            opened_at=at,
            previous_run_id=previous.id if previous else None,
            sender_id=sender_id,
            instruction=instruction,
            due_at=self.deadline(standard, at) if self.deadline is not None else None,
            resume_role=resume_role,
        )
        self.instance.step_runs.append(run)
        self._record(
            EntityKind.STEP_RUN,
            run.id,
            TransitionAction.OPEN,
            None,
            StepRunState.OPEN,
            sender_id,
            at,
            step_number=step_number,
            round=run.round,
        )
        self._staff_run(run, routing, at=at, actor_id=sender_id)
        return run

    def _staff(
        self,
        run: StepRun,
        step: Step,
        role: str,
        desired: Sequence[Assignee],
        *,
        at: dt.datetime,
        actor_id: int | None,
        gone: frozenset[int] = frozenset(),
    ) -> None:
        """Give a run one live disposition per person who should act on it, and no others
        (a step handed over stays with whoever has it, unless they are `gone`).

        New dispositions carry the run's sender and instruction, so a step staffed late (a
        vacant post filled, a mutasi) reads exactly as it would have on time.
        """
        mine = self._group(run, role)
        team, assignment = self._team(run, step, role)
        sender_id, instruction = self._handed_in_turn(run, step, role)
        wanted = {a.key for a in desired}
        retired: dict[int, Disposition] = {}
        for disposition in mine:
            if (
                disposition.is_live
                and (not disposition.manual or disposition.assignee_id in gone)
                and (disposition.assignee_id, disposition.position_id) not in wanted
            ):
                self._set_disposition(
                    disposition, DispositionState.REROUTED, actor_id, at, TransitionAction.REROUTE
                )
                retired[disposition.position_id] = disposition
        # A disposition rerouted earlier to nobody (the post fell vacant) is the predecessor of
        # the one its position gets now, so the record shows where the work went.
        successors = {d.handed_from_id for d in mine}
        for disposition in mine:
            if disposition.state is DispositionState.REROUTED and disposition.id not in successors:
                retired.setdefault(disposition.position_id, disposition)
        live = [d for d in mine if d.is_live]
        live_keys = {(d.assignee_id, d.position_id) for d in live}
        handed_positions = {d.position_id for d in live if d.manual}
        claimed = any(d.state is DispositionState.CLAIMED for d in team if d.is_live)
        delivered_positions = {d.position_id for d in mine if d.state is DispositionState.DONE}
        for assignee in desired:
            if assignee.key in live_keys or assignee.position_id in handed_positions:
                continue
            if assignment is Assignment.ANY_ONE and claimed:
                continue
            if (
                assignment is Assignment.EVERY_HOLDER
                and assignee.position_id in delivered_positions
            ):
                continue
            predecessor = retired.get(assignee.position_id)
            self._send(
                run.id,
                assignee,
                state=DispositionState.PENDING,
                at=at,
                actor_id=actor_id,
                sender_id=sender_id,
                instruction=instruction,
                manual=False,
                handed_from=predecessor,
                role=role,
            )
            live_keys.add(assignee.key)

    def _send(  # noqa: PLR0913 - the new disposition's fields, keyword-only
        self,
        run_id: uuid.UUID,
        assignee: Assignee,
        *,
        state: DispositionState,
        at: dt.datetime,
        actor_id: int | None,
        sender_id: int | None,
        instruction: str | None,
        manual: bool,
        handed_from: Disposition | None,
        role: str,
    ) -> Disposition:
        disposition = Disposition(
            id=self._new_id(),
            step_run_id=run_id,
            assignee_id=assignee.member_id,
            position_id=assignee.position_id,
            state=state,
            created_at=at,
            sender_id=sender_id,
            instruction=instruction,
            acting=assignee.acting,
            acting_for_id=assignee.acting_for_id,
            manual=manual,
            handed_from_id=handed_from.id if handed_from else None,
            role_key=role,
        )
        self.instance.dispositions.append(disposition)
        self._record(
            EntityKind.DISPOSITION,
            disposition.id,
            TransitionAction.SEND,
            None,
            state,
            actor_id,
            at,
            to_member_id=assignee.member_id,
            position_id=assignee.position_id,
            acting=assignee.acting.value if assignee.acting else None,
            acting_for_id=assignee.acting_for_id,
            sender_id=sender_id,
            instruction=instruction,
            handed_from=str(handed_from.id) if handed_from else None,
            role=role if self._is_shared(run_id) else None,
        )
        return disposition

    def _is_shared(self, run_id: uuid.UUID) -> bool:
        """True when the run's step is done by several roles (its audit rows name the role)."""
        return self.definition.step(self.instance.run(run_id).step_number).shared

    # -- recording -------------------------------------------------------------------------

    def _set_instance(
        self,
        state: InstanceState,
        actor_id: int | None,
        at: dt.datetime,
        action: TransitionAction,
        **detail: object,
    ) -> None:
        before = self.instance.state
        self.instance.state = state
        self._record(
            EntityKind.INSTANCE, self.instance.id, action, before, state, actor_id, at, **detail
        )

    def _set_run(
        self,
        run: StepRun,
        state: StepRunState,
        actor_id: int | None,
        at: dt.datetime,
        action: TransitionAction,
        **detail: object,
    ) -> None:
        before = run.state
        run.state = state
        detail.setdefault("step_number", run.step_number)
        self._record(EntityKind.STEP_RUN, run.id, action, before, state, actor_id, at, **detail)

    def _set_disposition(
        self,
        disposition: Disposition,
        state: DispositionState,
        actor_id: int | None,
        at: dt.datetime,
        action: TransitionAction,
        **detail: object,
    ) -> None:
        before = disposition.state
        disposition.state = state
        disposition.acted_at = at
        detail.setdefault("member_id", disposition.assignee_id)
        self._record(
            EntityKind.DISPOSITION, disposition.id, action, before, state, actor_id, at, **detail
        )

    def _record(
        self,
        entity: EntityKind,
        entity_id: uuid.UUID,
        action: TransitionAction,
        before: str | None,
        after: str,
        actor_id: int | None,
        at: dt.datetime,
        **detail: object,
    ) -> None:
        self.transitions.append(
            Transition(
                entity=entity,
                entity_id=entity_id,
                action=action,
                before=None if before is None else str(before),
                after=str(after),
                actor_id=actor_id,
                at=at,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )


def _letter_detail(letter: Letter | None) -> dict[str, object]:
    """A letter as an audit row's detail keeps it: its number, its date (ISO) and sender."""
    if letter is None:
        return {}
    return {
        "letter_number": letter.number,
        "letter_date": letter.date.isoformat() if letter.date else None,
        "letter_sender": letter.sender,
    }


_REFUSALS = (
    AlreadyDone,
    StepMoved,
    StepNotOpen,
    NotYourStep,
    InstanceNotRunning,
)


def _delivered(dispositions: Sequence[Disposition]) -> bool:
    """True when nobody of a group can still act and someone delivered."""
    return not any(d.is_live for d in dispositions) and any(
        d.state is DispositionState.DONE for d in dispositions
    )


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("times given to the engine must be timezone-aware (UTC)")
