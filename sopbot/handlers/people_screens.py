"""The screens of /pegawai: the views of `sopbot.services.people` as text and buttons, in the
caller's language (the texts are the catalog's `people.*`).

Every screen fits one message (a page of at most PAGE_SIZE members, each line cut to a length),
since a button press edits the message in place; callback data carries only an action and ids.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sopbot.handlers.common import Caller
from sopbot.messaging.formatting import escape, local_date, local_time, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback
from sopbot.messaging.numbers import quantity
from sopbot.services.people import (
    ActingPost,
    DeactivationPreview,
    InvitationView,
    MemberLink,
    Person,
    PositionRef,
    Roster,
)

PAGE_SIZE = 8  # members per page of /pegawai
INVITATIONS_PAGE = 8  # open invitations per page
NAME_LIMIT = 60  # characters of a name on a screen
# Characters of a member's positions and acting posts on the list: with the name, the NIP and
# the rest, a page of PAGE_SIZE members and a notice stay within one message.
POSTS_LIMIT = 240
BUTTON_LIMIT = 28  # characters of a name or a position on a button


def pages(count: int, size: int = PAGE_SIZE) -> int:
    """How many pages `count` items take (at least one)."""
    return max(1, -(-count // size))


def page_of(roster: Roster, member_id: int) -> int:
    """The page of the list a member is on (the first when they are not on it)."""
    for index, person in enumerate(roster.people):
        if person.id == member_id:
            return index // PAGE_SIZE
    return 0


def roster_screen(
    caller: Caller, roster: Roster, page: int, notice: str | None = None
) -> tuple[str, Keyboard]:
    """A page of the agency's active members, a button for each, and the invitations."""
    total = pages(len(roster.people))
    page = min(max(page, 0), total - 1)
    shown = roster.people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [notice, ""] if notice else []
    lines.append(
        caller.text("people.header", agency=escape(roster.agency.name), count=len(roster.people))
    )
    keyboard: Keyboard = []
    row: list[Button] = []
    for offset, person in enumerate(shown):
        index = page * PAGE_SIZE + offset + 1
        lines.append(
            caller.text(
                "people.item",
                index=index,
                name=_name(person.name),
                nip=_nip(caller, person),
            )
        )
        lines.append(caller.text("people.posts", posts=escape(_posts(caller, person))))
        lines.append(caller.text("people.state", state=_state(caller, person)))
        label = shorten(f"{index}. {person.name}", BUTTON_LIMIT)
        row.append(Button(label, callback(Action.PEOPLE_CARD, person.id)))
        if len(row) == 2:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    if total > 1:
        lines.append(caller.text("people.page", page=page + 1, pages=total))
        keyboard.append(_page_row(caller, page, total, Action.PEOPLE_PAGE))
    lines.append("")
    lines.append(caller.text("people.footer"))
    keyboard.append(
        [Button(caller.text("people.button_invitations"), callback(Action.PEOPLE_INVITATIONS, 0))]
    )
    return "\n".join(lines), keyboard


