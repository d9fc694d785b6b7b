"""An agency's positions from the command line, the twin of /jabatan: `sopbot position list |
add | rename | remove | map | unmap`.

Each command checks what it names before anything is written (an unknown agency, position,
SOP or role is refused with a "did you mean"), runs one audited command of
`sopbot.services.positions.PositionAdmin` as the server's operator, and exits 1 with the
reason when it is refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from typing import TextIO
from zoneinfo import ZoneInfo

from sopbot.bot.cli_lookup import EXIT_OK, EXIT_PROBLEMS, Commands, find_agency, hint, services
from sopbot.bot.settings import Settings
from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import DomainError
from sopbot.services.positions import (
    ActingView,
    AgencyPositions,
    MappingView,
    PositionAdmin,
    PositionView,
)
from sopbot.storage.agencies import Agency
from sopbot.storage.models import ANY_SOP


def add_position_commands(commands: Commands) -> None:
    """Add `sopbot position ...` to the `sopbot` parser."""
    position = commands.add_parser("position", help="positions (jabatan) of an agency")
    position_commands = position.add_subparsers(
        title="position commands", metavar="POSITION_COMMAND"
    )
    listing = position_commands.add_parser(
        "list", help="the positions, who holds them, their Plt/Plh and SOP roles"
    )
    listing.add_argument("agency", help="the agency key")
    listing.add_argument("--all", action="store_true", help="removed positions too")
    listing.set_defaults(handler=_position_list)

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
    add.add_argument("--sop", default=ANY_SOP, help="only for this SOP id (default: all)")
    add.set_defaults(handler=_position_add)

    rename = position_commands.add_parser("rename", help="give a position a new name")
    rename.add_argument("agency", help="the agency key")
    rename.add_argument("key", help="the position's key (it stays)")
    rename.add_argument("--name", required=True, help="the new name")
    rename.set_defaults(handler=_position_rename)

    remove = position_commands.add_parser(
        "remove", help="remove a position no one holds or acts for, with no open work"
    )
    remove.add_argument("agency", help="the agency key")
    remove.add_argument("key", help="the position's key")
    remove.set_defaults(handler=_position_remove)

    for name, helped, handler in (
        ("map", "the position serves an SOP role from now (open work follows)", _position_map),
        ("unmap", "the position no longer serves an SOP role (open work follows)", _position_unmap),
    ):
        command = position_commands.add_parser(name, help=helped)
        command.add_argument("agency", help="the agency key")
        command.add_argument("key", help="the position's key")
        command.add_argument("role", help="the SOP role key, e.g. kepala_bidang")
        command.add_argument(
            "--sop", default=ANY_SOP, help="the role in this SOP only (default: in every SOP)"
        )
        command.set_defaults(handler=handler)


def _position_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency = found
    overview = admin.overview(agency.id, include_removed=args.all)
    if not overview.positions:
        print(f"{agency.key} has no positions yet; add one with `sopbot position add`", file=out)
    for view in overview.positions:
        for line in _described(view, agency.timezone):
            print(line, file=out)
    return EXIT_OK


def _described(view: PositionView, zone: str) -> list[str]:
    """A position as `position list` prints it: key and name, then who, then each role."""
    removed = ""
    if view.removed_at is not None:
        removed = f"  (removed {view.removed_at.astimezone(ZoneInfo(zone)):%Y-%m-%d})"
    people = [f"held by {name}" for name in view.holders] or ["vacant"]
    people += [_acting(acting, zone) for acting in view.actings]
    lines = [f"{view.key}  {view.name}{removed}", f"    {'; '.join(people)}"]
    lines += [f"    role {m.role_key} {_scope(m.sop_id)}" for m in view.mappings]
    if not view.mappings and view.removed_at is None:
        lines.append("    serves no SOP role (`sopbot position map`)")
    return lines


def _acting(acting: ActingView, zone: str) -> str:
    text = f"{acting.kind.prefix} {acting.name}"
    if acting.for_name is not None:
        text += f" for {acting.for_name}"
    if not acting.in_office:
        text += f" from {_when(acting.valid_from, zone)}"
    if acting.valid_to is not None:
        text += f" until {_when(acting.valid_to, zone, end=True)}"
    return text


def _when(moment: dt.datetime, zone: str, *, end: bool = False) -> str:
    """A term's boundary in the agency's time: its day at midnight (an end at midnight is the
    last day of the term, the day before), else its day and time."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        return f"{(local - dt.timedelta(days=1)) if end else local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M}"


