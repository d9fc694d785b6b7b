"""The database tables (SQLModel). Rows are converted to engine values in the stores.

Every table is created by the Alembic migrations in storage/migrations; a test checks that the
models and the migrations agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from sopbot.storage.column_types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
_AUDIT_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")

# Agency-wide role mappings use this in place of an SOP id (NULL would defeat the unique key).
ANY_SOP = "*"


class AgencyRow(SQLModel, table=True):
    """A regional agency (OPD): a Dinas, a Badan, a Kecamatan."""

    __tablename__ = "agency"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # the folder name under sop_defs/
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)  # e.g. Asia/Makassar (WITA)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    # What its SOPs' "hari" means: "kerja" (working time) or "akhir" (end of the Nth working
    # day); sopbot.engine.working_calendar.DayRule. Migration 0010 gave existing agencies "kerja".
    day_rule: str = Field(
        default="kerja", max_length=16, sa_column_kwargs={"server_default": "kerja"}
    )


class PositionRow(SQLModel, table=True):
    """A position (jabatan) in an agency, e.g. "Kepala Bidang Koperasi"."""

    __tablename__ = "position"
    __table_args__ = (UniqueConstraint("agency_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    key: str = Field(max_length=64)
    name: str = Field(max_length=200)
    # Removed by an admin (migration 0015): the row stays, for the dispositions and the audit
    # trail that name it, but the position serves no role and takes no one.
    removed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberRow(SQLModel, table=True):
    """A person (ASN) of an agency, bound to a Telegram account once they accept an invitation."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str = Field(max_length=200)
    nip: str | None = Field(default=None, max_length=32)
    telegram_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    is_admin: bool = Field(default=False)
    language: str | None = Field(default=None, max_length=8)  # "id" or "en"; None: Indonesian
    blocked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)  # blocked the bot
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    # Migration 0015: a member who left the agency (kept for the record, acts for nothing); an
    # operator admin, who creates agencies and names their first admins; the Telegram username
    # a roster gave (without "@"), which the member's invitation then requires.
    deactivated_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_operator: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    telegram_username: str | None = Field(default=None, max_length=32)