def card_screen(
    caller: Caller, person: Person, back_page: int, notice: str | None = None
) -> tuple[str, Keyboard]:
    """One member: positions, acting posts, joined, admin; and what can be done to them."""
    lines = [notice, ""] if notice else []
    lines.append(caller.text("people.card", name=_name(person.name), nip=_nip(caller, person)))
    lines.append(caller.text("people.card_positions", positions=_position_names(caller, person)))
    lines.extend(
        caller.text("people.card_acting", post=escape(_acting(caller, post, detailed=True)))
        for post in person.acting
    )
    lines.append(_state(caller, person))
    lines.append("")
    lines.append(caller.text("people.card_footer"))
    member = person.id
    keyboard: Keyboard = [
        [
            Button(caller.text("people.button_move"), callback(Action.PEOPLE_MOVE, member)),
            Button(caller.text("people.button_take"), callback(Action.PEOPLE_TAKE, member)),
        ]
    ]
    if len(person.positions) > 1:
        keyboard.append(
            [Button(caller.text("people.button_drop"), callback(Action.PEOPLE_DROP, member))]
        )
    admin = (
        Button(caller.text("people.button_admin_off"), callback(Action.PEOPLE_ADMIN, member, 0))
        if person.is_admin
        else Button(caller.text("people.button_admin_on"), callback(Action.PEOPLE_ADMIN, member, 1))
    )
    row = [admin]
    if person.id != caller.member.id:  # an admin is deactivated by another admin
        row.append(
            Button(
                caller.text("people.button_deactivate"), callback(Action.PEOPLE_DEACTIVATE, member)
            )
        )
    keyboard.append(row)
    if not person.joined:  # their link was lost, expired or never sent: a new one
        keyboard.append(
            [Button(caller.text("relink.button"), callback(Action.PEOPLE_RELINK, member))]
        )
    keyboard.append(
        [Button(caller.text("people.button_back"), callback(Action.PEOPLE_PAGE, back_page))]
    )
    return "\n".join(lines), keyboard


def relink_screen(caller: Caller, link: MemberLink, url: str) -> tuple[str, Keyboard]:
    """A member's new invitation link, to pass on, and what became of their earlier ones."""
    only = (
        caller.text("roster.only_account", username=escape(link.telegram_username))
        if link.telegram_username
        else ""
    )
    lines = [
        caller.text(
            "relink.made",
            name=_name(link.member_name),
            only=only,
            expires=local_time(link.expires_at, caller.member.agency_timezone, caller.language),
            link=escape(url),
        ),
        "",
        caller.text("relink.revoked", count=link.revoked)
        if link.revoked
        else caller.text("relink.none_revoked"),
        caller.text("relink.shown_once"),
    ]
    keyboard: Keyboard = [
        [Button(caller.text("people.button_back"), callback(Action.PEOPLE_CARD, link.member_id))]
    ]
    return "\n".join(lines), keyboard


def move_screen(
    caller: Caller, person: Person, positions: list[PositionRef]
) -> tuple[str, Keyboard]:
    """Mutasi: the positions the member may move to."""
    held = {p.id for p in person.positions}
    choices = [p for p in positions if p.id not in held]
    text = caller.text(
        "people.move_pick",
        name=_name(person.name),
        positions=_position_names(caller, person),
    )
    if not choices:
        text = f"{text}\n{caller.text('people.no_other_position')}"
    keyboard = [
        [Button(shorten(p.name, BUTTON_LIMIT * 2), callback(Action.PEOPLE_MOVE, person.id, p.id))]
        for p in choices
    ]
    keyboard.append(_back_to_card(caller, person))
    return text, keyboard


def move_from_screen(caller: Caller, person: Person, target: PositionRef) -> tuple[str, Keyboard]:
    """Mutasi of a member who holds several positions: which one they leave."""
    text = caller.text(
        "people.move_from",
        name=_name(person.name),
        position=escape(target.name),
    )
    keyboard = [
        [
            Button(
                caller.text("people.button_from", position=shorten(p.name, BUTTON_LIMIT)),
                callback(Action.PEOPLE_MOVE, person.id, target.id, p.id),
            )
        ]
        for p in person.positions
    ]
    keyboard.append(
        [
            Button(
                caller.text("people.button_from_all"),
                callback(Action.PEOPLE_MOVE, person.id, target.id, "a"),
            )
        ]
    )
    keyboard.append(_back_to_card(caller, person))
    return text, keyboard


def take_screen(
    caller: Caller, person: Person, positions: list[PositionRef]
) -> tuple[str, Keyboard]:
    """Tambah jabatan: the positions the member may hold as well."""
    held = {p.id for p in person.positions}
    choices = [p for p in positions if p.id not in held]
    text = caller.text(
        "people.take_pick", name=_name(person.name), positions=_position_names(caller, person)
    )
    if not choices:
        text = f"{text}\n{caller.text('people.no_other_position')}"
    keyboard = [
        [Button(shorten(p.name, BUTTON_LIMIT * 2), callback(Action.PEOPLE_TAKE, person.id, p.id))]
        for p in choices
    ]
    keyboard.append(_back_to_card(caller, person))
    return text, keyboard


