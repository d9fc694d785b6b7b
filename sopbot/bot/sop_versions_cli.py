"""`sopbot sop reload | versions | diff`: the installed SOP catalog from the command line.

`reload` syncs the SOP folder into the database given by DATABASE_URL (a running bot sees the
change within seconds); `versions` lists an SOP's installs; `diff` shows what changed between
two of them (`sopbot.engine.definition_diff`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sopbot.bot.settings import Settings
from sopbot.engine.definition_diff import Change, DefinitionDiff, FieldChange, diff_definitions
from sopbot.engine.library import load_library
from sopbot.engine.yaml_nodes import closest
from sopbot.services.sop_catalog import (
    FileOutcome,
    FileSync,
    InstalledVersion,
    SopCatalog,
    SyncReport,
)
from sopbot.storage import agencies
from sopbot.storage.database import Database
from sopbot.storage.definitions import StoredDefinitionInvalid
from sopbot.storage.migrate import upgrade

EXIT_OK = 0
EXIT_PROBLEMS = 1
DIGEST_SHOWN = 8  # characters of a digest shown
_MIN_PREFIX = 4  # the fewest characters of a digest that --from / --to may give

_OUTCOME_WORDS = {
    FileOutcome.INSTALLED: "installed",
    FileOutcome.UNCHANGED: "unchanged",
    FileOutcome.REFUSED: "refused",
    FileOutcome.MISSING: "no file",
}
_ORIGIN_WORDS = {"berkas": "file", "telegram": "Telegram"}


def add_version_commands(
    sop_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `sopbot sop reload`, `sopbot sop versions` and `sopbot sop diff`."""
    reload = sop_commands.add_parser(
        "reload",
        help="install the SOP folder's new and changed files into the database; a running "
        "bot uses them within seconds (exit 1 when a file was refused)",
    )
    reload.add_argument("--dir", type=Path, help="folder of definitions (default: settings)")
    reload.set_defaults(handler=_reload)

    versions = sop_commands.add_parser("versions", help="the installed versions of an SOP")
    versions.add_argument("sop_id", metavar="ID", help="the SOP id, e.g. agency/sop")
    versions.set_defaults(handler=_versions)

    diff = sop_commands.add_parser(
        "diff",
        help="what changed between two installed versions of an SOP (default: the one "
        "before the current one, and the current one)",
    )
    diff.add_argument("sop_id", metavar="ID", help="the SOP id, e.g. agency/sop")
    diff.add_argument("--from", dest="older", metavar="V", help="a version or digest prefix")
    diff.add_argument("--to", dest="newer", metavar="V", help="a version or digest prefix")
    diff.set_defaults(handler=_diff)


def _catalog(settings: Settings) -> SopCatalog:
    database = Database(settings.database_url)
    upgrade(database)
    return SopCatalog(database)


# -- reload ------------------------------------------------------------------------------


