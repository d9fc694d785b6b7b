"""Which definitions a `sopbot sop` command means (SOP ids looked up in the folder, definition
files, or folders), as `sop validate`, `sop show` and `sop render` take them, and what is said
of ids found nowhere and of files left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sopbot.engine.library import SopLibrary, load_library


@dataclass(frozen=True)
class Selection:
    """What the arguments chose: the files and folders to load, and the ids found nowhere."""

    paths: list[Path]
    unknown_ids: list[str]
    root: Path


def select(arguments: Sequence[str], root: Path) -> Selection:
    """An argument is a path when it exists or names a .yaml file, else an id under `root`;
    no argument means the whole folder."""
    paths: list[Path] = []
    unknown: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.exists() or path.suffix in (".yaml", ".yml"):
            paths.append(path)
            continue
        found = [root / f"{argument}{suffix}" for suffix in (".yaml", ".yml")]
        existing = [candidate for candidate in found if candidate.is_file()]
        if existing:
            paths.append(existing[0])
        else:
            unknown.append(argument)
    if not arguments:
        paths.append(root)
    return Selection(paths, unknown, root)


def report_unknown(selection: Selection, err: TextIO) -> None:
    """Name each id found nowhere, with the ids the folder has."""
    if selection.unknown_ids:
        library = load_library(selection.root)
        known = ", ".join(library.definitions) or "none"
        for sop_id in selection.unknown_ids:
            print(f"No SOP with id '{sop_id}'. Known ids: {known}", file=err)
        report_skipped(library, err)


def report_skipped(library: SopLibrary, err: TextIO) -> None:
    """Name the files a folder's loading left out because of errors."""
    broken = sorted({p.file for p in library.errors})
    if broken:
        print(
            f"{len(broken)} file(s) left out because of errors: {', '.join(broken)}; "
            "run `sopbot sop validate` for details",
            file=err,
        )
