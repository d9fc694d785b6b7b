"""What a starter or an agency admin reads before cancelling a procedure or moving a stuck
step: the running procedures they may cancel, the open steps of one and who holds them, and who
may take a step over. Read-only; the changes themselves are `ProcedureService.cancel` and
`ProcedureService.reassign`, which check everything again in their own transaction.

Every lookup is bounded by the caller's agency: another agency's number or id reads as not
found, as on /status and /riwayat.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sopbot.engine.errors import InstanceNotRunning, NotAllowed, NotFound
from sopbot.engine.instance import InstanceState
from sopbot.engine.organization import ActingKind
from sopbot.services.procedures import ProcedureService
from sopbot.storage import members
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.procedure_reading import (
    ProcedureFacts,
    definition_of,
    procedure_numbered,
    running_procedures,
)
from sopbot.storage.step_candidates import serving_the_step
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ProcedureSummary:
    """A procedure as the lists name it: its number in the agency, title and SOP."""

    instance_id: uuid.UUID
    number: int
    title: str
    sop_id: str
    sop_name: str
    state: InstanceState
    started_by_id: int


@dataclass(frozen=True, slots=True)
class OpenDisposition:
    """A live disposition of an open step: who holds it, and as what."""

    disposition_id: uuid.UUID
    holder_id: int
    holder: str
    acting: ActingKind | None  # the holder got it as Plt/Plh


@dataclass(frozen=True, slots=True)
class OpenStep:
    """An open step of a running procedure, with its live dispositions (none: vacant)."""

    step_number: int
    step_label: str  # the number as the SOP prints it
    activity: str
    round: int
    holders: tuple[OpenDisposition, ...]


@dataclass(frozen=True, slots=True)
class RunningProcedure:
    """A procedure with its open steps."""

    summary: ProcedureSummary
    open_steps: tuple[OpenStep, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone an admin may move a step to: a holder of a position serving its role, or a
    Plt/Plh in office for one."""

    member_id: int
    name: str
    position: str
    acting: ActingKind | None
    acting_for: str | None  # the absent holder's name (None: a vacant post, or no acting)


@dataclass(frozen=True, slots=True)
class MoveChoice:
    """A live disposition an admin is about to move, and to whom it may go."""

    procedure: ProcedureSummary
    step: OpenStep
    disposition: OpenDisposition
    candidates: tuple[Candidate, ...]


