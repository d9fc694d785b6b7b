"""/jabatan (alias /positions, agency admins): the agency's positions with who holds them, their
Plt/Plh and the SOP roles they serve; adding, renaming and removing a position, and giving or
taking away its roles, with buttons (and a typed name where one is asked).

Every screen is one message, edited in place as the admin presses its buttons. A button
carries an action and short ids only (a position's or a mapping's id, a page, a short hash for
an SOP or a role); `sopbot.services.positions.PositionAdmin` checks each of them against the
admin's own agency again, so an old, forged or another agency's button changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    ask_question,
    command_key,
    edit_html,
    in_thread,
    send_html,
    wake_sender,
)
from sopbot.messaging.formatting import escape, local_date, local_time, shorten, visible_length
from sopbot.messaging.keyboards import Action, Button, Keyboard, Pressed, callback, decode
from sopbot.messaging.numbers import quantity
from sopbot.services.pending import PendingInput
from sopbot.services.positions import (
    ActingView,
    AgencyPositions,
    MappingView,
    PositionAdmin,
    PositionInUse,
    PositionView,
    RemovalPreview,
    RoleChoices,
    SopChoice,
    UnmapPreview,
)

log = logging.getLogger(__name__)

RENAME_QUESTION = "position_rename"  # the pending question: a position's new name
ADD_QUESTION = "position_add"  # the pending question: a new position's name
POSITION_QUESTIONS = (RENAME_QUESTION, ADD_QUESTION)
EVERY_SOP = "all"  # in a button, in place of an SOP's reference: every SOP of the agency
LIST_PAGE_SIZE = 8  # positions on a page of /jabatan, at most
# Visible characters a page of /jabatan may take: the page stays one message (4096) with
# its header, page line and footer, so ◀️ ▶️ edit it whole.
LIST_PAGE_UNITS = 3500
ROLES_PER_PAGE = 8  # a position's roles on a page of its "Peran SOP" screen
SOPS_PER_PAGE = 8  # SOPs offered on a page when a role is added
CHOICES_PER_PAGE = 10  # roles offered on a page when a role is added
NAME_SHOWN = 80  # characters of a position's name in a list
PEOPLE_SHOWN = 3  # holders and Plt/Plh named per position in the list (the rest counted)
ROLES_SHOWN = 4  # roles named per position in the list (the rest counted)
PERSON_SHOWN = 40  # characters of a person's name
TITLE_SHOWN = 50  # characters of an SOP's title
BUTTON_SHOWN = 40  # characters of a name on a button


def _admin(caller: Caller) -> PositionAdmin:
    return PositionAdmin(caller.services.procedures, clock=caller.services.clock)


@dataclass(frozen=True, slots=True)
class Screen:
    """What a press shows: the message's new text and buttons, and the toast."""

    text: str
    keyboard: Keyboard
    toast: str | None = None


class _BadButton(Exception):
    """Callback data that does not name what its action needs: forged or from an old bot."""


# -- /jabatan ----------------------------------------------------------------------------------


@admins_only
async def positions_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/jabatan: the first page of the agency's positions."""
    overview = await in_thread(_overview, caller)
    screen = _list_screen(caller, overview, 0)
    await send_html(update.effective_message, screen.text, screen.keyboard, context=context)


def _overview(caller: Caller) -> AgencyPositions:
    member = caller.member
    return _admin(caller).overview(member.agency_id, actor_id=member.id)


def _position(caller: Caller, position_id: int) -> PositionView:
    member = caller.member
    return _admin(caller).position(member.agency_id, position_id, actor_id=member.id)


@admins_only
async def button_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A button of a /jabatan screen: the next screen in the same message."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    chat = update.effective_chat
    press = _PRESSES.get(pressed.action) if pressed is not None else None
    if pressed is None or press is None or chat is None or query.message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        screen = await press(update, context, caller, pressed)
    except _BadButton:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    except DomainError as refusal:
        await answer(query, _refusal(caller, refusal), show_alert=True)
        return
    if screen is None:  # it asked a question below, and answered the press itself
        return
    try:
        await edit_html(context, chat.id, query.message.message_id, screen.text, screen.keyboard)
    except BadRequest as exc:  # too old to edit, or gone: the screen comes as a new message
        log.info("a /jabatan screen could not be edited: %s", exc)
        await send_html(None, screen.text, screen.keyboard, context=context, chat_id=chat.id)
    await answer(query, screen.toast)


