"""The people of an agency and its invitations from the command line, the twins of /pegawai:
`sopbot member list|move|deactivate|admin|appoint|leave` and `sopbot invite`.

`sopbot invite AGENCY POSITION` makes a link as it always did; `sopbot invite list AGENCY` and
`sopbot invite revoke AGENCY ID` read and revoke the open ones, and `sopbot invite member AGENCY
MEMBER_ID` gives a member who has not joined a new link (their earlier ones revoked), as "Tautan
baru" does (so an agency whose key is "list", "revoke" or "member" cannot be invited to by this
command: use /undang). Every change goes through
`sopbot.services.people`, as in Telegram: one transaction, audited (with no actor: the server),
and refused with a reason and nothing written when it cannot be made.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import TextIO
from zoneinfo import ZoneInfo

from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    find_agency,
    invitation_link,
    open_database,
)
from sopbot.bot.settings import Settings
from sopbot.engine.errors import DomainError
from sopbot.engine.library import load_library
from sopbot.messaging.formatting import zone_name
from sopbot.messaging.notices import Notifier
from sopbot.services.onboarding import OnboardingService
from sopbot.services.people import ActingPost, InvitationView, PeopleService, Person, PositionRef
from sopbot.services.procedures import ProcedureService
from sopbot.storage.agencies import Agency
from sopbot.storage.notice_writer import NoticeWriter

INVITE_FORMS = "AGENCY POSITION | list AGENCY | revoke AGENCY ID | member AGENCY MEMBER_ID"


def add_member_commands(commands: Commands) -> None:
    """Add `sopbot member ...` and `sopbot invite ...` to the `sopbot` parser."""
    _add_member_commands(commands)
    _add_invite_command(commands)


def _add_member_commands(commands: Commands) -> None:
    member = commands.add_parser("member", help="the people of an agency (as /pegawai)")
    sub = member.add_subparsers(title="member commands", metavar="MEMBER_COMMAND")
    listing = sub.add_parser(
        "list", help="members: NIP, positions, Plt/Plh, joined, admin (active ones)"
    )
    listing.add_argument("agency", help="the agency key")
    listing.add_argument("--all", action="store_true", help="deactivated members too")
    listing.set_defaults(handler=_member_list)
    move = sub.add_parser(
        "move",
        help="mutasi: the member leaves their position and holds another; open work follows "
        "the positions",
    )
    move.add_argument("agency", help="the agency key")
    move.add_argument("member_id", type=int)
    move.add_argument("position", help="the key of the new position")
    move.add_argument(
        "--from",
        dest="from_positions",
        action="append",
        metavar="POSITION",
        help="the position left (repeatable); needed when the member holds several",
    )
    move.set_defaults(handler=_member_move)
    deactivate = sub.add_parser(
        "deactivate",
        help="the member leaves the agency: positions, Plt/Plh and invitations end, their "
        "Telegram account is unbound, open work goes on with the positions",
    )
    deactivate.add_argument("agency", help="the agency key")
    deactivate.add_argument("member_id", type=int)
    deactivate.set_defaults(handler=_member_deactivate)
    admin = sub.add_parser("admin", help="give or take the agency's admin right")
    admin.add_argument("agency", help="the agency key")
    admin.add_argument("member_id", type=int)
    right = admin.add_mutually_exclusive_group(required=True)
    right.add_argument("--on", dest="admin", action="store_true", default=None)
    right.add_argument("--off", dest="admin", action="store_false")
    admin.set_defaults(handler=_member_admin)
    appoint = sub.add_parser("appoint", help="the member holds a position (too) from now")
    appoint.add_argument("agency", help="the agency key")
    appoint.add_argument("member_id", type=int)
    appoint.add_argument("position", help="the position key")
    appoint.set_defaults(handler=_member_appoint)
    leave = sub.add_parser(
        "leave", help="the member leaves a position; its open steps go to its next holder"
    )
    leave.add_argument("agency", help="the agency key")
    leave.add_argument("member_id", type=int)
    leave.add_argument("position", help="the position key")
    leave.set_defaults(handler=_member_leave)


def _add_invite_command(commands: Commands) -> None:
    invite = commands.add_parser(
        "invite",
        help="a single-use invitation link for a position; or list / revoke the open ones",
        usage=(
            "sopbot invite AGENCY POSITION\n"
            "       sopbot invite list AGENCY\n"
            "       sopbot invite revoke AGENCY ID\n"
            "       sopbot invite member AGENCY MEMBER_ID"
        ),
        description="AGENCY POSITION prints a new link (valid 7 days, single use); "
        "list AGENCY shows the agency's open invitations with their ids; revoke AGENCY ID "
        "makes one's link open nothing; member AGENCY MEMBER_ID prints a new link for a member "
        "who has not joined (a roster's or a named admin's whose link was lost or expired): "
        "their earlier links open nothing any more.",
    )
    invite.add_argument("words", nargs="+", metavar=INVITE_FORMS)
    invite.set_defaults(handler=_invite)


# -- the services ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What a member command works with: the services and the agency it names."""

    people: PeopleService
    onboarding: OnboardingService
    agency: Agency


