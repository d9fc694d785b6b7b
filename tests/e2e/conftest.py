"""End-to-end fixtures: the real bot, over HTTP, against the Telegram emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sopbot.demo.scenario import World, world
from sopbot.engine.library import SopLibrary, load_library
from sopbot.storage.database import Database

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