def drop_screen(caller: Caller, person: Person) -> tuple[str, Keyboard]:
    """Lepas jabatan: which of the member's positions they leave."""
    text = caller.text("people.drop_pick", name=_name(person.name))
    keyboard = [
        [Button(shorten(p.name, BUTTON_LIMIT * 2), callback(Action.PEOPLE_DROP, person.id, p.id))]
        for p in person.positions
    ]
    keyboard.append(_back_to_card(caller, person))
    return text, keyboard


def deactivate_screen(caller: Caller, preview: DeactivationPreview) -> tuple[str, Keyboard]:
    """What deactivating the member does, to be confirmed."""
    person = preview.person
    lines = [caller.text("people.deactivate_ask", name=_name(person.name))]
    if person.positions:
        lines.append(
            caller.text("people.deactivate_positions", positions=_position_names(caller, person))
        )
    if person.acting:
        posts = "; ".join(_acting(caller, post) for post in person.acting)
        lines.append(caller.text("people.deactivate_acting", posts=escape(posts)))
    if preview.open_invitations:
        lines.append(
            caller.text(
                "people.deactivate_invitations",
                count=quantity(preview.open_invitations, caller.language),
            )
        )
    lines.append(
        caller.text("people.deactivate_steps", count=quantity(preview.open_steps, caller.language))
        if preview.open_steps
        else caller.text("people.deactivate_no_steps")
    )
    lines.append(
        caller.text("people.deactivate_told" if person.joined else "people.deactivate_not_joined")
    )
    lines.append(caller.text("people.deactivate_record"))
    keyboard = [
        [
            Button(
                caller.text("people.button_confirm_deactivate"),
                callback(Action.PEOPLE_DEACTIVATE, person.id, "y"),
            ),
            Button(caller.text("people.button_keep"), callback(Action.PEOPLE_CARD, person.id)),
        ]
    ]
    return "\n".join(lines), keyboard


def invitations_screen(
    caller: Caller,
    agency_name: str,
    invitations: list[InvitationView],
    page: int,
    notice: str | None = None,
) -> tuple[str, Keyboard]:
    """A page of the agency's open invitations, each with "Cabut"."""
    total = pages(len(invitations), INVITATIONS_PAGE)
    page = min(max(page, 0), total - 1)
    shown = invitations[page * INVITATIONS_PAGE : (page + 1) * INVITATIONS_PAGE]
    lines = [notice, ""] if notice else []
    lines.append(
        caller.text("people.invitations_header", agency=escape(agency_name), count=len(invitations))
    )
    if not invitations:
        lines.append(caller.text("people.invitations_none"))
    keyboard: Keyboard = []
    row: list[Button] = []
    for offset, invitation in enumerate(shown):
        index = page * INVITATIONS_PAGE + offset + 1
        lines.append(
            caller.text(
                "people.invitation_item",
                index=index,
                target=invitation_target(caller, invitation),
                by=_name(invitation.created_by or caller.text("people.by_server")),
                expires=local_time(
                    invitation.expires_at, caller.member.agency_timezone, caller.language
                ),
            )
        )
        row.append(
            Button(
                caller.text("people.button_revoke", index=index),
                callback(Action.PEOPLE_REVOKE, invitation.id),
            )
        )
        if len(row) == 3:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    if total > 1:
        lines.append(caller.text("people.page", page=page + 1, pages=total))
        keyboard.append(_page_row(caller, page, total, Action.PEOPLE_INVITATIONS))
    lines.append("")
    lines.append(caller.text("people.invitations_footer"))
    keyboard.append([Button(caller.text("people.button_back"), callback(Action.PEOPLE_PAGE, 0))])
    return "\n".join(lines), keyboard


