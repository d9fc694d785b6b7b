"""`sopbot roster import AGENCY FILE [--yes] [--links OUT.csv]`: the staff list import of
/impor_pegawai from the command line.

Without --yes it prints what importing the file would do (nothing is stored); with --yes it
creates the positions, the members, their holdings and invitations in one transaction (audited
as the server's) and prints each person's invitation link, which --links also writes to a CSV
file to pass on. The reasons and refusals are the bot's own texts (English).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TextIO

from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    find_agency,
    invitation_link,
    open_database,
)
from sopbot.bot.settings import Settings
from sopbot.documents.roster_files import links_csv, links_workbook
from sopbot.documents.roster_reading import MAX_ROSTER_BYTES, RefusalReason, RosterRefusal
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import plain_text
from sopbot.services.procedures import ProcedureService
from sopbot.services.roster_imports import (
    IssuedInvitation,
    RosterApplied,
    RosterImportService,
    RosterRefused,
    RosterView,
)
from sopbot.services.roster_plan import RosterPlan

FILE_LANGUAGE = Language.ID  # the links file goes to the agency: its headers in Indonesian
_SHOWN = Language.EN
_MEGABYTE = 1024 * 1024


def add_commands(commands: Commands) -> None:
    """Add `sopbot roster import` to the `sopbot` parser."""
    roster = commands.add_parser("roster", help="staff lists: positions and people from a file")
    roster_commands = roster.add_subparsers(title="roster commands", metavar="ROSTER_COMMAND")
    found = roster_commands.add_parser(
        "import",
        help="show what a staff list (CSV or XLSX: NIP, nama, jabatan, username) would create; "
        "with --yes, create it and print each person's invitation link",
    )
    found.add_argument("agency", help="the agency key")
    found.add_argument("file", type=Path, help="the staff list, .xlsx or .csv")
    found.add_argument("--yes", action="store_true", help="create what the plan shows")
    found.add_argument(
        "--links",
        type=Path,
        metavar="OUT.csv",
        help="with --yes: write the links to this file (CSV; an Excel workbook when it ends "
        "in .xlsx)",
    )
    found.set_defaults(handler=_roster_import)


def _roster_import(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    if args.links is not None and not args.yes:
        print("--links writes the links that --yes creates: give both", file=err)
        return EXIT_PROBLEMS
    content = _content(args.file, err)
    if content is None:
        return EXIT_PROBLEMS
    database = open_database(settings)
    agency = find_agency(database, args.agency, err, how_to_create=True)
    if agency is None:
        return EXIT_PROBLEMS
    # A roster import starts no procedure: no SOP needs loading.
    service = RosterImportService(ProcedureService(database, SopLibrary({}, ())))
    name = args.file.name
    view = service.preview_for_agency(agency.id, content, name)
    if isinstance(view, RosterRefused):
        print(f"{args.file}: {_refusal(view)}", file=err)
        return EXIT_PROBLEMS
    _print_plan(view, out)
    if not args.yes:
        if view.plan.members:
            print("nothing was created; run again with --yes to create it", file=out)
        return EXIT_OK
    if not view.plan.members:
        return EXIT_OK
    applied = service.apply_for_agency(agency.id, content, name)
    if isinstance(applied, RosterRefused):  # the file was read a moment ago: not expected
        print(f"{args.file}: {_refusal(applied)}", file=err)
        return EXIT_PROBLEMS
    _print_links(applied, settings, out)
    if args.links is not None:
        args.links.write_bytes(_links_file(applied, settings, args.links))
        print(f"links written to {args.links}", file=out)
    return EXIT_OK


def _content(path: Path, err: TextIO) -> bytes | None:
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:  # not read at all
            too_big = RosterRefusal(RefusalReason.TOO_BIG, limit=MAX_ROSTER_BYTES)
            print(f"{path}: {_refusal(RosterRefused(too_big))}", file=err)
            return None
        return path.read_bytes()
    except OSError as problem:
        print(f"cannot read {path}: {problem.strerror or problem}", file=err)
        return None


def _text(key: str, **params: object) -> str:
    return plain_text(default_catalog().text(_SHOWN, key, **params))


def _refusal(refused: RosterRefused) -> str:
    if refused.upload is not None:
        return _text(f"roster.upload_{refused.upload.value}")
    reading = refused.reading
    assert reading is not None  # noqa: S101 - one of the two is set
    key = f"roster.refused_{reading.reason.value}"
    if reading.reason is RefusalReason.UNREADABLE and reading.row is not None:
        key = "roster.refused_unreadable_row"
    limit: object = reading.limit
    if reading.reason is RefusalReason.TOO_BIG and reading.limit is not None:
        limit = reading.limit // _MEGABYTE
    return _text(key, row=reading.row, column=reading.column or "", limit=limit)


def _print_plan(view: RosterView, out: TextIO) -> None:
    counts = view.counts
    where = f"sheet {view.sheet}, " if view.sheet else ""
    print(f"{view.file_name}: {where}headers on row {view.header_row}", file=out)
    print(
        f"will create {counts.members} member(s) and {counts.new_positions} new position(s); "
        f"{counts.existing_positions} existing position(s) used; "
        f"{counts.skipped_rows} row(s) not imported",
        file=out,
    )
    if not view.has_nip:
        print(_text("roster.no_nip_column"), file=out)
    _print_positions(view.plan, out)
    _print_skipped(view.plan, out)
    if view.plan.members:
        print("members:", file=out)
        for member in view.plan.members:
            nip = f"  NIP {member.nip}" if member.nip else ""
            username = f"  @{member.username}" if member.username else ""
            position = f"[{member.position_name}]"
            print(f"  row {member.row}  {member.name}  {position}{nip}{username}", file=out)


def _print_positions(plan: RosterPlan, out: TextIO) -> None:
    for title, positions in (
        ("new positions", plan.new_positions),
        ("existing positions", plan.existing_positions),
    ):
        if positions:
            print(f"{title}:", file=out)
            for p in positions:
                rows = ", ".join(str(row) for row in p.rows)
                print(f"  {p.key}  {p.name}  (row(s) {rows})", file=out)
    if plan.similar:
        print(_text("roster.similar_header"), file=out)
        for similar in plan.similar:
            like = "an existing position" if similar.existing else "in this file"
            rows = ", ".join(str(row) for row in similar.rows)
            print(f'  row(s) {rows}: "{similar.name}" is like "{similar.like}" ({like})', file=out)


def _print_skipped(plan: RosterPlan, out: TextIO) -> None:
    if not plan.skipped:
        return
    print("not imported:", file=out)
    for skip in plan.skipped:
        parts = (
            skip.name,
            skip.value,
            f"same as row {skip.other_row}" if skip.other_row else "",
            f"registered: {skip.member}" if skip.member else "",
        )
        what = " · ".join(part for part in parts if part)
        reason = _text(f"roster.skip_{skip.reason}").rstrip(":")
        print(f"  row {skip.row}: {what}: {reason}", file=out)


def _print_links(applied: RosterApplied, settings: Settings, out: TextIO) -> None:
    confirmed = applied.confirmed
    print(
        f"created {confirmed.members} member(s) and {confirmed.new_positions} new position(s); "
        f"each link works once, until {_until(confirmed.expires_at)}; pass each on to its person "
        "(the bot cannot write to someone who has never written to it):",
        file=out,
    )
    for number, invitation in enumerate(applied.invitations, start=1):
        only = f" (only @{invitation.username})" if invitation.username else ""
        print(f"{number:>4}. {invitation.name} [{invitation.position}]{only}", file=out)
        print(f"      {invitation_link(settings, invitation.token, explain=False)}", file=out)
    if not settings.telegram_bot_username:
        print("set TELEGRAM_BOT_USERNAME to print t.me links", file=out)


def _until(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _links_file(applied: RosterApplied, settings: Settings, path: Path) -> bytes:
    """The links as the bot's Excel file (OUT.xlsx) or as CSV (any other name); a username is
    written without "@", which a spreadsheet would take for a formula in CSV."""
    catalog = default_catalog()
    columns = ("number", "name", "position", "nip", "username", "link", "expires")
    headers = [catalog.text(FILE_LANGUAGE, f"roster.file_{column}") for column in columns]
    until = _until(applied.confirmed.expires_at)
    rows = [_row(invitation, settings, until) for invitation in applied.invitations]
    if path.suffix.lower() == ".xlsx":
        sheet = catalog.text(FILE_LANGUAGE, "roster.links_sheet")
        return links_workbook(sheet, headers, [[n, *row] for n, row in enumerate(rows, start=1)])
    return links_csv(headers, [[str(n), *row] for n, row in enumerate(rows, start=1)])


def _row(invitation: IssuedInvitation, settings: Settings, until: str) -> list[str]:
    return [
        invitation.name,
        invitation.position,
        invitation.nip or "",
        invitation.username or "",
        invitation_link(settings, invitation.token, explain=False),
        until,
    ]