def _context(settings: Settings, agency_key: str, err: TextIO) -> _Context | None:
    """The services and the agency (None when there is no such agency, told)."""
    database = open_database(settings)
    # Open work that moves is sent through the outbox, which the running bot delivers.
    procedures = ProcedureService(
        database, load_library(settings.definitions_dir()), observer=NoticeWriter(Notifier())
    )
    agency = find_agency(database, agency_key, err)
    if agency is None:
        return None
    return _Context(PeopleService(procedures), OnboardingService(procedures), agency)


def _position(found: _Context, key: str, err: TextIO) -> PositionRef | None:
    """The agency's position with this key (None when there is none, told)."""
    positions = found.people.positions(found.agency.id)
    for position in positions:
        if position.key == key:
            return position
    known = ", ".join(p.key for p in positions) or "none"
    print(f"no position {key} in agency {found.agency.key} (its positions: {known})", file=err)
    return None


def _refused(exc: DomainError, err: TextIO) -> int:
    print(f"cannot: {exc}", file=err)
    return EXIT_PROBLEMS


# -- member ----------------------------------------------------------------------------------


def _member_list(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    roster = found.people.roster(found.agency.id, include_deactivated=args.all)
    for person in roster.people:
        print(_person_line(person, found.agency.timezone), file=out)
    return EXIT_OK


def _person_line(person: Person, zone: str) -> str:
    keys = ", ".join(p.key for p in person.positions) or "-"
    acting = "; ".join(_acting_text(post, zone) for post in person.acting)
    states = ["telegram" if person.joined else "not joined"]
    if person.is_admin:
        states.append("admin")
    if person.deactivated_at is not None:
        states.append(f"deactivated {_day(person.deactivated_at, zone)}")
    return (
        f"{person.id:>5}  {person.name}  NIP {person.nip or '-'}  [{keys}]"
        f"{'  ' + acting if acting else ''}  ({', '.join(states)})"
    )


def _acting_text(post: ActingPost, zone: str) -> str:
    """ "Plh. sekretaris for Budi until 2026-07-17" (the last day; a time when it ends at one)."""
    text = f"{post.kind.prefix} {post.position.key}"
    if post.for_member_name:
        text += f" for {post.for_member_name}"
    if not post.in_office:
        text += f" from {_moment(post.valid_from, zone, start=True)}"
    if post.valid_to is not None:
        text += f" until {_moment(post.valid_to, zone, start=False)}"
    return text


def _moment(moment: dt.datetime, zone: str, *, start: bool) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        day = local.date() if start else local.date() - dt.timedelta(days=1)
        return day.isoformat()
    return f"{local:%Y-%m-%d %H:%M} {zone_name(zone)}"


def _day(moment: dt.datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _member_move(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    target = _position(found, args.position, err)
    left = [_position(found, key, err) for key in args.from_positions or []]
    if target is None or None in left:
        return EXIT_PROBLEMS
    try:
        outcome = found.people.move(
            None,
            agency_id=found.agency.id,
            member_id=args.member_id,
            to_position_id=target.id,
            from_position_ids=[p.id for p in left if p is not None] if left else None,
        )
    except DomainError as exc:
        if exc.code == "people_several_held":
            print(
                f"cannot: member {args.member_id} holds several positions; say which one they "
                "leave with --from POSITION",
                file=err,
            )
            return EXIT_PROBLEMS
        return _refused(exc, err)
    keys = {p.id: p.key for p in found.people.positions(found.agency.id)}
    result = outcome.result
    gone = ", ".join(keys.get(i, str(i)) for i in result.left)
    print(
        f"member {args.member_id} moved to {args.position}"
        f"{f' (left {gone})' if gone else ''}; "
        f"{result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _member_deactivate(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO
) -> int:
    found = _context(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    try:
        outcome = found.people.deactivate(None, agency_id=found.agency.id, member_id=args.member_id)
    except DomainError as exc:
        return _refused(exc, err)
    result = outcome.result
    told = "told on Telegram and unbound" if result.told else "had not joined on Telegram"
    print(
        f"member {args.member_id} deactivated ({told}): {result.holdings_ended} holding(s) and "
        f"{result.actings_ended} acting appointment(s) ended, {result.invitations_revoked} "
        f"invitation(s) revoked; {result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _member_admin(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    try:
        outcome = found.people.set_admin(
            None, agency_id=found.agency.id, member_id=args.member_id, is_admin=args.admin
        )
    except DomainError as exc:
        return _refused(exc, err)
    result = outcome.result
    state = "an admin" if result.is_admin else "not an admin"
    if result.changed:
        print(f"member {args.member_id} is {state} now", file=out)
    else:
        print(f"member {args.member_id} is {state} already; nothing changed", file=out)
    return EXIT_OK


def _member_appoint(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, args.agency, err)
    position = _position(found, args.position, err) if found else None
    if found is None or position is None:
        return EXIT_PROBLEMS
    try:
        outcome = found.people.take_position(
            None, agency_id=found.agency.id, member_id=args.member_id, position_id=position.id
        )
    except DomainError as exc:
        return _refused(exc, err)
    print(
        f"member {args.member_id} holds {args.position}; "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


def _member_leave(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, args.agency, err)
    position = _position(found, args.position, err) if found else None
    if found is None or position is None:
        return EXIT_PROBLEMS
    try:
        outcome = found.people.leave_position(
            None, agency_id=found.agency.id, member_id=args.member_id, position_id=position.id
        )
    except DomainError as exc:
        return _refused(exc, err)
    print(
        f"member {args.member_id} left {args.position}; "
        f"{outcome.result.instances_rerouted} running procedure(s) re-routed",
        file=out,
    )
    return EXIT_OK


# -- invite ----------------------------------------------------------------------------------


def _invite(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """The three forms of `sopbot invite`."""
    words: list[str] = args.words
    if words[0] == "list" and len(words) == 2:
        return _invite_list(words[1], settings, out, err)
    if words[0] == "revoke" and len(words) == 3:
        return _invite_revoke(words[1], words[2], settings, out, err)
    if words[0] == "member" and len(words) == 3:
        return _invite_member(words[1], words[2], settings, out, err)
    if len(words) == 2 and words[0] not in ("list", "revoke", "member"):
        return _invite_create(words[0], words[1], settings, out, err)
    print(
        f"usage: sopbot invite {INVITE_FORMS} (got: {' '.join(words)})",
        file=err,
    )
    return EXIT_PROBLEMS


def _invite_create(
    agency_key: str, position_key: str, settings: Settings, out: TextIO, err: TextIO
) -> int:
    found = _context(settings, agency_key, err)
    position = _position(found, position_key, err) if found else None
    if found is None or position is None:
        return EXIT_PROBLEMS
    token, expires = found.onboarding.invite(agency_id=found.agency.id, position_id=position.id)
    print(
        f"invitation for {position_key} (single use, until {expires:%Y-%m-%d %H:%M} UTC):\n"
        f"{invitation_link(settings, token)}",
        file=out,
    )
    return EXIT_OK


def _invite_list(agency_key: str, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _context(settings, agency_key, err)
    if found is None:
        return EXIT_PROBLEMS
    invitations = found.people.open_invitations(found.agency.id)
    for invitation in invitations:
        print(_invitation_line(invitation, found.agency.timezone), file=out)
    if not invitations:
        print(f"no open invitation in {agency_key}", file=out)
    return EXIT_OK


def _invitation_line(invitation: InvitationView, zone: str) -> str:
    target = []
    if invitation.position is not None:
        target.append(f"position {invitation.position.key}")
    if invitation.member_name is not None:
        target.append(f"for {invitation.member_name}")
    if invitation.is_admin:
        target.append("admin")
    expires = invitation.expires_at.astimezone(ZoneInfo(zone))
    return (
        f"{invitation.id:>5}  {', '.join(target) or 'anyone'}  "
        f"made by {invitation.created_by or 'the server'}  "
        f"until {expires:%Y-%m-%d %H:%M} {zone_name(zone)}"
    )


def _invite_revoke(
    agency_key: str, written_id: str, settings: Settings, out: TextIO, err: TextIO
) -> int:
    if not written_id.isdigit():
        print(f"the invitation id is a number (see `sopbot invite list {agency_key}`)", file=err)
        return EXIT_PROBLEMS
    found = _context(settings, agency_key, err)
    if found is None:
        return EXIT_PROBLEMS
    try:
        found.people.revoke_invitation(
            None, agency_id=found.agency.id, invitation_id=int(written_id)
        )
    except DomainError as exc:
        return _refused(exc, err)
    print(f"invitation {written_id} revoked: its link opens nothing any more", file=out)
    return EXIT_OK


def _invite_member(
    agency_key: str, written_id: str, settings: Settings, out: TextIO, err: TextIO
) -> int:
    """A new link for a member who has not joined; their earlier links are revoked."""
    if not written_id.isdigit():
        print(f"the member id is a number (see `sopbot member list {agency_key}`)", file=err)
        return EXIT_PROBLEMS
    found = _context(settings, agency_key, err)
    if found is None:
        return EXIT_PROBLEMS
    try:
        link = found.people.relink(None, agency_id=found.agency.id, member_id=int(written_id))
    except DomainError as exc:
        if exc.code == "people_member_joined":
            print(f"cannot: member {written_id} has joined already; they need no link", file=err)
            return EXIT_PROBLEMS
        return _refused(exc, err)
    zone = found.agency.timezone
    expires = link.expires_at.astimezone(ZoneInfo(zone))
    only = f", only for @{link.telegram_username}" if link.telegram_username else ""
    print(
        f"new invitation for member {link.member_id} ({link.member_name}{only}; single use, "
        f"until {expires:%Y-%m-%d %H:%M} {zone_name(zone)}); "
        f"{link.revoked} earlier link(s) revoked:\n"
        f"{invitation_link(settings, link.token)}",
        file=out,
    )
    return EXIT_OK
