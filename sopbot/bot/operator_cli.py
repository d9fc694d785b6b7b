"""Operator admins from the command line: `sopbot operator add | list | remove`.

`operator add` is the one command a new deployment needs: it creates the operator's home agency
when there is none (their own office, e.g. the city's Diskominfo; no SOP folder needed), the
operator (an admin of it, too) and prints their single-use link. Everything after that can be
done in Telegram: /instansi creates agencies and names their first admins.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from typing import TextIO

from sopbot.bot.admin_cli import agency_without_sops, agency_zone_and_name, timezone_argument
from sopbot.bot.calendar_cli import DAY_RULE_HELP, day_rule
from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    agency_by_key,
    invitation_link,
    services,
)
from sopbot.bot.settings import Settings
from sopbot.engine.errors import DomainError
from sopbot.engine.working_calendar import DayRule
from sopbot.messaging.formatting import zone_name
from sopbot.services.operators import OperatorService
from sopbot.services.procedures import ProcedureService


def add_commands(commands: Commands) -> None:
    """Add `sopbot operator` to the `sopbot` parser."""
    operator = commands.add_parser(
        "operator", help="operator admins, who create agencies and name their first admins"
    )
    operator_commands = operator.add_subparsers(
        title="operator commands", metavar="OPERATOR_COMMAND"
    )
    add = operator_commands.add_parser(
        "add",
        help="an operator admin of their home agency (created if there is none); prints their "
        "single-use link",
    )
    add.add_argument("--name", required=True, help="the operator's name")
    add.add_argument(
        "--agency",
        required=True,
        metavar="KEY",
        help="their own office's agency key, e.g. diskominfo-samarinda",
    )
    add.add_argument(
        "--agency-name",
        metavar="NAME",
        help="the home agency's name, when it is created now (default: 'nama' in its agency "
        "file, sop_defs/<agency>/instansi.yaml)",
    )
    add.add_argument(
        "--timezone",
        type=timezone_argument,
        help="the home agency's zone, when it is created now: WIB, WITA or WIT, or an IANA "
        "name (default: 'zona_waktu' in its agency file); never assumed",
    )
    add.add_argument(
        "--hari",
        type=day_rule,
        default=DayRule.WORKING_TIME,
        metavar="kerja|akhir",
        help=f"what the new home agency's SOPs' 'hari' means (default kerja). {DAY_RULE_HELP}",
    )
    add.add_argument(
        "--new",
        action="store_true",
        help="create the home agency although its key is close to another agency's",
    )
    add.set_defaults(handler=_operator_add)
    listing = operator_commands.add_parser("list", help="the operator admins")
    listing.set_defaults(handler=_operator_list)
    remove = operator_commands.add_parser(
        "remove",
        help="an operator is one no more (stays an admin of their agency); not the last one",
    )
    remove.add_argument("member_id", type=int, help="as `sopbot operator list` shows it")
    remove.set_defaults(handler=_operator_remove)


Command = Callable[[argparse.Namespace, Settings, TextIO, TextIO, ProcedureService], int]


def _with_services(
    command: Command,
) -> Callable[[argparse.Namespace, Settings, TextIO, TextIO], int]:
    """The command run with the services, its database closed afterwards."""

    @functools.wraps(command)
    def opened(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
        database, procedures = services(settings, sops=True)  # an agency made here is checked
        try:
            return command(args, settings, out, err, procedures)
        finally:
            database.dispose()

    return opened


@_with_services
def _operator_add(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO,
    err: TextIO,
    procedures: ProcedureService,
) -> int:
    database = procedures.database
    existing = agency_by_key(database, args.agency)
    name: str | None = None
    zone: str | None = None
    said: list[str] = []
    if existing is None:
        # The home agency is created now: chosen and checked as `sopbot agency create` does.
        as_created = argparse.Namespace(
            key=args.agency, name=args.agency_name, timezone=args.timezone, new=args.new
        )
        why = None
        if not procedures.library.for_agency(args.agency):
            why = agency_without_sops(as_created, database, procedures.library, settings)
        chosen = why or agency_zone_and_name(as_created, procedures.library, settings)
        if isinstance(chosen, str):
            print(f"cannot create the agency {args.agency}: {chosen}", file=err)
            return EXIT_PROBLEMS
        zone, name, said = chosen
    elif args.timezone is not None and args.timezone != existing.timezone:
        print(
            f"the agency {args.agency} exists, with the time zone {existing.timezone}; leave "
            "--timezone out (`sopbot calendar` changes an agency's calendar)",
            file=err,
        )
        return EXIT_PROBLEMS
    try:
        token, added = OperatorService(procedures).add_operator(
            name=args.name,
            agency_key=args.agency,
            agency_name=name,
            timezone=zone,
            day_rule=args.hari,
        )
    except DomainError as exc:
        print(f"cannot add the operator: {exc} {dict(exc.params)}", file=err)
        return EXIT_PROBLEMS
    if added.agency_created:
        print(
            f"agency {args.agency} created (id {added.agency_id}), time zone "
            f"{zone_name(zone or '')} ({zone}); its SOPs "
            "can be installed from Telegram with /sop",
            file=out,
        )
        for line in said:
            print(line, file=out)
    print(
        f"operator {args.name} added (member {added.member_id}, admin of {args.agency}); send "
        f"them this link (single use, until {added.expires_at:%Y-%m-%d %H:%M} UTC):\n"
        f"{invitation_link(settings, token)}\n"
        "In Telegram they create agencies and name their first admins with /instansi.",
        file=out,
    )
    return EXIT_OK


@_with_services
def _operator_list(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO,
    err: TextIO,
    procedures: ProcedureService,
) -> int:
    operators = OperatorService(procedures).operators()
    if not operators:
        print("no operators yet; add one with `sopbot operator add`", file=out)
    for operator in operators:
        member = operator.member
        joined = "telegram" if member.telegram_user_id else "not joined"
        print(
            f"{member.id:>5}  {member.name}  {operator.agency_key} ({operator.agency_name})  "
            f"({joined})",
            file=out,
        )
    return EXIT_OK


def _operator_remove(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    _, procedures = services(settings)
    try:
        removed = OperatorService(procedures).remove_operator(args.member_id)
    except DomainError as exc:
        why = (
            "the last operator cannot be removed: add another first (`sopbot operator add`)"
            if exc.code == "last_operator"
            else "no such operator (see `sopbot operator list`)"
        )
        print(f"cannot remove member {args.member_id}: {why}", file=err)
        return EXIT_PROBLEMS
    revoked = (
        f"; {removed.invitations_revoked} open invitation(s) revoked"
        if removed.invitations_revoked
        else ""
    )
    print(
        f"member {args.member_id} is no longer an operator (still an admin of their agency)"
        f"{revoked}",
        file=out,
    )
    return EXIT_OK
