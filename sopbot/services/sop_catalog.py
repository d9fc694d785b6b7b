"""The installed SOP catalog: installing a version (from a file in sop_defs/ or from Telegram),
syncing the folder into the catalog, and reading which versions were installed.

An install never replaces a working version with a broken one: only a loaded `SopDefinition`
(which exists only when its file had no errors) can be installed. Installing the version that is
current already changes nothing and says so. Every install is kept, so the versions of an SOP can
be listed and compared; the current one is the latest install not withdrawn. Each change of the
catalog advances its generation, which a running bot reads to notice it
(`sopbot.services.live_definitions`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sopbot.engine.agency_file import AGENCY_FILE
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import SopLibrary
from sopbot.engine.loader import parse_definition
from sopbot.engine.problems import Problem, Severity
from sopbot.services.commands import Clock, utc_now
from sopbot.storage import sop_catalog
from sopbot.storage.database import Database
from sopbot.storage.definitions import DefinitionStore, StoredDefinitionInvalid
from sopbot.storage.sop_catalog import InstalledVersion, InstallOrigin
from sopbot.storage.unit_of_work import UnitOfWork

__all__ = [
    "CurrentDefinitions",
    "FileOutcome",
    "FileSync",
    "InstallOrigin",
    "InstallResult",
    "InstalledVersion",
    "NotALoadedDefinition",
    "SopCatalog",
    "SyncReport",
]

_SOP_SUFFIXES = (".yaml", ".yml")


class NotALoadedDefinition(ValueError):
    """What was given to install is not a definition as the loader makes it (its text does not
    load back to the same content): nothing is installed."""


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What an install did: `changed` is False when that version was current already."""

    changed: bool
    current: InstalledVersion  # the SOP's current version now
    previous: InstalledVersion | None  # the one it replaced (None: the SOP was new)


class FileOutcome(StrEnum):
    """What a sync did with one file of the folder."""

    INSTALLED = "installed"  # its content is now the SOP's current version
    UNCHANGED = "unchanged"  # the file is as last synced, or its version is current already
    REFUSED = "refused"  # the file has errors; the installed version (if any) stays
    MISSING = "missing"  # a file synced before is gone; the installed version stays


