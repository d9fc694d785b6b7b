"""Setting an agency up from the command line: the first admin, positions, invitations.

`sopbot agency create`, `sopbot position add`, `sopbot admin add`, `sopbot invite`. Everything
after the first admin can also be done in Telegram (/undang). Plt/Plh: `bot/acting_cli.py`.
"""

from __future__ import annotations

import argparse
from typing import TextIO, TypeAlias

from sopbot.bot.calendar_cli import DAY_RULE_HELP, day_rule
from sopbot.bot.settings import Settings
from sopbot.engine.agency_file import AGENCY_FILE
from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import DomainError
from sopbot.engine.library import DefinitionSource, SopLibrary, load_library
from sopbot.engine.time_zones import agency_zone
from sopbot.engine.working_calendar import DayRule
from sopbot.engine.yaml_nodes import closest
from sopbot.services.commands import utc_now
from sopbot.services.onboarding import OnboardingService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import SopCatalog
from sopbot.storage import agencies, holdings, members
from sopbot.storage.agencies import Agency
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import ANY_SOP

EXIT_OK = 0
EXIT_PROBLEMS = 1

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The sub-commands of the `sopbot` parser."""


def add_commands(commands: Commands) -> None:
    """Add the set-up commands to the `sopbot` parser."""
    _add_agency_commands(commands)
    _add_position_commands(commands)
    _add_admin_commands(commands)
    _add_member_commands(commands)
    _add_invite_command(commands)


def _add_agency_commands(commands: Commands) -> None:
    """`sopbot agency create`."""
    agency = commands.add_parser("agency", help="agencies (OPD)")
    agency_commands = agency.add_subparsers(title="agency commands", metavar="AGENCY_COMMAND")
    create = agency_commands.add_parser("create", help="create an agency")
    create.add_argument("key", help="its folder under sop_defs/, e.g. kesbangpol-pekalongan")
    create.add_argument(
        "--name", help="its name as officials write it (default: 'nama' in its agency file)"
    )
    create.add_argument(
        "--timezone",
        # Never assumed: a WITA office on WIB time is an hour off everywhere. Without it, the
        # zone is the one the agency file (sop_defs/<agency>/instansi.yaml) states, or none.
        type=_zone,
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
    create.set_defaults(handler=_agency_create)


def _zone(written: str) -> str:
    """`--timezone` as argparse reads it: an unknown zone is a usage error that says why."""
    try:
        return agency_zone(written)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_position_commands(commands: Commands) -> None:
    """`sopbot position add`."""
    position = commands.add_parser("position", help="positions (jabatan) of an agency")
    position_commands = position.add_subparsers(
        title="position commands", metavar="POSITION_COMMAND"
    )
    add = position_commands.add_parser("add", help="add a position and the SOP roles it serves")
    add.add_argument("agency", help="the agency key")
    add.add_argument("key", help="a short key, e.g. kabid_koperasi")
    add.add_argument("--name", required=True, help='e.g. "Kepala Bidang Koperasi"')
    add.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="an SOP role key it serves (repeatable), e.g. kepala_bidang",
    )
    add.add_argument("--sop", default="*", help="only for this SOP id (default: all)")
    add.set_defaults(handler=_position_add)


def _add_admin_commands(commands: Commands) -> None:
    """`sopbot admin add`."""
    admin = commands.add_parser("admin", help="agency admins")
    admin_commands = admin.add_subparsers(title="admin commands", metavar="ADMIN_COMMAND")
    admin_add = admin_commands.add_parser("add", help="add an admin and print their link")
    admin_add.add_argument("agency", help="the agency key")
    admin_add.add_argument("--name", required=True, help="the admin's name")
    admin_add.add_argument("--position", help="a position key they hold, if any")
    admin_add.set_defaults(handler=_admin_add)


def _add_member_commands(commands: Commands) -> None:
    """`sopbot member list|leave|appoint`."""
    member = commands.add_parser("member", help="the people of an agency")
    member_commands = member.add_subparsers(title="member commands", metavar="MEMBER_COMMAND")
    member_list = member_commands.add_parser("list", help="members and the positions they hold")
    member_list.add_argument("agency", help="the agency key")
    member_list.set_defaults(handler=_member_list)
    leave = member_commands.add_parser(
        "leave", help="mutasi: the member leaves a position; open steps go to the new holder"
    )
    leave.add_argument("agency", help="the agency key")
    leave.add_argument("member_id", type=int)
    leave.add_argument("position", help="the position key")
    leave.set_defaults(handler=_member_leave)
    appoint = member_commands.add_parser("appoint", help="the member holds a position from now")
    appoint.add_argument("agency", help="the agency key")
    appoint.add_argument("member_id", type=int)
    appoint.add_argument("position", help="the position key")
    appoint.set_defaults(handler=_member_appoint)


def _add_invite_command(commands: Commands) -> None:
    """`sopbot invite`."""
    invite = commands.add_parser("invite", help="print a single-use invitation link")
    invite.add_argument("agency", help="the agency key")
    invite.add_argument("position", help="the position key the person will hold")
    invite.set_defaults(handler=_invite)


def _services(settings: Settings) -> tuple[Database, ProcedureService]:
    database = Database(settings.database_url, audit_key=settings.checked_audit_key())
    upgrade(database)
    return database, ProcedureService(database, _known_sops(database, settings))


def _known_sops(database: Database, settings: Settings) -> SopLibrary:
    """The SOPs an admin command may name: the folder's files as they are now (what the bot
    installs at its next start or `sopbot sop reload`), and the SOPs installed in the catalog
    without a file here (e.g. from Telegram)."""
    folder = load_library(settings.definitions_dir())
    installed = SopCatalog(database).current_definitions().definitions
    return SopLibrary(
        dict(sorted({**installed, **folder.definitions}.items())),
        folder.problems,
        folder.agencies,
    )


def _agency(database: Database, key: str) -> Agency | None:
    """The agency with this key, if there is one."""
    with database.unit_of_work(read_only=True) as uow:
        return agencies.agency_by_key(uow, key)


def _agency_id(database: Database, key: str) -> int | None:
    agency = _agency(database, key)
    return agency.id if agency else None


def _position_id(database: Database, agency_id: int, key: str) -> int | None:
    with database.unit_of_work(read_only=True) as uow:
        position = agencies.position_by_key(uow, agency_id, key)
        return position.id if position else None


def _link(settings: Settings, token: str) -> str:
    if settings.telegram_bot_username:
        return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start={token}"
    return f"/start {token}   (set TELEGRAM_BOT_USERNAME to print a t.me link)"


def _hint(word: str, known: list[str], what: str) -> str:
    """ "did you mean ...?" when one of `known` is close to `word`, else the whole list."""
    close = closest(word, known)
    if close is not None:
        return f"did you mean '{close}'?"
    return f"{what}: {', '.join(known)}" if known else f"there are no {what}"


def _agency_without_sops(key: str, library: DefinitionSource, settings: Settings) -> str:
    """Why `key` is not an agency folder with SOPs, and what to do."""
    root = settings.definitions_dir()
    folder = root / key
    if folder.is_dir():
        return (
            f"no SOP in {folder} loads; check its files with `sopbot sop validate {folder}` "
            "and create the agency when they pass"
        )
    agencies = sorted({d.agency_key for d in library.definitions.values()})
    return (
        f"no SOP folder {folder} for agency '{key}' "
        f"({_hint(key, agencies, 'agencies with SOPs')}); the key is the name of the "
        f"agency's folder under {root}: put its SOP files there first"
    )


def _role_problems(sops: list[SopDefinition], roles: list[str], agency: str) -> list[str]:
    """Each role key that none of `sops` has, with what it may have meant."""
    known = sorted({role.key for definition in sops for role in definition.roles})
    outside = {
        role.key: role.recorded_by
        for definition in sops
        for role in definition.roles
        if role.external and role.recorded_by
    }
    return [
        f"no SOP role '{role}' in {agency} ({_hint(role, known, 'its roles')})"
        for role in roles
        if role not in known
    ] + [
        f"role '{role}' is an outside party, not a post of the agency: its steps go to the "
        f"holders of '{outside[role]}'; give the position that role instead"
        for role in roles
        if role in outside
    ]


def _agency_create(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    _, procedures = _services(settings)
    if not procedures.library.for_agency(args.key):
        why = _agency_without_sops(args.key, procedures.library, settings)
        print(f"cannot create the agency: {why}", file=err)
        return EXIT_PROBLEMS
    chosen = _agency_zone_and_name(args, procedures.library, settings)
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
    sops = procedures.library.for_agency(args.key)
    print(f"agency {args.key} created (id {agency_id}), {len(sops)} SOP(s) in its folder", file=out)
    for line in said:
        print(line, file=out)
    return EXIT_OK


def _agency_zone_and_name(
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


def _position_add(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = _services(settings)
    agency_id = _agency_id(database, args.agency)
    if agency_id is None:
        print(f"no agency {args.agency}; create it with `sopbot agency create`", file=err)
        return EXIT_PROBLEMS
    # Checked before anything is written: a mistyped role would route nothing, silently.
    sops = procedures.library.for_agency(args.agency)
    if args.sop != ANY_SOP:
        ids = [d.id for d in sops]
        if args.sop not in ids:
            print(
                f"no SOP {args.sop} in {args.agency} ({_hint(args.sop, ids, 'its SOPs')})", file=err
            )
            return EXIT_PROBLEMS
        sops = [d for d in sops if d.id == args.sop]
    problems = _role_problems(sops, args.role, args.sop if args.sop != ANY_SOP else args.agency)
    for problem in problems:
        print(problem, file=err)
    if problems:
        return EXIT_PROBLEMS
    organization = OrganizationService(procedures)
    position_id = organization.add_position(agency_id=agency_id, key=args.key, name=args.name)
    for role in args.role:
        organization.map_role(
            agency_id=agency_id, role_key=role, position_id=position_id, sop_id=args.sop
        )
    print(
        f"position {args.key} added; serves roles: {', '.join(args.role) or 'none yet'}", file=out
    )
    return EXIT_OK


def _admin_add(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = _services(settings)
    agency_id = _agency_id(database, args.agency)
    if agency_id is None:
        print(f"no agency {args.agency}; create it with `sopbot agency create`", file=err)
        return EXIT_PROBLEMS
    position_id = None
    if args.position:
        position_id = _position_id(database, agency_id, args.position)
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
        f"{expires:%Y-%m-%d %H:%M} UTC):\n{_link(settings, token)}",
        file=out,
    )
    return EXIT_OK


def _invite(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, procedures = _services(settings)
    agency_id = _agency_id(database, args.agency)
    position_id = _position_id(database, agency_id, args.position) if agency_id else None
    if agency_id is None or position_id is None:
        print(f"no position {args.position} in agency {args.agency}", file=err)
        return EXIT_PROBLEMS
    token, expires = OnboardingService(procedures).invite(
        agency_id=agency_id, position_id=position_id
    )
    print(
        f"invitation for {args.position} (single use, until {expires:%Y-%m-%d %H:%M} UTC):\n"
        f"{_link(settings, token)}",
        file=out,
    )
    return EXIT_OK


def _member_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database, _ = _services(settings)
    agency_id = _agency_id(database, args.agency)
    if agency_id is None:
        print(f"no agency {args.agency}", file=err)
        return EXIT_PROBLEMS
    with database.unit_of_work(read_only=True) as uow:
        people = members.members_of_agency(uow, agency_id)
        held = holdings.position_keys_held_in_agency(uow, agency_id, utc_now())
    for member in people:
        keys = ", ".join(held.get(member.id, [])) or "-"
        bound = "telegram" if member.telegram_user_id else "not joined"
        admin = ", admin" if member.is_admin else ""
        print(f"{member.id:>5}  {member.name}  [{keys}]  ({bound}{admin})", file=out)
    return EXIT_OK


def _member_position(
    args: argparse.Namespace, settings: Settings, err: TextIO
) -> tuple[ProcedureService, Agency, int] | None:
    """The services, the agency and the id of the position the command names (or None, told)."""
    database, procedures = _services(settings)
    agency = _agency(database, args.agency)
    position_id = _position_id(database, agency.id, args.position) if agency else None
    if agency is None or position_id is None:
        print(f"no position {args.position} in agency {args.agency}", file=err)
        return None
    return procedures, agency, position_id


def _member_leave(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _member_position(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    procedures, _, position_id = found
    try:
        outcome = OrganizationService(procedures).end_holding(
            None, member_id=args.member_id, position_id=position_id
        )
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"member {args.member_id} left {args.position}; "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _member_appoint(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _member_position(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    procedures, _, position_id = found
    try:
        outcome = OrganizationService(procedures).appoint(
            None, member_id=args.member_id, position_id=position_id
        )
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"member {args.member_id} holds {args.position}; "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK
