"""Roster import: an agency's people and positions set up from one CSV or Excel file.

An agency admin sends a roster (NIP, nama, jabatan and, optionally, a Telegram username per
person). The file passes the uploads' checks (`sopbot.storage.file_types`: macros, encrypted
files, archives inside, zip bombs, scripts, formulas in CSV) and is read
(`sopbot.documents.roster_reading`); the plan (`sopbot.services.roster_plan`) says what will be
created and what could not be matched, and is stored with the rows read (`roster_import`), so
a restart between the preview and the confirmation loses nothing.

"Buat" is one command, keyed by the roster, its turn and the presser: the plan is made again
against the agency as it is then (`RosterChanged` when it differs from the preview: the
preview is shown again, as a new turn), and the positions, the members (with the username
from the roster), their holdings from now, one invitation per member bound to that member,
and the audit rows commit together. The invitations' tokens are returned once, to be passed
on by the admin (a bot cannot write to someone who never wrote to it); only their hashes are
stored, so a replayed "Buat" (a double tap) answers with the counts and no links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from sopbot.documents.roster_reading import (
    MAX_ROSTER_BYTES,
    RefusalReason,
    RosterReading,
    RosterRefusal,
    decode_text,
    read_csv_bytes,
    read_csv_text,
    read_xlsx,
)
from sopbot.engine.errors import DomainError, NotAllowed, NotFound
from sopbot.services.commands import Clock, CommandKey, CommandRunner, utc_now
from sopbot.services.onboarding import INVITATION_TTL, new_invitation_token
from sopbot.services.procedures import ProcedureService
from sopbot.services.roster_plan import (
    AgencyPerson,
    AgencyPosition,
    KeptReading,
    PlanCounts,
    RosterPlan,
    plan_roster,
)
from sopbot.storage import agencies, holdings, invitations, members, roster_imports
from sopbot.storage.audit import record_change
from sopbot.storage.file_types import Refusal as FileRefusal
from sopbot.storage.file_types import detect_file_type
from sopbot.storage.office_files import OLE_MAGIC, ZIP_MAGIC
from sopbot.storage.roster_imports import NewRoster, RosterStatus, StoredRoster
from sopbot.storage.unit_of_work import UnitOfWork

ROSTER_TYPES = frozenset({"csv", "txt", "xlsx"})
"""The upload types (by detected extension) read as a roster; a tab-separated file is text."""


class NotAnAdmin(NotAllowed):
    """Only an agency's admins import its rosters."""


class RosterChanged(DomainError):
    """The agency changed after the preview (a position or a member added meanwhile): the
    preview no longer says what "Buat" would do."""

    code = "roster_changed"


# -- what the handlers and the command line show ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterRefused:
    """A file that cannot be read as a roster: the reader's reason, or the upload check's."""

    reading: RosterRefusal | None = None
    upload: FileRefusal | None = None


@dataclass(frozen=True, slots=True)
class RosterView:
    """A roster as previewed: what it will do. `roster_id` None: previewed from the command
    line, never stored."""

    roster_id: int | None
    turn: int
    file_name: str
    kind: str
    sheet: str | None
    header_row: int
    has_nip: bool
    plan: RosterPlan

    @property
    def counts(self) -> PlanCounts:
        """The plan's sizes."""
        return PlanCounts.of(self.plan)


@dataclass(frozen=True, slots=True)
class RosterOpened:
    """A roster stored for its preview (what the command key keeps)."""

    roster_id: int
    replaced: str | None  # the file name of the admin's open roster it replaced


@dataclass(frozen=True, slots=True)
class RosterConfirmed:
    """What "Buat" did (what the command key keeps: no tokens)."""

    roster_id: int | None
    file_name: str
    members: int
    new_positions: int
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    """A member created and their invitation's token, to be passed on by the admin."""

    member_id: int
    row: int
    name: str
    position: str
    nip: str | None
    username: str | None
    token: str


@dataclass(frozen=True, slots=True)
class RosterApplied:
    """The outcome of "Buat": the counts, and the tokens, shown once (none on a replay)."""

    confirmed: RosterConfirmed
    replayed: bool
    invitations: tuple[IssuedInvitation, ...]


@dataclass(frozen=True, slots=True)
class OpenRoster:
    """The admin's open roster, offered again by /impor_pegawai."""

    roster_id: int
    turn: int
    file_name: str


@dataclass(frozen=True, slots=True)
class _Admin:
    member_id: int
    agency_id: int


