"""Plt/Plh from the command line: `sopbot acting appoint|end|list`, the twin of /plt.

A term starts and ends at a date or at a date and time, in the agency's time zone: a date for
`--from` is the start of that day, for `--until` the end of that (last) day; a date and time
is that instant ("2026-07-10", "2026-07-10 16:00", "10 Juli 2026 16.00"). A term that starts
later moves no work until it starts; the running bot applies starts and ends as they pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TextIO

# The agency's services and the position a command names, found as the other set-up commands
# find them.
from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    find_agency,
    member_position,
    open_database,
    services,
)
from sopbot.bot.settings import Settings
from sopbot.engine.errors import DomainError
from sopbot.engine.organization import ActingKind
from sopbot.engine.term_times import (
    TermTimeError,
    WrittenMoment,
    end_as_written,
    read_moment,
    start_as_written,
    term_end,
    term_start,
    zone_label,
)
from sopbot.services.commands import utc_now
from sopbot.services.organization import OrganizationService
from sopbot.storage import acting_terms

WHEN_HELP = (
    "a date or a date and time, agency time: 2026-07-10, '2026-07-10 16:00', "
    "'10 Juli 2026' or '10 Juli 2026 16.00'"
)


def add_acting_commands(commands: Commands) -> None:
    """`sopbot acting appoint|end|list` (Plt / Plh)."""
    acting = commands.add_parser("acting", help="acting officials (Plt / Plh)")
    acting_commands = acting.add_subparsers(title="acting commands", metavar="ACTING_COMMAND")
    appoint = acting_commands.add_parser(
        "appoint", help="appoint a Plt or Plh, from now or from a date (and time)"
    )
    appoint.add_argument("agency", help="the agency key")
    appoint.add_argument("member_id", type=int, help="the acting person")
    appoint.add_argument("position", help="the position key they act for")
    appoint.add_argument("--kind", choices=["plt", "plh"], required=True)
    appoint.add_argument("--for-member", type=int, help="the absent holder (none: vacant post)")
    appoint.add_argument(
        "--from", dest="start", metavar="WHEN", help=f"start (default now): {WHEN_HELP}"
    )
    appoint.add_argument(
        "--until",
        metavar="WHEN",
        help=f"end: the last day, or the instant it ends ({WHEN_HELP}); a Plh needs one, a "
        "Plt without one acts until ended",
    )
    appoint.add_argument("--decree", help="the Surat Perintah number")
    appoint.set_defaults(handler=_acting_appoint)
    end = acting_commands.add_parser("end", help="end an acting appointment now")
    end.add_argument("acting_id", type=int)
    end.set_defaults(handler=_acting_end)
    listing = acting_commands.add_parser(
        "list", help="the Plt/Plh in office and scheduled, with their terms and decrees"
    )
    listing.add_argument("agency", help="the agency key")
    listing.set_defaults(handler=_acting_list)


def _acting_appoint(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = member_position(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    procedures, agency, position_id = found
    kind = ActingKind(args.kind)
    if kind is ActingKind.PLH and not args.until:
        print("cannot: a Plh stands in for a while; give --until (its last day)", file=err)
        return EXIT_PROBLEMS
    try:
        start = _read(args.start, term_start, agency.timezone)
        until = _read(args.until, term_end, agency.timezone)
    except TermTimeError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    try:
        outcome = OrganizationService(procedures).appoint_acting(
            None,
            member_id=args.member_id,
            position_id=position_id,
            kind=kind,
            for_member_id=args.for_member,
            valid_from=start,
            valid_to=until,
            decree=args.decree,
        )
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    later = ""
    if start is not None and start > utc_now():
        written = _when(start_as_written(start, agency.timezone))
        later = f"; starts {written} {zone_label(agency.timezone)}, no work moves until then"
    print(
        f"{kind.prefix} {args.position}: member {args.member_id} "
        f"(appointment {outcome.result.acting_id}); "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed{later}",
        file=out,
    )
    return EXIT_OK


def _acting_end(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    _, procedures = services(settings)
    try:
        outcome = OrganizationService(procedures).end_acting(None, acting_id=args.acting_id)
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"appointment {args.acting_id} ended; "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _acting_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database = open_database(settings)
    agency = find_agency(database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    now = utc_now()
    with database.unit_of_work(read_only=True) as uow:
        terms = acting_terms.terms_of_agency(uow, agency.id, ending_after=now)
    if not terms:
        print(f"no Plt/Plh in office or scheduled in {args.agency}", file=out)
        return EXIT_OK
    zone = agency.timezone
    rows = [["id", "kind", "person", "position", "for", "from", "until", "decree", "state"]]
    for listed in terms:
        term = listed.acting
        rows.append(
            [
                str(term.id),
                term.kind.prefix,
                f"{listed.member_name} ({term.member_id})",
                f"{listed.position_key} ({listed.position_name})",
                listed.for_member_name or "jabatan kosong",
                _when(start_as_written(term.valid_from, zone)),
                _when(end_as_written(term.valid_to, zone)) if term.valid_to else "-",
                term.decree or "-",
                "in office" if term.valid_from <= now else "scheduled",
            ]
        )
    print(f"Plt/Plh of {args.agency} (times in {zone_label(zone)}):", file=out)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    return EXIT_OK


def _when(moment: WrittenMoment) -> str:
    """A day or a day and time as the command line takes them: 2026-07-10, 2026-07-10 16:00."""
    if moment.time is None:
        return moment.day.isoformat()
    return f"{moment.day.isoformat()} {moment.time:%H:%M}"


def _read(
    written: str | None,
    instant: Callable[[WrittenMoment, str], dt.datetime],
    zone: str,
) -> dt.datetime | None:
    """A `--from` or `--until` as an instant (None when not given)."""
    return instant(read_moment(written, zone), zone) if written else None
