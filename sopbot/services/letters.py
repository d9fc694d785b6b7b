"""What /surat and `sopbot procedure letter` read before changing a procedure's letter: the
procedure, its letter now, and whether the caller may change it. Read-only; the change itself
is `ProcedureService.change_letter`, which checks everything again in its own transaction.

Every lookup is bounded by the caller's agency: another agency's number or id reads as not
found, as on /status and /riwayat.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sopbot.engine.errors import NotFound
from sopbot.engine.letters import Letter
from sopbot.services.procedures import ProcedureService
from sopbot.storage import members
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.procedure_reading import procedure_numbered
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class LetterCard:
    """A procedure and the letter it is about (None: none recorded yet)."""

    instance_id: uuid.UUID
    number: int
    title: str
    letter: Letter | None


class LetterDesk:
    """The procedure's letter as the one who may change it reads it."""

    def __init__(self, procedures: ProcedureService) -> None:
        self.procedures = procedures
        self.database = procedures.database

    def card(
        self,
        member_id: int,
        *,
        number: int | None = None,
        instance_id: uuid.UUID | None = None,
    ) -> LetterCard:
        """The procedure (by its number in the member's agency, or its id from a button) and
        its letter, when the member may change it; raises why not: NotFound (no such
        procedure in their agency), NotAllowed (neither an admin nor, while it runs, its
        starter), InstanceNotRunning (its starter, once it has ended)."""
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.find_member(uow, member_id)
            if member is None:
                raise NotFound("no such member", what="member", id=member_id)
            loaded = self._load(uow, member.agency_id, number, instance_id)
            loaded.procedure.require_letter_change(member_id, is_admin=member.is_admin)
            return _card(loaded)

    def of_agency(self, agency_id: int, number: int) -> LetterCard:
        """The agency's procedure with this number and its letter, for the server's operator
        (who may change any); NotFound when the agency has no such number."""
        with self.database.unit_of_work(read_only=True) as uow:
            return _card(self._load(uow, agency_id, number, None))

    def _load(
        self,
        uow: UnitOfWork,
        agency_id: int,
        number: int | None,
        instance_id: uuid.UUID | None,
    ) -> LoadedInstance:
        """The agency's instance named by number or id; NotFound for any other."""
        if number is not None:
            facts = procedure_numbered(uow, agency_id, number)
            instance_id = facts.id if facts is not None else None
        loaded = None
        if instance_id is not None:
            try:
                loaded = self.procedures.instances.load(uow, instance_id)
            except NotFound:
                loaded = None
        if loaded is None or loaded.instance.agency_id != agency_id:
            raise NotFound("no such procedure in the agency", what="instance", number=number)
        return loaded


def _card(loaded: LoadedInstance) -> LetterCard:
    instance = loaded.instance
    return LetterCard(instance.id, loaded.number, instance.title, instance.letter)
