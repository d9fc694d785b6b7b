"""Keeping the bot token out of every log record, at every level.

python-telegram-bot's request URLs contain the token (`.../bot<TOKEN>/getMe`), and HTTP
libraries put URLs in their log lines and in their exceptions. A log record factory replaces the
token in the message, its arguments and any traceback when the record is created, so no handler,
level or library configuration can let it through.

A URL can come back changed: an upstream error may echo it lower-cased
(`/bot123456:abc-secret/sendmessage`), and a proxy or a client may percent-encode it (`%3A` for
the colon, `%253A` when encoded twice). The token is matched in any letter case and with any of
its characters percent-encoded, and its secret part (after the colon) is redacted on its own too.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

REDACTED = "<token>"
# A secret part shorter than this is not redacted on its own: it would match ordinary words.
# Telegram's secrets are 35 characters; the emulator's test token has 10.
MIN_SECRET_ALONE = 8
_patterns: dict[str, re.Pattern[str]] = {}
_lock = threading.Lock()
_installed = False


def _encoded(text: str) -> str:
    """A pattern for `text` with each character as itself or percent-encoded (once or twice)."""
    return "".join(f"(?:{re.escape(c)}|%(?:25)?{ord(c):02X})" for c in text)


def token_pattern(token: str) -> re.Pattern[str]:
    """What counts as the token in text: the whole token or its secret part, in any case,
    with characters percent-encoded or not."""
    bot_id, colon, secret = token.partition(":")
    if not colon:
        return re.compile(_encoded(token), re.IGNORECASE)
    whole = _encoded(bot_id + colon + secret)
    if len(secret) < MIN_SECRET_ALONE:
        return re.compile(whole, re.IGNORECASE)
    return re.compile(f"(?:{_encoded(bot_id + colon)})?{_encoded(secret)}", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with every registered token replaced."""
    for pattern in tuple(_patterns.values()):  # another thread may add a token
        text = pattern.sub(REDACTED, text)
    return text


def install_token_redaction(token: str) -> None:
    """Redact `token` from all log records from now on (idempotent, thread-safe)."""
    global _installed
    with _lock:
        if token and token not in _patterns:
            _patterns[token] = token_pattern(token)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: leave it to the handler to report
                return record
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
            if record.exc_info:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = redact(text)  # handlers use this instead of re-formatting
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
