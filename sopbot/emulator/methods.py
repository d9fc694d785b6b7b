"""The Bot API methods the emulator serves: one function each, refusing what Telegram refuses.

Every function takes the `Call` (state, parameters, fault injector) and returns the `result`
of the answer, or raises `ApiError`. `METHODS` maps the lower-case name (Telegram accepts any
case) to the method; anything else is 404 Not Found, as on Telegram.
"""

from __future__ import annotations

import mimetypes
import re
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from sopbot.emulator.errors import (
    NOT_MODIFIED,
    OTHER_POLLER,
    QUERY_TOO_OLD,
    WEBHOOK_ACTIVE,
    ApiError,
    bad_request,
    conflict,
    forbidden,
    too_many_requests,
)
from sopbot.emulator.faults import FaultInjector
from sopbot.emulator.markup import check_inline_keyboard, check_reply_markup
from sopbot.emulator.params import Params, UploadedFile
from sopbot.emulator.state import (
    CallbackAnswer,
    ChatState,
    EmulatorState,
    JsonDict,
    StoredFile,
    StoredMessage,
    StoredPhoto,
    WebhookConfig,
)
from sopbot.emulator.text_entities import FormattedText, format_text, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD = 50 * 1024 * 1024  # a bot may upload up to 50 MB
MAX_LONG_POLL = 50.0
MAX_PHOTO = 10 * 1024 * 1024  # sendPhoto: at most 10 MB
MAX_PHOTO_SIDES = 10_000  # sendPhoto: width + height
MAX_PHOTO_RATIO = 20  # sendPhoto: the longer side at most 20 times the shorter
_PNG_SIZE_END = 24  # the IHDR's width and height end here
_JPEG_FRAMES = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
ScopeKey = tuple[str, int | None, int | None]


@dataclass(frozen=True, slots=True)
class Described:
    """A result that Telegram sends with a description ("Webhook was set")."""

    result: Any
    description: str


@dataclass(eq=False)
class Call:
    """One call being served: the emulator's state, the parameters, and the fault injector."""

    method: str
    state: EmulatorState
    params: Params
    faults: FaultInjector
    client_gone: Callable[[], bool]
    webhook_changed: Callable[[], None]


MethodFunction = Callable[[Call], Awaitable[Any]]


# --- helpers shared by the methods ----------------------------------------------------------


def find_chat(state: EmulatorState, chat_id: int | str | None) -> ChatState:
    """The chat a call names, or "chat not found"."""
    if chat_id is None:
        raise bad_request("chat_id is empty")
    if isinstance(chat_id, str):
        # Only public chats have an @username here; private chats are addressed by id.
        raise bad_request("chat not found")
    chat = state.chats.get(chat_id)
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _chat_for_sending(call: Call) -> ChatState:
    chat = find_chat(call.state, call.params.chat_id())
    if chat.is_private and chat.blocked:
        raise forbidden("bot was blocked by the user")
    if chat.is_private and not chat.started:
        raise forbidden("bot can't initiate conversation with a user")
    return chat


def _formatted(call: Call, name: str, parse_mode_name: str, entities_name: str) -> FormattedText:
    params = call.params
    text = params.string(name) or ""
    entities = params.json_array(entities_name)
    return format_text(text, params.string(parse_mode_name), entities)


def _message_text(call: Call) -> FormattedText:
    text = _formatted(call, "text", "parse_mode", "entities")
    if not text.text:
        raise bad_request("message text is empty")
    if utf16_len(text.text) > MAX_TEXT:  # counted after parsing, in UTF-16 units
        raise bad_request("message is too long")
    return text


