"""Setting an agency up from the command line, as its first admin would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sopbot.storage import agencies
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def add_the_kepala_badan(capsys: pytest.CaptureFixture[str]) -> None:
    """`position add` of the Kepala Badan, serving the SOP role kepala_dinas; it succeeds."""
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


def test_first_admin_positions_invitations_and_people(capsys: pytest.CaptureFixture[str]) -> None:
    out = create_agency(capsys)
    assert "1 SOP(s) in its folder" in out
    add_the_kepala_badan(capsys)
    code, out, _ = run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")
    assert code == 0
    assert "https://t.me/sopbot_pekalongan_bot?start=" in out
    code, out, _ = run(capsys, "invite", AGENCY, "kaban")
    assert code == 0
    assert "invitation for kaban (single use, until" in out
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  [-]  (not joined, admin)"
    code, out, _ = run(capsys, "member", "appoint", AGENCY, "1", "kaban")
    assert (code, out.strip()) == (0, "member 1 holds kaban; 0 running procedure(s) re-routed")
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  [kaban]  (not joined, admin)"
    code, out, _ = run(
        capsys, "acting", "appoint", AGENCY, "1", "kaban", "--kind", "plt", "--until", "2026-12-31"
    )
    assert code == 0
    assert out.startswith("Plt. kaban: member 1 (appointment 1)")
    code, out, _ = run(capsys, "acting", "end", "1")
    assert (code, out.strip()) == (0, "appointment 1 ended; 0 running procedure(s) re-routed")
    code, _, err = run(capsys, "acting", "end", "1")
    assert (code, err.strip()) == (1, "cannot: the appointment has ended already")
    code, _, err = run(capsys, "acting", "end", "7")
    assert (code, err.strip()) == (1, "cannot: no such acting appointment")
    code, _, err = run(capsys, "member", "appoint", AGENCY, "9", "kaban")
    assert (code, err.strip()) == (1, "cannot: no such member")
    code, out, _ = run(capsys, "member", "leave", AGENCY, "1", "kaban")
    assert code == 0
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  [-]  (not joined, admin)"
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


def test_an_agency_without_an_sop_folder_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "agency", "create", "kesbangpol-pekalongn", "--name", "Typo", "--timezone", "WIB"
    )
    assert (code, out) == (1, "")
    assert err.strip() == (
        "cannot create the agency: no SOP folder sop_defs/kesbangpol-pekalongn for agency "
        "'kesbangpol-pekalongn' (did you mean 'kesbangpol-pekalongan'?); the key is the name "
        "of the agency's folder under sop_defs: put its SOP files there first"
    )
    code, _, err = run(
        capsys, "agency", "create", "dinas-baru", "--name", "Dinas Baru", "--timezone", "WIB"
    )
    assert code == 1
    assert "(agencies with SOPs: dinas-kukmp-samarinda, kecamatan-samarinda-ilir, " in err
    # Nothing was created: the right key still can be.
    code, out, _ = run(
        capsys, "agency", "create", AGENCY, "--name", "Badan Kesbangpol", "--timezone", "WIB"
    )
    assert code == 0


def test_an_agency_whose_sops_do_not_load_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "sops" / "dinas-rusak"
    folder.mkdir(parents=True)
    (folder / "sop.yaml").write_text("sop: [", encoding="utf-8")
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(tmp_path / "sops"))
    code, _, err = run(
        capsys, "agency", "create", "dinas-rusak", "--name", "Dinas Rusak", "--timezone", "WIB"
    )
    assert code == 1
    assert err.strip() == (
        f"cannot create the agency: no SOP in {folder} loads; check its files with "
        f"`sopbot sop validate {folder}` and create the agency when they pass"
    )


def test_a_role_no_sop_of_the_agency_has_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(capsys, "agency", "create", AGENCY, "--name", "Badan Kesbangpol", "--timezone", "WIB")[
            0
        ]
        == 0
    )
    code, out, err = run(
        capsys,
        "position",
        "add",
        AGENCY,
        "kaban",
        "--name",
        "Kepala Badan",
        "--role",
        "kepala_dinsa",
        "--role",
        "nonexistent_role",
        "--role",
        "sekretaris",
    )
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"no SOP role 'kepala_dinsa' in {AGENCY} (did you mean 'kepala_dinas'?)",
        f"no SOP role 'nonexistent_role' in {AGENCY} (its roles: kassubag_renval, "
        "kepala_bidang, kepala_dinas, petugas_pengelola_data_kinerja, sekretaris)",
    ]
    # Nothing was written: the same position can be added with the right roles.
    add_the_kepala_badan(capsys)


def test_a_position_for_an_sop_the_agency_lacks_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        run(capsys, "agency", "create", AGENCY, "--name", "Badan Kesbangpol", "--timezone", "WIB")[
            0
        ]
        == 0
    )
    code, _, err = run(
        capsys,
        "position",
        "add",
        AGENCY,
        "kaban",
        "--name",
        "Kepala Badan",
        "--role",
        "kepala_dinas",
        "--sop",
        f"{AGENCY}/pengumpulan-pengolahan-data",
    )
    assert code == 1
    assert err.strip() == (
        f"no SOP {AGENCY}/pengumpulan-pengolahan-data in {AGENCY} "
        f"(did you mean '{AGENCY}/pengumpulan-pengolahan-data-kinerja'?)"
    )


def test_the_time_zone_is_never_assumed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without one: a usage error naming the option, and no agency.
    with pytest.raises(SystemExit) as exited:
        run(capsys, "agency", "create", "kecamatan-samarinda-ilir", "--name", "Kecamatan")
    assert exited.value.code == 2
    assert "the following arguments are required: --timezone" in capsys.readouterr().err
    # A zone Indonesia does not write so, and no IANA name either: what is accepted.
    with pytest.raises(SystemExit):
        run(
            capsys,
            "agency",
            "create",
            "kecamatan-samarinda-ilir",
            "--name",
            "K",
            "--timezone",
            "Samarinda",
        )
    err = capsys.readouterr().err
    assert "unknown time zone 'Samarinda': write WIB (Asia/Jakarta), WITA (Asia/Makassar)" in err
    # WITA, as a Samarinda office writes it, is stored as its IANA zone.
    code, _, _ = run(
        capsys,
        "agency",
        "create",
        "kecamatan-samarinda-ilir",
        "--name",
        "Kecamatan",
        "--timezone",
        "wita",
    )
    assert code == 0
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    try:
        with database.unit_of_work(read_only=True) as uow:
            stored = agencies.agency_by_key(uow, "kecamatan-samarinda-ilir")
    finally:
        database.dispose()
    assert stored is not None
    assert stored.timezone == "Asia/Makassar"
