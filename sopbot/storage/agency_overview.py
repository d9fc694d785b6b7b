"""Every agency at a glance, as an operator admin sees them (/instansi, `sopbot agency list`):
its admins who have joined, how many members have joined, how many SOPs it has installed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from sopbot.storage import agencies, sop_catalog
from sopbot.storage.agencies import Agency
from sopbot.storage.models import AgencyRow, MemberRow
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AgencySummary:
    """An agency with its joined admins (names), joined members and installed SOPs."""

    agency: Agency
    admins: tuple[str, ...]
    members: int
    sops: int


def agency_count(uow: UnitOfWork) -> int:
    """How many agencies there are."""
    return int(uow.session.exec(select(func.count(col(AgencyRow.id)))).one())


def agency_summaries(uow: UnitOfWork, *, offset: int, limit: int) -> list[AgencySummary]:
    """A page of the agencies, by name."""
    rows = uow.session.exec(
        select(AgencyRow.id)
        .order_by(func.lower(col(AgencyRow.name)), col(AgencyRow.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return _summaries(uow, [agency_id for agency_id in rows if agency_id is not None])


def agency_summary(uow: UnitOfWork, agency_id: int) -> AgencySummary | None:
    """One agency at a glance, if it exists."""
    found = _summaries(uow, [agency_id])
    return found[0] if found else None


def _summaries(uow: UnitOfWork, agency_ids: list[int]) -> list[AgencySummary]:
    if not agency_ids:
        return []
    joined = uow.session.exec(
        select(MemberRow)
        .where(col(MemberRow.agency_id).in_(agency_ids))
        .where(col(MemberRow.telegram_user_id).is_not(None))
        .where(col(MemberRow.deactivated_at).is_(None))
        .order_by(col(MemberRow.id))
    ).all()
    members = Counter(m.agency_id for m in joined)
    admins: dict[int, list[str]] = {}
    for member in joined:
        if member.is_admin:
            admins.setdefault(member.agency_id, []).append(member.name)
    summaries: list[AgencySummary] = []
    installed = Counter(v.sop_id.split("/", 1)[0] for v in sop_catalog.current_versions(uow))
    by_id = {a.id: a for a in agencies.agencies_with_ids(uow, agency_ids)}  # one query
    for agency_id in agency_ids:
        agency = by_id.get(agency_id)
        if agency is None:
            continue
        summaries.append(
            AgencySummary(
                agency,
                tuple(admins.get(agency_id, ())),
                members[agency_id],
                installed[agency.key],
            )
        )
    return summaries
