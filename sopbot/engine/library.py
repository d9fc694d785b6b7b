"""A folder of SOP definitions, one folder per agency: `<root>/<agency>/<sop>.yaml`.

Every file is loaded on its own; a file with errors is left out whole (never half-loaded) and its
problems are reported, so one agency's broken file does not stop the others. Links that lead out
of the folder are reported and not followed: what the bot runs is what the folder holds.

Each agency folder also holds the agency file, `instansi.yaml` (sopbot/engine/agency_file.py),
read as the agency's settings (its time zone) and never as an SOP. A folder of SOPs without one,
or with a broken one, is reported as an error; its SOPs still load, but the agency's zone is
unknown until the file is fixed, and nothing assumes one meanwhile.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sopbot.engine.agency_file import (
    AGENCY_FILE,
    AgencySettings,
    load_agency_file,
    missing_agency_file,
)
from sopbot.engine.definition import SopDefinition
from sopbot.engine.loader import LoadResult, load_definition_file
from sopbot.engine.problems import Problem, Severity

_SUFFIXES = (".yaml", ".yml")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class DefinitionSource(Protocol):
    """Where the running bot finds the SOPs it can start: a folder as loaded (`SopLibrary`), or
    the installed catalog seen live (`sopbot.services.live_definitions.LiveDefinitions`)."""

    @property
    def definitions(self) -> Mapping[str, SopDefinition]:
        """The definitions that can be started, by id."""

    @property
    def agencies(self) -> Mapping[str, AgencySettings]:
        """The agency files that loaded cleanly, by agency key."""

    def get(self, sop_id: str) -> SopDefinition | None:
        """The definition with this id, or None."""

    def for_agency(self, agency_key: str) -> list[SopDefinition]:
        """The definitions of one agency, by id."""

    def zone_of(self, agency_key: str) -> str | None:
        """The agency's time zone as its agency file gives it, or None."""


@dataclass(frozen=True, slots=True)
class SopLibrary:
    """The definitions that loaded cleanly, by id, and every problem met on the way."""

    definitions: dict[str, SopDefinition]
    problems: tuple[Problem, ...]
    agencies: dict[str, AgencySettings] = field(default_factory=dict)
    """The agency files that loaded cleanly, by agency key (the folder's name)."""

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that kept a file from loading."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    def get(self, sop_id: str) -> SopDefinition | None:
        """The definition with this id (`<agency>/<sop>`), or None."""
        return self.definitions.get(sop_id)

    def for_agency(self, agency_key: str) -> list[SopDefinition]:
        """The definitions of one agency folder, by id."""
        return [d for d in self.definitions.values() if d.agency_key == agency_key]

    def zone_of(self, agency_key: str) -> str | None:
        """The agency's time zone (an IANA name) as its agency file gives it; None when the
        folder has no agency file that loads (never a guess)."""
        settings = self.agencies.get(agency_key)
        return settings.timezone if settings is not None else None


def load_library(root: Path) -> SopLibrary:
    """Load every definition under a root folder of agency folders."""
    if not root.is_dir():
        problem = Problem(
            str(root), 1, "no such folder; point at the folder that holds one folder per agency"
        )
        return SopLibrary({}, (problem,))
    return load_paths([root])


def load_paths(paths: Iterable[Path]) -> SopLibrary:
    """Load definitions from files and folders (a root of agency folders, or one agency folder)."""
    definitions: dict[str, SopDefinition] = {}
    problems: list[Problem] = []
    agencies: dict[str, AgencySettings] = {}
    folders_read: set[Path] = set()
    for path in paths:
        files = _definition_files(path, problems)
        for folder in _agency_folders(path, files):
            if folder.resolve() not in folders_read:
                folders_read.add(folder.resolve())
                _read_agency_folder(folder, agencies, problems)
        for file, agency_key in files:
            result = _load(file, agency_key)
            problems.extend(result.problems)
            definition = result.definition
            if definition is None:
                continue
            twin = definitions.get(definition.id)
            if twin is not None:
                problems.append(
                    Problem(
                        str(file),
                        1,
                        f"the SOP id '{definition.id}' is also used "
                        f"by {twin.source}; rename one of the files",
                    )
                )
                continue
            definitions[definition.id] = definition
    return SopLibrary(
        dict(sorted(definitions.items())), tuple(problems), dict(sorted(agencies.items()))
    )


