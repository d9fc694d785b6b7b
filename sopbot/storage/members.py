"""The people of an agency in the database: members, their Telegram accounts and languages,
and the lookups commands make of them (who acts, to whom work may go, names to show).

What a member holds (positions, Plt/Plh) is in `sopbot.storage.holdings`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy import select as select_core
from sqlmodel import col, select

from sopbot.engine.errors import UnknownMember
from sopbot.storage.models import AgencyRow, MemberRow
from sopbot.storage.prepared import PreparedQuery, RawConnection
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Member:
    """A person of an agency as stored; `telegram_user_id` is None until they join."""

    id: int
    agency_id: int
    name: str
    nip: str | None
    telegram_user_id: int | None
    is_admin: bool
    language: str | None
    is_operator: bool = False
    telegram_username: str | None = None
    deactivated_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        """False once the member has been deactivated (left the agency)."""
        return self.deactivated_at is None


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as the bot needs to know them on every update."""

    id: int
    name: str
    agency_id: int
    agency_key: str
    agency_name: str
    agency_timezone: str
    is_admin: bool
    language: str | None
    is_operator: bool = False


_MEMBER = table_of(MemberRow)
_AGENCY = table_of(AgencyRow)
# Every update from a member starts with this (members_only): compiled once, read on the cursor.
_MEMBER_BY_TELEGRAM_ID = PreparedQuery(
    select_core(
        _MEMBER.c.id,
        _MEMBER.c.name,
        _AGENCY.c.id,
        _AGENCY.c.key,
        _AGENCY.c.name,
        _AGENCY.c.timezone,
        _MEMBER.c.is_admin,
        _MEMBER.c.language,
        _MEMBER.c.is_operator,
    )
    .join(_AGENCY, _AGENCY.c.id == _MEMBER.c.agency_id)
    .where(_MEMBER.c.telegram_user_id == bindparam("user_id"))
    # A deactivated member is a stranger to the bot, whatever their account.
    .where(_MEMBER.c.deactivated_at.is_(None))
)


