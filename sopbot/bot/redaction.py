"""Keeping the bot token out of every log record, at every level.

python-telegram-bot's request URLs contain the token (`.../bot<TOKEN>/getMe`), and httpx puts
URLs in its log lines and in its exceptions. A log record factory replaces the token in the
message, its arguments and any traceback when the record is created, so no handler, level or
library configuration can let it through.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

REDACTED = "<token>"
_tokens: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """The text with every registered token replaced."""
    for token in _tokens:
        if token and token in text:
            text = text.replace(token, REDACTED)
    return text


def install_token_redaction(token: str) -> None:
    """Redact `token` from all log records from now on (idempotent, thread-safe)."""
    global _installed
    with _lock:
        _tokens.add(token)
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
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
