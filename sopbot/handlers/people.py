"""/pegawai (agency admins): the agency's people, and mutasi, a second position, the admin
right, deactivation and the open invitations, with buttons.

One message, edited in place as the admin goes from the list to a member and back. Each button
carries an action and ids only; `sopbot.services.people` checks on the server that the caller
is an active admin of the agency and that every member, position and invitation named is its
own, and refuses a stale or forged press with nothing changed. Double taps are two presses: the
second finds the work done (held already, deactivated already, revoked already) and says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    command_key,
    edit_html,
    in_thread,
    send_html,
    wake_sender,
)
from sopbot.handlers.people_screens import (
    PAGE_SIZE,
    card_screen,
    deactivate_screen,
    drop_screen,
    invitation_target,
    invitations_screen,
    move_from_screen,
    move_screen,
    page_of,
    relink_screen,
    rerouted,
    roster_screen,
    take_screen,
)
from sopbot.messaging.formatting import escape, shorten
from sopbot.messaging.keyboards import Action, Keyboard, Pressed, decode
from sopbot.services.commands import Outcome
from sopbot.services.people import (
    PeopleService,
    Person,
    PositionLeft,
    PositionRef,
    PositionTaken,
    Roster,
)

# A refusal's code -> its text (any other refusal: answer.not_allowed).
_REFUSALS = {
    "people_member_inactive": "people.refused_inactive",
    "people_last_admin": "people.refused_last_admin",
    "last_operator": "people.refused_last_operator",
    "people_not_held": "people.refused_not_held",
    "people_already_held": "people.refused_already_held",
    "people_several_held": "people.refused_several_held",
    "people_invitation_closed": "people.refused_invitation_closed",
    "people_own_deactivation": "people.refused_own_deactivation",
    "people_member_joined": "relink.refused_joined",
    # Another agency's member, position or invitation, or one that never was: a forged or
    # mistaken button.
    "unknown_member": "people.refused_unknown",
    "not_found": "people.refused_unknown",
    "not_allowed": "answer.not_allowed",
}
NAME_IN_NOTICE = 60

Screen = tuple[str, Keyboard]


def _service(caller: Caller) -> PeopleService:
    services = caller.services
    return PeopleService(services.procedures, clock=services.clock, catalog=services.catalog)


# -- /pegawai ----------------------------------------------------------------------------------


@admins_only
async def people_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/pegawai: the first page of the agency's active members."""
    member = caller.member
    roster = await in_thread(_service(caller).roster, member.agency_id, actor_id=member.id)
    text, keyboard = roster_screen(caller, roster, 0)
    await send_html(update.effective_message, text, keyboard, context=context)


@admins_only
async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """◀️ ▶️ and "Kembali" to the list: a page of the members."""

    async def screen(pressed: Pressed) -> Screen | None:
        page = pressed.int_at(0)
        if page is None:
            return None
        member = caller.member
        roster = await in_thread(_service(caller).roster, member.agency_id, actor_id=member.id)
        return roster_screen(caller, roster, page)

    await _show(update, context, caller, screen)


@admins_only
async def card_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A member's name: their card."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id = pressed.int_at(0)
        if member_id is None:
            return None
        return await _card(caller, member_id)

    await _show(update, context, caller, screen)


# -- mutasi, Tambah jabatan, Lepas jabatan -----------------------------------------------------


@admins_only
async def move_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """Mutasi: pick the new position; of several held, pick the one left; then move."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id, to_id, left = pressed.int_at(0), pressed.int_at(1), pressed.part(2)
        if member_id is None or (pressed.part(1) is not None and to_id is None):
            return None
        person = await _person(caller, member_id)
        positions = await _positions(caller)
        if to_id is None:
            return move_screen(caller, person, positions)
        target = _named(positions, to_id)
        if left is None and len(person.positions) > 1 and target is not None:
            return move_from_screen(caller, person, target)
        from_ids: list[int] | None = None
        if left == "a":
            from_ids = [p.id for p in person.positions]
        elif left is not None:
            from_id = pressed.int_at(2)
            if from_id is None:
                return None
            from_ids = [from_id]
        member = caller.member
        outcome = await in_thread(
            _service(caller).move,
            command_key(update, context),
            agency_id=member.agency_id,
            member_id=member_id,
            to_position_id=to_id,
            from_position_ids=from_ids,
            actor_id=member.id,
        )
        wake_sender(context)
        result = outcome.result
        names = {p.id: p.name for p in (*positions, *person.positions)}
        left_names = ", ".join(names.get(i, "-") for i in result.left)
        notice = caller.text(
            "people.moved",
            name=_notice_name(person),
            position=escape(names.get(result.position_id, "-")),
            left=caller.text("people.moved_left", positions=escape(left_names))
            if result.left
            else "",
            rerouted=rerouted(caller, result.instances_rerouted),
        )
        return await _card(caller, member_id, notice)

    await _show(update, context, caller, screen)


@admins_only
async def take_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """Tambah jabatan: pick the position the member holds as well; then hold it."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id, position_id = pressed.int_at(0), pressed.int_at(1)
        if member_id is None or (pressed.part(1) is not None and position_id is None):
            return None
        person = await _person(caller, member_id)
        positions = await _positions(caller)
        if position_id is None:
            return take_screen(caller, person, positions)
        return await _change_position(
            update,
            context,
            caller,
            _service(caller).take_position,
            person,
            position_id,
            _named(positions, position_id),
            "people.taken",
        )

    await _show(update, context, caller, screen)


