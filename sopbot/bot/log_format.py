"""How `sopbot run` writes its log: readable text (the default), or one JSON object a line for
a log collector (`SOPBOT_LOG_FORMAT=json`).

Secrets are kept out before any format sees a record: the token, the webhook secret, the audit
key and the database password are registered with the redaction's log record factory
(`delivery/redaction.py`), which cleans the message, its arguments and the traceback as each
record is made.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from typing import Literal, TextIO

from sopbot.delivery.redaction import install_password_redaction, install_secret_redaction

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, pid, and the
    exception's traceback when the record has one (newlines stay inside the JSON string)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process if record.process is not None else os.getpid(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_formatter(form: LogFormat) -> logging.Formatter:
    """The formatter of a log format."""
    return JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT)


def setup_logging(
    *,
    level: str,
    form: LogFormat,
    secrets: Iterable[str | None] = (),
    database_password: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Keep `secrets` and the database password out of every record, then log at `level` in
    `form` to `stream` (standard error by default). As `logging.basicConfig`, which it calls,
    it leaves a root logger that has handlers already as it is (a test's, say)."""
    for secret in secrets:
        if secret:
            install_secret_redaction(secret)
    if database_password:
        install_password_redaction(database_password)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_formatter(form))
    logging.basicConfig(level=level, handlers=[handler])
