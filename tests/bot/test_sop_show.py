"""`sopbot sop show` and `sopbot sop validate`: the same arguments, the header as published, and
the definition as JSON for other programs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sopbot.bot.sop_json import FORMAT, definition_as_json
from sopbot.engine.library import load_library
from tests.helpers.command_line import run
from tests.helpers.definitions import definition_text, write_definition

REPO = Path(__file__).resolve().parents[2]
SEED_IDS = sorted(load_library(REPO / "sop_defs").definitions)

# A Puskesmas SOP as published: no number, dates or signer; its own labels and table title, and
# a Peringatan with an intro line and lettered items.
HEADERLESS = """\
sop:
  instansi: tidak_tercantum
  nomor: tidak_tercantum
  nama: tidak_tercantum
  judul_tabel: PROSEDUR PENERIMAAN SURAT MASUK
  tanggal_pembuatan: tidak_tercantum
  tanggal_efektif: tidak_tercantum
  disahkan_oleh:
    jabatan: Kepala Puskesmas
    nama: tidak_tercantum
  label: {tanggal_efektif: Tanggal Pengesahan, nama: Judul SOP}
  peringatan:
    pengantar: "Apabila SOP ini tidak dilaksanakan, maka:"
    penomoran: a)
    butir:
      - pelayanan terhambat
      - surat tidak tercatat
