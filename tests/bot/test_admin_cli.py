"""Setting an agency up from the command line, as its first admin would."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopbot.bot.cli import main

REPO = Path(__file__).resolve().parents[2]
AGENCY = "kesbangpol-pekalongan"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'sopbot.db'}")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "sopbot_pekalongan_bot")
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_first_admin_positions_invitations_and_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
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
    assert "1 SOP(s) in its folder" in out
    code, out, _ = run(
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
    assert (code, out.strip()) == (0, "position kaban added; serves roles: kepala_dinas")
    code, out, _ = run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")
    assert code == 0
    assert "https://t.me/sopbot_pekalongan_bot?start=" in out
    code, out, _ = run(capsys, "invite", AGENCY, "kaban")
    assert code == 0
    assert "invitation for kaban (single use, until" in out
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  [-]  (not joined, admin)"
    code, out, _ = run(capsys, "member", "appoint", AGENCY, "1", "kaban")
    assert code == 0
    code, out, _ = run(
        capsys, "acting", "appoint", AGENCY, "1", "kaban", "--kind", "plt", "--until", "2026-12-31"
    )
    assert code == 0
    assert out.startswith("Plt. kaban: member 1 (appointment 1)")
    code, out, _ = run(capsys, "acting", "end", "1")
    assert code == 0
    code, out, _ = run(capsys, "member", "leave", AGENCY, "1", "kaban")
    assert code == 0
    code, _, err = run(capsys, "member", "leave", AGENCY, "1", "kaban")
    assert code == 1
    assert err.startswith("cannot: the member does not hold this position")


def test_unknown_agency_and_position_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "invite", "tiada", "kaban")
    assert (code, err.strip()) == (1, "no position kaban in agency tiada")
    code, _, err = run(capsys, "admin", "add", "tiada", "--name", "X")
    assert code == 1
    assert err.startswith("no agency tiada")


def test_run_without_a_token_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    code, _, err = run(capsys, "run")
    assert code == 2
    assert err.startswith("TELEGRAM_BOT_TOKEN is not set")
