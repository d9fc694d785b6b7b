"""Joining and finding one's way: /start with an invitation, /bantuan, /bahasa, /undang, and a
polite answer to strangers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    command_key,
    current_member,
    edit_html,
    in_thread,
    language_of,
    members_only,
    send_html,
    services_of,
    wake_sender,
)
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import escape, local_time, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.numbers import quantity
from sopbot.services.onboarding import AlreadyBound, InvitationInvalid, WrongAccount
from sopbot.storage.agencies import Position

PRIVATE = filters.ChatType.PRIVATE
INVITE_PAGE = 8  # positions per page of /undang
INVITE_BUTTON = 60  # characters of a position's name on its button
Screen = tuple[str, Keyboard]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, with an invitation token from a deep link, or to say hello again."""
    services = services_of(context)
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    token = context.args[0] if context.args else None
    member = await current_member(update, context)
    language = language_of(member, update)
    t = services.catalog.text
    if token is None:
        if member is None:
            await send_html(message, t(language, "onboarding.stranger"), context=context)
        else:
            await _welcome(update, context, member.id)
        return
    try:
        outcome = await in_thread(
            services.onboarding.accept,
            command_key(update, context),
            token=token,
            telegram_user_id=user.id,
            full_name=user.full_name,
            language_code=user.language_code,
            telegram_username=user.username,
        )
    except AlreadyBound:
        assert member is not None  # noqa: S101 - bound means known
        await send_html(
            message,
            t(
                language,
                "onboarding.already_bound",
                name=escape(member.name),
                agency=escape(member.agency_name),
            ),
            context=context,
        )
        return
    except InvitationInvalid:
        await send_html(message, t(language, "onboarding.invite_invalid"), context=context)
        return
    except WrongAccount:
        await send_html(message, t(language, "roster.wrong_account"), context=context)
        return
    # The accept sent the member's open work, each disposition once, in its transaction.
    await _welcome(update, context, outcome.result.member_id)
    wake_sender(context)


async def _welcome(update: Update, context: ContextTypes.DEFAULT_TYPE, member_id: int) -> None:
    services = services_of(context)
    member = await current_member(update, context)
    if member is None:
        return
    language = language_of(member, update)
    t = services.catalog.text
    positions = await in_thread(services.onboarding.positions_of, member_id)
    position = (
        t(language, "onboarding.welcome_position", position=escape(", ".join(positions)))
        if positions
        else ""
    )
    lines = [
        t(
            language,
            "onboarding.welcome",
            name=escape(member.name),
            agency=escape(member.agency_name),
            position=position,
        ),
        t(language, "onboarding.welcome_body"),
    ]
    if member.is_admin:
        lines.append(t(language, "onboarding.welcome_admin"))
    if member.is_operator:
        lines.append(t(language, "operator.welcome"))
    tasks = await in_thread(services.procedures.inbox, member_id)
    if tasks:
        lines.append(t(language, "onboarding.open_tasks", count=quantity(len(tasks), language)))
    await send_html(update.effective_message, "\n\n".join(lines), context=context)


@members_only
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/bantuan: what the bot does and how to use it (with the admin's and operator's
    commands for them)."""
    parts = [caller.text("help.text")]
    # The admin and operator commands only for those who may use them.
    if caller.member.is_admin:
        parts.append(caller.text("help.admin"))
    if caller.member.is_operator:
        parts.append(caller.text("help.operator"))
    await send_html(update.effective_message, "\n\n".join(parts), context=context)


@members_only
async def language_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/bahasa: choose Indonesian or English."""
    services, language = caller.services, caller.language
    t = services.catalog.text
    keyboard = [
        [
            Button(t(language, "button.language_id"), callback(Action.LANGUAGE, "id")),
            Button(t(language, "button.language_en"), callback(Action.LANGUAGE, "en")),
        ]
    ]
    await send_html(
        update.effective_message, t(language, "onboarding.language_pick"), keyboard, context=context
    )


