"""Checking reply_markup as Telegram does, and keeping only what the phone shows."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sopbot.emulator.errors import bad_request

JsonDict = dict[str, Any]

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
# Every kind of inline button: a button is exactly one of these (plus its text).
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _button_error(reason: str) -> Exception:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def check_inline_keyboard(markup: object) -> JsonDict:
    """An InlineKeyboardMarkup, refused like Telegram when a button is malformed."""
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise bad_request('can\'t parse inline keyboard: Field "inline_keyboard" must be an Array')
    rows: list[list[JsonDict]] = []
    count = 0
    for row in markup["inline_keyboard"]:
        if not isinstance(row, list):
            raise _button_error("InlineKeyboardButton row must be an Array")
        buttons = [_check_inline_button(button) for button in row]
        count += len(buttons)
        if buttons:  # Telegram leaves empty rows out
            rows.append(buttons)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return {"inline_keyboard": rows}


def _check_inline_button(button: object) -> JsonDict:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if text is None:
        raise _button_error('Can\'t find field "text"')
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(f"a button must have exactly one action, found {', '.join(actions)}")
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str):
            raise _button_error('Field "callback_data" must be of type String')
        if not 1 <= len(value.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url" and not (isinstance(value, str) and _is_button_url(value)):
        raise bad_request("BUTTON_URL_INVALID")
    kept: JsonDict = {"text": text, action: value}
    for styling in ("icon_custom_emoji_id", "style"):
        if button.get(styling) is not None:
            kept[styling] = button[styling]
    return kept


def _is_button_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme == "tg" and bool(parts.netloc or parts.path)


def check_reply_markup(markup: object) -> tuple[JsonDict | None, JsonDict | None]:
    """Any reply_markup: (the inline keyboard, or the keyboard/removal/force-reply for the chat)."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return check_inline_keyboard(markup), None
    if "keyboard" in markup:
        return None, _check_reply_keyboard(markup)
    if markup.get("remove_keyboard") is True:
        return None, {"remove_keyboard": True}
    if markup.get("force_reply") is True:
        return None, {"force_reply": True}
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_reply_keyboard(markup: JsonDict) -> JsonDict:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('can\'t parse keyboard: Field "keyboard" must be an Array of Arrays')
    kept_rows: list[list[str]] = []
    for row in rows:
        texts: list[str] = []
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text.strip():
                raise bad_request('can\'t parse keyboard button: Field "text" must be a String')
            texts.append(text)
        if texts:
            kept_rows.append(texts)
    if not kept_rows:
        raise bad_request("keyboard must be non-empty")
    return {"keyboard": kept_rows, "one_time_keyboard": bool(markup.get("one_time_keyboard"))}


def button_texts(markup: JsonDict | None) -> tuple[tuple[str, ...], ...]:
    """The rows of button texts of an inline keyboard, as a phone shows them."""
    if markup is None:
        return ()
    return tuple(tuple(button["text"] for button in row) for row in markup["inline_keyboard"])
