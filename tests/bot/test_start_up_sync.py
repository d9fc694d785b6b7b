"""`sopbot run` syncs the SOP folder into the catalog at start-up and says what it installed
and what it refused."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sopbot.bot.runner import sync_at_start_up
from sopbot.engine.library import load_library
from sopbot.storage.database import Database
from tests.helpers.definitions import definition_text, write_definition


def test_start_up_installs_the_folder_and_logs_what_it_refused(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_definition(tmp_path, "dinas-contoh/surat", definition_text())
    write_definition(
        tmp_path, "dinas-contoh/rusak", definition_text().replace("waktu: 1 Hari", "waktu: kapan")
    )
    with caplog.at_level(logging.INFO, logger="sopbot.bot.runner"):
        definitions = sync_at_start_up(database, load_library(tmp_path))
    assert list(definitions.definitions) == ["dinas-contoh/surat"]
    assert definitions.zone_of("dinas-contoh") == "Asia/Makassar"
    logged = caplog.text
    assert "SOP dinas-contoh/surat installed from" in logged
    assert f"SOP file {tmp_path / 'dinas-contoh' / 'rusak.yaml'} refused (it is not installed)" in (
        logged
    )
    assert f"{tmp_path / 'dinas-contoh' / 'rusak.yaml'}:" in logged  # its file:line problems

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sopbot.bot.runner"):
        again = sync_at_start_up(database, load_library(tmp_path))
    assert "installed from" not in caplog.text  # a second start installs nothing
    assert again.generation == definitions.generation
