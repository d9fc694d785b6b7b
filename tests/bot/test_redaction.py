"""The token is redacted from log records however a URL carries it back."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from sopbot.delivery.redaction import REDACTED, install_token_redaction

TOKEN = "7312946508:AAH3kq-Zx9_Lm2Pq8Rs5Tu7Vw0Yb4Cd6Ef1"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Records of a test logger, formatted with tracebacks, into a buffer."""
    install_token_redaction(TOKEN)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize(
    "shown",
    [
        TOKEN,
        TOKEN.lower(),  # an upstream error echoing the URL lower-cased
        TOKEN.upper(),
        quote(TOKEN, safe=""),  # %3A for the colon
        quote(TOKEN, safe="").lower(),  # %3a
        quote(quote(TOKEN, safe=""), safe=""),  # encoded twice: %253A
        "".join(f"%{ord(c):02x}" for c in TOKEN),  # every character encoded
        TOKEN.split(":")[1],  # the secret part alone
        TOKEN.split(":")[1].lower(),
    ],
)
def test_every_form_of_the_token_is_redacted(shown: str, logged: io.StringIO) -> None:
    log = logging.getLogger("tests.redaction")
    log.warning("upstream said: POST /bot%s/sendmessage failed", shown)
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{shown}/getme")
    except RuntimeError:
        log.exception("request failed")
    text = logged.getvalue()
    assert f"/bot{REDACTED}/sendmessage failed" in text
    assert f"RuntimeError: https://api.telegram.org/bot{REDACTED}/getme" in text
    secret = TOKEN.split(":")[1]
    for form in (secret, secret.lower(), quote(secret, safe="").lower()):
        assert form not in text.lower()


def test_other_text_is_left_alone(logged: io.StringIO) -> None:
    logging.getLogger("tests.redaction").info("bot 7312946508 sent %d messages", 3)
    assert logged.getvalue() == "bot 7312946508 sent 3 messages\n"