def _scope(sop_id: str) -> str:
    return "in every SOP" if sop_id == ANY_SOP else f"in {sop_id}"


def _position_add(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency = found
    roles = list(dict.fromkeys(args.role))
    # Checked before anything is written: a mistyped role would route nothing, silently.
    problems = _sop_problems(admin, agency, args.sop) or _role_problems(
        _sops_in_scope(admin, agency, args.sop),
        roles,
        args.sop if args.sop != ANY_SOP else args.agency,
    )
    for problem in problems:
        print(problem, file=err)
    if problems:
        return EXIT_PROBLEMS
    try:
        created = admin.add_position(
            None, agency_id=agency.id, name=args.name, position_key=args.key
        ).result
        for role in roles:
            admin.map_role(
                None,
                agency_id=agency.id,
                position_id=created.position_id,
                role_key=role,
                sop_id=args.sop,
            )
    except DomainError as refusal:
        print(f"cannot add the position: {_why(refusal, agency, args.key)}", file=err)
        return EXIT_PROBLEMS
    print(f"position {args.key} added; serves roles: {', '.join(roles) or 'none yet'}", file=out)
    return EXIT_OK


def _position_rename(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _position_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency, view = found
    try:
        renamed = admin.rename_position(
            None, agency_id=agency.id, position_id=view.id, name=args.name
        ).result
    except DomainError as refusal:
        print(f"cannot rename {args.key}: {_why(refusal, agency, args.key)}", file=err)
        return EXIT_PROBLEMS
    print(f"position {args.key} renamed: {renamed.old_name} -> {renamed.new_name}", file=out)
    return EXIT_OK


def _position_remove(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _position_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency, view = found
    try:
        removed = admin.remove_position(None, agency_id=agency.id, position_id=view.id).result
    except DomainError as refusal:
        print(f"cannot remove {args.key}: {_why(refusal, agency, args.key)}", file=err)
        return EXIT_PROBLEMS
    print(
        f"position {args.key} ({removed.name}) removed; {removed.mappings_removed} role "
        f"mapping(s) removed with it, {removed.instances_rerouted} running procedure(s) "
        f"re-routed; its key is free for a new position (the removed one is listed by "
        f"`position list --all` as {removed.freed_key})",
        file=out,
    )
    return EXIT_OK


def _position_map(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _position_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency, view = found
    problems = _sop_problems(admin, agency, args.sop) or _role_problems(
        _sops_in_scope(admin, agency, args.sop),
        [args.role],
        args.sop if args.sop != ANY_SOP else args.agency,
    )
    for problem in problems:
        print(problem, file=err)
    if problems:
        return EXIT_PROBLEMS
    try:
        given = admin.map_role(
            None, agency_id=agency.id, position_id=view.id, role_key=args.role, sop_id=args.sop
        ).result
    except DomainError as refusal:
        print(f"cannot map {args.role} to {args.key}: {_why(refusal, agency, args.key)}", file=err)
        return EXIT_PROBLEMS
    print(
        f"{args.key} serves {args.role} {_scope(args.sop)} now; "
        f"{given.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _position_unmap(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _position_of(args, settings, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency, view = found
    mapping = next(
        (m for m in view.mappings if (m.role_key, m.sop_id) == (args.role, args.sop)), None
    )
    if mapping is None:
        print(
            f"{args.key} does not serve {args.role} {_scope(args.sop)}; {_serves(view)}", file=err
        )
        return EXIT_PROBLEMS
    try:
        taken = admin.unmap_role(None, agency_id=agency.id, mapping_id=mapping.mapping_id).result
    except DomainError as refusal:
        print(f"cannot unmap: {_why(refusal, agency, args.key)}", file=err)
        return EXIT_PROBLEMS
    print(
        f"{args.key} no longer serves {args.role} {_scope(args.sop)}; "
        f"{taken.instances_rerouted} running procedure(s) re-routed, "
        f"{taken.steps_touched} open step(s) changed",
        file=out,
    )
    if taken.steps_left_vacant:
        print(
            f"{taken.steps_left_vacant} open step(s) now have no one (belum ada pejabat) and "
            f"wait until a position serves {args.role} again (`sopbot position map`)",
            file=out,
        )
    return EXIT_OK


def _serves(view: PositionView) -> str:
    roles = [_mapping(m) for m in view.mappings]
    return f"it serves: {', '.join(roles)}" if roles else "it serves no SOP role"


def _mapping(mapping: MappingView) -> str:
    return f"{mapping.role_key} {_scope(mapping.sop_id)}"


def _admin_of(
    args: argparse.Namespace, settings: Settings, err: TextIO
) -> tuple[PositionAdmin, Agency] | None:
    """The service and the agency the command names (or None, told on `err`)."""
    database, procedures = services(settings, sops=True)  # roles are checked against them
    agency = find_agency(database, args.agency, err, how_to_create=True)
    if agency is None:
        return None
    return PositionAdmin(procedures), agency


def _position_of(
    args: argparse.Namespace, settings: Settings, err: TextIO
) -> tuple[PositionAdmin, Agency, PositionView] | None:
    """The service, the agency and the position the command names (or None, told)."""
    found = _admin_of(args, settings, err)
    if found is None:
        return None
    admin, agency = found
    overview = admin.overview(agency.id, include_removed=True)
    view = next((p for p in overview.positions if p.key == args.key), None)
    if view is not None and view.removed_at is None:
        return admin, agency, view
    if view is not None:
        print(f"position {args.key} was removed; `sopbot position list --all` lists it", file=err)
        return None
    print(f"no position {args.key} in {agency.key} ({_known(overview, args.key)})", file=err)
    return None


def _known(overview: AgencyPositions, key: str) -> str:
    keys = [p.key for p in overview.positions if p.removed_at is None]
    return hint(key, keys, "its positions") if keys else "it has none yet"


def _sop_problems(admin: PositionAdmin, agency: Agency, sop_id: str) -> list[str]:
    """Why `--sop` names no SOP of the agency (nothing when it does, or is every SOP)."""
    if sop_id == ANY_SOP:
        return []
    ids = [d.id for d in admin.procedures.library.for_agency(agency.key)]
    if sop_id in ids:
        return []
    return [f"no SOP {sop_id} in {agency.key} ({hint(sop_id, sorted(ids), 'its SOPs')})"]


def _sops_in_scope(admin: PositionAdmin, agency: Agency, sop_id: str) -> list[SopDefinition]:
    sops = admin.procedures.library.for_agency(agency.key)
    return sops if sop_id == ANY_SOP else [d for d in sops if d.id == sop_id]


def _why(refusal: DomainError, agency: Agency, key: str) -> str:
    """A refusal of the service in the command line's words."""
    params = refusal.params
    if refusal.code == "position_name_refused":
        return {
            "empty": "a position needs a name",
            "too_long": f"the name is too long ({params.get('length')} characters; at most "
            f"{params.get('limit')})",
            "taken": f"another position of {agency.key} has this name",
            "unchanged": "the position has this name already",
        }.get(str(params.get("reason")), str(refusal))
    if refusal.code == "position_key_taken":
        return f"{agency.key} has a position with the key {key} already (`sopbot position list`)"
    if refusal.code == "position_in_use":
        return _in_use(params)
    if refusal.code == "mapping_exists":
        return "it serves this role already"
    return str(refusal)


def _in_use(params: Mapping[str, object]) -> str:
    reasons = []
    if params.get("holders"):
        reasons.append(f"held by {params['holders']}")
    if params.get("actings"):
        reasons.append(f"acted for by {params['actings']}")
    if params.get("open_work"):
        reasons.append(f"{params['open_work']} disposition(s) still wait on it")
    return (
        "it is still in use: "
        + "; ".join(reasons)
        + ". Move its holder out (`sopbot member leave`), end the Plt/Plh (`sopbot acting "
        "end`), and finish or hand over its work first"
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
        f"no SOP role '{role}' in {agency} ({hint(role, known, 'its roles')})"
        for role in roles
        if role not in known
    ] + [
        f"role '{role}' is an outside party, not a post of the agency: its steps go to the "
        f"holders of '{outside[role]}'; give the position that role instead"
        for role in roles
        if role in outside
    ]