@dataclass(frozen=True, slots=True)
class _Kept:
    """What `roster_import.plan` holds: the rows read, the plan previewed, the turn."""

    turn: int
    reading: KeptReading
    plan: RosterPlan

    def to_json(self) -> dict[str, Any]:
        return {"turn": self.turn, "reading": self.reading.to_json(), "plan": self.plan.to_json()}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> _Kept:
        return cls(
            int(stored.get("turn", 0)),
            KeptReading.from_json(stored["reading"]),
            RosterPlan.from_json(stored["plan"]),
        )


def read_roster(content: bytes) -> RosterReading | RosterRefused:
    """A roster from a file's bytes: the uploads' checks first, then the reader (an Excel
    workbook, or CSV in UTF-8, UTF-16 or Windows-1252)."""
    if len(content) > MAX_ROSTER_BYTES:
        return RosterRefused(RosterRefusal(RefusalReason.TOO_BIG, limit=MAX_ROSTER_BYTES))
    found = detect_file_type(content)
    if isinstance(found, FileRefusal):
        return _other_text(content, found)
    if found.extension == "xlsx":
        return _refused_or(read_xlsx(content))
    if found.extension == "xls":
        return RosterRefused(RosterRefusal(RefusalReason.OLD_EXCEL))
    if found.extension not in ROSTER_TYPES:
        return RosterRefused(RosterRefusal(RefusalReason.NOT_A_ROSTER))
    return _refused_or(read_csv_bytes(content))


def _other_text(content: bytes, refusal: FileRefusal) -> RosterReading | RosterRefused:
    """A file the uploads' checks refuse: CSV in UTF-16 or Windows-1252 (the checks take text
    as UTF-8 only) is checked again once decoded, and read; anything else stays refused.

    A cell that a spreadsheet would run as a formula refuses an upload because the bot hands
    uploads on; a roster is only read, and the reader refuses a formula in the columns it
    reads (NIP, nama, jabatan) itself, so "@budi" in the username column passes."""
    text = None
    if refusal in _TEXT_REFUSALS and not content.startswith((ZIP_MAGIC, OLE_MAGIC)):
        text = decode_text(content)
    if text is None:
        return RosterRefused(upload=refusal)
    again = detect_file_type(text.encode("utf-8"))
    if isinstance(again, FileRefusal) and again is not FileRefusal.FORMULA:
        return RosterRefused(upload=again)
    return _refused_or(read_csv_text(text))


_TEXT_REFUSALS = (FileRefusal.NOT_ACCEPTED, FileRefusal.FORMULA)


def _refused_or(read: RosterReading | RosterRefusal) -> RosterReading | RosterRefused:
    return RosterRefused(read) if isinstance(read, RosterRefusal) else read


