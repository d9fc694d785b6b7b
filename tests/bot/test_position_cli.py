"""`sopbot position list | add | rename | remove | map | unmap`, the command-line twin of
/jabatan: what each prints, and that a refused command says why and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database

SOP = f"{AGENCY}/pengumpulan-pengolahan-data-kinerja"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


@pytest.fixture
def agency(capsys: pytest.CaptureFixture[str]) -> None:
    """The Kesbangpol agency with its Kepala Badan (every SOP) and Sekretaris (its SOP)."""
    create_agency(capsys)
    for argv in (
        ("kaban", "--name", "Kepala Badan", "--role", "kepala_dinas"),
        ("sekretaris", "--name", "Sekretaris", "--role", "sekretaris", "--sop", SOP),
    ):
        code, _, err = run(capsys, "position", "add", AGENCY, *argv)
        assert code == 0, err


def listing(capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    code, out, err = run(capsys, "position", "list", AGENCY, *flags)
    assert code == 0, err
    return out.splitlines()


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """A command that must be refused, writing nothing; what it said."""
    before = listing(capsys, "--all")
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert listing(capsys, "--all") == before
    return err.strip()


@pytest.mark.usefixtures("agency")
def test_the_list_shows_holders_actings_and_roles(capsys: pytest.CaptureFixture[str]) -> None:
    assert listing(capsys) == [
        "kaban  Kepala Badan",
        "    vacant",
        "    role kepala_dinas in every SOP",
        "sekretaris  Sekretaris",
        "    vacant",
        f"    role sekretaris in {SOP}",
    ]
    assert run(capsys, "admin", "add", AGENCY, "--name", "Siti", "--position", "kaban")[0] == 0
    assert run(capsys, "member", "appoint", AGENCY, "1", "kaban")[0] == 0
    code, _, err = run(
        capsys,
        "acting",
        "appoint",
        AGENCY,
        "1",
        "sekretaris",
        "--kind",
        "plt",
        "--until",
        "2026-12-31",
    )
    assert code == 0, err
    assert listing(capsys)[:2] == ["kaban  Kepala Badan", "    held by Siti"]
    assert listing(capsys)[4] == "    vacant; Plt. Siti until 2026-12-31"


@pytest.mark.usefixtures("agency")
def test_add_refuses_a_key_or_a_name_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, "position", "add", AGENCY, "kaban", "--name", "Kepala Baru") == (
        f"cannot add the position: {AGENCY} has a position with the key kaban already "
        "(`sopbot position list`)"
    )
    assert refused(capsys, "position", "add", AGENCY, "kaban2", "--name", "kepala badan") == (
        f"cannot add the position: another position of {AGENCY} has this name"
    )
    assert refused(capsys, "position", "add", "tiada", "x", "--name", "X") == (
        "no agency tiada; create it with `sopbot agency create`"
    )


@pytest.mark.usefixtures("agency")
def test_rename_keeps_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "position", "rename", AGENCY, "kaban", "--name", "Kepala Badan Kesbangpol"
    )
    assert (code, out.strip()) == (
        0,
        "position kaban renamed: Kepala Badan -> Kepala Badan Kesbangpol",
    )
    assert listing(capsys)[0] == "kaban  Kepala Badan Kesbangpol"
    assert refused(capsys, "position", "rename", AGENCY, "kabn", "--name", "X") == (
        f"no position kabn in {AGENCY} (did you mean 'kaban'?)"
    )
    assert refused(capsys, "position", "rename", AGENCY, "kaban", "--name", "Sekretaris") == (
        f"cannot rename kaban: another position of {AGENCY} has this name"
    )


@pytest.mark.usefixtures("agency")
def test_map_and_unmap_name_the_role_and_its_scope(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "position", "map", AGENCY, "kaban", "sekretaris")
    assert (code, out.strip()) == (
        0,
        "kaban serves sekretaris in every SOP now; 0 running procedure(s) re-routed",
    )
    assert refused(capsys, "position", "map", AGENCY, "kaban", "sekretaris") == (
        "cannot map sekretaris to kaban: it serves this role already"
    )
    assert refused(capsys, "position", "map", AGENCY, "kaban", "sekretariss") == (
        f"no SOP role 'sekretariss' in {AGENCY} (did you mean 'sekretaris'?)"
    )
    assert refused(
        capsys, "position", "map", AGENCY, "kaban", "sekretaris", "--sop", f"{AGENCY}/pengumpulan"
    ) == (f"no SOP {AGENCY}/pengumpulan in {AGENCY} (did you mean '{SOP}'?)")
    assert refused(capsys, "position", "unmap", AGENCY, "kaban", "sekretaris", "--sop", SOP) == (
        f"kaban does not serve sekretaris in {SOP}; it serves: kepala_dinas in every SOP, "
        "sekretaris in every SOP"
    )
    code, out, _ = run(capsys, "position", "unmap", AGENCY, "kaban", "sekretaris")
    assert (code, out.strip()) == (
        0,
        "kaban no longer serves sekretaris in every SOP; 0 running procedure(s) re-routed, "
        "0 open step(s) changed",
    )
    assert listing(capsys)[2:3] == ["    role kepala_dinas in every SOP"]


@pytest.mark.usefixtures("agency")
def test_remove_is_refused_while_held_and_frees_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "admin", "add", AGENCY, "--name", "Siti", "--position", "kaban")[0] == 0
    assert run(capsys, "member", "appoint", AGENCY, "1", "kaban")[0] == 0
    assert refused(capsys, "position", "remove", AGENCY, "kaban") == (
        "cannot remove kaban: it is still in use: held by Siti. Move its holder out "
        "(`sopbot member leave`), end the Plt/Plh (`sopbot acting end`), and finish or hand "
        "over its work first"
    )
    assert run(capsys, "member", "leave", AGENCY, "1", "kaban")[0] == 0
    code, out, _ = run(capsys, "position", "remove", AGENCY, "kaban")
    assert (code, out.strip()) == (
        0,
        "position kaban (Kepala Badan) removed; 1 role mapping(s) removed with it, 0 running "
        "procedure(s) re-routed; its key is free for a new position (the removed one is "
        "listed by `position list --all` as kaban~1)",
    )
    assert listing(capsys)[0] == "sekretaris  Sekretaris"
    removed = listing(capsys, "--all")[:2]
    assert removed[0].startswith("kaban~1  Kepala Badan  (removed 20")
    assert removed[1] == "    vacant"
    assert refused(capsys, "position", "remove", AGENCY, "kaban~1") == (
        "position kaban~1 was removed; `sopbot position list --all` lists it"
    )
    code, _, err = run(capsys, "invite", AGENCY, "kaban~1")
    assert (code, err.strip()) == (
        1,
        f"no position kaban~1 in agency {AGENCY} (its positions: sekretaris)",
    )
    # The key is free again.
    code, out, _ = run(capsys, "position", "add", AGENCY, "kaban", "--name", "Kepala Badan")
    assert (code, out.strip()) == (0, "position kaban added; serves roles: none yet")