Press = Callable[[Update, ContextTypes.DEFAULT_TYPE, Caller, Pressed], Awaitable[Screen | None]]


def _number(pressed: Pressed, index: int) -> int:
    found = pressed.int_at(index)
    if found is None:
        raise _BadButton
    return found


def _part(pressed: Pressed, index: int) -> str:
    found = pressed.part(index)
    if found is None:
        raise _BadButton
    return found


async def _list_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """◀️ ▶️ of the list, or "Daftar jabatan": a page of the list."""
    overview = await in_thread(_overview, caller)
    return _list_screen(caller, overview, _number(pressed, 0))


async def _show_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """A position of the list: its screen."""
    view = await in_thread(_position, caller, _number(pressed, 0))
    return _detail_screen(caller, view)


async def _add_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, _pressed: Pressed
) -> None:
    """ "➕ Tambah jabatan": ask for the name."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    await answer(query)
    await _ask(context, update, caller, ADD_QUESTION, {}, caller.text("positions.ask_new"))


async def _rename_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> None:
    """ "✏️ Ubah nama": ask for the new name (of a position that is still there)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    view = await in_thread(_position, caller, _number(pressed, 0))
    await answer(query)
    text = caller.text("positions.ask_name", name=escape(view.name))
    await _ask(context, update, caller, RENAME_QUESTION, {"position_id": view.id}, text)


async def _ask(
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    caller: Caller,
    kind: str,
    payload: dict[str, Any],
    text: str,
) -> None:
    chat = update.effective_chat
    keyboard = [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]]
    await ask_question(
        context, chat.id if chat else None, caller.member.id, kind, payload, text, keyboard
    )


async def _roles_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "🔗 Peran SOP": the roles the position serves, to take away or add to."""
    view = await in_thread(_position, caller, _number(pressed, 0))
    return _roles_screen(caller, view, pressed.int_at(1) or 0)


async def _sops_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "➕ Tambah peran": every SOP, or one of the agency's SOPs."""
    member = caller.member
    view = await in_thread(_position, caller, _number(pressed, 0))
    sops = await in_thread(_admin(caller).sop_choices, member.agency_id, actor_id=member.id)
    return _sops_screen(caller, view, sops, pressed.int_at(1) or 0)


async def _sop_roles_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """An SOP (or every SOP) chosen: its roles."""
    choices = await in_thread(_choices, caller, _number(pressed, 0), _part(pressed, 1))
    return _role_pick_screen(caller, choices, pressed.int_at(2) or 0)


def _choices(caller: Caller, position_id: int, scope: str) -> RoleChoices:
    member = caller.member
    sop_ref = None if scope == EVERY_SOP else scope
    return _admin(caller).role_choices(member.agency_id, position_id, sop_ref, actor_id=member.id)


async def _map_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """A role chosen: the position serves it from now; open work follows."""
    position_id, scope, role_ref = _number(pressed, 0), _part(pressed, 1), _part(pressed, 2)
    choices = await in_thread(_choices, caller, position_id, scope)
    role = next((r for r in choices.roles if r.ref == role_ref), None)
    if role is None:
        raise _BadButton
    member = caller.member
    given = await in_thread(
        _admin(caller).map_role,
        command_key(update, context),
        agency_id=member.agency_id,
        position_id=position_id,
        role_key=role.key,
        sop_id=choices.sop_id,
        actor_id=member.id,
    )
    wake_sender(context)
    view = await in_thread(_position, caller, position_id)
    notice = caller.text(
        "positions.mapped",
        name=escape(view.name),
        role=escape(role.name),
        scope=_scope(caller, choices.sop.title if choices.sop else None),
        moved=_moved(caller, given.result.instances_rerouted),
    )
    return _roles_screen(caller, view, 0, notice)