class RosterImportService:
    """Roster imports for agency admins (Telegram) and for the server's operator (the command
    line)."""

    def __init__(
        self,
        procedures: ProcedureService,
        *,
        clock: Clock = utc_now,
        invitation_ttl: dt.timedelta = INVITATION_TTL,
    ) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.clock = clock
        self.invitation_ttl = invitation_ttl
        self.runner = CommandRunner(self.database, clock)

    # -- Telegram: preview, confirm, cancel ---------------------------------------------------

    def begin(
        self, key: CommandKey | str | None, member_id: int, content: bytes, file_name: str
    ) -> RosterOpened | RosterRefused:
        """Read a roster an admin sent and store its plan for the preview (cancelling their
        open roster, whose name is returned); a file that cannot be read changes nothing.
        Keyed by the message that carried the file: handled again, it is the same roster."""
        with self.database.unit_of_work(read_only=True) as uow:
            _admin(uow, member_id)
        read = read_roster(content)
        if isinstance(read, RosterRefused):
            return read
        kept = KeptReading.of(read)
        digest = hashlib.sha256(content).hexdigest()

        def work(uow: UnitOfWork, now: dt.datetime) -> RosterOpened:
            admin = _admin(uow, member_id)
            replaced = None
            for old in roster_imports.open_rosters_of(uow, member_id):
                roster_imports.update_roster(uow, old.id, at=now, status=RosterStatus.CANCELLED)
                record_change(
                    uow,
                    at=now,
                    agency_id=admin.agency_id,
                    actor_id=member_id,
                    entity="roster_import",
                    entity_id=old.id,
                    action="cancel",
                    before=RosterStatus.OPEN.value,
                    after=RosterStatus.CANCELLED.value,
                    detail={"file_name": old.file_name, "replaced_by": file_name},
                )
                replaced = old.file_name
            plan = _plan(uow, admin.agency_id, kept)
            new = NewRoster(
                agency_id=admin.agency_id,
                member_id=member_id,
                file_name=file_name,
                file_sha256=digest,
                kind=kept.kind,
                plan=_Kept(0, kept, plan).to_json(),
            )
            return RosterOpened(roster_imports.add_roster(uow, new, now), replaced)

        return self.runner.run(key, "roster_preview", work, RosterOpened).result

    def view(self, member_id: int, roster_id: int) -> RosterView:
        """The admin's open roster as previewed (NotFound: not theirs, or not open)."""
        with self.database.unit_of_work(read_only=True) as uow:
            admin = _admin(uow, member_id)
            stored = _open_roster(uow, admin, roster_id)
        return _view(stored.id, stored.file_name, _Kept.of(stored.plan))

    def open_roster(self, member_id: int) -> OpenRoster | None:
        """The admin's open roster, if they have one."""
        with self.database.unit_of_work(read_only=True) as uow:
            _admin(uow, member_id)
            found = roster_imports.open_rosters_of(uow, member_id, lock=False)
        if not found:
            return None
        stored = found[-1]
        return OpenRoster(stored.id, _Kept.of(stored.plan).turn, stored.file_name)

    def rebase(self, member_id: int, roster_id: int, turn: int) -> RosterView:
        """The plan made again against the agency as it is now, as a new turn (after "Buat"
        of `turn` was refused with RosterChanged): that "Buat" is stale. Done once per turn:
        the same refusal replayed (a double tap) shows the current turn again."""
        now = self.clock()
        with self.database.unit_of_work() as uow:
            admin = _admin(uow, member_id)
            stored = _open_roster(uow, admin, roster_id, for_update=True)
            kept = _Kept.of(stored.plan)
            if kept.turn != turn:
                return _view(stored.id, stored.file_name, kept)
            fresh = _Kept(kept.turn + 1, kept.reading, _plan(uow, admin.agency_id, kept.reading))
            roster_imports.update_roster(uow, roster_id, at=now, plan=fresh.to_json())
        return _view(stored.id, stored.file_name, fresh)

    def confirm(
        self, key: CommandKey | None, member_id: int, roster_id: int, turn: int
    ) -> RosterApplied:
        """ "Buat": create what the preview of this turn showed, in one transaction.

        Keyed by the roster, the turn and the presser, every check made inside the keyed
        command: a second press answers as the first did (replayed, without the tokens),
        another admin's press of a forged button is refused under their own key only."""
        issued: list[IssuedInvitation] = []

        def work(uow: UnitOfWork, now: dt.datetime) -> RosterConfirmed:
            issued.clear()  # a retried attempt issues its own tokens
            admin = _admin(uow, member_id)
            stored = _open_roster(uow, admin, roster_id, for_update=True)
            kept = _Kept.of(stored.plan)
            if kept.turn != turn:
                raise NotFound("a stale roster button", what="roster_import")
            plan = _plan(uow, admin.agency_id, kept.reading)
            if plan != kept.plan:
                raise RosterChanged("the agency changed since the preview", roster_id=roster_id)
            confirmed = self._apply(
                uow, now, admin.agency_id, plan, member_id, (roster_id, stored.file_name), issued
            )
            roster_imports.update_roster(uow, roster_id, at=now, status=RosterStatus.CONFIRMED)
            _record_import(uow, now, admin.agency_id, member_id, str(roster_id), confirmed, stored)
            return confirmed

        command = CommandKey(
            f"roster_confirm:{roster_id}:{member_id}:{turn}", key.inbox if key else None
        )
        outcome = self.runner.run(command, "roster_confirm", work, RosterConfirmed)
        shown = () if outcome.replayed else tuple(issued)
        return RosterApplied(outcome.result, outcome.replayed, shown)

    def cancel(self, key: CommandKey | None, member_id: int, roster_id: int) -> str:
        """ "Batal": the roster is not imported; its file name. Keyed like "Buat"."""

        def work(uow: UnitOfWork, now: dt.datetime) -> _Cancelled:
            admin = _admin(uow, member_id)
            stored = _open_roster(uow, admin, roster_id, for_update=True)
            roster_imports.update_roster(uow, roster_id, at=now, status=RosterStatus.CANCELLED)
            record_change(
                uow,
                at=now,
                agency_id=admin.agency_id,
                actor_id=member_id,
                entity="roster_import",
                entity_id=roster_id,
                action="cancel",
                before=RosterStatus.OPEN.value,
                after=RosterStatus.CANCELLED.value,
                detail={"file_name": stored.file_name, "file_sha256": stored.file_sha256},
            )
            return _Cancelled(stored.file_name)

        command = CommandKey(f"roster_cancel:{roster_id}:{member_id}", key.inbox if key else None)
        return self.runner.run(command, "roster_cancel", work, _Cancelled).result.file_name

    # -- the command line ---------------------------------------------------------------------

    def preview_for_agency(
        self, agency_id: int, content: bytes, file_name: str
    ) -> RosterView | RosterRefused:
        """What importing the roster into the agency would do (nothing is stored)."""
        read = read_roster(content)
        if isinstance(read, RosterRefused):
            return read
        kept = KeptReading.of(read)
        with self.database.unit_of_work(read_only=True) as uow:
            _agency(uow, agency_id)
            plan = _plan(uow, agency_id, kept)
        return _view(None, file_name, _Kept(0, kept, plan))

    def apply_for_agency(
        self, agency_id: int, content: bytes, file_name: str
    ) -> RosterApplied | RosterRefused:
        """Import the roster into the agency now, planned and applied in one transaction (the
        server's operator: no admin, no stored preview)."""
        read = read_roster(content)
        if isinstance(read, RosterRefused):
            return read
        kept = KeptReading.of(read)
        digest = hashlib.sha256(content).hexdigest()
        issued: list[IssuedInvitation] = []

        def work(uow: UnitOfWork, now: dt.datetime) -> RosterConfirmed:
            issued.clear()
            _agency(uow, agency_id)
            plan = _plan(uow, agency_id, kept)
            confirmed = self._apply(uow, now, agency_id, plan, None, (None, file_name), issued)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=None,
                entity="roster_import",
                entity_id=f"file:{digest[:16]}",
                action="confirm",
                before=None,
                after=RosterStatus.CONFIRMED.value,
                detail=_import_detail(confirmed, file_name, digest),
            )
            return confirmed

        outcome = self.runner.run(None, "roster_confirm", work, RosterConfirmed)
        return RosterApplied(outcome.result, False, tuple(issued))

    # -- applying a plan ----------------------------------------------------------------------

    def _apply(
        self,
        uow: UnitOfWork,
        now: dt.datetime,
        agency_id: int,
        plan: RosterPlan,
        actor_id: int | None,
        roster: tuple[int | None, str],
        issued: list[IssuedInvitation],
    ) -> RosterConfirmed:
        """Create the plan's positions, members, holdings and invitations, each audited;
        `roster` is the roster's id (None from the command line) and file name."""
        roster_id, file_name = roster
        position_ids = {p.key: p.id for p in plan.existing_positions if p.id is not None}
        audit = _Audit(uow, now, agency_id, actor_id, roster_id)
        for position in plan.new_positions:
            position_id = agencies.add_position(
                uow, agency_id=agency_id, key=position.key, name=position.name
            )
            position_ids[position.key] = position_id
            audit.created("position", position_id, key=position.key, name=position.name)
        expires = now + self.invitation_ttl
        for person in plan.members:
            member_id = roster_imports.add_listed_member(
                uow,
                agency_id=agency_id,
                name=person.name,
                nip=person.nip,
                telegram_username=person.username,
                created_at=now,
            )
            audit.created(
                "member", member_id, name=person.name, nip=person.nip, username=person.username
            )
            position_id = position_ids[person.position_key]
            holding_id = holdings.add_holding(
                uow, member_id=member_id, position_id=position_id, valid_from=now
            )
            audit.holding(holding_id, member_id, position_id)
            token, token_hash = new_invitation_token()
            invitation_id = invitations.add_invitation(
                uow,
                token_hash=token_hash,
                agency_id=agency_id,
                member_id=member_id,
                position_id=None,
                is_admin=False,
                created_by_id=actor_id,
                created_at=now,
                expires_at=expires,
            )
            audit.invitation(invitation_id, member_id)
            issued.append(
                IssuedInvitation(
                    member_id,
                    person.row,
                    person.name,
                    person.position_name,
                    person.nip,
                    person.username,
                    token,
                )
            )
        if plan.existing_positions and plan.members:
            # People now hold positions that may serve SOP roles: waiting work reaches them.
            self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
        return RosterConfirmed(
            roster_id, file_name, len(plan.members), len(plan.new_positions), expires
        )


