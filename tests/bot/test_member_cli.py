"""`sopbot member` and `sopbot invite`, the command-line twins of /pegawai: clear refusals,
exit 1 and nothing written when a change cannot be made."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from sopbot.engine.library import load_library
from sopbot.engine.organization import ActingKind
from sopbot.services.onboarding import InvitationInvalid, OnboardingService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import (
    AGENCY,
    REPO,
    create_agency,
    run,
    stored_agency,
    use_fresh_database,
)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def set_up(capsys: pytest.CaptureFixture[str]) -> None:
    """The agency, three positions and two admins (members 1 and 2, not joined)."""
    create_agency(capsys)
    for key, name, role in (
        ("kaban", "Kepala Badan", "kepala_dinas"),
        ("sekretaris", "Sekretaris", "sekretaris"),
        ("renval", "Kassubag Renval", "kassubag_renval"),
    ):
        code, _, err = run(capsys, "position", "add", AGENCY, key, "--name", name, "--role", role)
        assert code == 0, err
    for name in ("Siti Admin", "Budi Admin"):
        code, _, err = run(capsys, "admin", "add", AGENCY, "--name", name)
        assert code == 0, err


def listed(capsys: pytest.CaptureFixture[str], *extra: str) -> list[str]:
    code, out, err = run(capsys, "member", "list", AGENCY, *extra)
    assert code == 0, err
    return out.splitlines()


def test_mutasi_a_second_position_and_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    set_up(capsys)
    code, out, _ = run(capsys, "member", "appoint", AGENCY, "1", "kaban")
    assert (code, out.strip()) == (0, "member 1 holds kaban; 0 running procedure(s) re-routed")
    code, out, _ = run(capsys, "member", "move", AGENCY, "1", "sekretaris")
    assert (code, out.strip()) == (
        0,
        "member 1 moved to sekretaris (left kaban); 0 running procedure(s) re-routed",
    )
    code, out, _ = run(capsys, "member", "appoint", AGENCY, "1", "kaban")
    assert code == 0
    before = listed(capsys)
    # Two positions held: which one is left must be said.
    code, out, err = run(capsys, "member", "move", AGENCY, "1", "renval")
    assert (code, out, err.strip()) == (
        1,
        "",
        "cannot: member 1 holds several positions; say which one they leave with --from POSITION",
    )
    code, _, err = run(capsys, "member", "move", AGENCY, "1", "kaban", "--from", "sekretaris")
    assert (code, err.strip()) == (1, "cannot: the member holds this position already")
    code, _, err = run(capsys, "member", "move", AGENCY, "1", "bupati")
    assert (code, err.strip()) == (
        1,
        f"no position bupati in agency {AGENCY} (its positions: kaban, sekretaris, renval)",
    )
    code, _, err = run(capsys, "member", "move", AGENCY, "9", "renval")
    assert (code, err.strip()) == (1, "cannot: no such member in this agency")
    assert listed(capsys) == before
    code, out, _ = run(capsys, "member", "move", AGENCY, "1", "renval", "--from", "kaban")
    assert (code, out.strip()) == (
        0,
        "member 1 moved to renval (left kaban); 0 running procedure(s) re-routed",
    )
    code, out, _ = run(capsys, "member", "leave", AGENCY, "1", "sekretaris")
    assert (code, out.strip()) == (0, "member 1 left sekretaris; 0 running procedure(s) re-routed")
    code, _, err = run(capsys, "member", "leave", AGENCY, "1", "sekretaris")
    assert (code, err.strip()) == (1, "cannot: the member does not hold this position")

    # The list: NIP, positions, the Plt/Plh they hold (with its last day), joined, admin.
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    agency = stored_agency(AGENCY)
    assert agency is not None
    organization = OrganizationService(ProcedureService(database, load_library(REPO / "sop_defs")))
    with database.unit_of_work(read_only=True) as uow:
        kaban = agencies.position_by_key(uow, agency.id, "kaban")
    assert kaban is not None
    organization.appoint_acting(
        None,
        member_id=2,
        position_id=kaban.id,
        kind=ActingKind.PLH,
        for_member_id=None,
        valid_to=dt.datetime(2099, 7, 18, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    database.dispose()
    assert listed(capsys) == [
        "    1  Siti Admin  NIP -  [renval]  (not joined, admin)",
        "    2  Budi Admin  NIP -  [-]  Plh. kaban until 2099-07-17  (not joined, admin)",
    ]


def test_the_admin_right_and_deactivation(capsys: pytest.CaptureFixture[str]) -> None:
    set_up(capsys)
    run(capsys, "member", "appoint", AGENCY, "2", "kaban")
    code, out, _ = run(capsys, "member", "admin", AGENCY, "2", "--off")
    assert (code, out.strip()) == (0, "member 2 is not an admin now")
    code, out, _ = run(capsys, "member", "admin", AGENCY, "2", "--off")
    assert (code, out.strip()) == (0, "member 2 is not an admin already; nothing changed")
    before = listed(capsys)
    code, _, err = run(capsys, "member", "admin", AGENCY, "1", "--off")
    assert (code, err.strip()) == (1, "cannot: the agency would have no admin")
    code, _, err = run(capsys, "member", "deactivate", AGENCY, "1")
    assert (code, err.strip()) == (1, "cannot: the agency would have no admin")
    assert listed(capsys) == before
    with pytest.raises(SystemExit):  # --on or --off, one of them
        run(capsys, "member", "admin", AGENCY, "2")
    capsys.readouterr()

    code, out, _ = run(capsys, "member", "deactivate", AGENCY, "2")
    assert (code, out.strip()) == (
        0,
        "member 2 deactivated (had not joined on Telegram): 1 holding(s) and 0 acting "
        "appointment(s) ended, 1 invitation(s) revoked; 0 running procedure(s) re-routed",
    )
    assert listed(capsys) == ["    1  Siti Admin  NIP -  [-]  (not joined, admin)"]
    everyone = listed(capsys, "--all")
    assert everyone[0] == "    1  Siti Admin  NIP -  [-]  (not joined, admin)"
    assert re.fullmatch(
        r"    2  Budi Admin  NIP -  \[-\]  \(not joined, deactivated \d{4}-\d{2}-\d{2}\)",
        everyone[1],
    )
    for argv in (
        ("member", "deactivate", AGENCY, "2"),
        ("member", "admin", AGENCY, "2", "--on"),
        ("member", "appoint", AGENCY, "2", "kaban"),
        ("member", "move", AGENCY, "2", "renval"),
    ):
        code, _, err = run(capsys, *argv)
        assert (code, err.strip()) == (1, "cannot: the member has been deactivated"), argv
    assert listed(capsys, "--all") == everyone


def test_invitations_made_listed_and_revoked(capsys: pytest.CaptureFixture[str]) -> None:
    set_up(capsys)
    code, out, _ = run(capsys, "invite", AGENCY, "kaban")
    assert code == 0
    assert "invitation for kaban (single use, until" in out
    code, out, _ = run(capsys, "invite", "list", AGENCY)
    lines = out.splitlines()
    # The two admins' links (made with `admin add`), then the Kepala Badan's.
    assert len(lines) == 3
    assert re.fullmatch(r"    1  for Siti Admin, admin  made by the server  until .* WIB", lines[0])
    assert re.fullmatch(r"    3  position kaban  made by the server  until .* WIB", lines[2])
    code, out, _ = run(capsys, "invite", "revoke", AGENCY, "3")
    assert (code, out.strip()) == (0, "invitation 3 revoked: its link opens nothing any more")
    code, _, err = run(capsys, "invite", "revoke", AGENCY, "3")
    assert (code, err.strip()) == (1, "cannot: the invitation is not open")
    code, _, err = run(capsys, "invite", "revoke", AGENCY, "99")
    assert (code, err.strip()) == (1, "cannot: no such invitation in this agency")
    code, _, err = run(capsys, "invite", "revoke", AGENCY, "tiga")
    assert (code, err.strip()) == (
        1,
        f"the invitation id is a number (see `sopbot invite list {AGENCY}`)",
    )
    code, out, _ = run(capsys, "invite", "list", AGENCY)
    assert [line.split()[0] for line in out.strip().splitlines()] == ["1", "2"]
    code, _, err = run(capsys, "invite", "list", "tiada")
    assert (code, err.strip()) == (1, "no agency tiada")
    code, _, err = run(capsys, "invite", AGENCY)
    assert code == 1
    assert err.startswith(
        "usage: sopbot invite AGENCY POSITION | list AGENCY | revoke AGENCY ID | member AGENCY"
    )


def test_a_member_who_has_not_joined_gets_a_new_link(capsys: pytest.CaptureFixture[str]) -> None:
    create_agency(capsys)
    code, out, err = run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")
    assert code == 0, err
    lost = out.rsplit("start=", 1)[1].strip()
    code, out, err = run(capsys, "invite", "member", AGENCY, "1")
    assert code == 0, err
    first_line, link = out.strip().splitlines()
    assert re.fullmatch(
        r"new invitation for member 1 \(Siti Admin; single use, until \d{4}-\d\d-\d\d \d\d:\d\d "
        r"WIB\); 1 earlier link\(s\) revoked:",
        first_line,
    )
    assert link.startswith("https://t.me/sopbot_pekalongan_bot?start=")
    token = link.rsplit("start=", 1)[1]
    # One open invitation for her, the new one, still an admin's.
    code, out, _ = run(capsys, "invite", "list", AGENCY)
    (line,) = out.splitlines()
    assert re.fullmatch(r"    2  for Siti Admin, admin  made by the server  until .* WIB", line)
    onboarding = OnboardingService(
        ProcedureService(
            Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY),
            load_library(REPO / "sop_defs"),
        )
    )
    with pytest.raises(InvitationInvalid):
        onboarding.accept(None, token=lost, telegram_user_id=501, full_name="S", language_code=None)
    joined = onboarding.accept(
        None, token=token, telegram_user_id=501, full_name="S", language_code=None
    )
    assert joined.result.member_id == 1
    # Refusals: joined, another agency's or no such member, not a number; nothing written.
    for argv, expected in (
        (("1",), "cannot: member 1 has joined already; they need no link"),
        (("99",), "cannot: no such member in this agency"),
        (("satu",), f"the member id is a number (see `sopbot member list {AGENCY}`)"),
    ):
        code, _, err = run(capsys, "invite", "member", AGENCY, *argv)
        assert (code, err.strip()) == (1, expected), argv
    code, out, _ = run(capsys, "invite", "list", AGENCY)
    assert out.strip() == f"no open invitation in {AGENCY}"
    code, _, err = run(capsys, "invite", "member", "tiada", "1")
    assert (code, err.strip()) == (1, "no agency tiada")