def add_member(
    uow: UnitOfWork,
    *,
    agency_id: int,
    name: str,
    created_at: dt.datetime,
    nip: str | None = None,
    telegram_user_id: int | None = None,
    is_admin: bool = False,
    language: str | None = None,
) -> int:
    """Store a new member of the agency; their id."""
    row = MemberRow(
        agency_id=agency_id,
        name=name,
        nip=nip,
        telegram_user_id=telegram_user_id,
        is_admin=is_admin,
        language=language,
        created_at=created_at,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def member(uow: UnitOfWork, member_id: int) -> Member | None:
    """The member with this id, if there is one."""
    row = uow.session.get(MemberRow, member_id)
    return None if row is None else _member(row)


def member_by_telegram_id(uow: UnitOfWork, telegram_user_id: int) -> Member | None:
    """The member bound to a Telegram account, if any."""
    row = uow.session.exec(
        select(MemberRow).where(MemberRow.telegram_user_id == telegram_user_id)
    ).first()
    return None if row is None else _member(row)


def member_view_by_telegram_id(
    connection: RawConnection, telegram_user_id: int
) -> MemberView | None:
    """The member bound to a Telegram account with their agency, as each update needs them
    (every update asks: read on a snapshot's connection, `Database.snapshot`)."""
    row = _MEMBER_BY_TELEGRAM_ID.first(connection, {"user_id": telegram_user_id})
    return None if row is None else MemberView(*row)


@dataclass(frozen=True, slots=True)
class AgencyMember:
    """A member as a command checks them: their agency and whether they administer it."""

    id: int
    agency_id: int
    agency_key: str
    agency_timezone: str
    name: str
    is_admin: bool


def member_of_agency(uow: UnitOfWork, agency_id: int, member_id: int) -> AgencyMember:
    """The member, who must belong to the agency (UnknownMember otherwise: another agency's
    id reads as unknown)."""
    member = find_member(uow, member_id)
    if member is None or member.agency_id != agency_id:
        raise UnknownMember("no such member in this agency", member_id=member_id)
    return member


def find_member(uow: UnitOfWork, member_id: int) -> AgencyMember | None:
    """The member with this id and their agency's key, if there is one."""
    found = uow.session.exec(
        select(MemberRow, AgencyRow)
        .join(AgencyRow, col(AgencyRow.id) == col(MemberRow.agency_id))
        .where(col(MemberRow.id) == member_id)
    ).first()
    if found is None:
        return None
    member, agency = found
    assert member.id is not None  # noqa: S101 - a stored row
    return AgencyMember(
        member.id, member.agency_id, agency.key, agency.timezone, member.name, member.is_admin
    )


def colleagues_of(uow: UnitOfWork, member_id: int) -> list[tuple[int, str]]:
    """The other members of the member's agency who use the bot, by name: (id, name)."""
    member = uow.session.get(MemberRow, member_id)
    if member is None:
        return []
    rows = uow.session.exec(
        select(MemberRow)
        .where(MemberRow.agency_id == member.agency_id)
        .where(col(MemberRow.telegram_user_id).is_not(None))
        .where(MemberRow.id != member_id)
        .order_by(col(MemberRow.name))
    ).all()
    return [(m.id, m.name) for m in rows if m.id is not None]


def names_of(uow: UnitOfWork, member_ids: Iterable[int]) -> dict[int, str]:
    """Members' names, by id (ids that do not exist are left out)."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = uow.session.exec(select(MemberRow).where(col(MemberRow.id).in_(ids))).all()
    return {m.id: m.name for m in rows if m.id is not None}


def members_of_agency(uow: UnitOfWork, agency_id: int) -> list[Member]:
    """Every member of the agency, in the order they were added."""
    rows = uow.session.exec(
        select(MemberRow).where(MemberRow.agency_id == agency_id).order_by(col(MemberRow.id))
    ).all()
    return [_member(row) for row in rows]


def bind_account(
    uow: UnitOfWork, member_id: int, *, telegram_user_id: int, language: str | None, is_admin: bool
) -> None:
    """Bind the member to a Telegram account, with the language and admin right they now have."""
    _set(uow, member_id, telegram_user_id=telegram_user_id, language=language, is_admin=is_admin)


def set_language(uow: UnitOfWork, member_id: int, language: str) -> None:
    """Remember the language the member chose (no member with this id: nothing changes)."""
    _set(uow, member_id, language=language)


def _set(uow: UnitOfWork, member_id: int, **values: object) -> None:
    uow.session.execute(update(MemberRow).where(col(MemberRow.id) == member_id).values(**values))


def _member(row: MemberRow) -> Member:
    assert row.id is not None  # noqa: S101 - read from the database
    return Member(
        id=row.id,
        agency_id=row.agency_id,
        name=row.name,
        nip=row.nip,
        telegram_user_id=row.telegram_user_id,
        is_admin=row.is_admin,
        language=row.language,
        is_operator=row.is_operator,
        telegram_username=row.telegram_username,
        deactivated_at=row.deactivated_at,
    )


def lock_people(uow: UnitOfWork, agency_id: int) -> None:
    """Hold the agency's row until the end of the unit of work, so two changes of its admins
    (or two deactivations) count the admins one after the other and never leave none
    (SQLite's writers queue at BEGIN IMMEDIATE anyway)."""
    uow.session.exec(select(AgencyRow.id).where(AgencyRow.id == agency_id).with_for_update())


def active_admins(uow: UnitOfWork, agency_id: int) -> dict[int, bool]:
    """The agency's admins who have not been deactivated, by id (in id order): whether each has
    joined (bound a Telegram account)."""
    rows = uow.session.exec(
        select(MemberRow.id, MemberRow.telegram_user_id)
        .where(MemberRow.agency_id == agency_id, col(MemberRow.is_admin))
        .where(col(MemberRow.deactivated_at).is_(None))
        .order_by(col(MemberRow.id))
    ).all()
    return {member_id: account is not None for member_id, account in rows if member_id is not None}


def set_admin(uow: UnitOfWork, member_id: int, is_admin: bool) -> None:
    """Give the member the agency's admin right, or take it away."""
    _set(uow, member_id, is_admin=is_admin)


def deactivate(uow: UnitOfWork, member_id: int, at: dt.datetime) -> None:
    """The member left the agency at `at`: the row stays for the record, their Telegram
    account is unbound (the bot treats it as a stranger's, and it may join again by a new
    invitation) and they administer nothing."""
    _set(uow, member_id, deactivated_at=at, telegram_user_id=None, is_admin=False)


def set_operator(uow: UnitOfWork, member_id: int, *, is_operator: bool) -> None:
    """Make the member an operator admin, or no longer one."""
    _set(uow, member_id, is_operator=is_operator)


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator admin, with their home agency."""

    member: Member
    agency_key: str
    agency_name: str


def operators(uow: UnitOfWork) -> list[Operator]:
    """The operator admins who have not been deactivated, in the order they were added."""
    rows = uow.session.exec(
        select(MemberRow, AgencyRow)
        .join(AgencyRow, col(AgencyRow.id) == col(MemberRow.agency_id))
        .where(col(MemberRow.is_operator).is_(True))
        .where(col(MemberRow.deactivated_at).is_(None))
        .order_by(col(MemberRow.id))
    ).all()
    return [Operator(_member(member), agency.key, agency.name) for member, agency in rows]
