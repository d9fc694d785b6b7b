"""`sopbot run` at start-up: settings that cannot work, a Bot API out of reach, a refused token.

The retry loop runs in this process against the emulator with short waits; `sopbot run` itself
runs as a child process (the production entry point) against the emulator or a closed port.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import BotApiRefused, reach_bot_api
from sopbot.bot.preflight import settings_problems
from sopbot.bot.settings import Settings
from sopbot.cli import main
from sopbot.emulator import (
    DEFAULT_TOKEN,
    BotApiEmulator,
    DropConnection,
    ServerError,
    TooManyRequests,
)
from sopbot.engine.library import SopLibrary, load_library
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY_TEXT
from tests.helpers.sopbot_run import finish, read_until, start_sopbot_run

REPO = Path(__file__).resolve().parents[2]
# Looks like @BotFather's, and is not the emulator's: the emulator answers it 401.
WRONG_TOKEN = "987654321:AAWrongTokenWrongTokenWrongToken123"
GOOD_SECRET = "Zq8vN3kT5wR1yU7iO9pA2sD4fG6hJ0lX-_mB"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def library() -> SopLibrary:
    return load_library(REPO / "sop_defs")


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as running_emulator:
        yield running_emulator


def bot_for(emulator: BotApiEmulator, library: SopLibrary, tmp_path: Path, **kw: str) -> BotParts:
    return build_bot(
        token=kw.get("token", emulator.token),
        database=Database(f"sqlite:///{tmp_path / 'sopbot.db'}"),
        library=library,
        documents_dir=tmp_path / "documents",
        base_url=kw.get("base_url", f"http://127.0.0.1:{emulator.port}"),
    )


# --- the retry loop, in this process ------------------------------------------------------------


async def test_a_temporary_outage_is_waited_out_with_back_off(
    emulator: BotApiEmulator,
    library: SopLibrary,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.faults.fail_next("getMe", ServerError(502, "Bad Gateway"), times=2)
    emulator.faults.fail_next("getMe", DropConnection())
    emulator.faults.fail_next("getMe", TooManyRequests(retry_after=1))
    parts = bot_for(emulator, library, tmp_path)
    server = f"http://127.0.0.1:{emulator.port}"
    with caplog.at_level(logging.WARNING, logger="sopbot.bot.lifecycle"):
        reached = await reach_bot_api(
            parts.application.bot, asyncio.Event(), server=server, first_wait=0.01
        )
    await parts.application.bot.shutdown()
    assert reached
    assert len(emulator.calls_to("getMe")) == 5
    retries = [r for r in caplog.records if r.name == "sopbot.bot.lifecycle"]
    assert [r.levelno for r in retries] == [logging.WARNING] * 4
    assert all(r.exc_info is None for r in retries)  # one line each, no traceback
    # Doubling waits; a 429's retry_after is kept to.
    assert [r.args[2] for r in retries] == [0.01, 0.02, 0.04, 1]  # type: ignore[index]
    messages = [r.getMessage() for r in retries]
    assert messages[0].startswith(f"cannot reach the Bot API at {server} (NetworkError: ")
    assert "Bad Gateway" in messages[0]
    assert "flood control" in messages[3]
    assert messages[3].endswith("(attempt 4)")
    assert emulator.token not in caplog.text


class StopAfter(logging.Handler):
    """Keeps the records it sees, and sets `stop` once it has seen `count` of them."""

    def __init__(self, stop: asyncio.Event, count: int) -> None:
        super().__init__()
        self.stop, self.count = stop, count
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if len(self.records) >= self.count:
            self.stop.set()


async def test_the_back_off_is_bounded_and_a_stop_ends_the_wait(
    library: SopLibrary, tmp_path: Path
) -> None:
    port = closed_port()
    parts = build_bot(
        token=DEFAULT_TOKEN,
        database=Database(f"sqlite:///{tmp_path / 'sopbot.db'}"),
        library=library,
        documents_dir=tmp_path / "documents",
        base_url=f"http://127.0.0.1:{port}",
    )
    stop = asyncio.Event()
    seen = StopAfter(stop, count=6)  # like SIGTERM after the sixth attempt
    logger = logging.getLogger("sopbot.bot.lifecycle")
    logger.addHandler(seen)
    try:
        reached = await reach_bot_api(
            parts.application.bot,
            stop,
            server=f"http://127.0.0.1:{port}",
            first_wait=0.001,
            longest_wait=0.004,
        )
    finally:
        logger.removeHandler(seen)
        await parts.application.bot.shutdown()
    assert reached is False
    assert [r.args[2] for r in seen.records] == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004]  # type: ignore[index]
    assert "Cannot connect to host 127.0.0.1" in seen.records[0].getMessage()


async def test_a_refused_token_is_not_retried(
    emulator: BotApiEmulator, library: SopLibrary, tmp_path: Path
) -> None:
    parts = bot_for(emulator, library, tmp_path, token=WRONG_TOKEN)
    with pytest.raises(BotApiRefused) as refused:
        await reach_bot_api(
            parts.application.bot, asyncio.Event(), server="http://emulator", first_wait=0.01
        )
    await parts.application.bot.shutdown()
    assert len(emulator.calls_to("getMe")) == 1
    message = str(refused.value)
    assert message.startswith("The Bot API at http://emulator rejected TELEGRAM_BOT_TOKEN")
    assert "@BotFather" in message
    assert WRONG_TOKEN.split(":")[1] not in message


# --- `sopbot run` as a process ------------------------------------------------------------------


async def test_run_waits_for_an_unreachable_bot_api_and_stops_on_sigterm(tmp_path: Path) -> None:
    token = "123456:AAHidden-Secret_Part-0123456789abcd"
    process = await start_sopbot_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{closed_port()}",
    )
    seen = await read_until(process, "trying again in")
    process.send_signal(signal.SIGTERM)
    code, rest = await finish(process)
    output = seen + rest
    assert code == 0, output
    assert "WARNING sopbot.bot.lifecycle: cannot reach the Bot API at http://127.0.0.1:" in output
    assert "trying again in 1 s (attempt 1)" in output
    assert "sopbot stopped before the Bot API answered" in output
    assert "Traceback" not in output
    assert token.split(":")[1] not in output


async def test_run_starts_once_the_bot_api_is_back(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emulator.faults.fail_next("getMe", ServerError(503, "Service Unavailable"))
    process = await start_sopbot_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{emulator.port}",
    )
    seen = await read_until(process, "sopbot is running (long polling)")
    await emulator.wait_until(lambda: emulator.waiting_polls > 0, timeout=30)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    code, rest = await finish(process)
    output = seen + rest
    assert code == 0, output
    assert "Service Unavailable" in output
    assert "sopbot stopped" in output
    assert "Traceback" not in output


async def test_run_serves_health_and_metrics_and_logs_json_lines(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    port = closed_port()  # free now; `sopbot run` binds it
    process = await start_sopbot_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{emulator.port}",
        SOPBOT_HEALTH_PORT=str(port),
        SOPBOT_LOG_FORMAT="json",
    )
    seen = await read_until(process, "sopbot is running (long polling)")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
        scraped = await client.get("/metrics")
    process.send_signal(signal.SIGTERM)
    code, rest = await finish(process)
    output = seen + rest
    assert code == 0, output
    assert (alive.status_code, alive.text) == (200, "ok\n")
    assert (ready.status_code, ready.json()["ready"]) == (200, True), ready.text
    assert scraped.status_code == 200
    assert "sopbot_outbox_backlog 0.0" in scraped.text
    assert 'sopbot_bot_api_calls_total{method="getMe",result="ok"}' in scraped.text
    logged = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    messages = [entry["message"] for entry in logged]
    assert f"health and metrics served on port {port}" in messages
    assert "sopbot stopped" in messages
    assert {entry["pid"] for entry in logged} == {process.pid}
    assert emulator.token.split(":")[1] not in output


@pytest.mark.usefixtures("run_in")
def test_run_with_its_health_port_in_use_says_so_and_exits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        code, output = run_with(
            monkeypatch, capsys, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, SOPBOT_HEALTH_PORT=str(port)
        )
    assert code == 2
    assert output.strip() == (
        f"SOPBOT_HEALTH_PORT {port} on 127.0.0.1 cannot be used (Address already in use): "
        "choose a free port, or 0 for no health server."
    )


async def test_run_with_a_revoked_token_says_so_and_exits(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    process = await start_sopbot_run(
        tmp_path,
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{emulator.port}",
    )
    code, output = await finish(process)
    assert code == 2, output
    assert "rejected TELEGRAM_BOT_TOKEN (Unauthorized): the token is wrong or was revoked" in output
    assert "@BotFather" in output
    assert "Traceback" not in output
    assert WRONG_TOKEN.split(":")[1] not in output


async def test_run_with_a_base_url_ending_in_bot_says_how_to_fix_it(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    for base_url in (
        f"http://127.0.0.1:{emulator.port}/bot",
        f"http://127.0.0.1:{emulator.port}/bot/",
        f"http://127.0.0.1:{emulator.port}/bot{emulator.token}",
    ):
        process = await start_sopbot_run(
            tmp_path, TELEGRAM_BOT_TOKEN=emulator.token, TELEGRAM_API_BASE_URL=base_url
        )
        code, output = await finish(process)
        assert code == 2, output
        assert output.strip() == (
            "TELEGRAM_API_BASE_URL must be the Bot API server's address only, e.g. "
            "https://api.telegram.org: remove the '/bot...' at its end (sopbot adds "
            "/bot<token>/<method> itself)."
        )
    assert emulator.calls == []  # nothing was tried


# --- settings refused before anything starts ------------------------------------------------------


def env_example() -> dict[str, str]:
    """The settings of .env.example, as a deployment that copied it would have them."""
    values = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture
def run_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`sopbot run` in a clean environment; the Bot API address is a closed port, so a
    setting that is not refused fails fast instead of reaching anything."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "WEBHOOK_", "SOPBOT_", "DATABASE_URL")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sopbot.db'}")
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(REPO / "sop_defs"))
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", TEST_AUDIT_KEY_TEXT)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("SOPBOT_HEALTH_PORT", "0")
    return tmp_path


def run_with(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **settings: str
) -> tuple[int, str]:
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    code = main(["run"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.usefixtures("run_in")
def test_the_env_example_placeholders_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = env_example()
    code, output = run_with(monkeypatch, capsys, TELEGRAM_BOT_TOKEN=example["TELEGRAM_BOT_TOKEN"])
    assert code == 2
    assert output.startswith("TELEGRAM_BOT_TOKEN is still the placeholder from .env.example")
    code, output = run_with(
        monkeypatch,
        capsys,
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        WEBHOOK_URL="https://bot.example.go.id/telegram",
        WEBHOOK_SECRET=example["WEBHOOK_SECRET"],
    )
    assert code == 2
    assert output.startswith("WEBHOOK_SECRET is still the placeholder from .env.example")
    assert "secrets.token_urlsafe(32)" in output


@pytest.mark.usefixtures("run_in")
@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("", "it is empty, which would let anyone post updates to the bot"),
        ("abc", "it has 3 characters; use at least 32"),
        ("a" * 31, "it has 31 characters; use at least 32"),
        ("a" * 257, "it has 257 characters; Telegram accepts at most 256"),
        ("spaces are not allowed in it!!!!!", "Telegram accepts only the letters"),
    ],
)
def test_a_webhook_secret_that_cannot_keep_strangers_out_is_refused(
    secret: str, why: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_with(
        monkeypatch,
        capsys,
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        WEBHOOK_URL="https://bot.example.go.id/telegram",
        WEBHOOK_SECRET=secret,
    )
    assert code == 2
    assert output.startswith("WEBHOOK_SECRET is required with WEBHOOK_URL")
    assert why in output


@pytest.mark.usefixtures("run_in")
@pytest.mark.parametrize("token", ["123456789", "123456:abc def", " 123456:abc", "bot123:abc"])
def test_a_token_that_is_not_botfathers_form_is_refused_without_showing_it(
    token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_with(monkeypatch, capsys, TELEGRAM_BOT_TOKEN=token)
    assert code == 2
    assert output.startswith("TELEGRAM_BOT_TOKEN does not look like a token from @BotFather")
    assert token.strip() not in output


@pytest.mark.usefixtures("run_in")
def test_good_settings_pass_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", WRONG_TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.go.id/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", GOOD_SECRET)
    assert settings_problems(Settings()) == []
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")  # a local server
    assert settings_problems(Settings()) == []