@admins_only
async def drop_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """Lepas jabatan: pick the position the member leaves; then leave it."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id, position_id = pressed.int_at(0), pressed.int_at(1)
        if member_id is None or (pressed.part(1) is not None and position_id is None):
            return None
        person = await _person(caller, member_id)
        if position_id is None:
            return drop_screen(caller, person)
        return await _change_position(
            update,
            context,
            caller,
            _service(caller).leave_position,
            person,
            position_id,
            _named(list(person.positions), position_id),
            "people.dropped",
        )

    await _show(update, context, caller, screen)


# -- admin, deactivation -----------------------------------------------------------------------


@admins_only
async def admin_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """Jadikan admin / Cabut admin."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id, on = pressed.int_at(0), pressed.part(1)
        if member_id is None or on not in ("0", "1"):
            return None
        person = await _person(caller, member_id)
        member = caller.member
        outcome = await in_thread(
            _service(caller).set_admin,
            command_key(update, context),
            agency_id=member.agency_id,
            member_id=member_id,
            is_admin=on == "1",
            actor_id=member.id,
        )
        result = outcome.result
        key = "people.admin_on" if result.is_admin else "people.admin_off"
        if not result.changed:
            key = "people.admin_was_on" if result.is_admin else "people.admin_was_off"
        return await _card(caller, member_id, caller.text(key, name=_notice_name(person)))

    await _show(update, context, caller, screen)


@admins_only
async def deactivate_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """Nonaktifkan: say what happens and ask; "Ya, nonaktifkan": do it."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id, confirmed = pressed.int_at(0), pressed.part(1)
        if member_id is None or confirmed not in (None, "y"):
            return None
        member = caller.member
        service = _service(caller)
        if confirmed is None:
            preview = await in_thread(
                service.deactivation_preview, member.agency_id, member_id, actor_id=member.id
            )
            return deactivate_screen(caller, preview)
        outcome = await in_thread(
            service.deactivate,
            command_key(update, context),
            agency_id=member.agency_id,
            member_id=member_id,
            actor_id=member.id,
        )
        wake_sender(context)
        everyone = await in_thread(
            service.roster, member.agency_id, actor_id=member.id, include_deactivated=True
        )
        gone = everyone.person(member_id)
        notice = caller.text(
            "people.deactivated",
            name=escape(shorten(gone.name, NAME_IN_NOTICE)) if gone else "-",
            rerouted=rerouted(caller, outcome.result.instances_rerouted),
        )
        roster = Roster(everyone.agency, tuple(p for p in everyone.people if p.active))
        # The page they were on: the list is in the order members were added.
        page = sum(1 for p in roster.people if p.id < member_id) // PAGE_SIZE
        return roster_screen(caller, roster, page, notice)

    await _show(update, context, caller, screen)


# -- invitations -------------------------------------------------------------------------------


@admins_only
async def invitations_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "📨 Undangan": a page of the agency's open invitations."""

    async def screen(pressed: Pressed) -> Screen | None:
        page = pressed.int_at(0)
        if page is None:
            return None
        return await _invitations(caller, page)

    await _show(update, context, caller, screen)


@admins_only
async def revoke_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "✖️ Cabut": the invitation's link opens nothing any more."""

    async def screen(pressed: Pressed) -> Screen | None:
        invitation_id = pressed.int_at(0)
        if invitation_id is None:
            return None
        member = caller.member
        service = _service(caller)
        before = await in_thread(service.open_invitations, member.agency_id, actor_id=member.id)
        await in_thread(
            service.revoke_invitation,
            command_key(update, context),
            agency_id=member.agency_id,
            invitation_id=invitation_id,
            actor_id=member.id,
        )
        revoked = next((i for i in before if i.id == invitation_id), None)
        target = invitation_target(caller, revoked) if revoked is not None else "-"
        return await _invitations(caller, 0, caller.text("people.revoked", target=target))

    await _show(update, context, caller, screen)