def _caption(call: Call) -> FormattedText | None:
    if not call.params.has("caption"):
        return None
    caption = _formatted(call, "caption", "parse_mode", "caption_entities")
    if utf16_len(caption.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption


def _reply_markup(call: Call) -> tuple[JsonDict | None, JsonDict | None]:
    markup = call.params.json_value("reply_markup", "reply keyboard markup")
    if markup is None:
        return None, None
    return check_reply_markup(markup)


def _apply_keyboard(chat: ChatState, keyboard: JsonDict | None) -> None:
    # A reply keyboard belongs to the chat (it replaces the phone's keyboard), not the message.
    if keyboard is not None and "keyboard" in keyboard:
        chat.reply_keyboard = keyboard
    elif keyboard is not None and keyboard.get("remove_keyboard"):
        chat.reply_keyboard = None


def _reply_target(call: Call, chat: ChatState) -> StoredMessage | None:
    params = call.params
    reply = params.json_object("reply_parameters")
    if reply is not None:
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
        other_chat = reply.get("chat_id")
        if other_chat is not None and other_chat != chat.id:
            raise bad_request("message to be replied not found")
    else:
        message_id = params.integer("reply_to_message_id")
        allow_missing = params.boolean("allow_sending_without_reply")
    if message_id is None:
        return None
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise bad_request('can\'t parse reply parameters: Field "message_id" must be an Integer')
    target = chat.messages.get(message_id)
    if target is None and not allow_missing:
        raise bad_request("message to be replied not found")
    return target


def _count_send(call: Call, chat: ChatState) -> None:
    retry_after = call.faults.check_flood(call.method, chat.id, chat.is_private)
    if retry_after is not None:
        raise too_many_requests(retry_after)


def _bot_message(call: Call) -> StoredMessage:
    params = call.params
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the emulator has no inline messages
    chat = find_chat(call.state, params.chat_id())
    message_id = params.required_integer("message_id", "message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


# --- methods -------------------------------------------------------------------------------


async def get_me(call: Call) -> JsonDict:
    """getMe: the bot's own User, with the bot-only fields."""
    return {
        **call.state.bot.to_json(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(call: Call) -> list[JsonDict]:
    """getUpdates: confirm by offset, then answer at once or hold until an update or timeout."""
    state, params = call.state, call.params
    if state.webhook is not None:
        raise conflict(WEBHOOK_ACTIVE)
    offset = params.integer("offset") or 0
    limit = min(max(params.integer("limit") or 100, 1), 100)
    # The Bot API takes whole seconds; fractions are allowed here so tests can poll briefly.
    timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_LONG_POLL)
    state.updates.set_allowed(params.json_array("allowed_updates"))
    # Telegram lets one getUpdates run at a time: a newer one ends the older with 409.
    state.poll_generation += 1
    generation = state.poll_generation
    state.signal.notify()
    state.updates.confirm(offset)
    if timeout > 0 and not len(state.updates):
        state.polls_waiting += 1
        state.signal.notify()
        try:
            await state.signal.wait_until(
                lambda: (
                    bool(len(state.updates))
                    or state.poll_generation != generation
                    or state.webhook is not None
                    or state.stopping
                    or call.client_gone()
                ),
                timeout,
            )
        finally:
            state.polls_waiting -= 1
            state.signal.notify()
    if state.webhook is not None:
        raise conflict(WEBHOOK_ACTIVE)
    if state.poll_generation != generation:
        raise conflict(OTHER_POLLER)
    return state.updates.first(limit)


async def send_message(call: Call) -> JsonDict:
    """sendMessage: text with entities, an optional keyboard, optionally as a reply."""
    chat = _chat_for_sending(call)
    text = _message_text(call)
    reply_to = _reply_target(call, chat)
    markup, keyboard = _reply_markup(call)
    _count_send(call, chat)
    _apply_keyboard(chat, keyboard)
    message = call.state.add_message(
        chat, call.state.bot, text=text, reply_markup=markup, reply_to=reply_to
    )
    return message.to_json()


@dataclass(frozen=True, slots=True)
class _FileSend:
    """What sendDocument and sendPhoto share: the chat, the file, its caption, the reply and
    the keyboard."""

    chat: ChatState
    stored: StoredFile
    caption: FormattedText | None
    reply_to: StoredMessage | None
    markup: JsonDict | None
    keyboard: JsonDict | None


def _file_send(call: Call, field: str) -> _FileSend:
    """Read a file-sending call's common parameters; a request without the file is refused."""
    chat = _chat_for_sending(call)
    sent = call.params.file(field)
    if sent is None:
        raise bad_request(f"there is no {field} in the request")
    caption = _caption(call)
    reply_to = _reply_target(call, chat)
    markup, keyboard = _reply_markup(call)
    return _FileSend(chat, _document_file(call, sent), caption, reply_to, markup, keyboard)


def _post_file(call: Call, send: _FileSend, **media: Any) -> JsonDict:
    """Count the send, apply the keyboard and add the message with its file."""
    _count_send(call, send.chat)
    _apply_keyboard(send.chat, send.keyboard)
    message = call.state.add_message(
        send.chat,
        call.state.bot,
        caption=send.caption,
        reply_markup=send.markup,
        reply_to=send.reply_to,
        **media,
    )
    return message.to_json()


async def send_document(call: Call) -> JsonDict:
    """sendDocument: a new upload (multipart) or a file Telegram already has (file_id)."""
    send = _file_send(call, "document")
    return _post_file(call, send, document=send.stored)


async def send_photo(call: Call) -> JsonDict:
    """sendPhoto: a PNG or JPEG picture (new upload or file_id) within Telegram's photo limits:
    10 MB, width + height at most 10,000 px, sides' ratio at most 20."""
    send = _file_send(call, "photo")
    if len(send.stored.content) > MAX_PHOTO:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    size = picture_size(send.stored.content)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(
        width, height
    ):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return _post_file(call, send, photo=StoredPhoto(send.stored, width, height))


def picture_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= _PNG_SIZE_END:
        width, height = struct.unpack(">II", content[16:_PNG_SIZE_END])
        return (width, height) if width and height else None
    if not content.startswith(b"\xff\xd8"):
        return None
    index = 2
    while index + 9 < len(content):
        if content[index] != 0xFF:
            return None
        marker = content[index + 1]
        length = struct.unpack(">H", content[index + 2 : index + 4])[0]
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", content[index + 5 : index + 9])
            return (width, height) if width and height else None
        index += 2 + length
    return None


def _document_file(call: Call, document: UploadedFile | str) -> StoredFile:
    if isinstance(document, UploadedFile):
        if not document.content:
            raise bad_request("file must be non-empty")
        if len(document.content) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        mime_type = document.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(document.file_name)[0] or "application/octet-stream"
        return call.state.store_file(document.content, document.file_name, mime_type)
    if urlsplit(document).scheme in ("http", "https"):
        # Telegram would download it; the emulator has no internet, like the machines it runs on.
        raise bad_request("failed to get HTTP URL content")
    stored = call.state.files.get(document)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


async def edit_message_text(call: Call) -> JsonDict:
    """editMessageText: new text; leaving out reply_markup removes the keyboard, as on Telegram."""
    message = _bot_message(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = _message_text(call)
    markup = _inline_markup(call)
    if text == message.text and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    _count_send(call, message.chat)
    message.text, message.reply_markup = text, markup
    message.edit_date = call.state.now()
    call.state.signal.notify()
    return message.to_json()


async def edit_message_reply_markup(call: Call) -> JsonDict:
    """editMessageReplyMarkup: a new inline keyboard, or none."""
    message = _bot_message(call)
    markup = _inline_markup(call)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    _count_send(call, message.chat)
    # Only the keyboard changed: Telegram does not mark the message as edited for that.
    message.reply_markup = markup
    call.state.signal.notify()
    return message.to_json()


def _inline_markup(call: Call) -> JsonDict | None:
    markup = call.params.json_value("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return check_inline_keyboard(markup)


async def answer_callback_query(call: Call) -> bool:
    """answerCallbackQuery: once per press, text up to 200 characters."""
    params = call.params
    query_id = params.required_string("callback_query_id", QUERY_TOO_OLD)
    text = params.string("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    query = call.state.callback_queries.get(query_id)
    if query is None or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    ttl = call.state.callback_query_ttl
    if ttl is not None and call.state.monotonic() - query.asked_at > ttl:
        raise bad_request(QUERY_TOO_OLD)
    query.answer = CallbackAnswer(
        query_id=query.id,
        text=text or None,
        show_alert=params.boolean("show_alert"),
        url=params.string("url"),
        cache_time=params.integer("cache_time") or 0,
    )
    call.state.signal.notify()
    return True


async def get_file(call: Call) -> JsonDict:
    """getFile: a download path for files up to 20 MB."""
    file_id = call.params.required_string("file_id", "invalid file_id")
    stored = call.state.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    if stored.file_path is None:
        number = len(call.state.files_by_path) + 1
        suffix = PurePosixPath(stored.file_name or "").suffix
        stored.file_path = f"documents/file_{number}{suffix}"
        call.state.files_by_path[stored.file_path] = stored
    return stored.file_json()


def _scope_key(call: Call) -> tuple[ScopeKey, str]:
    params = call.params
    scope = params.json_object("scope", "BotCommandScope") or {"type": "default"}
    kind = scope.get("type")
    if kind not in _SCOPES:
        raise bad_request("can't parse BotCommandScope: Unsupported type")
    chat_id: int | None = None
    user_id: int | None = None
    if kind in ("chat", "chat_administrators", "chat_member"):
        raw_chat = scope.get("chat_id")
        if isinstance(raw_chat, str) and raw_chat.lstrip("-").isdigit():
            raw_chat = int(raw_chat)
        if not isinstance(raw_chat, int) or isinstance(raw_chat, bool):
            raise bad_request("chat not found")
        chat_id = find_chat(call.state, raw_chat).id
    if kind == "chat_member":
        raw_user = scope.get("user_id")
        if not isinstance(raw_user, int) or raw_user not in call.state.people:
            raise bad_request("user not found")
        user_id = raw_user
    language = params.string("language_code") or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("LANG_CODE_INVALID")
    return (str(kind), chat_id, user_id), language


async def set_my_commands(call: Call) -> bool:
    """setMyCommands: the command menu for one scope and language."""
    commands = call.params.json_array("commands", "commands")
    if commands is None:
        raise bad_request('parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("too many commands")
    checked: list[JsonDict] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for name in ("command", "description"):
            if name not in command:
                raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not isinstance(command[name], str):
                raise bad_request(f'can\'t parse BotCommand: Field "{name}" must be a String')
        if not _COMMAND.fullmatch(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        description = command["description"].strip()
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": command["command"], "description": description})
    key = _scope_key(call)
    if checked:
        call.state.commands[key] = checked
    else:
        call.state.commands.pop(key, None)  # an empty list is the same as deleting them
    return True


async def get_my_commands(call: Call) -> list[JsonDict]:
    """getMyCommands: exactly what was set for this scope and language."""
    return list(call.state.commands.get(_scope_key(call), []))


async def delete_my_commands(call: Call) -> bool:
    """deleteMyCommands: forget the commands of this scope and language."""
    call.state.commands.pop(_scope_key(call), None)
    return True


async def set_webhook(call: Call) -> Described:
    """setWebhook: deliver updates by POST from now on (an empty url deletes the webhook)."""
    params = call.params
    url = params.string("url")
    if url is None:
        raise bad_request('parameter "url" is required')
    if not url:
        return _delete_webhook(call)
    parts = urlsplit(url)
    # Telegram insists on HTTPS; the emulator allows http so tests need no certificate.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.string("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    allowed = params.json_array("allowed_updates")
    state = call.state
    new = WebhookConfig(url, secret, min(max(max_connections, 1), 100), params.string("ip_address"))
    old = state.webhook
    same = old is not None and (old.url, old.secret_token) == (new.url, new.secret_token)
    if params.boolean("drop_pending_updates"):
        state.updates.drop_all()
    state.updates.set_allowed(allowed)
    if not same:
        state.webhook = new
    state.signal.notify()
    call.webhook_changed()
    return Described(True, "Webhook is already set" if same else "Webhook was set")


async def delete_webhook(call: Call) -> Described:
    """deleteWebhook: back to getUpdates (pending updates stay unless dropped)."""
    return _delete_webhook(call)


def _delete_webhook(call: Call) -> Described:
    state = call.state
    if call.params.boolean("drop_pending_updates"):
        state.updates.drop_all()
    was_set = state.webhook is not None
    state.webhook = None
    state.signal.notify()
    call.webhook_changed()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


async def get_webhook_info(call: Call) -> JsonDict:
    """getWebhookInfo: the webhook (url "" when none) and how many updates wait."""
    state = call.state
    info: JsonDict = {
        "url": state.webhook.url if state.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.webhook is not None:
        info["max_connections"] = state.webhook.max_connections
        if state.webhook.ip_address:
            info["ip_address"] = state.webhook.ip_address
        if state.webhook.last_error_date is not None:
            info["last_error_date"] = state.webhook.last_error_date
            info["last_error_message"] = state.webhook.last_error_message
    if state.updates.allowed:
        info["allowed_updates"] = sorted(state.updates.allowed)
    return info


METHODS: dict[str, tuple[str, MethodFunction]] = {
    name.lower(): (name, function)
    for name, function in {
        "getMe": get_me,
        "getUpdates": get_updates,
        "sendMessage": send_message,
        "sendDocument": send_document,
        "sendPhoto": send_photo,
        "editMessageText": edit_message_text,
        "editMessageReplyMarkup": edit_message_reply_markup,
        "answerCallbackQuery": answer_callback_query,
        "getFile": get_file,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
    }.items()
}


def find_method(name: str) -> tuple[str, MethodFunction] | None:
    """The method Telegram would run for this name (any letter case), if the emulator has it."""
    return METHODS.get(name.lower())
