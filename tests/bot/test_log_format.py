"""`SOPBOT_LOG_FORMAT=json`: one JSON object a line, and no secret in it (the token, the
webhook secret, the audit key, the database password), however a message carries them."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from sopbot.bot.log_format import JsonFormatter, LogFormat, setup_logging
from sopbot.delivery.redaction import install_token_redaction

TOKEN = "7312946508:AAH3kq-Zx9_Lm2Pq8Rs5Tu7Vw0Yb4Cd6Ef1"
# The secrets that must not show.
WEBHOOK_SECRET = "Webhook_Rahasia-0123456789abcdefXYZ"
AUDIT_KEY = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4f6a8b0c2d4e6f8a0b"
PASSWORD = "Sandi-DB-8812"
SHORT_PASSWORD = "pw1"  # too short to redact anywhere but in a URL


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """A JSON-formatted handler on a test logger, with every secret registered as
    `sopbot run` registers them."""
    install_token_redaction(TOKEN)
    setup_logging(
        level="INFO",
        form="json",
        secrets=[WEBHOOK_SECRET, AUDIT_KEY, None],
        database_password=PASSWORD,
        stream=io.StringIO(),  # the root's handler (pytest's own stay: basicConfig leaves them)
    )
    setup_logging(level="INFO", form="json", database_password=SHORT_PASSWORD)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.log_format")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


def records(buffer: io.StringIO) -> list[dict[str, object]]:
    """Each line of the log as the JSON object it must be."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_its_fields(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.log_format")
    log.info("procedure %s started\nby %s", 12, "Budi")  # a newline stays inside the object
    try:
        raise ValueError("a broken step")
    except ValueError:
        log.exception("handling update %s failed", 901)

    first, second = records(lines)

    assert first["message"] == "procedure 12 started\nby Budi"
    assert (first["level"], first["logger"]) == ("INFO", "tests.log_format")
    assert first["pid"] == os.getpid()
    assert "exception" not in first
    written = dt.datetime.fromisoformat(str(first["time"]))
    assert str(first["time"]).endswith("Z")
    assert written.utcoffset() == dt.timedelta(0)
    assert second["level"] == "ERROR"
    assert second["message"] == "handling update 901 failed"
    assert str(second["exception"]).startswith("Traceback (most recent call last):")
    assert str(second["exception"]).endswith("ValueError: a broken step")


def test_no_secret_reaches_a_json_line(lines: io.StringIO) -> None:
    log = logging.getLogger("tests.log_format")
    url = f"postgresql+psycopg://sopbot:{PASSWORD}@db.pemkot.go.id:5432/sopbot"
    log.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
    log.warning("GET /bot%s/getme", quote(TOKEN, safe="").lower())
    log.warning("connecting to %s", url)
    encoded = "".join(f"%{ord(c):02x}" for c in PASSWORD)  # as a URL may carry it
    log.warning("connecting to %s", url.replace(PASSWORD, encoded))
    log.warning("connecting to postgresql://sopbot:%s@127.0.0.1/sopbot", SHORT_PASSWORD)
    log.warning("header X-Telegram-Bot-Api-Secret-Token: %s", WEBHOOK_SECRET)
    log.warning("key %s", AUDIT_KEY.upper())
    try:
        raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/getMe and {url}")
    except ConnectionError:
        log.exception("request failed")

    written = lines.getvalue()
    found = records(lines)

    assert len(found) == 8
    for secret in (TOKEN.split(":")[1], PASSWORD, WEBHOOK_SECRET, AUDIT_KEY):
        assert secret.lower() not in written.lower()
    assert f":{SHORT_PASSWORD}@" not in written
    assert found[0]["message"] == "POST https://api.telegram.org/bot<token>/sendMessage failed"
    assert found[2]["message"] == (
        "connecting to postgresql+psycopg://sopbot:<secret>@db.pemkot.go.id:5432/sopbot"
    )
    assert found[3]["message"] == (
        "connecting to postgresql+psycopg://sopbot:<secret>@db.pemkot.go.id:5432/sopbot"
    )
    assert found[4]["message"] == "connecting to postgresql://sopbot:<secret>@127.0.0.1/sopbot"
    assert found[5]["message"] == "header X-Telegram-Bot-Api-Secret-Token: <secret>"
    assert "bot<token>/getMe" in str(found[7]["exception"])


def test_a_short_password_is_left_alone_outside_a_url(lines: io.StringIO) -> None:
    logging.getLogger("tests.log_format").info("step pw1 done")  # ordinary words stay
    assert records(lines)[0]["message"] == "step pw1 done"


@pytest.mark.parametrize(
    ("form", "ends"),
    [
        ("text", " INFO tests.log_format.root: sopbot is running"),
        ("json", '"logger": "tests.log_format.root", "message": "sopbot is running", '),
    ],
)
def test_setting_up_gives_the_root_logger_its_format(form: LogFormat, ends: str) -> None:
    buffer = io.StringIO()
    root = logging.getLogger()
    kept, level = root.handlers[:], root.level
    root.handlers.clear()  # as in a fresh `sopbot run` (pytest's capture handlers put back)
    try:
        setup_logging(level="INFO", form=form, stream=buffer)
        logging.getLogger("tests.log_format.root").info("sopbot is running")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = kept
        root.setLevel(level)
    assert ends in buffer.getvalue()
    if form == "json":
        assert json.loads(buffer.getvalue())["level"] == "INFO"
