"""The `sopbot` command line: `run` and `demo`, the SOP commands (`sop ...`), the database
(`db ...`), and the agency commands the CLI modules of `sopbot.bot` add (agency, operator,
admin, position, member, invite, acting, procedure, roster, calendar, audit)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sopbot.bot.acting_cli import add_acting_commands
from sopbot.bot.admin_cli import add_commands
from sopbot.bot.audit_cli import add_commands as add_audit_commands
from sopbot.bot.backup_cli import add_backup_commands
from sopbot.bot.calendar_cli import add_commands as add_calendar_commands
from sopbot.bot.member_cli import add_member_commands
from sopbot.bot.operator_cli import add_commands as add_operator_commands
from sopbot.bot.position_cli import add_position_commands
from sopbot.bot.procedure_cli import add_commands as add_procedure_commands
from sopbot.bot.report_cli import add_commands as add_report_commands
from sopbot.bot.roster_cli import add_commands as add_roster_commands
from sopbot.bot.runner import run
from sopbot.bot.settings import Settings
from sopbot.bot.sop_import_cli import add_import_command
from sopbot.bot.sop_json import definition_as_json
from sopbot.bot.sop_render_cli import add_render_command
from sopbot.bot.sop_selection import report_skipped, report_unknown, select
from sopbot.bot.sop_sheet import render_sop_sheet
from sopbot.bot.sop_versions_cli import add_version_commands
from sopbot.bot.terminal_table import Column, render_table
from sopbot.engine.agency_file import AGENCY_FILE
from sopbot.engine.header_fields import NOT_STATED_SHOWN
from sopbot.engine.library import SopLibrary, load_library, load_paths
from sopbot.engine.problems import Severity
from sopbot.storage.audit_key import InvalidAuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import current_revision, head_revision, upgrade

if TYPE_CHECKING:
    from sopbot.demo.choices import Refusal

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sopbot` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    try:
        result: int = handler(args, settings, sys.stdout, sys.stderr)
    except InvalidAuditKey as problem:  # a command that audits, or checks the audit trail
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sopbot", description="Run Indonesian government SOPs over Telegram."
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    sop = commands.add_parser("sop", help="list, check, show and import SOP definitions")
    sop_commands = sop.add_subparsers(title="sop commands", metavar="SOP_COMMAND")
    sop.set_defaults(handler=lambda *_: _print_help(sop))

    listing = sop_commands.add_parser("list", help="list the loaded SOP definitions")
    listing.add_argument("--dir", type=Path, help="folder of definitions (default: settings)")
    listing.set_defaults(handler=_sop_list)

    validate = sop_commands.add_parser(
        "validate", help="check definition files; exits non-zero when any has errors"
    )
    _add_selection(validate)
    validate.set_defaults(handler=_sop_validate)

    show = sop_commands.add_parser("show", help="print an SOP as a table, header first")
    _add_selection(show)
    show.add_argument("--width", type=int, help="table width (default: the terminal's)")
    show.add_argument(
        "--json",
        action="store_true",
        help="print the definition as JSON for other programs (docs/sop-format.md)",
    )
    show.set_defaults(handler=_sop_show)
    add_import_command(sop_commands)
    add_version_commands(sop_commands)
    add_render_command(sop_commands)

    db = commands.add_parser("db", help="create or migrate the database (DATABASE_URL)")
    db_commands = db.add_subparsers(title="db commands", metavar="DB_COMMAND")
    db.set_defaults(handler=lambda *_: _print_help(db))
    db_upgrade = db_commands.add_parser("upgrade", help="migrate to the newest schema")
    db_upgrade.set_defaults(handler=_db_upgrade)
    db_current = db_commands.add_parser("current", help="print the schema revision")
    db_current.set_defaults(handler=_db_current)
    # Backing up and restoring the database and the documents (sopbot.bot.backup_cli).
    add_backup_commands(commands)

    add_commands(commands)
    add_position_commands(commands)
    add_member_commands(commands)
    add_acting_commands(commands)
    add_calendar_commands(commands)
    add_operator_commands(commands)
    add_audit_commands(commands)
    add_procedure_commands(commands)
    add_roster_commands(commands)
    add_report_commands(commands)
    run_parser = commands.add_parser("run", help="run the bot (TELEGRAM_BOT_TOKEN required)")
    run_parser.set_defaults(handler=run)

    demo = commands.add_parser(
        "demo", help="play a whole SOP against a local Telegram emulator (no token needed)"
    )
    demo.add_argument("--sop", metavar="ID", help="the SOP id to play (default: the demo's own)")
    demo.add_argument("--dir", type=Path, help="folder of definitions (default: settings)")
    demo.add_argument(
        "--tolak",
        action="append",
        default=[],
        type=_refusal,
        metavar="STEP:ROUND",
        help="answer 'tidak' at decision step STEP in its ROUND-th round (1: the first time); "
        "repeatable. Without it the demo sends one check back, as a reviewer would",
    )
    demo.set_defaults(handler=_demo)
    return parser


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_OK


def _library(args: argparse.Namespace, settings: Settings) -> SopLibrary:
    root: Path = args.dir or settings.definitions_dir()
    return load_library(root)


def _sop_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    library = _library(args, settings)
    report_skipped(library, err)
    if not library.definitions:
        print("No SOP definitions found.", file=out)
        return EXIT_PROBLEMS if library.errors else EXIT_OK
    rows = [
        [
            d.id,
            d.identity.number or ("-" if d.identity.is_stated("nomor") else NOT_STATED_SHOWN),
            d.identity.name,
            str(len(d.steps)),
            str(sum(1 for _ in d.decision_steps())),
            d.version,
        ]
        for d in library.definitions.values()
    ]
    columns = [
        Column("ID", 20, weight=3),
        Column("Nomor", 10, weight=1),
        Column("Nama SOP", 20, weight=4),
        Column("Langkah", 7),
        Column("Keputusan", 9),
        Column("Versi", 10),
    ]
    print(render_table(columns, rows, width=_width(None)), file=out)
    print(f"{len(rows)} SOP(s) in {args.dir or settings.definitions_dir()}", file=out)
    return EXIT_OK


def _add_selection(parser: argparse.ArgumentParser) -> None:
    """The arguments that choose definitions, the same for `sop validate` and `sop show`."""
    parser.add_argument(
        "sops",
        nargs="*",
        metavar="ID_OR_PATH",
        help="SOP ids (as `sopbot sop list` shows them), definition files or folders "
        "(default: every SOP in the folder)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        help="the folder of definitions that ids are looked up in (default: settings)",
    )


def _sop_validate(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    selection = select(args.sops, args.dir or settings.definitions_dir())
    report_unknown(selection, err)
    library = load_paths(selection.paths)
    for problem in library.problems:
        print(problem, file=err if problem.severity is Severity.ERROR else out)
    failed = {p.file for p in library.errors}
    warnings = sum(1 for p in library.problems if p.severity is Severity.WARNING)
    print(
        f"{len(library.definitions)} valid, {len(failed)} with errors, {warnings} warning(s)",
        file=out,
    )
    return EXIT_PROBLEMS if failed or selection.unknown_ids else EXIT_OK


def _sop_show(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    selection = select(args.sops, args.dir or settings.definitions_dir())
    report_unknown(selection, err)
    library = load_paths(selection.paths)
    for problem in library.errors:
        print(problem, file=err)
    definitions = list(library.definitions.values())
    if args.json:
        shapes = [definition_as_json(d) for d in definitions]
        if len(shapes) == 1:
            print(json.dumps(shapes[0], ensure_ascii=False, indent=2), file=out)
        elif shapes:
            print(json.dumps(shapes, ensure_ascii=False, indent=2), file=out)
    else:
        sheets = [render_sop_sheet(d, width=_width(args.width)) for d in definitions]
        if sheets:
            print("\n\n".join(sheets), file=out)
    return EXIT_PROBLEMS if library.errors or selection.unknown_ids or not definitions else EXIT_OK


def _db_upgrade(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database = Database(settings.database_url)
    upgrade(database)
    print(f"database at revision {current_revision(database)} ({_shown_url(database)})", file=out)
    database.dispose()
    return EXIT_OK


def _db_current(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database = Database(settings.database_url)
    current, head = current_revision(database), head_revision(database)
    state = "up to date" if current == head else f"behind (newest: {head})"
    print(f"revision {current or 'none'}: {state} ({_shown_url(database)})", file=out)
    database.dispose()
    return EXIT_OK if current == head else EXIT_PROBLEMS


def _demo(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    # Imported here: the demo and the emulator it plays against (thousands of lines) are
    # loaded by `sopbot demo` alone, never by `sopbot run` (tests/bot/test_run_imports.py).
    from sopbot.demo.choices import refusal_problems, rejections_for
    from sopbot.demo.scenario import DEMO_SOP, run_demo

    sop_id: str = args.sop or DEMO_SOP
    library = _library(args, settings)
    definition = library.get(sop_id)
    if definition is None:
        known = ", ".join(library.definitions) or "none"
        print(f"No SOP with id '{sop_id}'. Known ids: {known}", file=err)
        report_skipped(library, err)
        return EXIT_PROBLEMS
    problems = refusal_problems(definition, args.tolak)
    if library.zone_of(definition.agency_key) is None:
        problems.append(
            f"the agency {definition.agency_key} has no time zone: its folder needs an agency "
            f"file {AGENCY_FILE} with e.g. 'zona_waktu: WITA'; run `sopbot sop validate` for "
            "details"
        )
    for problem in problems:
        print(problem, file=err)
    if problems:
        return EXIT_PROBLEMS
    rejections = rejections_for(definition, args.tolak) if args.tolak else None
    return asyncio.run(run_demo(library, sop_id, out, err, rejections))


def _refusal(written: str) -> Refusal:
    """`--tolak STEP:ROUND` as argparse reads it (the demo module is imported only then)."""
    from sopbot.demo.choices import refusal

    return refusal(written)


def _shown_url(database: Database) -> str:
    # Never print a password that the URL may carry.
    return database.url.render_as_string(hide_password=True)


def _width(requested: int | None) -> int:
    if requested:
        return max(60, requested)
    return max(80, shutil.get_terminal_size((140, 40)).columns)
