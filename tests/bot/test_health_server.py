"""The operations endpoints (`bot/health_server.py`) over real HTTP on 127.0.0.1: a real
database (SQLite, and PostgreSQL when configured), the emulator as the Bot API."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import telegram
from prometheus_client.parser import text_string_to_metric_families

from sopbot.bot.health_server import bind_health_port, bound_port, health_server
from sopbot.emulator import BotApiEmulator, ServerError
from sopbot.storage.database import Database
from sopbot.storage.migrate import downgrade, head_revision, revisions_in_order
from sopbot.storage.models import AgencyRow
from tests.helpers.backlog_rows import a_member, queue_messages

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


@asynccontextmanager
async def served(
    database: Database, bot: telegram.Bot, *, bot_api_every: float = 30.0
) -> AsyncIterator[httpx.AsyncClient]:
    """The health server on a free port of 127.0.0.1, and a client for it."""
    sockets = bind_health_port("127.0.0.1", 0)
    async with (
        health_server(sockets, database=database, bot=bot, bot_api_every=bot_api_every),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound_port(sockets)}") as client,
    ):
        yield client


async def readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    """/readyz's status and its checks."""
    response = await client.get("/readyz")
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["ready"] is (response.status_code == 200)
    return response.status_code, body["checks"]


async def test_alive_and_ready_when_all_is_well(database: Database, bot: telegram.Bot) -> None:
    async with served(database, bot) as client:
        alive = await client.get("/healthz")
        assert (alive.status_code, alive.text) == (200, "ok\n")
        assert await readiness(client) == (
            200,
            {"database": "ok", "schema": "ok", "bot_api": "ok"},
        )


async def test_a_fresh_unmigrated_database_is_not_ready(
    empty_database: Database, bot: telegram.Bot
) -> None:
    async with served(empty_database, bot) as client:
        assert (await client.get("/healthz")).status_code == 200  # alive all the same
        status, checks = await readiness(client)
    head = head_revision(empty_database)
    assert status == 503
    assert checks == {
        "database": "ok",
        "schema": f"never migrated; the code needs revision {head}: sopbot db upgrade",
        "bot_api": "ok",
    }


async def test_a_schema_behind_the_code_is_not_ready(database: Database, bot: telegram.Bot) -> None:
    *_, previous, head = revisions_in_order(database)
    downgrade(database, previous)
    async with served(database, bot) as client:
        status, checks = await readiness(client)
    assert status == 503
    assert checks["schema"].startswith(f"at revision {previous}; the code needs {head}")
    assert checks["database"] == "ok"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_database_out_of_reach_is_named_without_its_password(
    bot: telegram.Bot, tmp_path: Path
) -> None:
    password = "Rahasia-Basis-Data-7Qx"  # the secret that must not show
    unreachable = Database(
        f"postgresql+psycopg://sopbot:{password}@127.0.0.1:{closed_port()}/sopbot"
    )
    try:
        async with served(unreachable, bot) as client:
            response = await client.get("/readyz")
    finally:
        unreachable.dispose()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"].startswith("OperationalError: ")
    assert checks["schema"] == "not checked"
    assert checks["bot_api"] == "ok"
    assert password not in response.text
    assert "Rahasia" not in response.text


async def test_a_stopped_bot_api_is_named(
    database: Database, emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    async with served(database, bot, bot_api_every=0) as client:
        assert (await readiness(client))[0] == 200
        await emulator.stop()
        status, checks = await readiness(client)
    assert status == 503
    assert checks["database"] == checks["schema"] == "ok"
    assert checks["bot_api"].startswith("getMe: NetworkError: ")
    assert emulator.token.split(":")[1] not in json.dumps(checks)


async def test_a_bot_api_that_refuses_is_named(
    database: Database, emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    emulator.faults.fail_next("getMe", ServerError(502, "Bad Gateway"))
    async with served(database, bot, bot_api_every=0) as client:
        status, checks = await readiness(client)
        assert status == 503
        assert checks["bot_api"] == "getMe: NetworkError: Bad Gateway"
        assert (await readiness(client))[0] == 200  # the next probe asks again


async def test_get_me_is_asked_at_most_once_a_period(
    database: Database, emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    asked = len(emulator.calls_to("getMe"))
    async with served(database, bot) as client:
        for _ in range(3):
            assert (await readiness(client))[0] == 200
    assert len(emulator.calls_to("getMe")) == asked + 1


async def test_metrics_show_the_outbox_backlog_and_its_oldest_age(
    database: Database, bot: telegram.Bot
) -> None:
    written = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    member = a_member(database, written)
    queue_messages(database, member, (written, "pending"), (written, "sending"), (written, "sent"))
    async with served(database, bot) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if not sample.labels
    }
    assert samples["sopbot_outbox_backlog"] == 2
    assert samples["sopbot_outbox_oldest_unsent_age_seconds"] >= 2 * 3600
    assert samples["sopbot_inbox_backlog"] == 0
    assert "sopbot_transitions_total" in samples


def test_a_port_in_use_cannot_be_bound() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            bind_health_port("127.0.0.1", int(taken.getsockname()[1]))


async def test_readiness_never_waits_for_a_writer(database: Database, bot: telegram.Bot) -> None:
    # A write transaction held open (a long command): the probe reads beside it.
    with database.transaction() as session:
        session.add(AgencyRow(key="uji", name="Dinas Uji", timezone="Asia/Jakarta", created_at=NOW))
        session.flush()
        async with served(database, bot) as client:
            assert (await readiness(client))[0] == 200
