"""The identity header: fields the document does not state, its own labels, the table's title,
and header lists with an intro line and numbering as published."""

from __future__ import annotations

import pytest

from sopbot.engine.definition import SopDefinition
from sopbot.engine.header_fields import Numbering
from sopbot.engine.loader import LoadResult, parse_definition
from sopbot.engine.problems import Severity
from tests.helpers.definitions import definition_text

SOP_ID = "dinas-a/surat-masuk"

# A Puskesmas SOP as many are published: no number, no dates, no signer, only a table title.
NO_HEADER = """\
sop:
  instansi: tidak_tercantum
  nomor: tidak_tercantum
  nama: tidak_tercantum
  judul_tabel: PROSEDUR PENERIMAAN SURAT MASUK
  tanggal_pembuatan: tidak_tercantum
  tanggal_efektif: tidak_tercantum
  disahkan_oleh: tidak_tercantum
"""

NOT_STATED_WARNING = "is marked tidak_tercantum: the document does not state it"


def parse(header: str, sop_id: str = SOP_ID) -> LoadResult:
    return parse_definition(
        definition_text(header=header), source="x.yaml", sop_id=sop_id, agency_key="dinas-a"
    )


def loaded(header: str) -> SopDefinition:
    result = parse(header)
    assert result.definition is not None, [str(p) for p in result.problems]
    return result.definition


def messages(result: LoadResult) -> list[str]:
    return [str(p) for p in result.problems]


def test_a_header_the_document_does_not_state_loads_with_one_warning_per_field() -> None:
    result = parse(NO_HEADER)
    assert messages(result) == [
        f"x.yaml:2: warning: 'instansi' {NOT_STATED_WARNING}",
        f"x.yaml:3: warning: 'nomor' {NOT_STATED_WARNING}",
        f"x.yaml:4: warning: 'nama' {NOT_STATED_WARNING}; the SOP is shown as "
        "'PROSEDUR PENERIMAAN SURAT MASUK' (the table title)",
        f"x.yaml:6: warning: 'tanggal_pembuatan' {NOT_STATED_WARNING}",
        f"x.yaml:7: warning: 'tanggal_efektif' {NOT_STATED_WARNING}",
        f"x.yaml:8: warning: 'disahkan_oleh' {NOT_STATED_WARNING}",
    ]
    assert all(p.severity is Severity.WARNING for p in result.problems)
    definition = result.definition
    assert definition is not None
    ident = definition.identity
    assert ident.not_stated == {
        "instansi",
        "nomor",
        "nama",
        "tanggal_pembuatan",
        "tanggal_efektif",
        "disahkan_oleh",
        "disahkan_oleh.jabatan",
        "disahkan_oleh.nama",
    }
    # "Not stated" is told apart from blank: a blank revision date is stated ("-").
    assert ident.is_stated("tanggal_revisi")
    assert not ident.is_stated("tanggal_efektif")
    assert ident.effective_on.value is None
    assert ident.number is None
    assert ident.name == "PROSEDUR PENERIMAAN SURAT MASUK"


def test_an_unnamed_sop_without_a_table_title_is_shown_by_its_file_name() -> None:
    result = parse(NO_HEADER.replace("  judul_tabel: PROSEDUR PENERIMAAN SURAT MASUK\n", ""))
    assert result.definition is not None
    assert result.definition.identity.name == "surat-masuk"
    assert (
        f"x.yaml:4: warning: 'nama' {NOT_STATED_WARNING}; the SOP is shown as 'surat-masuk' "
        "(the file name)"
    ) in messages(result)


def test_a_signer_whose_name_is_not_stated() -> None:
    header = NO_HEADER.replace(
        "  disahkan_oleh: tidak_tercantum\n",
        "  disahkan_oleh:\n    jabatan: Kepala Puskesmas\n    nama: tidak_tercantum\n",
    )
    result = parse(header)
    assert f"x.yaml:10: warning: 'nama' in 'disahkan_oleh' {NOT_STATED_WARNING}" in messages(result)
    assert result.definition is not None
    ident = result.definition.identity
    assert ident.approved_by.position == "Kepala Puskesmas"
    assert ident.is_stated("disahkan_oleh.jabatan")
    assert not ident.is_stated("disahkan_oleh.nama")
    assert ident.is_stated("disahkan_oleh")


def test_the_version_of_an_undated_sop_tells_its_edits_apart() -> None:
    first = loaded(NO_HEADER)
    edited = loaded(NO_HEADER.replace("PENERIMAAN", "PENERIMAAN DAN PENCATATAN"))
    assert first.version == f"tanpa-tanggal-{first.digest[:8]}"
    assert edited.version == f"tanpa-tanggal-{edited.digest[:8]}"
    assert first.version != edited.version


def test_the_version_falls_back_to_the_date_made_when_the_effective_date_is_not_stated() -> None:
    header = NO_HEADER.replace(
        "tanggal_pembuatan: tidak_tercantum", "tanggal_pembuatan: 2 Mei 2025"
    )
    assert loaded(header).version == "2025-05-02"