async def _unmap_ask_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "➖ role": what taking it away would do, and a button to confirm."""
    member = caller.member
    preview = await in_thread(
        _admin(caller).unmap_preview, member.agency_id, _number(pressed, 0), actor_id=member.id
    )
    return _unmap_screen(caller, preview)


async def _unmap_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "✅ Ya, lepaskan": the position no longer serves the role; open work follows."""
    member = caller.member
    mapping_id = _number(pressed, 0)
    taken = await in_thread(
        _admin(caller).unmap_role,
        command_key(update, context),
        agency_id=member.agency_id,
        mapping_id=mapping_id,
        actor_id=member.id,
    )
    wake_sender(context)
    result = taken.result
    view = await in_thread(_position, caller, result.position_id)
    lines = [
        caller.text(
            "positions.unmapped",
            name=escape(view.name),
            role=escape(result.role_name),
            scope=_scope(caller, result.sop_title),
            moved=_moved(caller, result.instances_rerouted),
        )
    ]
    if result.steps_left_vacant:
        lines.append(
            caller.text(
                "positions.unmapped_vacant",
                count=quantity(result.steps_left_vacant, caller.language),
            )
        )
    return _roles_screen(caller, view, 0, "\n".join(lines))


async def _remove_ask_pressed(
    _update: Update, _context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "🗑️ Hapus": why the position cannot be removed now, or a button to confirm."""
    member = caller.member
    preview = await in_thread(
        _admin(caller).removal_preview, member.agency_id, _number(pressed, 0), actor_id=member.id
    )
    return _removal_screen(caller, preview)


async def _remove_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> Screen:
    """ "🗑️ Ya, hapus": the position is removed (refused, with why, if it is in use now)."""
    member = caller.member
    position_id = _number(pressed, 0)
    try:
        removed = await in_thread(
            _admin(caller).remove_position,
            command_key(update, context),
            agency_id=member.agency_id,
            position_id=position_id,
            actor_id=member.id,
        )
    except PositionInUse:  # someone took the post since the question was asked
        preview = await in_thread(
            _admin(caller).removal_preview, member.agency_id, position_id, actor_id=member.id
        )
        return _removal_screen(caller, preview)
    wake_sender(context)
    overview = await in_thread(_overview, caller)
    notice = caller.text("positions.removed", name=escape(removed.result.name))
    return _list_screen(caller, overview, 0, notice)


_PRESSES: dict[Action, Press] = {
    Action.POSITIONS_PAGE: _list_pressed,
    Action.POSITION_SHOW: _show_pressed,
    Action.POSITION_ADD: _add_pressed,
    Action.POSITION_RENAME: _rename_pressed,
    Action.POSITION_ROLES: _roles_pressed,
    Action.POSITION_SOPS: _sops_pressed,
    Action.POSITION_SOP_ROLES: _sop_roles_pressed,
    Action.POSITION_MAP: _map_pressed,
    Action.POSITION_UNMAP_ASK: _unmap_ask_pressed,
    Action.POSITION_UNMAP: _unmap_pressed,
    Action.POSITION_REMOVE_ASK: _remove_ask_pressed,
    Action.POSITION_REMOVE: _remove_pressed,
}


# -- typed answers -----------------------------------------------------------------------------


async def answer_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """A name typed for a new position, or a position's new name."""
    message = update.effective_message
    member = caller.member
    admin = _admin(caller)
    try:
        if pending.kind == RENAME_QUESTION:
            position_id = pending.payload.get("position_id")
            if not isinstance(position_id, int):
                await send_html(message, caller.text("answer.invalid_button"), context=context)
                return
            renamed = await in_thread(
                admin.rename_position,
                command_key(update, context),
                agency_id=member.agency_id,
                position_id=position_id,
                name=text,
                actor_id=member.id,
            )
            notice = caller.text(
                "positions.renamed",
                old=escape(renamed.result.old_name),
                new=escape(renamed.result.new_name),
            )
        else:
            created = await in_thread(
                admin.add_position,
                command_key(update, context),
                agency_id=member.agency_id,
                name=text,
                actor_id=member.id,
            )
            position_id = created.result.position_id
            notice = caller.text(
                "positions.added",
                name=escape(created.result.name),
                key=escape(created.result.key),
            )
    except DomainError as refusal:
        gone = refusal.code == "not_found"  # removed while the question waited
        text = caller.text("positions.gone") if gone else _refusal(caller, refusal)
        await send_html(message, text, context=context)
        if refusal.code == "position_name_refused":  # the question stays for a better name
            await in_thread(caller.services.pending.ask, member.id, pending.kind, pending.payload)
        return
    view = await in_thread(_position, caller, position_id)
    screen = _detail_screen(caller, view, notice)
    await send_html(message, screen.text, screen.keyboard, context=context)


# -- screens -----------------------------------------------------------------------------------


def _list_screen(
    caller: Caller, overview: AgencyPositions, page: int, notice: str | None = None
) -> Screen:
    """A page of the positions: each with its holders, Plt/Plh and roles, and its button."""
    head = [notice, ""] if notice else []
    head.append(
        caller.text(
            "positions.header",
            agency=escape(overview.agency_name),
            count=quantity(len(overview.positions), caller.language),
        )
    )
    entries = [
        _list_entry(caller, number, view) for number, view in enumerate(overview.positions, start=1)
    ]
    pages = _pages(entries)
    page = min(max(page, 0), len(pages) - 1)
    lines = list(head)
    keyboard: Keyboard = []
    buttons: list[Button] = []
    for index in pages[page]:
        view = overview.positions[index]
        lines.append(entries[index])
        label = f"{index + 1}. {shorten(view.name, BUTTON_SHOWN)}"
        buttons.append(Button(label, callback(Action.POSITION_SHOW, view.id)))
    if not overview.positions:
        lines.append(caller.text("positions.none"))
    keyboard += _pairs(buttons)
    if len(pages) > 1:
        lines.append(caller.text("positions.page", page=page + 1, pages=len(pages)))
        keyboard.append(_paging(caller, page, len(pages), Action.POSITIONS_PAGE))
    lines += ["", caller.text("positions.footer")]
    keyboard.append([Button(caller.text("positions.button_add"), callback(Action.POSITION_ADD))])
    return Screen("\n".join(lines), keyboard)


def _pages(entries: list[str]) -> list[list[int]]:
    """The entries' indices, page by page: at most LIST_PAGE_SIZE a page, and as many as fit
    in LIST_PAGE_UNITS visible characters (always at least one)."""
    pages: list[list[int]] = [[]]
    used = 0
    for index, entry in enumerate(entries):
        units = visible_length(entry) + 1
        current = pages[-1]
        if current and (len(current) >= LIST_PAGE_SIZE or used + units > LIST_PAGE_UNITS):
            pages.append([])
            used = 0
        pages[-1].append(index)
        used += units
    return pages


def _list_entry(caller: Caller, number: int, view: PositionView) -> str:
    lines = [
        caller.text(
            "positions.item",
            number=number,
            name=escape(shorten(view.name, NAME_SHOWN)),
            key=escape(view.key),
        )
    ]
    people = [escape(shorten(name, PERSON_SHOWN)) for name in view.holders]
    people += [_acting(caller, acting) for acting in view.actings]
    if people:
        lines.append(caller.text("positions.people", people=_some(caller, people, PEOPLE_SHOWN)))
    else:
        lines.append(caller.text("positions.vacant"))
    roles = [_role(caller, mapping) for mapping in view.mappings]
    if roles:
        lines.append(caller.text("positions.roles", roles=_some(caller, roles, ROLES_SHOWN)))
    else:
        lines.append(caller.text("positions.no_roles"))
    return "\n".join(lines)


def _some(caller: Caller, items: list[str], shown: int) -> str:
    """The first `shown` items, joined, and how many more there are."""
    text = "; ".join(items[:shown])
    if len(items) > shown:
        text += " " + caller.text("positions.more", count=len(items) - shown)
    return text


def _detail_screen(caller: Caller, view: PositionView, notice: str | None = None) -> Screen:
    """A position: who holds it, its Plt/Plh, its roles; what can be done to it."""
    lines = [notice, ""] if notice else []
    lines.append(caller.text("positions.detail", name=escape(view.name), key=escape(view.key)))
    if view.holders:
        holders = ", ".join(escape(shorten(name, PERSON_SHOWN)) for name in view.holders)
        lines.append(caller.text("positions.detail_holders", people=holders))
    else:
        lines.append(caller.text("positions.detail_vacant"))
    lines += [
        caller.text("positions.detail_acting", acting=_acting(caller, a)) for a in view.actings
    ]
    if view.mappings:
        lines.append(caller.text("positions.detail_roles"))
        lines += [
            caller.text("positions.detail_role", role=_role(caller, m))
            for m in view.mappings[:ROLES_PER_PAGE]
        ]
        if len(view.mappings) > ROLES_PER_PAGE:
            more = caller.text("positions.more", count=len(view.mappings) - ROLES_PER_PAGE)
            lines.append(caller.text("positions.detail_role", role=more))
    else:
        lines.append(caller.text("positions.detail_no_roles"))
    keyboard: Keyboard = [
        [
            Button(
                caller.text("positions.button_rename"), callback(Action.POSITION_RENAME, view.id)
            ),
            Button(caller.text("positions.button_roles"), callback(Action.POSITION_ROLES, view.id)),
        ],
        [
            Button(
                caller.text("positions.button_remove"),
                callback(Action.POSITION_REMOVE_ASK, view.id),
            )
        ],
        [_back_to_list(caller)],
    ]
    return Screen("\n".join(lines), keyboard)


def _roles_screen(
    caller: Caller, view: PositionView, page: int, notice: str | None = None
) -> Screen:
    """The roles a position serves, each with ➖, and ➕ to add one."""
    lines = [notice, ""] if notice else []
    lines.append(caller.text("positions.roles_header", name=escape(view.name)))
    pages = max(1, -(-len(view.mappings) // ROLES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * ROLES_PER_PAGE
    keyboard: Keyboard = []
    for number, mapping in enumerate(view.mappings[first : first + ROLES_PER_PAGE], first + 1):
        lines.append(
            caller.text("positions.roles_item", number=number, role=_role(caller, mapping))
        )
        label = caller.text(
            "positions.button_unmap", number=number, role=shorten(mapping.role_name, BUTTON_SHOWN)
        )
        keyboard.append([Button(label, callback(Action.POSITION_UNMAP_ASK, mapping.mapping_id))])
    if not view.mappings:
        lines.append(caller.text("positions.roles_none"))
    if pages > 1:
        lines.append(caller.text("positions.page", page=page + 1, pages=pages))
        keyboard.append(_paging(caller, page, pages, Action.POSITION_ROLES, view.id))
    lines += ["", caller.text("positions.roles_footer")]
    keyboard.append(
        [Button(caller.text("positions.button_add_role"), callback(Action.POSITION_SOPS, view.id))]
    )
    keyboard.append([_back_to(caller, view)])
    return Screen("\n".join(lines), keyboard)


def _sops_screen(
    caller: Caller, view: PositionView, sops: tuple[SopChoice, ...], page: int
) -> Screen:
    """Which SOP the role to add is of: every SOP, or one of them."""
    lines = [caller.text("positions.pick_sop", name=escape(view.name))]
    keyboard: Keyboard = [
        [
            Button(
                caller.text("positions.button_every_sop"),
                callback(Action.POSITION_SOP_ROLES, view.id, EVERY_SOP),
            )
        ]
    ]
    pages = max(1, -(-len(sops) // SOPS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    for sop in sops[page * SOPS_PER_PAGE : (page + 1) * SOPS_PER_PAGE]:
        label = "📘 " + _sop_name(sop.title, BUTTON_SHOWN)
        keyboard.append([Button(label, callback(Action.POSITION_SOP_ROLES, view.id, sop.ref))])
    if not sops:
        lines.append(caller.text("positions.no_sops"))
    if pages > 1:
        lines.append(caller.text("positions.page", page=page + 1, pages=pages))
        keyboard.append(_paging(caller, page, pages, Action.POSITION_SOPS, view.id))
    keyboard.append([_back_to_roles(caller, view)])
    return Screen("\n".join(lines), keyboard)


def _role_pick_screen(caller: Caller, choices: RoleChoices, page: int) -> Screen:
    """The roles of the chosen SOP (or of every SOP) the position may be given."""
    view = choices.position
    sop = choices.sop
    scope = sop.ref if sop is not None else EVERY_SOP
    lines = [
        caller.text(
            "positions.pick_role",
            name=escape(view.name),
            scope=_scope(caller, sop.title if sop else None),
        )
    ]
    if sop is not None:
        lines.append(caller.text("positions.own_mapping_note"))
    offered = [r for r in choices.roles if not r.mapped]
    pages = max(1, -(-len(offered) // CHOICES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    buttons = [
        Button(
            shorten(role.name, BUTTON_SHOWN),
            callback(Action.POSITION_MAP, view.id, scope, role.ref),
        )
        for role in offered[page * CHOICES_PER_PAGE : (page + 1) * CHOICES_PER_PAGE]
    ]
    keyboard = _pairs(buttons)
    if not choices.roles:
        lines.append(caller.text("positions.no_sops"))
    elif not offered:
        lines.append(caller.text("positions.no_roles_left"))
    if pages > 1:
        lines.append(caller.text("positions.page", page=page + 1, pages=pages))
        keyboard.append(_paging(caller, page, pages, Action.POSITION_SOP_ROLES, view.id, scope))
    keyboard.append(
        [Button(caller.text("positions.button_back"), callback(Action.POSITION_SOPS, view.id))]
    )
    return Screen("\n".join(lines), keyboard)


def _unmap_screen(caller: Caller, preview: UnmapPreview) -> Screen:
    """What taking a role away would do to open work, and the button that does it."""
    mapping, impact = preview.mapping, preview.impact
    lines = [
        caller.text(
            "positions.unmap_question",
            name=escape(preview.position.name),
            role=escape(mapping.role_name),
            scope=_scope(caller, mapping.sop_title),
        )
    ]
    if impact.steps_touched:
        count = quantity(impact.steps_touched, caller.language)
        lines.append(caller.text("positions.unmap_touches", count=count))
    else:
        lines.append(caller.text("positions.unmap_touches_none"))
    if impact.steps_left_vacant:
        count = quantity(impact.steps_left_vacant, caller.language)
        lines.append(caller.text("positions.unmap_vacant", count=count))
    keyboard: Keyboard = [
        [
            Button(
                caller.text("positions.button_confirm_unmap"),
                callback(Action.POSITION_UNMAP, mapping.mapping_id),
            ),
            _back_to_roles(caller, preview.position),
        ]
    ]
    return Screen("\n".join(lines), keyboard)


def _removal_screen(caller: Caller, preview: RemovalPreview) -> Screen:
    """Why a position cannot be removed now, or what its removal does and the button."""
    view = preview.position
    name = escape(view.name)
    if preview.blocked:
        lines = [caller.text("positions.remove_blocked", name=name)]
        if preview.holders:
            people = ", ".join(escape(shorten(n, PERSON_SHOWN)) for n in preview.holders)
            lines.append(caller.text("positions.remove_held", people=people))
        if preview.actings:
            actings = "; ".join(_acting(caller, a) for a in preview.actings)
            lines.append(caller.text("positions.remove_acting", people=actings))
        if preview.open_work:
            count = quantity(preview.open_work, caller.language)
            lines.append(caller.text("positions.remove_open_work", count=count))
        lines.append(caller.text("positions.remove_blocked_footer"))
        return Screen("\n".join(lines), [[_back_to(caller, view)]])
    lines = [caller.text("positions.remove_question", name=name)]
    if view.mappings:
        count = quantity(len(view.mappings), caller.language)
        lines.append(caller.text("positions.remove_mappings", count=count))
    if preview.impact.steps_touched:
        count = quantity(preview.impact.steps_touched, caller.language)
        lines.append(caller.text("positions.unmap_touches", count=count))
    lines.append(caller.text("positions.remove_kept"))
    keyboard: Keyboard = [
        [
            Button(
                caller.text("positions.button_confirm_remove"),
                callback(Action.POSITION_REMOVE, view.id),
            ),
            _back_to(caller, view),
        ]
    ]
    return Screen("\n".join(lines), keyboard)


# -- pieces ------------------------------------------------------------------------------------


def _role(caller: Caller, mapping: MappingView) -> str:
    """A role as a position serves it: "Sekretaris (semua SOP)" or "Sekretaris (SOP ...)"."""
    return caller.text(
        "positions.role",
        role=escape(mapping.role_name),
        scope=_scope(caller, mapping.sop_title),
    )


def _scope(caller: Caller, sop_title: str | None) -> str:
    if sop_title is None:
        return caller.text("positions.scope_every")
    return caller.text("positions.scope_one", sop=escape(_sop_name(sop_title, TITLE_SHOWN)))


def _sop_name(title: str, limit: int) -> str:
    """An SOP's title without the words every SOP's title starts with ("Standar Operasional
    Prosedur", "SOP"), so that what tells SOPs apart fits: "PENGUMPULAN DATA KINERJA"."""
    short = _SOP_WORDS.sub("", title).strip() or title
    return shorten(short, limit)


_SOP_WORDS = re.compile(r"^\s*(standar\s+operasional\s+prosedur|sop)\b[\s:.-]*", re.IGNORECASE)


def _acting(caller: Caller, acting: ActingView) -> str:
    """A Plt/Plh: "Plh. Siti untuk Budi s.d. Jumat, 7 Agustus 2026" (or from when)."""
    zone = caller.member.agency_timezone
    text = caller.text(
        "positions.acting",
        prefix=acting.kind.prefix,
        name=escape(shorten(acting.name, PERSON_SHOWN)),
    )
    if acting.for_name is not None:
        text += caller.text(
            "positions.acting_for", person=escape(shorten(acting.for_name, PERSON_SHOWN))
        )
    if not acting.in_office:
        text += caller.text("positions.acting_from", since=_when(caller, acting.valid_from, zone))
    if acting.valid_to is not None:
        last = _when(caller, acting.valid_to, zone, end=True)
        text += caller.text("positions.acting_until", until=last)
    return text


def _when(caller: Caller, moment: dt.datetime, zone: str, *, end: bool = False) -> str:
    """A term's boundary: its day when it falls at midnight (an end at midnight is the day
    before, the last day of the term), else its day and time."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        day = local - dt.timedelta(days=1) if end else local
        return local_date(day, zone, caller.language)
    return local_time(moment, zone, caller.language)


def _moved(caller: Caller, instances: int) -> str:
    if not instances:
        return caller.text("positions.moved_none")
    return caller.text("positions.moved", count=quantity(instances, caller.language))


def _paging(
    caller: Caller, page: int, pages: int, action: Action, *before: str | int
) -> list[Button]:
    """◀️ ▶️ for a paged screen (only the directions that lead somewhere)."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(caller.text("button.page_previous"), callback(action, *before, page - 1)))
    if page + 1 < pages:
        row.append(Button(caller.text("button.page_next"), callback(action, *before, page + 1)))
    return row


def _back_to_list(caller: Caller) -> Button:
    return Button(caller.text("positions.button_list"), callback(Action.POSITIONS_PAGE, 0))


def _back_to(caller: Caller, view: PositionView) -> Button:
    return Button(caller.text("positions.button_back"), callback(Action.POSITION_SHOW, view.id))


def _back_to_roles(caller: Caller, view: PositionView) -> Button:
    return Button(caller.text("positions.button_back"), callback(Action.POSITION_ROLES, view.id))


def _pairs(buttons: list[Button]) -> Keyboard:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


# A refusal's code -> what the admin reads (any other: the button is no longer valid).
_REFUSALS = {
    "not_allowed": "status_report.not_admin",
    "mapping_exists": "positions.mapping_exists",
    "role_not_servable": "positions.role_gone",
    "unknown_sop": "positions.role_gone",
    "position_key_taken": "positions.name_taken",
}


def _refusal(caller: Caller, refusal: DomainError) -> str:
    if refusal.code == "position_name_refused":
        reason = str(refusal.params.get("reason", "empty"))
        return caller.text(
            f"positions.name_{reason}",
            length=quantity(_int(refusal.params.get("length")), caller.language),
            limit=quantity(_int(refusal.params.get("limit")), caller.language),
        )
    return caller.text(_REFUSALS.get(refusal.code, "answer.invalid_button"))


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /jabatan (/positions) and the buttons of its screens."""
    application.add_handler(
        CommandHandler(
            ["jabatan", "positions"], positions_command, filters=filters.ChatType.PRIVATE
        )
    )
    application.add_handler(CallbackQueryHandler(button_pressed, pattern=r"^J[a-z]"))
