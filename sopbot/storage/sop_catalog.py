"""The installed SOP catalog in the database: every install of an SOP version, which one is
current, the digest last synced from each SOP's file, and the catalog's generation.

The current version of an SOP is its latest install that has not been withdrawn. The text of
each version is the `sop_version` row an instance would use (`storage.definitions`), so an
install and the procedures started from it share one stored text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from sopbot.storage.models import (
    MemberRow,
    SopCatalogRow,
    SopFileSyncRow,
    SopInstallRow,
    SopVersionRow,
)
from sopbot.storage.unit_of_work import UnitOfWork

CATALOG_ROW = 1  # the catalog's one row (migration 0012 writes it)


class InstallOrigin(StrEnum):
    """Where an installed version came from."""

    FILE = "berkas"  # a file in sop_defs/, synced at start-up or by `sopbot sop reload`
    TELEGRAM = "telegram"  # installed by an agency admin from Telegram


@dataclass(frozen=True, slots=True)
class InstalledVersion:
    """One install of an SOP version, as the catalog keeps it."""

    install_id: int
    sop_id: str
    sop_version_id: int
    version: str
    digest: str
    origin: InstallOrigin
    installed_at: dt.datetime
    installed_by_id: int | None  # the member who installed it; None for a file
    installed_by: str | None  # that member's name
    withdrawn_at: dt.datetime | None = None
    withdrawn_by_id: int | None = None

    @property
    def withdrawn(self) -> bool:
        """True when this install no longer counts as the SOP's version."""
        return self.withdrawn_at is not None


def generation(uow: UnitOfWork) -> int:
    """The catalog's generation: it grows with every change of the installed versions."""
    row = uow.session.get(SopCatalogRow, CATALOG_ROW)
    return row.generation if row is not None else 0


def lock(uow: UnitOfWork) -> None:
    """Take the catalog's row for this transaction, so two installers of one SOP take turns
    (PostgreSQL; a SQLite writer holds the whole file already)."""
    uow.session.exec(
        select(SopCatalogRow).where(col(SopCatalogRow.id) == CATALOG_ROW).with_for_update()
    ).first()


def advance(uow: UnitOfWork) -> None:
    """Count one more change of the catalog (in the transaction that makes it)."""
    uow.session.execute(
        update(SopCatalogRow)
        .where(col(SopCatalogRow.id) == CATALOG_ROW)
        .values(generation=SopCatalogRow.generation + 1)
    )


def add_install(
    uow: UnitOfWork,
    *,
    sop_id: str,
    sop_version_id: int,
    origin: InstallOrigin,
    at: dt.datetime,
    by: int | None,
) -> int:
    """Record an install of a stored version; its id."""
    row = SopInstallRow(
        sop_id=sop_id,
        sop_version_id=sop_version_id,
        origin=origin.value,
        installed_at=at,
        installed_by_id=by,
    )
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    return row.id


def withdraw_install(uow: UnitOfWork, install_id: int, *, at: dt.datetime, by: int | None) -> None:
    """Mark an install withdrawn: the SOP's install before it (if any) is current again."""
    uow.session.execute(
        update(SopInstallRow)
        .where(col(SopInstallRow.id) == install_id)
        .values(withdrawn_at=at, withdrawn_by_id=by)
    )


def _read_installs(
    uow: UnitOfWork, *conditions: ColumnElement[bool], newest_first: bool = False
) -> list[InstalledVersion]:
    """The installs that meet the conditions, each with its version and its installer's name."""
    installer = aliased(MemberRow)
    order = col(SopInstallRow.id).desc() if newest_first else col(SopInstallRow.sop_id)
    # The version's label and digest, not its text: a listing never needs the YAML itself.
    rows = uow.session.exec(
        select(SopInstallRow, SopVersionRow.version, SopVersionRow.digest, installer.name)
        .join(SopVersionRow, col(SopVersionRow.id) == col(SopInstallRow.sop_version_id))
        .outerjoin(installer, col(installer.id) == col(SopInstallRow.installed_by_id))
        .where(*conditions)
        .order_by(order)
    ).all()
    return [_installed(install, version, digest, name) for install, version, digest, name in rows]


def _installed(
    install: SopInstallRow, version: str, digest: str, name: str | None
) -> InstalledVersion:
    assert install.id is not None  # noqa: S101 - a stored row
    return InstalledVersion(
        install_id=install.id,
        sop_id=install.sop_id,
        sop_version_id=install.sop_version_id,
        version=version,
        digest=digest,
        origin=InstallOrigin(install.origin),
        installed_at=install.installed_at,
        installed_by_id=install.installed_by_id,
        installed_by=name,
        withdrawn_at=install.withdrawn_at,
        withdrawn_by_id=install.withdrawn_by_id,
    )


def installs_of(uow: UnitOfWork, sop_id: str) -> list[InstalledVersion]:
    """Every install of an SOP, newest first (withdrawn ones too)."""
    return _read_installs(uow, col(SopInstallRow.sop_id) == sop_id, newest_first=True)


def installs_under(uow: UnitOfWork, prefix: str) -> list[InstalledVersion]:
    """Every install of the SOPs whose id starts with `prefix` (an agency's: "key/"), newest
    first, in one query."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return _read_installs(
        uow, col(SopInstallRow.sop_id).like(pattern, escape="\\"), newest_first=True
    )


def current_versions(uow: UnitOfWork, sop_id: str | None = None) -> list[InstalledVersion]:
    """The current install of every SOP (or of one), by SOP id."""
    latest = (
        select(func.max(SopInstallRow.id))
        .where(col(SopInstallRow.withdrawn_at).is_(None))
        .group_by(col(SopInstallRow.sop_id))
    )
    if sop_id is not None:
        latest = latest.where(col(SopInstallRow.sop_id) == sop_id)
    return _read_installs(uow, col(SopInstallRow.id).in_(latest.scalar_subquery()))


def version_texts(uow: UnitOfWork, sop_version_ids: Iterable[int]) -> dict[int, str]:
    """The stored text of each version, by `sop_version` id."""
    wanted = list(sop_version_ids)
    if not wanted:
        return {}
    rows = uow.session.exec(
        select(SopVersionRow.id, SopVersionRow.source).where(col(SopVersionRow.id).in_(wanted))
    ).all()
    return {version_id: source for version_id, source in rows if version_id is not None}


def file_digests(uow: UnitOfWork) -> dict[str, str]:
    """The digest last synced from each SOP's file, by SOP id."""
    rows = uow.session.exec(select(SopFileSyncRow.sop_id, SopFileSyncRow.digest)).all()
    return dict(rows)


def record_file_sync(uow: UnitOfWork, sop_id: str, digest: str, at: dt.datetime) -> None:
    """Remember the digest just synced from an SOP's file."""
    row = uow.session.get(SopFileSyncRow, sop_id)
    if row is None:
        uow.session.add(SopFileSyncRow(sop_id=sop_id, digest=digest, synced_at=at))
    else:
        row.digest = digest
        row.synced_at = at
        uow.session.add(row)
    uow.session.flush()