@dataclass(frozen=True, slots=True)
class _Cancelled:
    file_name: str


@dataclass(frozen=True, slots=True)
class _Audit:
    """The audit rows of one roster's import: the admin (or the server) as the actor."""

    uow: UnitOfWork
    at: dt.datetime
    agency_id: int
    actor_id: int | None
    roster_id: int | None

    def created(self, entity: str, entity_id: int, **detail: object) -> None:
        record_change(
            self.uow,
            at=self.at,
            agency_id=self.agency_id,
            actor_id=self.actor_id,
            entity=entity,
            entity_id=entity_id,
            action="create",
            before=None,
            after="active",
            detail={**detail, "roster_id": self.roster_id},
        )

    def holding(self, holding_id: int, member_id: int, position_id: int) -> None:
        record_change(
            self.uow,
            at=self.at,
            agency_id=self.agency_id,
            actor_id=self.actor_id,
            entity="holding",
            entity_id=holding_id,
            action="appoint",
            before=None,
            after="holding",
            detail={
                "member_id": member_id,
                "position_id": position_id,
                "roster_id": self.roster_id,
            },
        )

    def invitation(self, invitation_id: int, member_id: int) -> None:
        record_change(
            self.uow,
            at=self.at,
            agency_id=self.agency_id,
            actor_id=self.actor_id,
            entity="invitation",
            entity_id=invitation_id,
            action="create",
            before=None,
            after="open",
            detail={"member_id": member_id, "is_admin": False, "roster_id": self.roster_id},
        )


