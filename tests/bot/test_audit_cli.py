"""`sopbot audit verify` from the command line: intact, tampered with, not migrated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from sopbot.bot.cli import main
from sopbot.storage.database import Database

REPO = Path(__file__).resolve().parents[2]
AGENCY = "kesbangpol-pekalongan"


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'sopbot.db'}"
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sopbot_pekalongan_bot")
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def set_up_agency(capsys: pytest.CaptureFixture[str]) -> None:
    """An agency with a position and an admin: five audit rows in its chain."""
    code, _, _ = run(
        capsys,
        "agency",
        "create",
        AGENCY,
        "--name",
        "Badan Kesbangpol",
        "--timezone",
        "Asia/Jakarta",
    )
    assert code == 0
    code, _, _ = run(
        capsys,
        "position",
        "add",
        AGENCY,
        "kaban",
        "--name",
        "Kepala Badan",
        "--role",
        "kepala_dinas",
    )
    assert code == 0
    code, _, _ = run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")
    assert code == 0


def test_an_intact_trail(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    set_up_agency(capsys)
    code, out, err = run(capsys, "audit", "verify")
    assert (code, err) == (0, "")
    assert out.strip() == "audit trail intact: 5 rows in 1 chains"


def test_an_edited_row_is_reported(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    set_up_agency(capsys)
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET after = 'forged' WHERE seq = 2"))
        row_id = connection.execute(text("SELECT id FROM audit_event WHERE seq = 2")).scalar_one()
        chain = connection.execute(text("SELECT chain FROM audit_event WHERE seq = 2")).scalar_one()
    database.dispose()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert out.splitlines() == [
        f"chain {chain}, seq 2, row {row_id}: edited: "
        "its columns do not give its stored hash (edited)",
        "audit trail NOT intact: 1 problem(s) in 5 rows in 1 chains",
    ]


def test_a_database_not_migrated_is_not_checked(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, err = run(capsys, "audit", "verify")
    assert (code, out) == (1, "")
    assert err.strip().endswith("run `sopbot db upgrade` first")


def test_audit_alone_prints_its_commands(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, _ = run(capsys, "audit")
    assert code == 0
    assert "verify" in out