"""
STEPS = (
    "  - no: 1\n    kegiatan: Menerima surat\n    pelaksana: kepala_dinas\n"
    "    waktu: 30 detik\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Memeriksa surat\n    pelaksana: sekretaris\n"
    "    waktu: 1 Jam\n    jenis_output: catatan\n"
    "    keputusan: {pertanyaan: Surat lengkap?, ya: 3, tidak: selesai}\n"
    "  - no: 3\n    kegiatan: Mencatat surat\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n"
    "  - no: 4\n    kegiatan: Menyimpan arsip\n    pelaksana: sekretaris\n"
    "    waktu: 2 x 24 jam\n    jenis_output: tidak_ada\n"
)
SOP_ID = "puskesmas-a/surat-masuk"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)


@pytest.fixture
def headerless(tmp_path: Path) -> Path:
    return write_definition(tmp_path, SOP_ID, definition_text(header=HEADERLESS, steps=STEPS))


def shown_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, "sop", "show", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_validate_warns_of_each_field_the_document_does_not_state(
    headerless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "sop", "validate", str(headerless))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{headerless}:2: warning: 'instansi' is marked tidak_tercantum: the document does "
        "not state it",
        f"{headerless}:3: warning: 'nomor' is marked tidak_tercantum: the document does not "
        "state it",
        f"{headerless}:4: warning: 'nama' is marked tidak_tercantum: the document does not "
        "state it; the SOP is shown as 'PROSEDUR PENERIMAAN SURAT MASUK' (the table title)",
        f"{headerless}:6: warning: 'tanggal_pembuatan' is marked tidak_tercantum: the document "
        "does not state it",
        f"{headerless}:7: warning: 'tanggal_efektif' is marked tidak_tercantum: the document "
        "does not state it",
        f"{headerless}:10: warning: 'nama' in 'disahkan_oleh' is marked tidak_tercantum: the "
        "document does not state it",
        "1 valid, 0 with errors, 6 warning(s)",
    ]


def test_show_prints_the_header_as_the_document_has_it(
    headerless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "sop", "show", str(headerless), "--width", "100")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:12] == [
        "Instansi: tidak tercantum",
        "",
        "Nomor SOP           tidak tercantum",
        "Tanggal Pembuatan   tidak tercantum",
        "Tanggal Revisi      -",
        "Tanggal Pengesahan  tidak tercantum",
        "Disahkan Oleh       Kepala Puskesmas",
        "                    (nama tidak tercantum)",
        "Judul SOP           tidak tercantum",
        lines[9],
        "",
        "Dasar Hukum",
    ]
    assert lines[9].startswith(f"ID / Versi          {SOP_ID}  ·  tanpa-tanggal-")
    peringatan = lines.index("Peringatan")
    assert lines[peringatan : peringatan + 4] == [
        "Peringatan",
        "   Apabila SOP ini tidak dilaksanakan, maka:",
        "  a) pelayanan terhambat",
        "  b) surat tidak tercatat",
    ]
    assert "PROSEDUR PENERIMAAN SURAT MASUK" in lines  # the table's own title above the table
    assert "None" not in out


def test_validate_and_show_take_ids_paths_and_dir_alike(
    headerless: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("validate", "show"):
        by_id = run(capsys, "sop", command, SOP_ID, "--dir", str(tmp_path))
        by_path = run(capsys, "sop", command, str(headerless))
        whole_dir = run(capsys, "sop", command, "--dir", str(tmp_path))
        assert by_id[0] == by_path[0] == whole_dir[0] == 0, command
        assert by_id[1] == by_path[1] == whole_dir[1], command
    # A seed by id from the configured folder, and one from its file.
    seed = "sop_defs/dinas-kukmp-samarinda/pengolahan-data-kinerja.yaml"
    assert run(capsys, "sop", "validate", SEED_IDS[3], seed)[1].splitlines()[-1] == (
        "2 valid, 0 with errors, 0 warning(s)"
    )


def test_an_unknown_id_fails_validate_and_show_alike(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("validate", "show"):
        code, _, err = run(capsys, "sop", command, "tiada/sop")
        assert code == 1
        assert err.startswith("No SOP with id 'tiada/sop'. Known ids: dinas-kukmp-samarinda/")


def test_show_of_a_broken_file_prints_its_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_definition(tmp_path, "dinas-a/rusak", definition_text().replace("5 Menit", ""))
    code, out, err = run(capsys, "sop", "show", str(broken))
    assert (code, out) == (1, "")
    assert err == f"{broken}:19: 'waktu' of step 1 is empty; write it as the SOP states it\n"


def test_json_of_a_definition_with_unstated_fields(
    headerless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shape = shown_json(capsys, str(headerless))
    assert shape["format"] == FORMAT == 1
    assert shape["id"] == SOP_ID
    assert shape["version"] == f"tanpa-tanggal-{shape['digest'][:8]}"
    assert shape["title"] == shape["table_title"] == "PROSEDUR PENERIMAAN SURAT MASUK"
    header = shape["header"]
    assert header["nama"] == {"label": "Judul SOP", "stated": False, "value": None}
    assert header["tanggal_efektif"] == {
        "label": "Tanggal Pengesahan",
        "stated": False,
        "value": None,
        "date": None,
    }
    assert header["disahkan_oleh"]["value"] == {
        "jabatan": "Kepala Puskesmas",
        "nama": None,
        "pangkat": None,
        "nip": None,
    }
    assert header["peringatan"] == {
        "label": "Peringatan",
        "intro": "Apabila SOP ini tidak dilaksanakan, maka:",
        "numbering": "a)",
        "items": [
            {"marker": "a)", "text": "pelayanan terhambat"},
            {"marker": "b)", "text": "surat tidak tercatat"},
        ],
    }
    steps = shape["steps"]
    assert [(s["no"], s["time_text"], s["minutes"], s["working_time"]) for s in steps] == [
        ("1", "30 detik", 0.5, True),
        ("2", "1 Jam", 60, True),
        ("3", "1 Hari", 450, True),  # a working day of the usual office hours: 7.5 hours
        ("4", "2 x 24 jam", 2880, False),  # by the clock
    ]
    assert steps[0]["roles"] == ["Kepala Dinas"]
    assert steps[0]["next"] == {"id": 2, "no": "2"}
    assert steps[1]["decision"] == {
        "question": "Surat lengkap?",
        "labelled": False,
        "branches": [
            {
                "answer": "ya",
                "key": "ya",
                "to": {"id": 3, "no": "3"},
                "sends_back": False,
                "output": None,
                "output_kind": "catatan",
            },
            {
                "answer": "tidak",
                "key": "tidak",
                "to": None,
                "sends_back": True,
                "output": None,
                "output_kind": "tidak_ada",
            },
        ],
    }
    assert steps[3]["next"] is None  # the end


@pytest.mark.parametrize("sop_id", SEED_IDS)
def test_each_seed_as_json_round_trips(sop_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    shape = shown_json(capsys, sop_id)
    definition = load_library(REPO / "sop_defs").definitions[sop_id]
    assert shape == json.loads(json.dumps(definition_as_json(definition)))
    assert [s["no"] for s in shape["steps"]] == [str(s.number) for s in definition.steps]
    assert [s["activity"] for s in shape["steps"]] == [s.activity for s in definition.steps]
    assert all(h["stated"] for h in shape["header"].values() if "stated" in h)
    assert all(isinstance(s["minutes"], int | float) for s in shape["steps"])


def test_json_of_several_definitions_is_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    shapes = shown_json(capsys, "sop_defs")
    assert [shape["id"] for shape in shapes] == SEED_IDS


def test_list_names_an_sop_without_a_name_by_its_table_title(
    headerless: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "sop", "list", "--dir", str(tmp_path))
    assert code == 0
    (row,) = [line for line in out.splitlines() if SOP_ID in line]
    assert "tidak tercantum" in row  # the number
    assert "PROSEDUR PENERIMAAN SURAT MASUK" in row
    assert "tanpa-tanggal-" in row