@members_only
async def language_chosen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A language button."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services = caller.member, caller.services
    pressed = decode(query.data)
    if pressed is None or not pressed.parts or pressed.parts[0] not in ("id", "en"):
        await answer(
            query, services.catalog.text(language_of(member, update), "answer.invalid_button")
        )
        return
    await in_thread(services.onboarding.set_language, member.id, pressed.parts[0])
    language = Language.of(pressed.parts[0])
    await answer(query)
    await query.edit_message_text(services.catalog.text(language, "onboarding.language_set"))


@members_only
async def invite_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/undang (agency admins): pick a position, get a single-use invitation link."""
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    if not member.is_admin:
        await send_html(
            update.effective_message, t(language, "status_report.not_admin"), context=context
        )
        return
    positions = await in_thread(services.onboarding.agency_positions, member.agency_id)
    text, keyboard = _invite_screen(caller, positions, 0)
    await send_html(update.effective_message, text, keyboard, context=context)


@admins_only
async def invite_page_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """◀️ ▶️ of /undang: another page of the positions, in the same message (a page past the
    last shows the last)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    page = pressed.int_at(0) if pressed and len(pressed.parts) == 1 else None
    chat = update.effective_chat
    if page is None or chat is None or query.message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    services = caller.services
    positions = await in_thread(services.onboarding.agency_positions, caller.member.agency_id)
    text, keyboard = _invite_screen(caller, positions, page)
    await edit_html(context, chat.id, query.message.message_id, text, keyboard)
    await answer(query)


def _invite_screen(caller: Caller, positions: Sequence[Position], page: int) -> Screen:
    """A page of /undang: a button for each of INVITE_PAGE positions, and ◀️ ▶️."""
    pages = max(1, -(-len(positions) // INVITE_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = positions[page * INVITE_PAGE : (page + 1) * INVITE_PAGE]
    keyboard: Keyboard = [
        [Button(shorten(position.name, INVITE_BUTTON), callback(Action.INVITE, position.id))]
        for position in shown
    ]
    text = caller.text("onboarding.invite_pick_position")
    if pages > 1:
        text += "\n" + caller.text("relink.invite_page", page=page + 1, pages=pages)
        row = []
        if page > 0:
            row.append(
                Button(caller.text("button.page_previous"), callback(Action.INVITE_PAGE, page - 1))
            )
        if page + 1 < pages:
            row.append(
                Button(caller.text("button.page_next"), callback(Action.INVITE_PAGE, page + 1))
            )
        keyboard.append(row)
    return text, keyboard


@members_only
async def invite_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A position button of /undang: create the link (the server checks the admin again)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    pressed = decode(query.data)
    position_id = pressed.int_at(0) if pressed else None
    if position_id is None:
        await answer(query, t(language, "answer.invalid_button"))
        return
    try:
        token, expires = await in_thread(
            services.onboarding.invite,
            agency_id=member.agency_id,
            position_id=position_id,
            created_by_id=member.id,
        )
    except DomainError:
        await answer(query, t(language, "answer.not_allowed"), show_alert=True)
        return
    positions = await in_thread(services.onboarding.agency_positions, member.agency_id)
    names = {position.id: position.name for position in positions}
    link = f"https://t.me/{services.bot_username}?start={token}"
    await answer(query)
    chat = update.effective_chat
    await send_html(
        None,
        t(
            language,
            "onboarding.invite_link",
            position=escape(names.get(position_id, "")),
            expires=local_time(expires, member.agency_timezone, language),
            link=escape(link),
        ),
        context=context,
        chat_id=chat.id if chat else None,
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the onboarding handlers."""
    application.add_handler(CommandHandler("start", start, filters=PRIVATE))
    application.add_handler(CommandHandler(["bantuan", "help"], help_command, filters=PRIVATE))
    application.add_handler(
        CommandHandler(["bahasa", "language"], language_command, filters=PRIVATE)
    )
    application.add_handler(CommandHandler("undang", invite_command, filters=PRIVATE))
    application.add_handler(
        CallbackQueryHandler(language_chosen, pattern=f"^{Action.LANGUAGE.value}:")
    )
    application.add_handler(CallbackQueryHandler(invite_chosen, pattern=f"^{Action.INVITE.value}:"))
    application.add_handler(
        CallbackQueryHandler(invite_page_pressed, pattern=f"^{Action.INVITE_PAGE.value}:")
    )
