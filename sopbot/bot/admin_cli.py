"""Setting an agency up from the command line: the agency and its first admin.

`sopbot agency create`, `sopbot admin add`. The positions are in `sopbot.bot.position_cli`
(`sopbot position ...`), the people and invitations in `sopbot.bot.member_cli` (`sopbot member
...`, `sopbot invite ...`), Plt/Plh in `sopbot.bot.acting_cli` (`sopbot acting ...`). Everything
after the first admin can also be done in Telegram (/jabatan, /pegawai, /plt, /undang).
"""

from __future__ import annotations

import argparse
import difflib
from typing import TextIO

from sopbot.bot.calendar_cli import DAY_RULE_HELP, day_rule
from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    find_agency,
    invitation_link,
    position_id_by_key,
    services,
)
from sopbot.bot.settings import Settings
from sopbot.engine.agency_file import AGENCY_FILE
from sopbot.engine.agency_keys import is_agency_key
from sopbot.engine.errors import DomainError
from sopbot.engine.library import DefinitionSource
from sopbot.engine.time_zones import agency_zone
from sopbot.engine.working_calendar import DayRule
from sopbot.services.onboarding import OnboardingService
from sopbot.services.operators import OperatorService
from sopbot.services.organization import OrganizationService
from sopbot.storage import agencies
from sopbot.storage.database import Database

# How alike a new agency's key and another's must be (difflib's ratio) to be taken for a typo:
# kesbangpol-pekalogan / kesbangpol-pekalongan (0.98), not diskominfo-samarinda /
# dinas-kukmp-samarinda (0.68).
TYPO_CUTOFF = 0.85


def add_commands(commands: Commands) -> None:
    """Add the set-up commands to the `sopbot` parser."""
    _add_agency_commands(commands)
    _add_admin_commands(commands)


def _add_agency_commands(commands: Commands) -> None:
    """`sopbot agency create`."""
    agency = commands.add_parser("agency", help="agencies (OPD)")
    agency_commands = agency.add_subparsers(title="agency commands", metavar="AGENCY_COMMAND")
    create = agency_commands.add_parser("create", help="create an agency")
    create.add_argument(
        "key",
        help="its key, e.g. kesbangpol-pekalongan: the first part of its SOP ids and the name of "
        "its folder under sop_defs/ if it has one (its SOPs may also come from Telegram)",
    )
    create.add_argument(
        "--name", help="its name as officials write it (default: 'nama' in its agency file)"
    )
    create.add_argument(
        "--timezone",
        # Never assumed: a WITA office on WIB time is an hour off everywhere. Without it, the
        # zone is the one the agency file (sop_defs/<agency>/instansi.yaml) states, or none.
        type=timezone_argument,
        help="WIB (Asia/Jakarta), WITA (Asia/Makassar) or WIT (Asia/Jayapura), or an IANA name "
        "(default: 'zona_waktu' in its agency file, sop_defs/<agency>/instansi.yaml)",
    )
    create.add_argument(
        "--hari",
        type=day_rule,
        default=DayRule.WORKING_TIME,
        metavar="kerja|akhir",
        help=f"what its SOPs' 'hari' means (default kerja). {DAY_RULE_HELP}",
    )
    create.add_argument(
        "--new",
        action="store_true",
        help="create it without an SOP folder although its key is close to another agency's "
        "(without --new that is refused as a likely typo)",
    )
    create.set_defaults(handler=_agency_create)
    listing = agency_commands.add_parser(
        "list", help="every agency: zone, admins, members, installed SOPs (as /instansi shows)"
    )
    listing.set_defaults(handler=_agency_list)


