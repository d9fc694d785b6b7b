"""The rendered Word document read back with python-docx: the header table's labels and values,
the procedure table with both header rows repeated (`w:tblHeader`), every step's cells, and one
DrawingML flowchart shape of the right preset in each executor's cell (one per group of
adjacent executors, across their merged cells) and none in any other role cell."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import Table, _Row

from sopbot.documents.cells import remarks_paragraphs, time_cell
from sopbot.documents.docx_shapes import WPS
from sopbot.documents.flowchart import arrows, row_symbols
from sopbot.documents.rendering import render_docx
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import load_paths
from tests.documents.render_samples import collected
from tests.helpers.definitions import definition_text, write_definition

IDS = sorted(collected())
ANCHOR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}anchor"
PRESET = "{http://schemas.openxmlformats.org/drawingml/2006/main}prstGeom"


@cache
def _tables(definition: SopDefinition) -> list[Table]:
    document = docx.Document(io.BytesIO(render_docx(definition)))
    return list(document.tables)


def _grid_cells(row: _Row) -> list[tuple[int, int, object]]:
    """A row's own cells (`w:tc`) as (first grid column, span, element)."""
    cells = []
    column = 0
    for tc in row._tr.findall(qn("w:tc")):
        span_element = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
        span = int(span_element.get(qn("w:val"))) if span_element is not None else 1
        cells.append((column, span, tc))
        column += span
    return cells


def _presets(tc: object) -> list[str]:
    """The preset geometries of every drawing anchored in a cell."""
    found = []
    for anchor in tc.iter(ANCHOR):  # type: ignore[attr-defined]
        assert anchor.get("layoutInCell") == "1"
        shape = next(anchor.iter(f"{{{WPS}}}wsp"))
        found.append(next(shape.iter(PRESET)).get("prst"))
    return found


def _shapes(tc: object) -> list[str]:
    """The flowchart symbols anchored in a cell (arrows, labels and end marks are not)."""
    return [prst for prst in _presets(tc) if prst.startswith("flowChart")]


@pytest.mark.parametrize("definition_id", IDS)
def test_the_procedure_table_has_each_step_and_its_symbols(definition_id: str) -> None:
    definition = collected()[definition_id]
    table = _tables(definition)[-1]
    roles = len(definition.roles)
    rows = table.rows
    assert len(rows) == 2 + len(definition.steps)
    for header in rows[:2]:
        assert header._tr.trPr is not None
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    header_texts = [cell.text for cell in rows[1].cells]
    for index, role in enumerate(definition.roles):
        assert header_texts[2 + index] == role.name
    assert rows[0].cells[2].text == "Pelaksana"
    for symbols, row in zip(row_symbols(definition), rows[2:], strict=True):
        step = symbols.step
        texts = [cell.text for cell in row.cells]
        assert texts[0] == step.label
        assert texts[1] == step.activity
        assert texts[2 + roles : 2 + roles + 3] == [step.inputs, time_cell(step), step.output]
        assert texts[-1] == "\n".join(remarks_paragraphs(definition, step))
        assert step.standard_time.as_written in texts[2 + roles + 1]
        assert row._tr.trPr is not None
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        expected = {(2 + g.first, g.last - g.first + 1) for g in symbols.groups}
        for column, span, tc in _grid_cells(row):
            if not 2 <= column < 2 + roles:
                continue
            if (column, span) in expected:
                assert _shapes(tc) == [symbols.shape.value], step.label
                expected.discard((column, span))
            else:
                assert _presets(tc) == [], step.label
        assert expected == set(), step.label


@pytest.mark.parametrize("definition_id", IDS)
def test_the_header_table_holds_the_documents_labels_and_values(definition_id: str) -> None:
    definition = collected()[definition_id]
    ident = definition.identity
    header, blocks = _tables(definition)[:2]
    text = "\n".join(cell.text for row in header.rows for cell in row.cells)
    for key in ("nomor", "tanggal_pembuatan", "tanggal_efektif", "disahkan_oleh", "nama"):
        assert ident.label(key) in text
    if ident.is_stated("nama"):
        assert ident.name in text
    if ident.is_stated("nomor") and ident.number:
        assert ident.number in text
    if ident.is_stated("disahkan_oleh.nama"):
        assert ident.approved_by.name in text
    block_text = "\n".join(cell.text for row in blocks.rows for cell in row.cells)
    for key in ("dasar_hukum", "peringatan", "pencatatan_pendataan"):
        assert ident.label(key) in block_text
        for item in ident.header_list(key):
            assert item in block_text


def test_steps_of_roles_apart_get_a_shape_each_and_side_by_side_one_merged() -> None:
    dishub = collected()["dishub-kota-ambon/izin-trayek-balik-nama"]
    table = _tables(dishub)[-1]
    spans = [
        [span for column, span, tc in _grid_cells(row) if _shapes(tc)] for row in table.rows[2:]
    ]
    assert [1, 2] in spans  # pelaksana alone, kabid_lalin + kasie_perizinan merged
    assert [3] in spans  # pelaksana, kadishub, kabid_lalin side by side


def test_arrows_are_connectors_with_an_arrowhead_on_each() -> None:
    kesbangpol = collected()["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
    table = _tables(kesbangpol)[-1]
    presets = [
        prst for row in table.rows[2:] for _, _, tc in _grid_cells(row) for prst in _presets(tc)
    ]
    heads = sum(
        1
        for row in table.rows[2:]
        for tail in row._tr.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}tailEnd")
    )
    # Nine plain steps go on to the next (the last ends), three diamonds have two branches.
    assert len(arrows(kesbangpol)) == 15
    assert heads == 15
    assert presets.count("straightConnector1") >= 15
    assert presets.count("rect") == 6  # "ya" and "tidak" at each of the three diamonds


def test_unicode_is_kept_as_written_in_word(tmp_path: Path) -> None:
    steps = (
        "  - no: 1\n    kegiatan: Menerima → memeriksa ✓ Ā漢\n"
        "    pelaksana: kepala_dinas\n    waktu: ± 5 menit\n    jenis_output: catatan\n"
    )
    path = write_definition(tmp_path, "dinas-a/unicode", definition_text(steps=steps))
    (definition,) = load_paths([path]).definitions.values()
    table = _tables(definition)[-1]
    assert table.rows[2].cells[1].text == "Menerima → memeriksa ✓ Ā漢"
