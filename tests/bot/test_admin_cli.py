"""Setting an agency up from the command line, as its first admin would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.command_line import (
    AGENCY,
    create_agency,
    run,
    stored_agency,
    use_fresh_database,
)
from tests.helpers.definitions import definition_text, write_definition


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
    assert out.strip() == "1  Siti Admin  NIP -  [-]  (not joined, admin)"
    code, out, _ = run(capsys, "member", "appoint", AGENCY, "1", "kaban")
    assert (code, out.strip()) == (0, "member 1 holds kaban; 0 running procedure(s) re-routed")
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  NIP -  [kaban]  (not joined, admin)"
    code, out, _ = run(
        capsys, "acting", "appoint", AGENCY, "1", "kaban", "--kind", "plt", "--until", "2099-12-31"
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
    assert (code, err.strip()) == (1, "cannot: no such member in this agency")
    code, out, _ = run(capsys, "member", "leave", AGENCY, "1", "kaban")
    assert code == 0
    code, out, _ = run(capsys, "member", "list", AGENCY)
    assert out.strip() == "1  Siti Admin  NIP -  [-]  (not joined, admin)"
    code, _, err = run(capsys, "member", "leave", AGENCY, "1", "kaban")
    assert code == 1
    assert err.startswith("cannot: the member does not hold this position")


def test_unknown_agency_and_position_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "invite", "tiada", "kaban")
    assert (code, err.strip()) == (1, "no agency tiada")
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


def test_a_key_close_to_another_agencys_is_refused_as_a_typo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "agency", "create", "kesbangpol-pekalongn", "--name", "Typo", "--timezone", "WIB"
    )
    assert (code, out) == (1, "")
    assert err.strip() == (
        "cannot create the agency: no SOP folder sop_defs/kesbangpol-pekalongn for agency "
        "'kesbangpol-pekalongn' (did you mean 'kesbangpol-pekalongan'?); if "
        "'kesbangpol-pekalongn' is a new agency, give --new: its SOPs are then installed from "
        "Telegram with /sop, or put in sop_defs/kesbangpol-pekalongn"
    )
    assert stored_agency("kesbangpol-pekalongn") is None
    # Nothing was created: the right key still can be.
    code, out, _ = run(
        capsys, "agency", "create", AGENCY, "--name", "Badan Kesbangpol", "--timezone", "WIB"
    )
    assert code == 0
    # An agency in the database is a key a typo may miss too; --new says it is no typo.
    code, _, err = run(capsys, "agency", "create", "kesbangpol-pekalongn", "--name", "X", "--new")
    assert code == 1
    assert "the agency's time zone is not known" in err  # --new only lifts the typo guard
    code, out, _ = run(
        capsys,
        "agency",
        "create",
        "kesbangpol-pekalongn",
        "--name",
        "Kesbangpol Baru",
        "--timezone",
        "WIB",
        "--new",
    )
    assert code == 0
    assert "created" in out


def test_an_agency_without_an_sop_folder_is_created_and_gets_its_sops_from_telegram(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "agency", "create", "dinas-baru", "--name", "Dinas Baru", "--timezone", "WITA"
    )
    assert (code, err) == (0, "")
    assert out.strip() == (
        "agency dinas-baru created (id 1); its folder sop_defs/dinas-baru has no SOPs: its "
        "admin installs them from Telegram with /sop (a Word, PDF or .yaml file), or put its "
        "SOP files in that folder and run `sopbot sop reload`"
    )
    stored = stored_agency("dinas-baru")
    assert stored is not None
    assert (stored.name, stored.timezone) == ("Dinas Baru", "Asia/Makassar")
    # The zone is still never assumed, and a key must read as one in an SOP id.
    code, _, err = run(capsys, "agency", "create", "dinas-lain", "--name", "Dinas Lain")
    assert code == 1
    assert "the agency's time zone is not known: there is no agency file" in err
    code, _, err = run(
        capsys, "agency", "create", "Dinas/Lain", "--name", "Dinas Lain", "--timezone", "WIB"
    )
    assert code == 1
    assert "'Dinas/Lain' is not an agency key: lower-case letters and digits" in err
    assert stored_agency("dinas-lain") is None
    code, out, _ = run(capsys, "agency", "list")
    assert code == 0
    assert out.strip() == (
        "1  dinas-baru  Dinas Baru  (Asia/Makassar, hari kerja); admins: none joined; "
        "members joined: 0; SOPs installed: 0"
    )


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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder of SOPs whose agency file is missing, and no --timezone: refused, saying how.
    root = tmp_path / "sops"
    write_definition(root, "kecamatan-baru/sop", definition_text())
    (root / "kecamatan-baru" / "instansi.yaml").unlink()
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(root))
    code, out, err = run(capsys, "agency", "create", "kecamatan-baru", "--name", "Kecamatan")
    file = root / "kecamatan-baru" / "instansi.yaml"
    assert (code, out) == (1, "")
    assert err.strip() == (
        "cannot create the agency: the agency's time zone is not known: there is no agency file "
        f"{file}. Write 'zona_waktu: WITA' (or WIB, WIT) in that file, or give --timezone "
        "WIB|WITA|WIT"
    )
    # A broken agency file is no more a zone than a missing one.
    file.write_text("zona_waktu: Samarinda\n", encoding="utf-8")
    code, _, err = run(capsys, "agency", "create", "kecamatan-baru", "--name", "Kecamatan")
    assert code == 1
    assert f"{file} has errors (see `sopbot sop validate {file.parent}`)" in err
    assert stored_agency("kecamatan-baru") is None
    # A zone Indonesia does not write so, and no IANA name either: what is accepted.
    with pytest.raises(SystemExit):
        run(
            capsys,
            "agency",
            "create",
            "kecamatan-baru",
            "--name",
            "K",
            "--timezone",
            "Samarinda",
        )
    err = capsys.readouterr().err
    assert "unknown time zone 'Samarinda': write WIB (Asia/Jakarta), WITA (Asia/Makassar)" in err
    # WITA, as a Samarinda office writes it, is stored as its IANA zone.
    code, _, _ = run(
        capsys, "agency", "create", "kecamatan-baru", "--name", "Kecamatan", "--timezone", "wita"
    )
    assert code == 0
    stored = stored_agency("kecamatan-baru")
    assert stored is not None
    assert stored.timezone == "Asia/Makassar"


def test_the_zone_and_name_come_from_the_agency_file(capsys: pytest.CaptureFixture[str]) -> None:
    # sop_defs/kecamatan-samarinda-ilir/instansi.yaml says WITA and the name: taken, and said.
    code, out, err = run(capsys, "agency", "create", "kecamatan-samarinda-ilir")
    assert (code, err) == (0, "")
    file = Path("sop_defs/kecamatan-samarinda-ilir/instansi.yaml")
    assert out.splitlines()[1:] == [
        f"time zone WITA (Asia/Makassar), from {file}",
        f"name 'Kecamatan Samarinda Ilir', from {file}",
    ]
    stored = stored_agency("kecamatan-samarinda-ilir")
    assert stored is not None
    assert (stored.timezone, stored.name) == ("Asia/Makassar", "Kecamatan Samarinda Ilir")
    # The same zone given both ways is no conflict; the name given wins over the file's.
    code, out, _ = run(
        capsys, "agency", "create", AGENCY, "--name", "Kesbangpol", "--timezone", "Asia/Jakarta"
    )
    assert code == 0
    assert len(out.splitlines()) == 1
    stored = stored_agency(AGENCY)
    assert stored is not None
    assert (stored.timezone, stored.name) == ("Asia/Jakarta", "Kesbangpol")


def test_a_zone_other_than_the_agency_files_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(
        capsys, "agency", "create", "dinas-kukmp-samarinda", "--name", "Dinas", "--timezone", "WIB"
    )
    assert (code, out) == (1, "")
    assert err.strip() == (
        "cannot create the agency: --timezone Asia/Jakarta differs from the agency file "
        "sop_defs/dinas-kukmp-samarinda/instansi.yaml, which says 'zona_waktu: WITA' "
        "(Asia/Makassar); correct the one that is wrong, or leave --timezone out to take the "
        "file's"
    )
    assert stored_agency("dinas-kukmp-samarinda") is None


def test_an_outside_party_is_no_post_to_map(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(__file__).parents[1] / "e2e" / "defs"
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(folder))
    agency = "dinas-surat-samarinda"
    assert run(capsys, "agency", "create", agency)[0] == 0
    code, out, err = run(
        capsys, "position", "add", agency, "loket", "--name", "Loket", "--role", "pengirim"
    )
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "role 'pengirim' is an outside party, not a post of the agency: its steps go to the "
        "holders of 'tata_usaha'; give the position that role instead"
    ]
    code, _, _ = run(
        capsys, "position", "add", agency, "loket", "--name", "Loket", "--role", "tata_usaha"
    )
    assert code == 0
