"""The members a procedure command needs to know about: who is acting, to whom work may be
handed, and the names the answers show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select

from sopbot.engine.errors import UnknownMember
from sopbot.storage.models import AgencyRow, MemberRow
from sopbot.storage.unit_of_work import UnitOfWork


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