@admins_only
async def relink_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "🔗 Tautan baru" of a member who has not joined: their earlier links are revoked and a
    new one shown, in place of the card (a second press revokes it in turn)."""

    async def screen(pressed: Pressed) -> Screen | None:
        member_id = pressed.int_at(0)
        if member_id is None or len(pressed.parts) != 1:
            return None
        member = caller.member
        link = await in_thread(
            _service(caller).relink,
            command_key(update, context),
            agency_id=member.agency_id,
            member_id=member_id,
            actor_id=member.id,
        )
        url = f"https://t.me/{caller.services.bot_username}?start={link.token}"
        return relink_screen(caller, link, url)

    await _show(update, context, caller, screen)


# -- the path of a press -----------------------------------------------------------------------


async def _show(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    screen: Callable[[Pressed], Awaitable[Screen | None]],
) -> None:
    """Decode the press, build the screen it leads to (doing what it asks), and show it in
    the same message; a refusal is an alert and the message stays as it was."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    chat = update.effective_chat
    if pressed is None or chat is None or query.message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        shown = await screen(pressed)
    except DomainError as refusal:
        key = _REFUSALS.get(refusal.code, "answer.not_allowed")
        await answer(query, caller.text(key), show_alert=True)
        return
    if shown is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    text, keyboard = shown
    await edit_html(context, chat.id, query.message.message_id, text, keyboard)
    await answer(query)


async def _change_position(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    change: Callable[..., Outcome[PositionTaken] | Outcome[PositionLeft]],
    person: Person,
    position_id: int,
    position: PositionRef | None,
    notice_key: str,
) -> Screen:
    """Tambah / Lepas jabatan: `change` (`PeopleService.take_position` or `leave_position`)
    for the member and the position, then the member's card with the notice `notice_key`
    naming the position (`-` when it is not known here) and the open work re-routed."""
    member = caller.member
    outcome = await in_thread(
        change,
        command_key(update, context),
        agency_id=member.agency_id,
        member_id=person.id,
        position_id=position_id,
        actor_id=member.id,
    )
    wake_sender(context)
    notice = caller.text(
        notice_key,
        name=_notice_name(person),
        position=escape(position.name if position else "-"),
        rerouted=rerouted(caller, outcome.result.instances_rerouted),
    )
    return await _card(caller, person.id, notice)


async def _person(caller: Caller, member_id: int) -> Person:
    member = caller.member
    return await in_thread(_service(caller).person, member.agency_id, member_id, actor_id=member.id)


async def _positions(caller: Caller) -> list[PositionRef]:
    member = caller.member
    return await in_thread(_service(caller).positions, member.agency_id, actor_id=member.id)


async def _card(caller: Caller, member_id: int, notice: str | None = None) -> Screen:
    """A member's card, its "Kembali" leading to their page of the list."""
    member = caller.member
    roster = await in_thread(_service(caller).roster, member.agency_id, actor_id=member.id)
    person = roster.person(member_id)
    if person is None:  # not an active member of the agency
        person = await _person(caller, member_id)  # raises why
    return card_screen(caller, person, page_of(roster, member_id), notice)


async def _invitations(caller: Caller, page: int, notice: str | None = None) -> Screen:
    member = caller.member
    found = await in_thread(_service(caller).open_invitations, member.agency_id, actor_id=member.id)
    return invitations_screen(caller, member.agency_name, found, page, notice)


def _named(positions: list[PositionRef], position_id: int | None) -> PositionRef | None:
    return next((p for p in positions if p.id == position_id), None)


def _notice_name(person: Person) -> str:
    return escape(shorten(person.name, NAME_IN_NOTICE))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /pegawai and its buttons."""
    application.add_handler(
        CommandHandler(["pegawai", "members"], people_command, filters=filters.ChatType.PRIVATE)
    )
    for action, handler in (
        (Action.PEOPLE_PAGE, page_pressed),
        (Action.PEOPLE_CARD, card_pressed),
        (Action.PEOPLE_MOVE, move_pressed),
        (Action.PEOPLE_TAKE, take_pressed),
        (Action.PEOPLE_DROP, drop_pressed),
        (Action.PEOPLE_ADMIN, admin_pressed),
        (Action.PEOPLE_DEACTIVATE, deactivate_pressed),
        (Action.PEOPLE_INVITATIONS, invitations_pressed),
        (Action.PEOPLE_REVOKE, revoke_pressed),
        (Action.PEOPLE_RELINK, relink_pressed),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=f"^{action.value}:"))