def _reload(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    root: Path = args.dir or settings.definitions_dir()
    library = load_library(root)
    catalog = _catalog(settings)
    report = catalog.sync_files(library)
    shown_url = catalog.database.url.render_as_string(hide_password=True)
    print(f"SOP folder {root} synced into {shown_url}", file=out)
    for synced in sorted(report.files, key=lambda f: (f.sop_id, f.file)):
        for line in _sync_lines(synced):
            print(line, file=out)
    for problem in report.other_problems:
        print(f"           {problem}", file=out)
    print(_summary(report), file=out)
    if not report.refused_any:
        return EXIT_OK
    print(
        "a file with errors installs nothing: fix what is listed above, check it with "
        "`sopbot sop validate`, and reload",
        file=err,
    )
    return EXIT_PROBLEMS


def _sync_lines(synced: FileSync) -> list[str]:
    word = _OUTCOME_WORDS[synced.outcome]
    current = synced.current
    if synced.outcome is FileOutcome.REFUSED:
        kept = (
            f"version {_label(current)} stays installed" if current is not None else "not installed"
        )
        head = f"{word:<10} {synced.sop_id}  ({kept}): {synced.file}"
    elif synced.outcome is FileOutcome.MISSING:
        kept = _label(current) if current is not None else "?"
        head = f"{word:<10} {synced.sop_id}  (its file is gone; version {kept} stays installed)"
    else:
        head = f"{word:<10} {synced.sop_id}  version {_label(current) if current else '?'}"
        if (
            synced.outcome is FileOutcome.UNCHANGED
            and current is not None
            and current.digest != synced.digest
        ):
            # The file is as last synced, and a later install (from Telegram) is current.
            head += (
                f" from {_ORIGIN_WORDS[current.origin.value]}; the file ({synced.version}) is "
                "as last synced, so it does not replace it"
            )
    return [head] + [f"           {problem}" for problem in synced.problems]


def _summary(report: SyncReport) -> str:
    counts = [
        f"{len(report.with_outcome(outcome))} {_OUTCOME_WORDS[outcome]}"
        for outcome in FileOutcome
        if outcome is not FileOutcome.MISSING or report.with_outcome(outcome)
    ]
    return ", ".join(counts) + f" (catalog generation {report.generation})"


def _label(installed: InstalledVersion) -> str:
    return f"{installed.version} ({installed.digest[:DIGEST_SHOWN]})"


# -- versions ----------------------------------------------------------------------------


def _versions(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    catalog = _catalog(settings)
    installs = catalog.versions(args.sop_id)
    if not installs:
        print(_not_installed(catalog, args.sop_id), file=err)
        return EXIT_PROBLEMS
    zone, zone_name = _zone_of(catalog.database, args.sop_id)
    current = catalog.current(args.sop_id)
    rows = [("", "version", "digest", "origin", f"installed ({zone_name})", "by")]
    for installed in installs:
        mark = "*" if current and installed.install_id == current.install_id else ""
        if installed.withdrawn:
            mark = "x"
        rows.append(
            (
                mark,
                installed.version,
                installed.digest[:DIGEST_SHOWN],
                _ORIGIN_WORDS[installed.origin.value],
                installed.installed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                installed.installed_by or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"{args.sop_id}: {len(installs)} install(s), newest first", file=out)
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    print("* current   x withdrawn", file=out)
    return EXIT_OK


def _zone_of(database: Database, sop_id: str) -> tuple[dt.tzinfo, str]:
    """The agency's zone when the agency exists in the database; else UTC."""
    with database.unit_of_work(read_only=True) as uow:
        agency = agencies.agency_by_key(uow, sop_id.split("/", 1)[0])
    if agency is None:
        return dt.UTC, "UTC"
    return ZoneInfo(agency.timezone), agency.timezone


def _not_installed(catalog: SopCatalog, sop_id: str) -> str:
    known = catalog.installed_ids()
    close = closest(sop_id, known)
    hint = f"did you mean {close}?" if close else f"installed: {', '.join(known) or 'none'}"
    return f"no SOP {sop_id} is installed ({hint}); `sopbot sop reload` installs the folder's files"


# -- diff --------------------------------------------------------------------------------


def _diff(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    catalog = _catalog(settings)
    installs = catalog.versions(args.sop_id)
    if not installs:
        print(_not_installed(catalog, args.sop_id), file=err)
        return EXIT_PROBLEMS
    current = catalog.current(args.sop_id)
    newer = _chosen(installs, args.newer) if args.newer else current
    if isinstance(newer, str) or newer is None:
        print(newer or f"{args.sop_id} has no current version; give --to", file=err)
        return EXIT_PROBLEMS
    older = _chosen(installs, args.older) if args.older else _before(installs, newer)
    if isinstance(older, str) or older is None:
        print(
            older or f"{args.sop_id} has no other version before {_label(newer)} to compare",
            file=err,
        )
        return EXIT_PROBLEMS
    try:
        diff = diff_definitions(catalog.definition_of(older), catalog.definition_of(newer))
    except StoredDefinitionInvalid as broken:
        print(f"a stored version of {args.sop_id} no longer loads: {broken}", file=err)
        return EXIT_PROBLEMS
    for line in render_diff(args.sop_id, older, newer, diff):
        print(line, file=out)
    return EXIT_OK


def _chosen(installs: list[InstalledVersion], written: str) -> InstalledVersion | str:
    """The newest install whose version is `written`, or whose digest starts with it; or, as
    text, why there is none."""
    by_version = [i for i in installs if i.version == written]
    if by_version:
        return by_version[0]
    prefix = written.lower()
    digests = {
        i.digest for i in installs if len(prefix) >= _MIN_PREFIX and i.digest.startswith(prefix)
    }
    if len(digests) == 1:
        return next(i for i in installs if i.digest in digests)
    known = ", ".join(dict.fromkeys(_label(i) for i in installs))
    if len(digests) > 1:
        return f"'{written}' starts more than one digest; give more of it ({known})"
    return (
        f"no installed version '{written}' (a version, or at least {_MIN_PREFIX} characters "
        f"of a digest: {known})"
    )


def _before(installs: list[InstalledVersion], newer: InstalledVersion) -> InstalledVersion | None:
    """The newest install before `newer` with other content."""
    older = [i for i in installs if i.install_id < newer.install_id and i.digest != newer.digest]
    return older[0] if older else None


def render_diff(
    sop_id: str, older: InstalledVersion, newer: InstalledVersion, diff: DefinitionDiff
) -> list[str]:
    """The diff as a terminal shows it: each change under its section, a field as its key
    with the old value after '-' and the new after '+'."""
    lines = [f"{sop_id}: {_label(older)} -> {_label(newer)}"]
    if diff.same:
        lines.append("no difference in the header, the roles or the steps")
        return lines
    if diff.header:
        lines += ["", "Header (sop)"]
        lines += _fields(diff.header, indent="  ")
    if diff.roles:
        lines += ["", "Roles (pelaksana)"]
        for role in diff.roles:
            sign = {Change.ADDED: "+", Change.REMOVED: "-", Change.CHANGED: "~"}[role.change]
            lines.append(f"  {sign} {role.change.value} role {role.key} ({role.name})")
            lines += _fields(role.fields, indent="      ")
    if diff.steps:
        lines += ["", "Steps (langkah)"]
        for step in diff.steps:
            heading = _step_heading(step.change, step.label_before, step.label_after)
            lines.append(f"  {heading}: {step.activity}")
            lines += _fields(step.fields, indent="      ")
    return lines


def _step_heading(change: Change, before: str | None, after: str | None) -> str:
    if change is Change.ADDED:
        return f"+ added step {after}"
    if change is Change.REMOVED:
        return f"- removed step {before}"
    moved = f" (was {before})" if before != after else ""
    return f"~ changed step {after}{moved}"


def _fields(fields: tuple[FieldChange, ...], *, indent: str) -> list[str]:
    lines = []
    for field in fields:
        lines.append(f"{indent}{field.key}")
        lines.append(f"{indent}  - {field.before or '(empty)'}")
        lines.append(f"{indent}  + {field.after or '(empty)'}")
    return lines
