"""`sopbot operator add | list | remove`: one command takes a deployment from nothing to an
operator with a link, their home agency created on the way; the admin commands that are the
CLI twins of /instansi (agency list, admin invitations, admin revoke)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlmodel import select

from sopbot.storage.database import Database
from sopbot.storage.models import AgencyRow, AuditRow, InvitationRow, MemberRow
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import run, stored_agency, use_fresh_database

HOME = "diskominfo-samarinda"
LINK = re.compile(r"https://t\.me/sopbot_pekalongan_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def rows(model: type) -> list:  # type: ignore[type-arg]
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.transaction() as session:
            return list(session.exec(select(model)).all())
    finally:
        database.dispose()


def add_operator(capsys: pytest.CaptureFixture[str], name: str, *more: str) -> str:
    code, out, err = run(capsys, "operator", "add", "--name", name, "--agency", HOME, *more)
    assert (code, err) == (0, ""), err
    return out


def test_one_command_takes_an_empty_database_to_an_operator_and_their_agency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = add_operator(
        capsys,
        "Rina Kominfo",
        "--agency-name",
        "Dinas Komunikasi dan Informatika Kota Samarinda",
        "--timezone",
        "WITA",
    )
    lines = out.strip().splitlines()
    assert lines[0] == (
        f"agency {HOME} created (id 1), time zone WITA (Asia/Makassar); its SOPs can be "
        "installed from Telegram with /sop"
    )
    assert lines[1].startswith(
        f"operator Rina Kominfo added (member 1, admin of {HOME}); send them this link "
        "(single use, until "
    )
    assert LINK.fullmatch(lines[2])
    assert (
        lines[3] == "In Telegram they create agencies and name their first admins with /instansi."
    )
    agency = stored_agency(HOME)
    assert agency is not None
    assert (agency.name, agency.timezone) == (
        "Dinas Komunikasi dan Informatika Kota Samarinda",
        "Asia/Makassar",
    )
    (member,) = rows(MemberRow)
    assert (member.name, member.is_operator, member.is_admin, member.telegram_user_id) == (
        "Rina Kominfo",
        True,
        True,
        None,
    )
    (invitation,) = rows(InvitationRow)
    assert (invitation.member_id, invitation.is_admin, invitation.is_operator) == (1, True, True)
    audited = {(a.entity, a.action, a.after) for a in rows(AuditRow)}
    assert {
        ("agency", "create", "active"),
        ("member", "create", "operator"),
        ("invitation", "create", "open"),
    } <= audited

    code, out, _ = run(capsys, "operator", "list")
    assert (code, out.strip()) == (
        0,
        f"1  Rina Kominfo  {HOME} (Dinas Komunikasi dan Informatika Kota Samarinda)  (not joined)",
    )


def test_a_second_operator_joins_the_agency_that_exists_and_the_last_cannot_go(
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_operator(capsys, "Rina", "--agency-name", "Diskominfo", "--timezone", "WITA")
    # The agency exists: its zone is not given again, nor changed.
    code, _, err = run(
        capsys, "operator", "add", "--name", "Andi", "--agency", HOME, "--timezone", "WIB"
    )
    assert code == 1
    assert err.strip() == (
        f"the agency {HOME} exists, with the time zone Asia/Makassar; leave --timezone out "
        "(`sopbot calendar` changes an agency's calendar)"
    )
    out = add_operator(capsys, "Andi")
    assert out.startswith(f"operator Andi added (member 2, admin of {HOME})")
    assert len(rows(AgencyRow)) == 1

    code, out, _ = run(capsys, "operator", "remove", "1")
    assert (code, out.strip()) == (
        0,
        "member 1 is no longer an operator (still an admin of their agency); 1 open "
        "invitation(s) revoked",
    )
    # Rina's link no longer makes anyone an operator: it was revoked with her post.
    revoked = {i.member_id: i.revoked_at for i in rows(InvitationRow)}
    assert revoked[1] is not None
    assert revoked[2] is None
    code, _, err = run(capsys, "operator", "remove", "2")
    assert code == 1
    assert err.strip() == (
        "cannot remove member 2: the last operator cannot be removed: add another first "
        "(`sopbot operator add`)"
    )
    code, _, err = run(capsys, "operator", "remove", "1")
    assert code == 1
    assert "no such operator" in err
    assert [m.is_operator for m in sorted(rows(MemberRow), key=lambda m: m.id)] == [False, True]


def test_a_new_home_agency_needs_its_zone_and_a_key_that_is_no_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "operator", "add", "--name", "Rina", "--agency", HOME, "--agency-name", "D"
    )
    assert (code, out) == (1, "")
    assert err.startswith(
        f"cannot create the agency {HOME}: the agency's time zone is not known: there is no "
        "agency file"
    )
    code, _, err = run(
        capsys,
        "operator",
        "add",
        "--name",
        "Rina",
        "--agency",
        "kesbangpol-pekalongn",
        "--agency-name",
        "D",
        "--timezone",
        "WIB",
    )
    assert code == 1
    assert "(did you mean 'kesbangpol-pekalongan'?)" in err
    assert rows(MemberRow) == []
    # A seed folder's agency file gives its zone and name, as for `agency create`.
    code, out, _ = run(
        capsys, "operator", "add", "--name", "Rina", "--agency", "kesbangpol-pekalongan"
    )
    assert code == 0
    assert "time zone WIB (Asia/Jakarta)" in out


def test_the_cli_twins_of_instansi_list_and_revoke_admin_invitations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, _ = run(
        capsys, "agency", "create", "dinas-baru", "--name", "Dinas Baru", "--timezone", "WIB"
    )
    assert code == 0
    code, out, _ = run(capsys, "admin", "add", "dinas-baru", "--name", "Budi")
    assert code == 0
    code, out, _ = run(capsys, "admin", "invitations", "dinas-baru")
    assert code == 0
    assert re.fullmatch(r"\s+1  Budi  \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\n", out)
    code, _, err = run(capsys, "admin", "revoke", "dinas-baru", "9")
    assert (code, err.strip()) == (
        1,
        "no open admin invitation 9 in dinas-baru (see `sopbot admin invitations dinas-baru`)",
    )
    code, out, _ = run(capsys, "admin", "revoke", "dinas-baru", "1")
    assert (code, out.strip()) == (0, "admin invitation 1 (Budi) revoked")
    code, _, err = run(capsys, "admin", "revoke", "dinas-baru", "1")
    assert code == 1  # revoked already: nothing changes
    code, out, _ = run(capsys, "admin", "invitations", "dinas-baru")
    assert out.strip() == "no admin invitation of dinas-baru is open"
    (invitation,) = rows(InvitationRow)
    assert invitation.revoked_at is not None
    assert invitation.revoked_by_id is None  # the server
    assert [a.action for a in rows(AuditRow) if a.entity == "invitation"] == ["create", "revoke"]
