"""Definition versions in the database: stored once, read back exactly as an instance began."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event
from sqlmodel import Session, select

from sopbot.engine.definition import SopDefinition
from sopbot.engine.loader import parse_definition
from sopbot.storage.models import SopVersionRow
from sopbot.storage.unit_of_work import UnitOfWork


class StoredDefinitionInvalid(RuntimeError):
    """A stored definition no longer parses: the loader changed incompatibly."""


class DefinitionStore:
    """Keeps every definition version an instance uses, and parses each one only once."""

    def __init__(self) -> None:
        self._by_version_id: dict[int, SopDefinition] = {}

    def register(self, uow: UnitOfWork, definition: SopDefinition, at: dt.datetime) -> int:
        """The id of this exact definition (by content digest), storing it the first time."""
        session = uow.session
        row = session.exec(
            select(SopVersionRow).where(
                SopVersionRow.sop_id == definition.id, SopVersionRow.digest == definition.digest
            )
        ).first()
        if row is not None:
            assert row.id is not None  # noqa: S101 - a stored row has its id
            self._by_version_id.setdefault(row.id, definition)
            return row.id
        row = SopVersionRow(
            sop_id=definition.id,
            version=definition.version,
            digest=definition.digest,
            source=definition.source_text,
            loaded_at=at,
        )
        session.add(row)
        session.flush()
        version_id = row.id
        assert version_id is not None  # noqa: S101 - set by the flush

        def keep(_: Session) -> None:
            self._by_version_id.setdefault(version_id, definition)

        # Cached once the row is committed: a transaction rolled back after the flush leaves no
        # row, and SQLite may give its id to another version next (the cache would lie).
        event.listen(session, "after_commit", keep, once=True)
        return version_id

    def cached(self, sop_version_id: int) -> SopDefinition | None:
        """The definition if this process has it already, else None (no database read)."""
        return self._by_version_id.get(sop_version_id)

    def remember(self, sop_version_id: int, definition: SopDefinition) -> None:
        """Keep a definition known to be the text of this stored version (no parsing later)."""
        self._by_version_id.setdefault(sop_version_id, definition)

    def load(self, uow: UnitOfWork, sop_version_id: int) -> SopDefinition:
        """The definition an instance runs, parsed from the stored text (cached)."""
        cached = self.cached(sop_version_id)
        if cached is not None:
            return cached
        row = uow.session.get(SopVersionRow, sop_version_id)
        if row is None:
            raise KeyError(sop_version_id)
        return self.parse(sop_version_id, row.sop_id, row.version, row.source)

    def parse(self, sop_version_id: int, sop_id: str, version: str, text: str) -> SopDefinition:
        """The definition of a stored version's text, parsed once (cached by its id);
        StoredDefinitionInvalid when it no longer parses."""
        cached = self.cached(sop_version_id)
        if cached is not None:
            return cached
        agency_key = sop_id.split("/", 1)[0]
        result = parse_definition(
            text, source=f"{sop_id}@{version}", sop_id=sop_id, agency_key=agency_key
        )
        if result.definition is None:
            raise StoredDefinitionInvalid("; ".join(str(p) for p in result.errors))
        self._by_version_id[sop_version_id] = result.definition
        return result.definition