def _record_import(
    uow: UnitOfWork,
    now: dt.datetime,
    agency_id: int,
    actor_id: int,
    entity_id: str,
    confirmed: RosterConfirmed,
    stored: StoredRoster,
) -> None:
    record_change(
        uow,
        at=now,
        agency_id=agency_id,
        actor_id=actor_id,
        entity="roster_import",
        entity_id=entity_id,
        action="confirm",
        before=RosterStatus.OPEN.value,
        after=RosterStatus.CONFIRMED.value,
        detail=_import_detail(confirmed, stored.file_name, stored.file_sha256),
    )


def _import_detail(confirmed: RosterConfirmed, file_name: str, digest: str) -> dict[str, object]:
    return {
        "file_name": file_name,
        "file_sha256": digest,
        "members": confirmed.members,
        "new_positions": confirmed.new_positions,
    }


# -- checks and reads ------------------------------------------------------------------------


def _admin(uow: UnitOfWork, member_id: int) -> _Admin:
    """The admin by id: an active member who administers their agency (NotAnAdmin else)."""
    member = members.member(uow, member_id)
    if member is None or not member.is_admin or not member.active:
        raise NotAnAdmin("only the agency's admins import rosters", member_id=member_id)
    return _Admin(member.id, member.agency_id)


def _agency(uow: UnitOfWork, agency_id: int) -> None:
    if agencies.agency(uow, agency_id) is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)


def _open_roster(
    uow: UnitOfWork, admin: _Admin, roster_id: int, *, for_update: bool = False
) -> StoredRoster:
    """The admin's own open roster of their agency; NotFound for anything else (another
    admin's, another agency's, one confirmed or cancelled, none)."""
    stored = roster_imports.roster(uow, roster_id, for_update=for_update)
    if (
        stored is None
        or stored.member_id != admin.member_id
        or stored.agency_id != admin.agency_id
        or stored.status is not RosterStatus.OPEN
    ):
        raise NotFound("no such open roster of this admin", what="roster_import")
    return stored


def _plan(uow: UnitOfWork, agency_id: int, kept: KeptReading) -> RosterPlan:
    """The plan of the rows read against the agency as it is in this transaction."""
    positions = [
        AgencyPosition(p.id, p.key, p.name, p.removed)
        for p in roster_imports.position_names(uow, agency_id)
    ]
    people = [
        AgencyPerson(m.id, m.name, m.nip, m.telegram_username, m.active)
        for m in members.members_of_agency(uow, agency_id)
    ]
    return plan_roster(kept.entries, kept.problems, positions, people)


def _view(roster_id: int | None, file_name: str, kept: _Kept) -> RosterView:
    reading = kept.reading
    return RosterView(
        roster_id=roster_id,
        turn=kept.turn,
        file_name=file_name,
        kind=reading.kind,
        sheet=reading.sheet,
        header_row=reading.header_row,
        has_nip=reading.has_nip,
        plan=kept.plan,
    )
