"""The list of a period's procedures, each with the letter it is about: an appendix of the
monitoring form (one SOP's procedures) and of the compliance report (every SOP's, under its
name), so that an auditor can find a letter's procedure and what it took.

A row is a procedure (sopbot.engine.monitoring.ProcedureLine): its number, title and letter
(number, date, sender: "–" where there is none), when it started and ended, how it stood at
the period's end, and, when it finished, its working time against the sum of the Mutu Baku of
the steps it went through. A PDF lists at most `PRINTED_LIMIT` procedures; a longer list (a
busy agency's year runs to thousands) is left to the workbook, which the PDF points to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sopbot.documents.report_model import (
    Cell,
    Column,
    Part,
    Table,
    count,
    date,
    moment,
    serial,
    text,
    working_time,
)
from sopbot.documents.report_words import (
    NOTHING,
    PROCEDURE_STATES,
    count_text,
    wall_clock,
    zone_text,
)
from sopbot.engine.monitoring import ProcedureLine, ReportHeader, SopFigures

LIST_TITLE: Final = "Daftar prosedur"
PRINTED_LIMIT: Final = 300
"""The most procedures a PDF lists (about ten pages); the workbook lists every one."""
TITLE_LIMIT: Final = 300  # a procedure's title is at most this long (the column's size)
_SOP_COLUMN: Final = 1  # where the SOP's column goes when there is one


def procedure_list(
    sops: Sequence[SopFigures],
    header: ReportHeader,
    *,
    with_sop: bool,
    printed_limit: int | None = None,
) -> Part:
    """The part listing the procedures of `sops` (in their order, each SOP's by number), with
    a column naming the SOP when `with_sop` (the PDF prints it in a row over its procedures,
    again on every page they run onto). With `printed_limit` (a PDF) and more procedures than
    that, the part says where the list is instead of listing them; without any, it says so."""
    total = sum(len(sop.procedure_lines) for sop in sops)
    zone = zone_text(header)
    if not total:
        return Part(
            sheet_name=LIST_TITLE,
            title=LIST_TITLE,
            table=None,
            intro=("Tidak ada prosedur yang dimulai pada periode ini.",),
        )
    if printed_limit is not None and total > printed_limit:
        return Part(
            sheet_name=LIST_TITLE,
            title=LIST_TITLE,
            table=None,
            intro=(
                f"{count_text(total)} prosedur dimulai pada periode ini, lebih dari "
                f"{count_text(printed_limit)} yang dapat dicetak di sini. Daftar lengkapnya, "
                "dengan nomor, tanggal dan pengirim surat setiap prosedur, ada pada lembar "
                f"\u201c{LIST_TITLE}\u201d dalam berkas Excel (XLSX).",
            ),
        )
    columns = _columns(zone, with_sop=with_sop)
    rows = tuple(
        _row(line, sop, header, with_sop=with_sop) for sop in sops for line in sop.procedure_lines
    )
    return Part(
        sheet_name=LIST_TITLE,
        title=LIST_TITLE,
        table=Table(columns, rows, group_by=_SOP_COLUMN if with_sop else None, filtered=True),
        intro=_intro(zone, total),
    )


def _columns(zone: str, *, with_sop: bool) -> tuple[Column, ...]:
    # Narrow enough for A4 landscape: an agenda number of 22 characters and a date on a line.
    columns = [
        Column("No.", 6),
        Column("Judul", 27),
        Column("Nomor surat", 22),
        Column("Tanggal surat", 10.5, short_dates=True),
        Column("Pengirim surat", 17),
        Column(f"Mulai ({zone})", 10.5, short_dates=True),
        Column(f"Selesai ({zone})", 10.5, short_dates=True),
        Column("Status", 10),
        Column("Lama (waktu kerja)", 11),
        Column("Jumlah Mutu Baku (waktu kerja)", 11),
        Column("Langkah terlambat", 9),
        Column("Putaran", 8),
    ]
    if with_sop:
        columns.insert(_SOP_COLUMN, Column("SOP", 32))
    return tuple(columns)


def _row(
    line: ProcedureLine, sop: SopFigures, header: ReportHeader, *, with_sop: bool
) -> tuple[Cell, ...]:
    letter = line.letter
    real = line.working_seconds
    # The standards of a procedure that did not finish are those of its path so far: shown
    # against nothing, they would read as its whole Mutu Baku.
    standard = line.standard_seconds if real is not None else None
    cells = [
        serial(line.number),
        text(line.title[:TITLE_LIMIT] or NOTHING),
        text(letter.number if letter else NOTHING),
        date(letter.date if letter else None),
        text(letter.sender if letter and letter.sender else NOTHING),
        moment(wall_clock(line.started_at, header)),
        moment(wall_clock(line.finished_at, header) if line.finished_at else None),
        text(PROCEDURE_STATES[line.state]),
        working_time(real),
        working_time(standard),
        count(line.late_steps),
        count(line.highest_round),
    ]
    if with_sop:
        cells.insert(_SOP_COLUMN, text(sop.name))
    return tuple(cells)


def _intro(zone: str, total: int) -> tuple[str, ...]:
    return (
        f"{count_text(total)} prosedur yang dimulai pada periode ini, menurut nomornya, dengan "
        "surat yang menjadi dasarnya; status pada akhir periode, waktu dalam "
        f"{zone}.",
        "Lama: dari dimulai sampai selesai, dalam waktu kerja; Jumlah Mutu Baku: jumlah Mutu "
        "Baku langkah yang dilalui prosedur itu, setiap putaran (keduanya untuk prosedur yang "
        "selesai dalam periode ini). Langkah terlambat: langkah yang selesai dalam periode ini "
        "melewati batas waktu Mutu Baku-nya.",
    )