def timezone_argument(written: str) -> str:
    """`--timezone` as argparse reads it: an unknown zone is a usage error that says why."""
    try:
        return agency_zone(written)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_admin_commands(commands: Commands) -> None:
    """`sopbot admin add`."""
    admin = commands.add_parser("admin", help="agency admins")
    admin_commands = admin.add_subparsers(title="admin commands", metavar="ADMIN_COMMAND")
    admin_add = admin_commands.add_parser("add", help="add an admin and print their link")
    admin_add.add_argument("agency", help="the agency key")
    admin_add.add_argument("--name", required=True, help="the admin's name")
    admin_add.add_argument("--position", help="a position key they hold, if any")
    admin_add.set_defaults(handler=_admin_add)
    admin_invitations = admin_commands.add_parser(
        "invitations", help="the agency's admin invitations still open (as /instansi shows)"
    )
    admin_invitations.add_argument("agency", help="the agency key")
    admin_invitations.set_defaults(handler=_admin_invitations)
    admin_revoke = admin_commands.add_parser(
        "revoke", help="revoke an open admin invitation: its link opens nothing any more"
    )
    admin_revoke.add_argument("agency", help="the agency key")
    admin_revoke.add_argument("invitation_id", type=int, help="as `admin invitations` lists it")
    admin_revoke.set_defaults(handler=_admin_revoke)


def agency_without_sops(
    args: argparse.Namespace, database: Database, library: DefinitionSource, settings: Settings
) -> str | None:
    """Why an agency whose folder has no SOP that loads cannot be created (None: it can, its
    SOPs will come from Telegram or later files): its folder's SOP files do not load, its key
    is not one, or, without --new, the key is close to another agency's (a likely typo)."""
    folder = settings.definitions_dir() / args.key
    if folder.is_dir() and any(
        p.suffix in (".yaml", ".yml") and p.name != AGENCY_FILE for p in folder.iterdir()
    ):
        return (
            f"no SOP in {folder} loads; check its files with `sopbot sop validate {folder}` "
            "and create the agency when they pass"
        )
    if not is_agency_key(args.key):
        return (
            f"'{args.key}' is not an agency key: lower-case letters and digits in words joined "
            "by hyphens, e.g. dinas-kominfo-samarinda (64 characters at most)"
        )
    if args.new:
        return None
    with database.unit_of_work(read_only=True) as uow:
        stored = {agency.key for agency in agencies.all_agencies(uow)}
    known = sorted(({d.agency_key for d in library.definitions.values()} | stored) - {args.key})
    # Stricter than a "did you mean": a new agency's key often shares words with others'.
    close = next(iter(difflib.get_close_matches(args.key, known, n=1, cutoff=TYPO_CUTOFF)), None)
    if close is None:
        return None
    return (
        f"no SOP folder {folder} for agency '{args.key}' (did you mean '{close}'?); if "
        f"'{args.key}' is a new agency, give --new: its SOPs are then installed from Telegram "
        f"with /sop, or put in {folder}"
    )


