"""The agency file, `<agency>/instansi.yaml`: the agency's time zone, required and never assumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.engine.library import load_library, load_paths
from tests.helpers.definitions import definition_text, write_definition

REPO = Path(__file__).resolve().parents[2]
ACCEPTED = (
    "WIB (Asia/Jakarta), WITA (Asia/Makassar), WIT (Asia/Jayapura), or an IANA name such as "
    "Asia/Pontianak"
)


def _agency(root: Path, agency_file: str | None) -> Path:
    """An agency folder with one good SOP and the given agency file (None: none); the file."""
    write_definition(root, "kecamatan-x/sop", definition_text())
    path = root / "kecamatan-x" / "instansi.yaml"
    if agency_file is None:
        path.unlink()
    else:
        path.write_text(agency_file, encoding="utf-8")
    return path


def test_the_seeds_state_their_zones() -> None:
    library = load_library(REPO / "sop_defs")
    assert library.problems == ()
    assert {key: library.zone_of(key) for key in library.agencies} == {
        "dinas-kukmp-samarinda": "Asia/Makassar",
        "kecamatan-samarinda-ilir": "Asia/Makassar",
        "kesbangpol-pekalongan": "Asia/Jakarta",
    }
    assert library.agencies["kecamatan-samarinda-ilir"].name == "Kecamatan Samarinda Ilir"
    # The agency file is never read as an SOP.
    assert not any(sop_id.endswith("/instansi") for sop_id in library.definitions)


def test_a_good_agency_file_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _agency(tmp_path, "# Samarinda\nnama: Kecamatan X\nzona_waktu: wita\n")
    assert main(["sop", "validate", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("1 valid, 0 with errors, 0 warning(s)\n", "")
    library = load_library(tmp_path)
    assert library.zone_of("kecamatan-x") == "Asia/Makassar"
    assert library.agencies["kecamatan-x"].timezone_written == "wita"
    # An IANA name is taken as it is.
    _agency(tmp_path / "lain", "zona_waktu: Asia/Pontianak\n")
    assert load_library(tmp_path / "lain").zone_of("kecamatan-x") == "Asia/Pontianak"


def test_a_folder_without_its_agency_file_fails_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _agency(tmp_path, None)
    assert main(["sop", "validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{path}:1: the agency folder 'kecamatan-x' has no agency file instansi.yaml; create it "
        f"with the agency's time zone, e.g. the line 'zona_waktu: WITA' (accepted: {ACCEPTED})"
    ]
    assert out.splitlines()[-1] == "1 valid, 1 with errors, 0 warning(s)"
    # The SOP itself still loads; the zone stays unknown rather than guessed.
    library = load_library(tmp_path)
    assert list(library.definitions) == ["kecamatan-x/sop"]
    assert library.zone_of("kecamatan-x") is None
    # One SOP file given alone is checked with its folder's agency file too.
    assert [p.file for p in load_paths([tmp_path / "kecamatan-x" / "sop.yaml"]).errors] == [
        str(path)
    ]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "zona_waktu: Samarinda\n",
            [
                (
                    1,
                    "'zona_waktu' is 'Samarinda', which is not a time zone; write one of "
                    + ACCEPTED,
                )
            ],
        ),
        (
            "nama: Kecamatan X\nzona_waktu:\n",
            [(2, f"'zona_waktu' is empty; write one of {ACCEPTED}")],
        ),
        (
            "nama: Kecamatan X\n",
            [
                (
                    1,
                    "the agency file is missing the required key 'zona_waktu' (the agency's time "
                    f"zone: {ACCEPTED})",
                )
            ],
        ),
        (
            "zona_wakt: WITA\n",
            [
                (1, "unknown key 'zona_wakt' in the agency file; did you mean 'zona_waktu'?"),
                (
                    1,
                    "the agency file is missing the required key 'zona_waktu' (the agency's time "
                    f"zone: {ACCEPTED})",
                ),
            ],
        ),
        ("", [(1, "the agency file is empty; write at least the line 'zona_waktu: WITA'")]),
        ("- WITA\n", [(1, "the agency file must be a mapping of 'key: value' lines, not a list")]),
    ],
)
def test_a_bad_agency_file_fails_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problems: list[tuple[int, str]]
) -> None:
    path = _agency(tmp_path, text)
    assert main(["sop", "validate", str(tmp_path)]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [f"{path}:{line}: {message}" for line, message in problems]
    assert load_library(tmp_path).zone_of("kecamatan-x") is None