class ProcedureAdmin:
    """The lists behind /batal, /pindah and `sopbot procedure`."""

    def __init__(self, procedures: ProcedureService) -> None:
        self.procedures = procedures
        self.database = procedures.database

    # -- cancelling ------------------------------------------------------------------------

    def cancellable(self, member_id: int) -> list[ProcedureSummary]:
        """The running procedures the member may cancel, by number: those they started, or
        every running one of their agency for an agency admin."""
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.find_member(uow, member_id)
            if member is None:
                return []
            return [
                self._summary(uow, facts)
                for facts in running_procedures(uow, member.agency_id)
                if member.is_admin or facts.started_by_id == member_id
            ]

    def cancel_target(
        self,
        member_id: int,
        *,
        number: int | None = None,
        instance_id: uuid.UUID | None = None,
    ) -> ProcedureSummary:
        """The procedure (by its number in the member's agency, or its id from a button) the
        member may cancel now; raises why not: NotFound (no such procedure in their agency),
        InstanceNotRunning (it has ended), NotAllowed (neither its starter nor an admin)."""
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.find_member(uow, member_id)
            if member is None:
                raise NotFound("no such member", what="member", id=member_id)
            if number is not None:
                facts = procedure_numbered(uow, member.agency_id, number)
            elif instance_id is not None:
                facts = self._facts_by_id(uow, instance_id)
            else:
                facts = None
            if facts is None or facts.agency_id != member.agency_id:
                raise NotFound("no such procedure in the member's agency", what="instance")
            if facts.state != InstanceState.RUNNING.value:
                raise InstanceNotRunning("the procedure has ended", state=facts.state)
            if not (member.is_admin or facts.started_by_id == member_id):
                raise NotAllowed("only the starter or an agency admin", member_id=member_id)
            return self._summary(uow, facts)

    # -- the open steps --------------------------------------------------------------------

    def running(self, agency_id: int) -> list[RunningProcedure]:
        """Every running procedure of the agency with its open steps and who holds them."""
        with self.database.unit_of_work(read_only=True) as uow:
            return [
                self._running(uow, self.procedures.instances.load(uow, facts.id))
                for facts in running_procedures(uow, agency_id)
            ]

    def procedure(self, agency_id: int, number: int) -> RunningProcedure:
        """The agency's procedure with this number and its open steps (none once it ended);
        NotFound when the agency has no such number."""
        with self.database.unit_of_work(read_only=True) as uow:
            facts = procedure_numbered(uow, agency_id, number)
            if facts is None:
                raise NotFound("no such procedure in the agency", what="instance", number=number)
            return self._running(uow, self.procedures.instances.load(uow, facts.id))

    def open_steps(self, member_id: int, number: int) -> RunningProcedure:
        """The open steps of the admin's procedure `number`, to move one; raises NotAllowed
        for anyone but an admin, NotFound, or InstanceNotRunning once it has ended."""
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.find_member(uow, member_id)
            if member is None or not member.is_admin:
                raise NotAllowed("only an agency admin may move a step", member_id=member_id)
            agency_id = member.agency_id
        found = self.procedure(agency_id, number)
        if found.summary.state is not InstanceState.RUNNING:
            raise InstanceNotRunning("the procedure has ended", state=found.summary.state.value)
        return found

    def move_choice(self, member_id: int | None, disposition_id: uuid.UUID) -> MoveChoice:
        """A live disposition and the people it may be moved to now, for an admin of its
        agency (None: the server's operator); raises why it cannot be moved (not found in the
        admin's agency, not an admin, no longer open)."""
        now = self.procedures.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            loaded = self.procedures.instances.load_for_disposition(uow, disposition_id)
            instance = loaded.instance
            if member_id is not None:
                member = members.find_member(uow, member_id)
                if member is None or member.agency_id != instance.agency_id:
                    raise NotFound("no such disposition in the agency", what="disposition")
                if not member.is_admin:
                    raise NotAllowed("only an agency admin may move a step", member_id=member_id)
            procedure = loaded.procedure
            procedure.check_actionable(disposition_id, member_id, is_admin=True)
            disposition = instance.disposition(disposition_id)
            serving = serving_the_step(uow, procedure, disposition, now)
            names = members.names_of(
                uow, [p.acting_for_id for p in serving if p.acting_for_id is not None]
            )
            running = self._running(uow, loaded)
            step, holder = next(
                (step, holder)
                for step in running.open_steps
                for holder in step.holders
                if holder.disposition_id == disposition_id
            )
            return MoveChoice(
                running.summary,
                step,
                holder,
                tuple(
                    Candidate(
                        p.member_id,
                        p.name,
                        p.position_name,
                        p.acting,
                        names.get(p.acting_for_id) if p.acting_for_id is not None else None,
                    )
                    for p in serving
                ),
            )

    # -- helpers ---------------------------------------------------------------------------

    def _summary(self, uow: UnitOfWork, facts: ProcedureFacts) -> ProcedureSummary:
        definition = definition_of(uow, self.procedures.definitions, facts.sop_version_id)
        return ProcedureSummary(
            facts.id,
            facts.number,
            facts.title,
            definition.id,
            definition.identity.name,
            InstanceState(facts.state),
            facts.started_by_id,
        )

    def _facts_by_id(self, uow: UnitOfWork, instance_id: uuid.UUID) -> ProcedureFacts | None:
        try:
            loaded = self.procedures.instances.load(uow, instance_id)
        except NotFound:
            return None
        instance = loaded.instance
        return ProcedureFacts(
            instance.id,
            instance.agency_id,
            loaded.number,
            instance.title,
            instance.state.value,
            loaded.sop_version_id,
            instance.started_by_id,
            instance.letter,
        )

    @staticmethod
    def _running(uow: UnitOfWork, loaded: LoadedInstance) -> RunningProcedure:
        procedure = loaded.procedure
        instance = procedure.instance
        definition = procedure.definition
        live = list(instance.live_dispositions())
        names = members.names_of(uow, [d.assignee_id for d in live])
        steps = []
        for run in instance.open_runs():
            step = definition.step(run.step_number)
            steps.append(
                OpenStep(
                    run.step_number,
                    step.label,
                    step.activity,
                    run.round,
                    tuple(
                        OpenDisposition(
                            d.id, d.assignee_id, names.get(d.assignee_id, "-"), d.acting
                        )
                        for d in live
                        if d.step_run_id == run.id
                    ),
                )
            )
        summary = ProcedureSummary(
            instance.id,
            loaded.number,
            instance.title,
            definition.id,
            definition.identity.name,
            instance.state,
            instance.started_by_id,
        )
        return RunningProcedure(summary, tuple(steps))
