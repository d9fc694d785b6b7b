"""The bot token never appears in the logs, at any level (PTB's request URLs contain it)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sopbot.demo.officials import settle
from sopbot.demo.scenario import start_procedure, world
from sopbot.emulator import ServerError
from sopbot.engine.library import SopLibrary
from tests.e2e.conftest import KESBANGPOL


@pytest.fixture
def everything_logged() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, formatted with tracebacks, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    loud = (
        "aiohttp",
        "httpx",
        "httpcore",
        "telegram",
        "telegram.request",
        "telegram.ext",
        "apscheduler",
    )
    old_levels = {name: logging.getLogger(name).level for name in loud}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name, level in old_levels.items():
            logging.getLogger(name).setLevel(level)


async def test_the_token_never_reaches_a_log(
    library: SopLibrary, tmp_path: Path, everything_logged: io.StringIO
) -> None:
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs") as demo:
        token = demo.emulator.token
        # Even the libraries that log URLs are at DEBUG now.
        for name in ("aiohttp", "httpx", "httpcore", "telegram", "telegram.ext"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        demo.emulator.faults.fail_next("sendMessage", ServerError(status=502), times=2)
        await start_procedure(demo)
        await settle(demo.emulator, demo.parts)
    text = everything_logged.getvalue()
    assert "getUpdates" in text or "sendMessage" in text  # the URLs were logged...
    assert "<token>" in text  # ...with the token redacted
    assert token not in text
    assert token.split(":")[1] not in text


async def test_the_token_is_redacted_when_an_error_echoes_it_changed(
    library: SopLibrary, tmp_path: Path, everything_logged: io.StringIO
) -> None:
    """Upstream errors may echo the URL lower-cased or percent-encoded; none of it is logged."""
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs") as demo:
        token = demo.emulator.token
        bot_id, secret = token.split(":")
        echoes = (
            f"upstream failed: POST /bot{token.lower()}/sendmessage",
            f"upstream failed: POST /bot{bot_id}%3A{secret}/sendMessage",
        )
        for echo in echoes:
            # The poller logs a failed getUpdates with Telegram's description.
            demo.emulator.faults.fail_next("getUpdates", ServerError(502, echo))
            await start_procedure(demo)
            await settle(demo.emulator, demo.parts)
    text = everything_logged.getvalue()
    assert text.count("upstream failed: POST /bot<token>/sendmessage") == 1
    assert text.count("upstream failed: POST /bot<token>/sendMessage") == 1
    assert secret.lower() not in text.lower()