def test_a_dash_on_a_required_date_points_at_tidak_tercantum() -> None:
    header = NO_HEADER.replace("tanggal_efektif: tidak_tercantum", 'tanggal_efektif: "-"')
    result = parse(header)
    assert result.definition is None
    assert (
        "x.yaml:7: 'tanggal_efektif' is blank; write the date as the document states it, or "
        "'tanggal_efektif: tidak_tercantum' when the document does not state it" in messages(result)
    )


def test_an_unreadable_required_date_points_at_tidak_tercantum() -> None:
    header = NO_HEADER.replace("tanggal_efektif: tidak_tercantum", "tanggal_efektif: belum ada")
    assert (
        "x.yaml:7: 'tanggal_efektif': cannot read the date 'belum ada'; write it as in the "
        "document, e.g. '4 Mei 2026', or as 2026-05-04 ('tidak_tercantum' when the document "
        "does not state it)"
    ) in messages(parse(header))


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("  unit: tidak_tercantum\n", "'unit' in the header"),
        ("  tanggal_revisi: tidak_tercantum\n", "'tanggal_revisi'"),
        ("  revisi: tidak_tercantum\n", "'revisi' in the header"),
    ],
)
def test_an_optional_field_is_left_out_rather_than_marked(line: str, where: str) -> None:
    result = parse(NO_HEADER + line)
    assert result.definition is None
    assert messages(result)[-1] == (
        f"x.yaml:9: {where} is optional: leave it out when the document does not state it "
        "(tidak_tercantum is for the required fields)"
    )


def test_the_documents_own_labels() -> None:
    header = NO_HEADER + "  label: {tanggal_efektif: Tanggal Pengesahan, nama: Judul SOP}\n"
    ident = loaded(header).identity
    assert ident.label("tanggal_efektif") == "Tanggal Pengesahan"
    assert ident.label("nama") == "Judul SOP"
    assert ident.label("nomor") == "Nomor SOP"  # the form's own, where the document agrees


def test_a_label_for_an_unknown_key_or_an_empty_label_is_refused() -> None:
    header = NO_HEADER + "  label:\n    tanggal_efektip: Tanggal Pengesahan\n    nama: ''\n"
    result = parse(header)
    assert result.definition is None
    assert [str(p) for p in result.errors] == [
        "x.yaml:10: unknown key 'tanggal_efektip' in 'label' in the header; "
        "did you mean 'tanggal_efektif'?",
        "x.yaml:11: the label of 'nama' is empty; write it as the SOP states it",
    ]


def test_a_list_with_an_intro_line_and_its_own_numbering() -> None:
    header = NO_HEADER + (
        "  peringatan:\n"
        '    pengantar: "Apabila SOP ini tidak dilaksanakan, maka:"\n'
        "    penomoran: a)\n"
        "    butir:\n"
        "      - pelayanan terhambat\n"
        "      - surat tidak tercatat\n"
        "  dasar_hukum:\n"
        '    penomoran: "-"\n'
        "    butir: [Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik]\n"
    )
    ident = loaded(header).identity
    assert ident.warnings == ("pelayanan terhambat", "surat tidak tercatat")
    style = ident.list_style("peringatan")
    assert style.intro == "Apabila SOP ini tidak dilaksanakan, maka:"
    assert [style.marker(n) for n in (1, 2)] == ["a)", "b)"]
    assert ident.list_style("dasar_hukum").marker(3) == "-"
    assert ident.list_style("keterkaitan").marker(3) == "3."  # a plain list


@pytest.mark.parametrize(
    ("numbering", "markers"),
    [
        (Numbering.NUMBER_DOT, ["1.", "2.", "27."]),
        (Numbering.NUMBER_PAREN, ["1)", "2)", "27)"]),
        (Numbering.NUMBER_BOTH, ["(1)", "(2)", "(27)"]),
        (Numbering.LETTER_DOT, ["a.", "b.", "aa."]),
        (Numbering.LETTER_PAREN, ["a)", "b)", "aa)"]),
        (Numbering.LETTER_BOTH, ["(a)", "(b)", "(aa)"]),
        (Numbering.DASH, ["-", "-", "-"]),
        (Numbering.BULLET, ["•", "•", "•"]),
    ],
)
def test_each_numbering_style(numbering: Numbering, markers: list[str]) -> None:
    assert [numbering.marker(n) for n in (1, 2, 27)] == markers


def test_an_unknown_numbering_or_a_list_without_items_is_refused() -> None:
    header = NO_HEADER + "  peringatan:\n    penomoran: i.\n    butiran: [satu]\n"
    result = parse(header)
    assert result.definition is None
    assert [str(p) for p in result.errors] == [
        "x.yaml:9: 'peringatan' in the header is missing the required key 'butir' (the "
        "items, one per numbered line of the document)",
        "x.yaml:10: unknown penomoran 'i.' for 'peringatan' in the header; write the first "
        'item\'s marker as the document numbers it: "1.", "1)", "(1)", "a.", "a)", "(a)", "-", '
        '"•"',
        "x.yaml:11: unknown key 'butiran' in 'peringatan' in the header; did you mean 'butir'?",
    ]
