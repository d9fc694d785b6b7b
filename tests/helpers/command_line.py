"""Running the `sopbot` command line in a test, against a fresh SQLite file of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.storage import agencies
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY

REPO = Path(__file__).resolve().parents[2]
AGENCY = "kesbangpol-pekalongan"
"""The agency the command-line tests create: the Kesbangpol seed's folder."""


def use_fresh_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point the command line at a new database file (run from the repository, with the seed
    SOPs); its URL."""
    url = f"sqlite:///{tmp_path / 'sopbot.db'}"
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sopbot_pekalongan_bot")
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`sopbot ARGV...`: its exit code, what it printed and what it complained of."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create_agency(capsys: pytest.CaptureFixture[str]) -> str:
    """`sopbot agency create` of the Kesbangpol agency; it succeeds. Its output."""
    code, out, err = run(
        capsys,
        "agency",
        "create",
        AGENCY,
        "--name",
        "Badan Kesbangpol",
        "--timezone",
        "WIB",
    )
    assert code == 0, err
    return out


def stored_agency(key: str) -> agencies.Agency | None:
    """The agency `key` as the command line's database holds it (None when it has none)."""
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.unit_of_work(read_only=True) as uow:
            return agencies.agency_by_key(uow, key)
    finally:
        database.dispose()
