"""The rendered PDF read back with pdfplumber, as the importer reads it: every step's number,
activity, time as written and every role name in their columns; one symbol per executor group
in the right column band of the right row, of the right kind; the header on every page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from sopbot.documents.cells import remarks_paragraphs, time_cell
from sopbot.documents.flowchart import RowSymbols, Shape, row_symbols
from sopbot.documents.pdf_document import procedure_layout
from sopbot.documents.pdf_text import printable
from sopbot.documents.procedure_pages import (
    END_MARK_HEIGHT,
    SYMBOL_HEIGHT,
    PlacedRow,
    ProcedureLayout,
)
from sopbot.documents.rendering import render_pdf
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import load_paths
from tests.documents.render_samples import collected, long_definition
from tests.helpers.definitions import definition_text, write_definition

IDS = sorted(collected())


@pytest.fixture(scope="module")
def long_sop(tmp_path_factory: pytest.TempPathFactory) -> SopDefinition:
    return long_definition(tmp_path_factory.mktemp("long"))


@cache
def _pdf(definition: SopDefinition) -> bytes:
    return render_pdf(definition)


def _squeezed(text: str) -> str:
    """Text without any white space: wrapped lines compare equal to the text they wrap."""
    return printable(re.sub(r"\s+", "", text))


def _table_pages(definition: SopDefinition) -> Iterator[tuple[Any, ProcedureLayout, int]]:
    """Each procedure-table page of the rendered PDF with the layout and its page number."""
    layout = procedure_layout(definition)
    with pdfplumber.open(io.BytesIO(_pdf(definition))) as pdf:
        first = len(pdf.pages) - len(layout.pages)
        assert first >= 1  # the identity page comes first
        for number in range(len(layout.pages)):
            yield pdf.pages[first + number], layout, number


def _cell_text(page: Any, left: float, right: float, top: float, bottom: float) -> str:
    return page.crop((left + 0.5, top + 0.5, right - 0.5, bottom - 0.5)).extract_text() or ""


def _every(definition_id: str) -> SopDefinition:
    return collected()[definition_id]


@pytest.mark.parametrize("definition_id", IDS)
def test_each_step_row_holds_its_number_activity_time_and_notes(definition_id: str) -> None:
    definition = _every(definition_id)
    seen = []
    for page, layout, number in _table_pages(definition):
        columns = layout.columns
        no, activity, _, time, _, remarks = columns.text_columns
        for placed in layout.pages[number].rows:
            step = definition.steps[placed.row]
            seen.append(step.label)

            def cell(
                column: int, placed: PlacedRow = placed, page: Any = page, columns: Any = columns
            ) -> str:
                left, right = columns.span(column, column)
                return _squeezed(_cell_text(page, left, right, placed.top, placed.bottom))

            assert cell(no) == _squeezed(step.label)
            assert cell(activity) == _squeezed(step.activity)
            assert cell(time) == _squeezed(time_cell(step))
            assert _squeezed(step.standard_time.as_written) in cell(time)
            assert cell(remarks) == _squeezed("".join(remarks_paragraphs(definition, step)))
    assert seen == [step.label for step in definition.steps]


@pytest.mark.parametrize("definition_id", IDS)
def test_every_page_repeats_the_two_header_rows(definition_id: str) -> None:
    definition = _every(definition_id)
    for page, layout, number in _table_pages(definition):
        columns, table_page = layout.columns, layout.pages[number]
        top, middle = table_page.header_top, table_page.header_top + table_page.header_heights[0]
        bottom = table_page.body_top
        band_left, band_right = columns.band
        assert _squeezed(_cell_text(page, band_left, band_right, top, middle)) == "Pelaksana"
        for index, role in enumerate(definition.roles):
            left, right = columns.role_span(index, index)
            assert _squeezed(_cell_text(page, left, right, middle, bottom)) == _squeezed(role.name)
        header = _squeezed(_cell_text(page, columns.left, columns.right, top, bottom))
        for title in ("No", "Kegiatan", "MutuBaku", "Kelengkapan", "Waktu", "Output"):
            assert title in header


def _symbols_in(page: Any, placed: PlacedRow, band: tuple[float, float]) -> list[tuple[str, Any]]:
    """The flowchart symbols drawn in a row's role band: ("process", rect), ("terminator",
    rounded path), ("decision", four-point path); arrowheads and connectors are not symbols."""
    found: list[tuple[str, Any]] = []
    left, right = band

    def inside(item: Any) -> bool:
        middle_x = (item["x0"] + item["x1"]) / 2
        middle_y = (item["top"] + item["bottom"]) / 2
        return bool(left < middle_x < right and placed.top < middle_y < placed.bottom)

    for rect in page.rects:
        if inside(rect) and not rect["fill"]:
            found.append(("process", rect))
    for curve in page.curves:
        if not inside(curve) or curve["fill"]:
            continue
        points = len(curve["pts"])
        if points == 5:
            found.append(("decision", curve))
        elif points > 6:
            found.append(("terminator", curve))
    return found


KIND = {Shape.PROCESS: "process", Shape.TERMINATOR: "terminator", Shape.DECISION: "decision"}


def _check_symbols(definition: SopDefinition) -> None:
    symbols = row_symbols(definition)
    for page, layout, number in _table_pages(definition):
        columns = layout.columns
        for placed in layout.pages[number].rows:
            row: RowSymbols = symbols[placed.row]
            found = _symbols_in(page, placed, columns.band)
            end_marks = [
                item
                for kind, item in found
                if kind == "terminator" and abs(item["height"] - END_MARK_HEIGHT) < 0.5
            ]
            drawn = [
                (kind, item) for kind, item in found if not any(item is mark for mark in end_marks)
            ]
            assert len(drawn) == len(row.groups), (row.step.label, drawn)
            ends = any(a.source == placed.row and a.target is None for a in layout.arrows)
            assert len(end_marks) == (len(row.groups) if ends else 0)
            for group, (kind, item) in zip(
                row.groups, sorted(drawn, key=lambda found: found[1]["x0"]), strict=True
            ):
                assert kind == KIND[row.shape], row.step.label
                assert abs(item["height"] - SYMBOL_HEIGHT[row.shape]) < 0.5
                left, right = columns.role_span(group.first, group.last)
                assert left < item["x0"] < item["x1"] < right
                # Across the merged cells: wider than all but one of the group's columns.
                assert item["x1"] - item["x0"] > right - left - columns.width(2 + group.first)


@pytest.mark.parametrize("definition_id", IDS)
def test_one_symbol_per_executor_group_in_its_columns(definition_id: str) -> None:
    _check_symbols(_every(definition_id))


def test_decisions_are_diamonds_and_the_first_step_a_terminator() -> None:
    kinds = {row.shape for definition in collected().values() for row in row_symbols(definition)}
    assert kinds == {Shape.TERMINATOR, Shape.PROCESS, Shape.DECISION}
    kesbangpol = _every("kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja")
    shapes = [row.shape for row in row_symbols(kesbangpol)]
    assert shapes[0] is Shape.TERMINATOR
    assert shapes[-1] is Shape.TERMINATOR
    assert [kesbangpol.steps[i].label for i, s in enumerate(shapes) if s is Shape.DECISION] == [
        "5",
        "11",
        "12",
    ]


def test_roles_apart_get_a_symbol_each_and_roles_side_by_side_one_across() -> None:
    dishub = _every("dishub-kota-ambon/izin-trayek-balik-nama")
    groups = {row.step.label: row.groups for row in row_symbols(dishub)}
    assert any(len(found) > 1 for found in groups.values())
    assert any(group.last > group.first for found in groups.values() for group in found)
    _check_symbols(dishub)


def test_a_long_table_goes_over_pages_with_connectors_and_all_its_rows(
    long_sop: SopDefinition,
) -> None:
    pages = list(_table_pages(long_sop))
    assert len(pages) >= 3
    _check_symbols(long_sop)
    connectors = 0
    for page, _, _ in pages:
        # An off-page connector: a closed five-sided path with its number in it.
        connectors += sum(1 for c in page.curves if len(c["pts"]) == 6 and not c["fill"])
    # Each arrow that crosses a page has a connector at both ends.
    layout = procedure_layout(long_sop)
    page_of = {p.row: n for n, page in enumerate(layout.pages) for p in page.rows}
    crossing = [
        a for a in layout.arrows if a.target is not None and page_of[a.source] != page_of[a.target]
    ]
    assert len(crossing) >= 3
    assert connectors == 2 * len(crossing)


def test_arrows_end_in_filled_arrowheads_and_the_branches_are_labelled() -> None:
    kesbangpol = _every("kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja")
    heads = 0
    words: list[str] = []
    for page, _, _ in _table_pages(kesbangpol):
        heads += sum(1 for c in page.curves if c["fill"] and len(c["pts"]) == 4)
        words += [w["text"] for w in page.extract_words()]
    arrows = procedure_layout(kesbangpol).arrows
    assert heads >= len(arrows)
    assert words.count("ya") >= 3
    assert words.count("tidak") >= 3


def test_text_outside_the_font_is_written_plainly_not_lost(tmp_path: Path) -> None:
    steps = (
        "  - no: 1\n    kegiatan: Menerima → memeriksa ✓ surat Bapak Ā漢\n"
        "    pelaksana: kepala_dinas\n    waktu: ± 5 menit\n    jenis_output: catatan\n"
    )
    path = write_definition(tmp_path, "dinas-a/unicode", definition_text(steps=steps))
    (definition,) = load_paths([path]).definitions.values()
    with pdfplumber.open(io.BytesIO(render_pdf(definition))) as pdf:
        text = "".join(page.extract_text() for page in pdf.pages)
    assert "Menerima -> memeriksa v surat Bapak A?" in text
    assert "± 5 menit" in text