class HoldingRow(SQLModel, table=True):
    """A member holds a position over a period (valid_to exclusive; NULL: still holding)."""

    __tablename__ = "holding"
    __table_args__ = (Index("ix_holding_position", "position_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    position_id: int = Field(foreign_key="position.id")
    valid_from: dt.datetime = Field(sa_type=UTCDateTime)
    valid_to: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActingRow(SQLModel, table=True):
    """An acting appointment (Plt/Plh) for a position, for an absent holder or a vacant post."""

    __tablename__ = "acting_appointment"
    __table_args__ = (Index("ix_acting_appointment_valid_to", "valid_to"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    kind: str = Field(max_length=8)  # plt | plh
    for_member_id: int | None = Field(default=None, foreign_key="member.id")
    valid_from: dt.datetime = Field(sa_type=UTCDateTime)
    valid_to: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    decree: str | None = Field(default=None, max_length=200)  # nomor Surat Perintah
    # When the start and the end of the term were applied to open work (migration 0015): a
    # sweep applies each boundary once it has passed, so a term ends on time without an event.
    start_applied_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_applied_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoleMappingRow(SQLModel, table=True):
    """Which positions of an agency serve an SOP role (for one SOP, or for all: sop_id '*')."""

    __tablename__ = "role_mapping"
    __table_args__ = (UniqueConstraint("agency_id", "sop_id", "role_key", "position_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    sop_id: str = Field(default=ANY_SOP, max_length=200)
    role_key: str = Field(max_length=64)
    position_id: int = Field(foreign_key="position.id")


class SopVersionRow(SQLModel, table=True):
    """A definition as it was when an instance started: instances keep their version."""

    __tablename__ = "sop_version"
    __table_args__ = (UniqueConstraint("sop_id", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    sop_id: str = Field(max_length=200, index=True)
    version: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: dt.datetime = Field(sa_type=UTCDateTime)


class SopInstallRow(SQLModel, table=True):
    """One installation of an SOP version into the catalog (migration 0012). Every install is
    kept: the SOP's current version is its latest install that has not been withdrawn."""

    __tablename__ = "sop_install"
    __table_args__ = (Index("ix_sop_install_sop", "sop_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    sop_id: str = Field(max_length=200)
    sop_version_id: int = Field(foreign_key="sop_version.id")
    origin: str = Field(max_length=16)  # "berkas" (a file in sop_defs/) or "telegram"
    installed_at: dt.datetime = Field(sa_type=UTCDateTime)
    installed_by_id: int | None = Field(default=None, foreign_key="member.id")
    withdrawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by_id: int | None = Field(default=None, foreign_key="member.id")


class SopDraftRow(SQLModel, table=True):
    """An SOP document an agency admin sent the bot, imported to a draft definition and under
    review in Telegram (migration 0013): kept so that a restart in the middle of a review loses
    nothing. `status` is "open" while the review goes on, then "installed" or "cancelled"."""

    __tablename__ = "sop_draft"
    __table_args__ = (
        Index("ix_sop_draft_member_status", "member_id", "status"),
        # One open draft per admin (migration 0014): a second import at once cannot add a
        # second open draft, even where FOR UPDATE found no row to lock.
        Index(
            "ux_sop_draft_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    member_id: int = Field(foreign_key="member.id")
    file_name: str = Field(max_length=255)  # as the admin named it; only ever shown
    file_sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=255)  # the original file in the document store
    kind: str = Field(max_length=16)  # what the bytes were: docx, pdf, text, yaml
    name: str = Field(max_length=200)  # the suggested file name of the SOP (its id's tail)
    imported_text: str = Field(sa_column=Column(Text, nullable=False))  # as the importer wrote
    draft_text: str = Field(sa_column=Column(Text, nullable=False))  # with the decisions made
    review: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class RosterImportRow(SQLModel, table=True):
    """A roster (CSV or XLSX: NIP, nama, jabatan, Telegram username) an agency admin sent, as
    read and as planned (migration 0015), kept until the admin confirms or cancels it, so a
    restart between the preview and the confirmation loses nothing. `status` is "open",
    "confirmed" or "cancelled"."""

    __tablename__ = "roster_import"
    __table_args__ = (
        # One open roster per admin: a second one sent at once cannot add a second open row.
        Index(
            "ux_roster_import_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id")
    member_id: int = Field(foreign_key="member.id")
    file_name: str = Field(max_length=255)  # as the admin named it; only ever shown
    file_sha256: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # what the bytes were: csv or xlsx
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class SopFileSyncRow(SQLModel, table=True):
    """The digest last synced from an SOP's file in sop_defs/, so an unchanged file is not
    installed again over a newer version from Telegram (migration 0012)."""

    __tablename__ = "sop_file_sync"

    sop_id: str = Field(max_length=200, primary_key=True)
    digest: str = Field(max_length=64)
    synced_at: dt.datetime = Field(sa_type=UTCDateTime)


class SopCatalogRow(SQLModel, table=True):
    """The catalog's one row: its generation grows with every change of the installed
    versions, so a running bot notices a change by reading one number (migration 0012)."""

    __tablename__ = "sop_catalog"

    id: int = Field(primary_key=True)  # always 1
    generation: int = Field(default=0)


class InstanceRow(SQLModel, table=True):
    """A running (or ended) procedure. `version` guards against concurrent changes."""

    __tablename__ = "instance"
    __table_args__ = (
        UniqueConstraint("agency_id", "number"),
        Index("ix_instance_agency_letter", "agency_id", "letter_number"),
    )

    id: uuid.UUID = Field(primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    number: int  # shown to people as the instance code, per agency
    sop_version_id: int = Field(foreign_key="sop_version.id")
    sop_id: str = Field(max_length=200)
    title: str = Field(max_length=300)
    state: str = Field(max_length=16, index=True)
    started_by_id: int = Field(foreign_key="member.id")
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=0)
    # The letter the procedure is about (migration 0016): its number in the agency's agenda
    # (nomor surat / nomor agenda), its date and its sender. Optional, edited by admins.
    letter_number: str | None = Field(default=None, max_length=100)
    letter_date: dt.date | None = Field(default=None)
    letter_sender: str | None = Field(default=None, max_length=200)


class StepRunRow(SQLModel, table=True):
    """One pass through a step of an instance."""

    __tablename__ = "step_run"

    id: uuid.UUID = Field(primary_key=True)
    instance_id: uuid.UUID = Field(foreign_key="instance.id", index=True)
    step_number: int
    round: int
    state: str = Field(max_length=16)
    assignment: str = Field(max_length=16)
    opened_at: dt.datetime = Field(sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    previous_run_id: uuid.UUID | None = Field(default=None)
    sender_id: int | None = Field(default=None, foreign_key="member.id")
    instruction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answer: str | None = Field(default=None, max_length=8)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resume_role: str | None = Field(default=None, max_length=64)  # (migration 0011)


class DispositionRow(SQLModel, table=True):
    """A step run as it reached one person."""

    __tablename__ = "disposition"
    __table_args__ = (Index("ix_disposition_assignee_state", "assignee_id", "state"),)

    id: uuid.UUID = Field(primary_key=True)
    instance_id: uuid.UUID = Field(foreign_key="instance.id", index=True)
    step_run_id: uuid.UUID = Field(foreign_key="step_run.id", index=True)
    assignee_id: int = Field(foreign_key="member.id")
    position_id: int = Field(foreign_key="position.id")
    state: str = Field(max_length=16)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    sender_id: int | None = Field(default=None, foreign_key="member.id")
    instruction: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    acting: str | None = Field(default=None, max_length=8)
    acting_for_id: int | None = Field(default=None, foreign_key="member.id")
    manual: bool = Field(default=False)
    handed_from_id: uuid.UUID | None = Field(default=None)
    role_key: str | None = Field(default=None, max_length=64)  # the executor (migration 0011)
    acted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DocumentRow(SQLModel, table=True):
    """An uploaded file: what Telegram knows of it, what we checked, where we keep it."""

    __tablename__ = "document"

    id: uuid.UUID = Field(primary_key=True)
    instance_id: uuid.UUID = Field(foreign_key="instance.id", index=True)
    step_run_id: uuid.UUID = Field(foreign_key="step_run.id")
    disposition_id: uuid.UUID | None = Field(default=None, foreign_key="disposition.id")
    telegram_file_id: str = Field(max_length=255)
    telegram_file_unique_id: str = Field(max_length=64)
    original_name: str = Field(max_length=255)  # as the sender named it; never used as a path
    mime_type: str = Field(max_length=127)  # as detected from the content
    size_bytes: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=255)  # the server-chosen name in the document store
    uploaded_by_id: int = Field(foreign_key="member.id")
    uploaded_at: dt.datetime = Field(sa_type=UTCDateTime)


class AuditRow(SQLModel, table=True):
    """One state change: who, what, when (UTC), before and after. Append-only, hash-chained.

    Each row is link `seq` of its chain (one per agency, "global" without one): `hash` covers
    the chain, seq, `prev_hash` (the previous link's hash) and every content column, so an edited
    or removed row shows (sopbot.storage.audit_chain writes them, `sopbot audit verify` checks);
    since migration 0008 it is keyed with the audit key (`scheme`).
    The database refuses UPDATE and DELETE on this table (triggers of migration 0004).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_instance", "instance_id", "id"),
        UniqueConstraint("chain", "seq", name="uq_audit_event_chain_seq"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(_AUDIT_ID_TYPE, primary_key=True, autoincrement=True),
    )
    at: dt.datetime = Field(sa_type=UTCDateTime)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    instance_id: uuid.UUID | None = Field(default=None)
    actor_id: int | None = Field(default=None)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=32)
    before: str | None = Field(default=None, max_length=32)
    after: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    chain: str = Field(max_length=32)
    seq: int
    prev_hash: str = Field(max_length=64)  # hex hash of the previous link (zeros for seq 1)
    hash: str = Field(max_length=64)  # hex hash of this row (see audit_chain.row_hash)
    # How `hash` is made: "hmac-sha256" (under the audit key), or "sha256" for the rows written
    # before migration 0008, which that migration marks so.
    scheme: str = Field(
        default="hmac-sha256", max_length=16, sa_column_kwargs={"server_default": "sha256"}
    )


class AuditChainHeadRow(SQLModel, table=True):
    """The newest link of each audit chain: locked by writers to append the next row."""

    __tablename__ = "audit_chain_head"

    chain: str = Field(primary_key=True, max_length=32)
    last_seq: int
    last_hash: str = Field(max_length=64)


class CommandRow(SQLModel, table=True):
    """A command already carried out (or refused), by its idempotency key, with its result."""

    __tablename__ = "processed_command"

    key: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=32)
    at: dt.datetime = Field(sa_type=UTCDateTime)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class InvitationRow(SQLModel, table=True):
    """A single-use, expiring deep link that binds a Telegram account to a member or position.

    Only the SHA-256 of the token is kept, so the table cannot be used to forge a link.
    """

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    position_id: int | None = Field(default=None, foreign_key="position.id")
    is_admin: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)  # migration 0015
    revoked_by_id: int | None = Field(default=None, foreign_key="member.id")
    is_operator: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class OutboxRow(SQLModel, table=True):
    """A message that a state change causes, written in the transaction of the change and
    delivered afterwards by the sender (at least once, in order per chat)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_pending", "state", "id"),
        Index("ix_outbox_member", "member_id", "id"),
        # The files a member was already sent in an instance: looked up by the instance's
        # dispositions, not by member, whose rows grow without end.
        Index("ix_outbox_disposition_member", "disposition_id", "member_id"),
        # Which disposition a bot message shows, when an official replies to it.
        Index("ix_outbox_chat_message", "chat_id", "telegram_message_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(_AUDIT_ID_TYPE, primary_key=True, autoincrement=True),
    )
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(max_length=16)  # message | document | edit
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    disposition_id: uuid.UUID | None = Field(default=None)
    edits_outbox_id: int | None = Field(default=None)  # the message an edit changes
    state: str = Field(default="pending", max_length=16)  # pending | sent | failed | skipped
    attempts: int = Field(default=0)
    not_before: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    telegram_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    # A sender holds a row while it sends it; a lease that runs out (the sender died) lets
    # another take it over. state "sending" while held.
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class PendingInputRow(SQLModel, table=True):
    """What the bot waits for from a member next (a reason, a title), kept across restarts."""

    __tablename__ = "pending_input"

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)


class CalendarDayRow(SQLModel, table=True):
    """An agency's own change to the national calendar: a day off added, or a day worked."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("agency_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    day: dt.date
    kind: str = Field(max_length=8)  # off | working
    name: str = Field(max_length=200)  # e.g. "HUT Kota Samarinda", "SKB: cuti bersama digeser"


class AgencyHoursRow(SQLModel, table=True):
    """An agency's working hours, when they differ from the usual Indonesian office hours."""

    __tablename__ = "agency_hours"

    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    # {"0": [["07:30", "12:00"], ["13:00", "16:00"]], ...}: weekday 0 is Monday
    hours: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class HoursPeriodRow(SQLModel, table=True):
    """Working hours an agency keeps for a named stretch of days (e.g. "Ramadan 1448 H"), over
    its regular hours on the weekdays it names; periods of an agency never share a day."""

    __tablename__ = "hours_period"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str = Field(max_length=200)
    first_day: dt.date
    last_day: dt.date  # inclusive
    # Only the weekdays whose hours differ: {"0": [["08:00", "12:00"], ["12:30", "15:00"]]}
    hours: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AlertPolicyRow(SQLModel, table=True):
    """When late steps are reminded and escalated: per agency (sop_id '*') or per SOP."""

    __tablename__ = "alert_policy"
    __table_args__ = (UniqueConstraint("agency_id", "sop_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    sop_id: str = Field(default=ANY_SOP, max_length=200)
    repeat_minutes: int = Field(default=120)  # working minutes between reminders (>= 30)
    escalate_factor: float = Field(default=2.0)  # escalate at this many times the standard


class StepAlertRow(SQLModel, table=True):
    """A reminder or escalation that was sent for a step run: recorded so none goes twice."""

    __tablename__ = "step_alert"
    __table_args__ = (UniqueConstraint("step_run_id", "kind", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    step_run_id: uuid.UUID = Field(foreign_key="step_run.id", index=True)
    kind: str = Field(max_length=16)  # reminder | escalation
    seq: int
    due_at: dt.datetime = Field(sa_type=UTCDateTime)  # when it was meant to go
    sent_at: dt.datetime = Field(sa_type=UTCDateTime)  # when it went (after a restart: later)