def _agency_create(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = services(settings, sops=True)
    sops = procedures.library.for_agency(args.key)
    why = None if sops else agency_without_sops(args, database, procedures.library, settings)
    if why is not None:
        print(f"cannot create the agency: {why}", file=err)
        return EXIT_PROBLEMS
    chosen = agency_zone_and_name(args, procedures.library, settings)
    if isinstance(chosen, str):
        print(f"cannot create the agency: {chosen}", file=err)
        return EXIT_PROBLEMS
    zone, name, said = chosen
    try:
        agency_id = OrganizationService(procedures).create_agency(
            key=args.key, name=name, timezone=zone, day_rule=args.hari
        )
    except DomainError as exc:
        print(f"cannot create the agency: {exc} {dict(exc.params)}", file=err)
        return EXIT_PROBLEMS
    if sops:
        print(
            f"agency {args.key} created (id {agency_id}), {len(sops)} SOP(s) in its folder",
            file=out,
        )
    else:
        folder = settings.definitions_dir() / args.key
        print(
            f"agency {args.key} created (id {agency_id}); its folder {folder} has no SOPs: its "
            "admin installs them from Telegram with /sop (a Word, PDF or .yaml file), or put "
            "its SOP files in that folder and run `sopbot sop reload`",
            file=out,
        )
    for line in said:
        print(line, file=out)
    return EXIT_OK


def agency_zone_and_name(
    args: argparse.Namespace, library: DefinitionSource, settings: Settings
) -> tuple[str, str, list[str]] | str:
    """The zone and name `agency create` stores, and what it tells about where they came from;
    or, as text, why it cannot choose (never a guessed zone)."""
    file = settings.definitions_dir() / args.key / AGENCY_FILE
    found = library.agencies.get(args.key)
    said: list[str] = []
    if found is None:
        if args.timezone is None:
            where = (
                f"{file} has errors (see `sopbot sop validate {file.parent}`)"
                if file.is_file()
                else f"there is no agency file {file}"
            )
            return (
                f"the agency's time zone is not known: {where}. Write 'zona_waktu: WITA' (or WIB, "
                "WIT) in that file, or give --timezone WIB|WITA|WIT"
            )
        zone = args.timezone
    elif args.timezone is not None and args.timezone != found.timezone:
        return (
            f"--timezone {args.timezone} differs from the agency file {file}, which says "
            f"'zona_waktu: {found.timezone_written}' ({found.timezone}); correct the one that "
            "is wrong, or leave --timezone out to take the file's"
        )
    else:
        zone = found.timezone
        if args.timezone is None:
            said.append(f"time zone {found.timezone_written} ({found.timezone}), from {file}")
    name = args.name or (found.name if found is not None else None)
    if not name:
        return f"the agency's name is not known: give --name, or write 'nama: ...' in {file}"
    if not args.name:
        said.append(f"name '{name}', from {file}")
    return zone, name, said


def _admin_add(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = services(settings)
    agency = find_agency(database, args.agency, err, how_to_create=True)
    if agency is None:
        return EXIT_PROBLEMS
    agency_id = agency.id
    position_id = None
    if args.position:
        position_id = position_id_by_key(database, agency_id, args.position)
        if position_id is None:
            print(f"no position {args.position} in {args.agency}", file=err)
            return EXIT_PROBLEMS
    member_id = OrganizationService(procedures).add_member(
        agency_id=agency_id, name=args.name, is_admin=True
    )
    token, expires = OnboardingService(procedures).invite(
        agency_id=agency_id, member_id=member_id, position_id=position_id, is_admin=True
    )
    print(
        f"admin {args.name} added; send them this link (single use, until "
        f"{expires:%Y-%m-%d %H:%M} UTC):\n{invitation_link(settings, token)}",
        file=out,
    )
    return EXIT_OK


def _agency_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    _, procedures = services(settings)
    operators = OperatorService(procedures)
    page = operators.agencies_page(None, 0)
    listed = list(page.agencies)
    while page.page + 1 < page.pages:
        page = operators.agencies_page(None, page.page + 1)
        listed.extend(page.agencies)
    if not listed:
        print("no agencies yet; create one with `sopbot agency create` (or /instansi)", file=out)
    for summary in listed:
        agency = summary.agency
        admins = ", ".join(summary.admins) or "none joined"
        print(
            f"{agency.id:>5}  {agency.key}  {agency.name}  ({agency.timezone}, hari "
            f"{agency.day_rule.value}); admins: {admins}; members joined: {summary.members}; "
            f"SOPs installed: {summary.sops}",
            file=out,
        )
    return EXIT_OK


def _admin_invitations(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO
) -> int:
    database, procedures = services(settings)
    agency = find_agency(database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    detail = OperatorService(procedures).agency_detail(None, agency.id)
    if not detail.invitations:
        print(f"no admin invitation of {args.agency} is open", file=out)
    for invitation in detail.invitations:
        name = invitation.member_name or "whoever accepts it"
        print(
            f"{invitation.id:>5}  {name}  (until {invitation.expires_at:%Y-%m-%d %H:%M} UTC)",
            file=out,
        )
    return EXIT_OK


def _admin_revoke(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = services(settings)
    agency = find_agency(database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    try:
        outcome = OperatorService(procedures).revoke_admin_invitation(
            None, operator_id=None, agency_id=agency.id, invitation_id=args.invitation_id
        )
    except DomainError:
        print(
            f"no open admin invitation {args.invitation_id} in {args.agency} "
            f"(see `sopbot admin invitations {args.agency}`)",
            file=err,
        )
        return EXIT_PROBLEMS
    name = outcome.result.member_name or "whoever accepts it"
    print(f"admin invitation {args.invitation_id} ({name}) revoked", file=out)
    return EXIT_OK
