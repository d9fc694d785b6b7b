"""Keeping the bot token out of every log record, at every level.

python-telegram-bot's request URLs contain the token (`.../bot<TOKEN>/getMe`), and HTTP
libraries put URLs in their log lines and in their exceptions. A log record factory replaces the
token in the message, its arguments and any traceback when the record is created, so no handler,
level or library configuration can let it through.

A URL can come back changed: an upstream error may echo it lower-cased
(`/bot123456:abc-secret/sendmessage`), and a proxy or a client may percent-encode it (`%3A` for
the colon, `%253A` when encoded twice). The token is matched in any letter case and with any of
its characters percent-encoded, and its secret part (after the colon) is redacted on its own too.

The other secrets of a deployment are kept out the same way (`install_secret_redaction`: the
webhook secret, the audit key; `install_password_redaction`: the database password, as a URL
carries it), so a log line in any format (text or JSON, bot/log_format.py) never shows them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

REDACTED = "<token>"
REDACTED_SECRET = "<secret>"  # noqa: S105 - what a secret is replaced with
# A secret part shorter than this is not redacted on its own: it would match ordinary words.
# Telegram's secrets are 35 characters; the emulator's test token has 10.
MIN_SECRET_ALONE = 8
_patterns: dict[str, tuple[re.Pattern[str], str]] = {}  # by secret: its pattern, its stand-in
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


def secret_pattern(secret: str) -> re.Pattern[str]:
    """What counts as a secret in text: the whole of it, in any case, percent-encoded or not."""
    return re.compile(_encoded(secret), re.IGNORECASE)


def password_pattern(password: str) -> re.Pattern[str]:
    """What counts as the database password in text: as a URL carries it (between the user's
    ':' and the '@'), in any case, percent-encoded or not; anywhere, when it is long enough
    not to match ordinary words."""
    if len(password) >= MIN_SECRET_ALONE:
        return secret_pattern(password)
    return re.compile(f"(?<=:){_encoded(password)}(?=@)", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with every registered token and secret replaced."""
    for pattern, stand_in in tuple(_patterns.values()):  # another thread may add one
        text = pattern.sub(stand_in, text)
    return text


def install_token_redaction(token: str) -> None:
    """Redact `token` from all log records from now on (idempotent, thread-safe)."""
    _install(token, lambda: (token_pattern(token), REDACTED))


def install_secret_redaction(secret: str) -> None:
    """Redact a secret (the webhook secret, the audit key) from all log records from now on,
    as `<secret>` (idempotent, thread-safe)."""
    _install(secret, lambda: (secret_pattern(secret), REDACTED_SECRET))


def install_password_redaction(password: str) -> None:
    """Redact the database password from all log records from now on (see
    `password_pattern`), as `<secret>` (idempotent, thread-safe)."""
    _install(password, lambda: (password_pattern(password), REDACTED_SECRET))


def _install(secret: str, pattern: Callable[[], tuple[re.Pattern[str], str]]) -> None:
    """Register a secret's pattern, and the log record factory that applies them all."""
    global _installed
    with _lock:
        if secret and secret not in _patterns:
            _patterns[secret] = pattern()
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