def invitation_target(caller: Caller, invitation: InvitationView) -> str:
    """For which position and/or member an invitation is (HTML)."""
    parts = []
    if invitation.member_name is not None:
        parts.append(caller.text("people.invitation_member", name=_name(invitation.member_name)))
    if invitation.position is not None:
        parts.append(
            caller.text(
                "people.invitation_position",
                position=escape(shorten(invitation.position.name, NAME_LIMIT * 2)),
            )
        )
    target = ", ".join(parts) or caller.text("people.invitation_anyone")
    if invitation.is_admin:
        target += caller.text("people.invitation_admin")
    return target


def rerouted(caller: Caller, count: int) -> str:
    """How many running procedures had work moved."""
    if not count:
        return caller.text("people.rerouted_none")
    return caller.text("people.rerouted", count=quantity(count, caller.language))


# -- pieces ----------------------------------------------------------------------------------


def _name(name: str) -> str:
    return escape(shorten(name, NAME_LIMIT))


def _nip(caller: Caller, person: Person) -> str:
    return caller.text("people.nip", nip=escape(person.nip)) if person.nip else ""


def _position_names(caller: Caller, person: Person) -> str:
    """The member's positions (HTML), or that they hold none."""
    if not person.positions:
        return caller.text("people.no_position")
    return escape(shorten(", ".join(p.name for p in person.positions), POSTS_LIMIT * 2))


def _posts(caller: Caller, person: Person) -> str:
    """Positions and acting posts on one line (plain text, cut to POSTS_LIMIT)."""
    posts = [p.name for p in person.positions]
    posts.extend(_acting(caller, post) for post in person.acting)
    if not posts:
        return caller.text("people.no_position")
    return shorten("; ".join(posts), POSTS_LIMIT)


def _acting(caller: Caller, post: ActingPost, *, detailed: bool = False) -> str:
    """ "Plh. Sekretaris s.d. Jumat, 17 Juli 2026" (plain text); `detailed`: with for whom
    and the decree."""
    zone = caller.member.agency_timezone
    named = {
        "prefix": post.kind.prefix,
        "position": post.position.name,
        "whom": caller.text("people.acting_for", name=post.for_member_name)
        if detailed and post.for_member_name
        else "",
    }
    if not post.in_office:
        since = _moment(post.valid_from, zone, caller, start=True)
        text = caller.text("people.acting_from", since=since, **named)
    elif post.valid_to is None:
        text = caller.text("people.acting_open", **named)
    else:
        until = _moment(post.valid_to, zone, caller, start=False)
        text = caller.text("people.acting_until", until=until, **named)
    if detailed and post.decree:
        text += caller.text("people.acting_decree", decree=post.decree)
    return text


def _moment(moment: dt.datetime, zone: str, caller: Caller, *, start: bool) -> str:
    """A term's boundary: its day when it falls at midnight (an end at midnight is the last
    day before it), else its day and time."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        day = local if start else local - dt.timedelta(days=1)
        return local_date(day, zone, caller.language)
    return local_time(moment, zone, caller.language)


def _state(caller: Caller, person: Person) -> str:
    """Joined or not, admin or not (HTML)."""
    parts = [caller.text("people.joined" if person.joined else "people.not_joined")]
    if person.is_admin:
        parts.append(caller.text("people.admin"))
    if not person.active:
        parts.append(caller.text("people.state_deactivated"))
    return " · ".join(parts)


def _back_to_card(caller: Caller, person: Person) -> list[Button]:
    return [Button(caller.text("people.button_back"), callback(Action.PEOPLE_CARD, person.id))]


def _page_row(caller: Caller, page: int, total: int, action: Action) -> list[Button]:
    """◀️ ▶️ for a paged list (only the directions that lead somewhere)."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(caller.text("button.page_previous"), callback(action, page - 1)))
    if page + 1 < total:
        row.append(Button(caller.text("button.page_next"), callback(action, page + 1)))
    return row