@dataclass(frozen=True, slots=True)
class FileSync:
    """One file of a sync (or, for MISSING, an SOP whose file is gone)."""

    sop_id: str
    file: str
    outcome: FileOutcome
    version: str | None  # the file's version (None when it did not load)
    digest: str | None  # the file's digest (None when it did not load)
    problems: tuple[Problem, ...]  # the file's errors and warnings
    current: InstalledVersion | None  # what runs now for this SOP id


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What syncing a folder into the catalog did, file by file."""

    files: tuple[FileSync, ...]
    other_problems: tuple[Problem, ...]  # problems of no SOP file: agency files, the folder
    generation: int  # the catalog's generation after the sync

    def with_outcome(self, outcome: FileOutcome) -> list[FileSync]:
        """The files of a sync that ended so."""
        return [f for f in self.files if f.outcome is outcome]

    @property
    def refused_any(self) -> bool:
        """True when a file of the folder has errors (an SOP file or an agency file)."""
        return bool(self.with_outcome(FileOutcome.REFUSED)) or any(
            p.severity is Severity.ERROR for p in self.other_problems
        )


@dataclass(frozen=True, slots=True)
class CurrentDefinitions:
    """The current version of every installed SOP, as of one catalog generation."""

    generation: int
    definitions: dict[str, SopDefinition]
    problems: tuple[str, ...]  # stored versions that no longer load (left out)


class SopCatalog:
    """Installs SOP versions into the database and reads what is installed."""

    def __init__(
        self,
        database: Database,
        *,
        definitions: DefinitionStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.database = database
        self.definitions = definitions or DefinitionStore()
        self.clock = clock

    # -- changing the catalog -------------------------------------------------------------

    def install(
        self, definition: SopDefinition, origin: InstallOrigin, by: int | None = None
    ) -> InstallResult:
        """Make a loaded definition the SOP's current version (`by`: the member who installs
        it, None for a file). The version that is current already is not installed again."""
        _check_loaded(definition)
        now = self.clock()
        with self.database.unit_of_work() as uow:
            sop_catalog.lock(uow)
            result = self._install(uow, definition, origin, by, now)
            if result.changed:
                sop_catalog.advance(uow)
            return result

    def install_in(
        self,
        uow: UnitOfWork,
        definition: SopDefinition,
        origin: InstallOrigin,
        by: int | None,
        now: dt.datetime,
    ) -> InstallResult:
        """`install` inside the caller's transaction, for a command that changes more with it
        (an install from Telegram maps the SOP's roles and writes its audit row too). Call it
        once the command's own checks have passed: the stored version is remembered."""
        _check_loaded(definition)
        sop_catalog.lock(uow)
        result = self._install(uow, definition, origin, by, now)
        if result.changed:
            sop_catalog.advance(uow)
        return result

    def withdraw(self, sop_id: str, by: int | None = None) -> InstalledVersion | None:
        """Withdraw the SOP's current version: the version installed before it is current
        again (none: the SOP can no longer be started). The withdrawn install; None when the
        SOP has no current version. Running procedures are not touched."""
        now = self.clock()
        with self.database.unit_of_work() as uow:
            sop_catalog.lock(uow)
            current = _current(uow, sop_id)
            if current is None:
                return None
            sop_catalog.withdraw_install(uow, current.install_id, at=now, by=by)
            sop_catalog.advance(uow)
            return current

    def sync_files(self, library: SopLibrary) -> SyncReport:
        """Install every file of a loaded folder whose content differs from what was last
        synced from it; in one transaction.

        A file with errors installs nothing (its SOP keeps its installed version). A file as
        last synced installs nothing either, so a version installed from Telegram since stays;
        a file changed since its last sync is installed, as the newer word.
        """
        now = self.clock()
        by_file = _problems_by_file(library)
        with self.database.unit_of_work() as uow:
            sop_catalog.lock(uow)
            synced = sop_catalog.file_digests(uow)
            current = {v.sop_id: v for v in sop_catalog.current_versions(uow)}
            files: list[FileSync] = []
            changed = False
            for definition in library.definitions.values():
                problems = tuple(by_file.pop(definition.source, ()))
                if synced.get(definition.id) == definition.digest:
                    installed = current.get(definition.id)
                    if installed is not None and installed.digest == definition.digest:
                        self.definitions.remember(installed.sop_version_id, definition)
                    outcome, now_current = FileOutcome.UNCHANGED, installed
                else:
                    result = self._install(uow, definition, InstallOrigin.FILE, None, now)
                    sop_catalog.record_file_sync(uow, definition.id, definition.digest, now)
                    changed = changed or result.changed
                    outcome = FileOutcome.INSTALLED if result.changed else FileOutcome.UNCHANGED
                    now_current = result.current
                files.append(
                    FileSync(
                        definition.id,
                        definition.source,
                        outcome,
                        definition.version,
                        definition.digest,
                        problems,
                        now_current,
                    )
                )
            others: list[Problem] = []
            for file, found in by_file.items():
                sop_id = _sop_id_of_file(file)
                if sop_id is None or not any(p.severity is Severity.ERROR for p in found):
                    others.extend(found)
                    continue
                files.append(
                    FileSync(
                        sop_id,
                        file,
                        FileOutcome.REFUSED,
                        None,
                        None,
                        tuple(found),
                        current.get(sop_id),
                    )
                )
            files.extend(_missing(library, files, synced, current))
            if changed:
                sop_catalog.advance(uow)
            return SyncReport(tuple(files), tuple(others), sop_catalog.generation(uow))

    def _install(
        self,
        uow: UnitOfWork,
        definition: SopDefinition,
        origin: InstallOrigin,
        by: int | None,
        now: dt.datetime,
    ) -> InstallResult:
        previous = _current(uow, definition.id)
        if previous is not None and previous.digest == definition.digest:
            self.definitions.remember(previous.sop_version_id, definition)
            return InstallResult(False, previous, previous)
        version_id = self.definitions.register(uow, definition, now)
        sop_catalog.add_install(
            uow, sop_id=definition.id, sop_version_id=version_id, origin=origin, at=now, by=by
        )
        installed = _current(uow, definition.id)
        assert installed is not None  # noqa: S101 - just written
        return InstallResult(True, installed, previous)

    # -- reading the catalog --------------------------------------------------------------

    def versions(self, sop_id: str) -> list[InstalledVersion]:
        """Every install of an SOP, newest first (withdrawn ones too)."""
        with self.database.unit_of_work(read_only=True) as uow:
            return sop_catalog.installs_of(uow, sop_id)

    def current(self, sop_id: str) -> InstalledVersion | None:
        """The SOP's current version, or None when none is installed."""
        with self.database.unit_of_work(read_only=True) as uow:
            return _current(uow, sop_id)

    def installed_ids(self) -> list[str]:
        """The ids of the SOPs that have a current version."""
        with self.database.unit_of_work(read_only=True) as uow:
            return [v.sop_id for v in sop_catalog.current_versions(uow)]

    def generation(self) -> int:
        """The catalog's generation: a different number means the catalog changed."""
        with self.database.unit_of_work(read_only=True) as uow:
            return sop_catalog.generation(uow)

    def definition_of(self, installed: InstalledVersion) -> SopDefinition:
        """The definition of an installed version (StoredDefinitionInvalid when its stored
        text no longer loads)."""
        cached = self.definitions.cached(installed.sop_version_id)
        if cached is not None:
            return cached
        with self.database.unit_of_work(read_only=True) as uow:
            return self.definitions.load(uow, installed.sop_version_id)

    def current_definitions(self) -> CurrentDefinitions:
        """The current definition of every installed SOP, and the generation they are of;
        only the versions not parsed before are read and parsed."""
        with self.database.unit_of_work(read_only=True) as uow:
            generation = sop_catalog.generation(uow)
            installs = sop_catalog.current_versions(uow)
            unknown = [
                v.sop_version_id
                for v in installs
                if self.definitions.cached(v.sop_version_id) is None
            ]
            texts = sop_catalog.version_texts(uow, unknown)
        definitions: dict[str, SopDefinition] = {}
        problems: list[str] = []
        for installed in installs:
            try:
                definitions[installed.sop_id] = self.definitions.parse(
                    installed.sop_version_id,
                    installed.sop_id,
                    installed.version,
                    texts.get(installed.sop_version_id, ""),
                )
            except StoredDefinitionInvalid as broken:
                problems.append(f"{installed.sop_id}@{installed.version}: {broken}")
        return CurrentDefinitions(generation, definitions, tuple(problems))


def _current(uow: UnitOfWork, sop_id: str) -> InstalledVersion | None:
    found = sop_catalog.current_versions(uow, sop_id)
    return found[0] if found else None


def _check_loaded(definition: SopDefinition) -> None:
    """Refuse a definition whose text does not load back to the same content: what is
    installed is what procedures will run, read again from that text."""
    result = parse_definition(
        definition.source_text,
        source=definition.source or definition.id,
        sop_id=definition.id,
        agency_key=definition.agency_key,
    )
    if result.definition is None or result.definition.digest != definition.digest:
        raise NotALoadedDefinition(
            f"{definition.id}: only a definition loaded from its text without errors can be "
            "installed"
        )


def _problems_by_file(library: SopLibrary) -> dict[str, list[Problem]]:
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for problem in library.problems:
        by_file[problem.file].append(problem)
    return by_file


def _sop_id_of_file(file: str) -> str | None:
    """The SOP id a definition file would have (`<agency folder>/<name>`); None for a file
    that is not an SOP file (an agency file, a folder)."""
    path = Path(file)
    if path.suffix not in _SOP_SUFFIXES or path.name == AGENCY_FILE:
        return None
    return f"{path.parent.name}/{path.stem}"


def _missing(
    library: SopLibrary,
    files: list[FileSync],
    synced: Mapping[str, str],
    current: Mapping[str, InstalledVersion],
) -> list[FileSync]:
    """The SOPs of the folder's agencies synced from a file before whose file is gone (their
    installed version stays: removing a file withdraws nothing)."""
    agencies = {d.agency_key for d in library.definitions.values()} | set(library.agencies)
    agencies |= {f.sop_id.split("/", 1)[0] for f in files}
    seen = {f.sop_id for f in files}
    return [
        FileSync(sop_id, "", FileOutcome.MISSING, None, None, (), current[sop_id])
        for sop_id in sorted(synced)
        if sop_id not in seen and sop_id.split("/", 1)[0] in agencies and sop_id in current
    ]
