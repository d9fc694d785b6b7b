"""End-to-end fixtures: the real bot, over HTTP, against the Telegram emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sopbot.bot.app import build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import SIMULATED_FLOOD, SIMULATED_INBOUND, World, world
from sopbot.emulator import BotApiEmulator
from sopbot.engine.library import SopLibrary, load_library
from sopbot.storage.database import Database
from tests.helpers.command_line import run
from tests.helpers.operators import HOME, TOKEN, Deployment

REPO = Path(__file__).resolve().parents[2]
KESBANGPOL = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
PENGOLAHAN = "dinas-kukmp-samarinda/pengolahan-data-kinerja"


@pytest.fixture(scope="session")
def library() -> SopLibrary:
    """The four seed SOPs."""
    return load_library(REPO / "sop_defs")


@pytest.fixture
async def kesbangpol(
    library: SopLibrary, database: Database, tmp_path: Path
) -> AsyncIterator[World]:
    """Seed 004's agency with one official per role, bot running (SQLite and PostgreSQL)."""
    async with world(
        library, KESBANGPOL, database=database, documents_dir=tmp_path / "documents"
    ) as running:
        yield running


@pytest.fixture
async def pengolahan(library: SopLibrary, tmp_path: Path) -> AsyncIterator[World]:
    """Seed 000's agency on SQLite, bot running."""
    async with world(library, PENGOLAHAN, documents_dir=tmp_path / "documents") as running:
        yield running


@pytest.fixture
async def deployment(
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> AsyncIterator[Deployment]:
    """An empty deployment (no SOP folder, no agency); `sopbot operator add`, then the bot."""
    folder = tmp_path / "sop_defs"
    folder.mkdir()
    monkeypatch.setenv("DATABASE_URL", database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(folder))
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sopbot_kota_bot")
    code, out, err = await asyncio.to_thread(
        run,
        capsys,
        "operator",
        "add",
        "--name",
        "Rina Kominfo",
        "--agency",
        HOME,
        "--agency-name",
        "Dinas Komunikasi dan Informatika Kota Samarinda",
        "--timezone",
        "WITA",
    )
    assert (code, err) == (0, "")
    token = TOKEN.search(out)
    assert token is not None
    async with BotApiEmulator() as emulator:
        parts = build_bot(
            token=emulator.token,
            database=database,
            library=sync_at_start_up(database, load_library(folder), check_every=0),
            documents_dir=tmp_path / "documents",
            base_url=f"http://127.0.0.1:{emulator.port}",
            sender_idle_wait=0.2,
            inbound=SIMULATED_INBOUND,
            flood=SIMULATED_FLOOD,
        )
        async with running(parts):
            operator = Official(emulator.add_user("Rina", "Kominfo"), "Operator")
            screens = [f"$ sopbot operator add --name 'Rina Kominfo' --agency {HOME} ..."]
            screens.extend(line for line in out.strip().splitlines())
            deployment = Deployment(emulator, parts, operator, screens)
            start = f"/start {token.group(1)}"
            (welcome,) = await operator.say(start)
            deployment.show("Operator", "/start …", [welcome])
            assert "Anda operator: /instansi" in (welcome.text or "")
            yield deployment
            await settle(emulator, parts)