def _agency_folders(path: Path, files: list[tuple[Path, str]]) -> list[Path]:
    """The agency folders met under a path: those of its SOP files, and an agency file given
    by itself (or a folder that holds only one)."""
    folders = {file.parent: None for file, _ in files}
    if path.is_file() and path.name == AGENCY_FILE:
        folders[path.parent] = None
    elif path.is_dir() and (path / AGENCY_FILE).is_file() and not files:
        folders[path] = None
    return list(folders)


def _read_agency_folder(
    folder: Path, agencies: dict[str, AgencySettings], problems: list[Problem]
) -> None:
    """Read a folder's agency file into `agencies`, or report why it cannot be."""
    path = folder / AGENCY_FILE
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder)).parent):
            problems.append(
                Problem(
                    str(path),
                    1,
                    f"this is a link to {target}, outside the SOP folder; links out of the "
                    "folder are not followed: put the file itself in the folder",
                )
            )
            return
    if not path.is_file():
        problems.append(missing_agency_file(folder))
        return
    settings, found = load_agency_file(path, agency_key=folder.name)
    problems.extend(found)
    if settings is not None:
        agencies[folder.name] = settings


def _load(file: Path, agency_key: str) -> LoadResult:
    stem = file.stem
    shown = str(file)
    if not _SLUG.match(stem) or not _SLUG.match(agency_key):
        bad = stem if not _SLUG.match(stem) else agency_key
        return LoadResult(
            None,
            (
                Problem(
                    shown,
                    1,
                    f"'{bad}' cannot be part of an SOP id; name "
                    "folders and files with lower-case letters, "
                    "digits, '-' and '_'",
                ),
            ),
        )
    return load_definition_file(
        file, sop_id=f"{agency_key}/{stem}", agency_key=agency_key, shown_as=shown
    )


def _definition_files(path: Path, problems: list[Problem]) -> list[tuple[Path, str]]:
    """(file, agency key) pairs under a path, in a stable order."""
    if path.is_file():
        return [] if path.name == AGENCY_FILE else [(path, path.parent.name)]
    if not path.is_dir():
        problems.append(Problem(str(path), 1, "no such file or folder"))
        return []
    inside = Path(os.path.realpath(path))
    entries = _entries(path, inside, problems)
    direct = sorted(p for p in entries if _is_definition_file(p))
    folders = sorted(p for p in entries if _is_agency_folder(p))
    if direct and not folders:
        # An agency folder given directly.
        return [(f, path.name) for f in direct]
    for stray in direct:
        problems.append(
            Problem(
                str(stray),
                1,
                "an SOP file belongs in a folder per agency: <root>/<agency>/<sop>.yaml",
            )
        )
    return [
        (f, folder.name)
        for folder in folders
        for f in sorted(p for p in _entries(folder, inside, problems) if _is_definition_file(p))
    ]


def _entries(folder: Path, inside: Path, problems: list[Problem]) -> list[Path]:
    """A folder's entries, without the links that lead out of `inside` (reported if relevant)."""
    entries = []
    for entry in folder.iterdir():
        if entry.is_symlink():
            target = Path(os.path.realpath(entry))
            if not target.is_relative_to(inside):
                if entry.suffix in _SUFFIXES or _is_agency_folder(entry):
                    problems.append(
                        Problem(
                            str(entry),
                            1,
                            f"this is a link to {target}, outside the SOP folder {inside}; "
                            "links out of the folder are not followed: put the file itself "
                            "in the folder",
                        )
                    )
                continue
        entries.append(entry)
    return entries


def _is_definition_file(path: Path) -> bool:
    # The agency file sits with the SOPs and is read as the agency's settings, not as an SOP.
    return path.suffix in _SUFFIXES and path.is_file() and path.name != AGENCY_FILE


def _is_agency_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith((".", "_"))
