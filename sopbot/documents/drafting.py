"""From what a reader found to a draft definition: the identity header, the Pelaksana columns,
each step with its executors, times, outputs and branches, and the review report.

A draft keeps every cell as written. What the document does not settle is either inferred
(a "tidak" with no arrow and no note goes back to the step before, done by someone else; a
joint step is done by all; the output kind follows the output's words), and reported for a
person to confirm, or marked `??` (engine/draft_marks) so that the validator refuses the draft
until a person decides: a step with no symbol in any Pelaksana column, a time that cannot be
read, a branch that points nowhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final

from sopbot.documents.draft_yaml import DraftWriter
from sopbot.documents.executor_guess import guess_executor
from sopbot.documents.flow_notes import FINISH, FlowNote, split_note
from sopbot.documents.header_table import HeaderReading, read_header, split_approver
from sopbot.documents.procedure_table import ProcedureTable, StepRow, find_procedure_table
from sopbot.documents.review import ImportReport, ReviewKind
from sopbot.documents.sheet_model import SheetDocument
from sopbot.engine.definition import OutputKind
from sopbot.engine.draft_marks import undecided
from sopbot.engine.durations import DurationError, parse_standard_time
from sopbot.engine.header_fields import DEFAULT_LABELS, NOT_STATED, Numbering

_TITLE_PREFIX: Final = re.compile(
    r"^(?:standar\s+operasional\s+prosedur|standard\s+operating\s+procedure|s\.?o\.?p\.?)"
    r"\s*(?:\(sop\)\s*)?(?:tentang\s+)?",
    re.IGNORECASE,
)
_NOTE_WORDS: Final = re.compile(
    r"disposisi|catatan|nota|paraf|persetujuan|perintah|arahan|instruksi|informasi|laporan lisan"
    r"|koordinasi|tanda tangan|ttd",
    re.IGNORECASE,
)
_NOTHING: Final = frozenset({"", "-", "–", "—", "tidak ada", "nihil"})


class NoProcedureTable(ValueError):
    """The document has no table with the procedure table's header."""


@dataclass(slots=True)
class Draft:
    """A draft definition's text, its suggested SOP name (for the file), and its report."""

    text: str
    name: str
    report: ImportReport
    steps: int
    roles: int
    decisions: int
    undecided: int


def draft_definition(sheet: SheetDocument, *, source_name: str) -> Draft:
    """The draft of a document's SOP; NoProcedureTable when it has none."""
    table = find_procedure_table(sheet)
    if table is None or not table.rows:
        raise NoProcedureTable(source_name)
    report = ImportReport()
    for note in sheet.notes:
        report.add(ReviewKind.CONFIRM, source_name, "reader_note", note=note)
    header_grids = sheet.grids[: table.grid_indexes[0]]
    header = read_header(header_grids, sheet.paragraphs)
    title = _table_title(sheet, table)
    writer = DraftWriter(source_name)
    name = _write_header(writer, header, title, report)
    role_ids = _write_roles(writer, table, report)
    counts = _write_steps(writer, sheet, table, role_ids, report)
    for skipped in table.skipped:
        report.add(ReviewKind.CONFIRM, skipped, "row_skipped")
    return Draft(
        text=writer.text(),
        name=name,
        report=report,
        steps=len(table.rows),
        roles=len(role_ids),
        decisions=counts["decisions"],
        undecided=report.to_decide,
    )


def _table_title(sheet: SheetDocument, table: ProcedureTable) -> str | None:
    grid = sheet.grids[table.grid_indexes[0]]
    for paragraph in reversed(grid.preceding):
        text = " ".join(paragraph.split())
        if text:
            return text
    return None


# --- the header ---------------------------------------------------------------------------


def _write_header(
    writer: DraftWriter, header: HeaderReading, title: str | None, report: ImportReport
) -> str:
    writer.section("sop")
    labels: dict[str, str] = {}

    def stated(key: str, *, required: bool, none_value: str | None = None) -> None:
        found = header.fields.get(key)
        if found is None:
            if required:
                writer.field(key, NOT_STATED, comment="not in the document")
                report.add(ReviewKind.CONFIRM, "kepala SOP", "field_not_stated", field=key)
            return
        label, value, where = found
        _keep_label(labels, key, label)
        if not value.strip() or value.strip() in _NOTHING:
            if none_value is not None:
                writer.field(key, none_value, comment=f"{label}: blank in the document")
                return
            if required:
                writer.field(key, NOT_STATED, comment=f"{label}: blank in the document")
                report.add(ReviewKind.CONFIRM, where, "field_blank", field=key, label=label)
                return
        writer.field(key, " ".join(value.split()))
        report.add(ReviewKind.READ, where, "field_read", label=label, value=" ".join(value.split()))

    if header.government:
        writer.field("pemerintah", header.government)
    if header.agency:
        writer.field("instansi", header.agency)
        report.add(ReviewKind.READ, header.names_from, "agency_read", value=header.agency)
    else:
        writer.field("instansi", NOT_STATED, comment="not in the document")
        report.add(ReviewKind.CONFIRM, "kepala SOP", "field_not_stated", field="instansi")
    if header.unit:
        writer.field("unit", header.unit)
    stated("nomor", required=True, none_value="~")
    name_field = header.fields.get("nama")
    if name_field is not None and name_field[1].strip():
        stated("nama", required=True)
        name = name_field[1]
    elif title:
        writer.field("nama", title, comment="no Nama SOP in the header: the table's title")
        report.add(ReviewKind.INFERRED, "judul tabel", "name_from_title", value=title)
        name = title
    else:
        writer.field("nama", NOT_STATED, comment="not in the document")
        report.add(ReviewKind.CONFIRM, "kepala SOP", "field_not_stated", field="nama")
        name = ""
    stated("tanggal_pembuatan", required=True)
    stated("tanggal_revisi", required=False, none_value="")
    stated("tanggal_efektif", required=True)
    stated("revisi", required=False)
    _write_approver(writer, header, labels, report)
    for key, items in header.lists.items():
        _keep_label(labels, key, items.label)
        if items.intro is not None or items.numbering is not Numbering.NUMBER_DOT:
            writer.header_list(key, items.items, intro=items.intro, numbering=items.numbering)
        else:
            writer.header_list(key, items.items)
        report.add(
            ReviewKind.READ, items.where, "list_read", label=items.label, count=len(items.items)
        )
    if title:
        writer.field("judul_tabel", title)
    if labels:
        writer.mapping("label", labels, comment="the document's own labels")
    return name


def _keep_label(labels: dict[str, str], key: str, label: str) -> None:
    label = " ".join(label.split()).rstrip(":").strip()
    if label and label != DEFAULT_LABELS.get(key):
        labels[key] = label


def _write_approver(
    writer: DraftWriter, header: HeaderReading, labels: dict[str, str], report: ImportReport
) -> None:
    found = header.fields.get("disahkan_oleh")
    if found is None or not found[1].strip():
        writer.field("disahkan_oleh", NOT_STATED, comment="not in the document")
        report.add(ReviewKind.CONFIRM, "kepala SOP", "field_not_stated", field="disahkan_oleh")
        if found is not None:
            _keep_label(labels, "disahkan_oleh", found[0])
        return
    label, value, where = found
    _keep_label(labels, "disahkan_oleh", label)
    parts = split_approver(value)
    block = {
        "jabatan": parts.get("jabatan", NOT_STATED),
        "nama": parts.get("nama", NOT_STATED),
    }
    if "pangkat" in parts:
        block["pangkat"] = parts["pangkat"]
    if "nip" in parts:
        block["nip"] = parts["nip"]
    writer.mapping("disahkan_oleh", block)
    report.add(
        ReviewKind.INFERRED, where, "approver_split", jabatan=block["jabatan"], nama=block["nama"]
    )


# --- roles ----------------------------------------------------------------------------------


def _write_roles(writer: DraftWriter, table: ProcedureTable, report: ImportReport) -> list[str]:
    writer.section("pelaksana")
    ids: list[str] = []
    for _, name in table.columns.roles:
        key = role_key(name)
        base, n = key, 2
        while key in ids:
            key, n = f"{base}_{n}", n + 1
        ids.append(key)
        writer.role(key, name)
    report.add(
        ReviewKind.READ,
        table.where,
        "roles_read",
        count=len(ids),
        names=", ".join(n for _, n in table.columns.roles),
    )
    report.add(ReviewKind.CONFIRM, table.where, "holders_default")
    return ids


def role_key(name: str) -> str:
    """A role's id from its column title: "Kepala Sub Bagian (Kasubag)" -> kepala_sub_bagian_kasubag."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"peran_{key}" if key else "peran"
    return key[:60].rstrip("_")


# --- steps ----------------------------------------------------------------------------------


def _write_steps(
    writer: DraftWriter,
    sheet: SheetDocument,
    table: ProcedureTable,
    role_ids: list[str],
    report: ImportReport,
) -> dict[str, int]:
    writer.section("langkah")
    rows = table.rows
    labels = [row.number or str(i + 1) for i, row in enumerate(rows)]
    decisions = 0
    for index, row in enumerate(rows):
        remarks, note = split_note(row.remarks)
        if note is not None and not note.canonical:
            remarks = row.remarks  # the agency's own words: kept as written, and read for flow
        step: dict[str, Any] = {"no": labels[index], "kegiatan": row.activity}
        comments: dict[str, str] = {}
        _executors(step, comments, row, index, rows, table, role_ids, report)
        step["kelengkapan"] = row.inputs
        _time(step, row, report)
        step["output"] = row.output
        step["jenis_output"], why = _output_kind(row.output)
        comments["jenis_output"] = why
        if remarks:
            step["keterangan"] = remarks
        if row.decision or (note is not None and note.branches):
            decisions += 1
            _decision(step, comments, row, index, rows, labels, note, sheet, table, report)
        elif note is not None and note.next is not None:
            step["lanjut"] = note.next
            comments["lanjut"] = "from the Keterangan column"
            report.add(ReviewKind.READ, row.where, "jump_read", target=note.next)
        elif index > 0 and index + 1 < len(rows) and _ends_here(row):
            step["lanjut"] = FINISH
            comments["lanjut"] = "a terminator ('selesai') in a middle row: the procedure ends"
            report.add(ReviewKind.CONFIRM, row.where, "ends_here", step=labels[index])
        writer.step(step, comments)
    return {"decisions": decisions}


def _executors(
    step: dict[str, Any],
    comments: dict[str, str],
    row: StepRow,
    index: int,
    rows: list[StepRow],
    table: ProcedureTable,
    role_ids: list[str],
    report: ImportReport,
) -> None:
    names = [name for _, name in table.columns.roles]
    if row.executors:
        keys = [role_ids[i] for i in row.executors]
        seen = sorted({s.seen_as for i in row.executors for s in row.symbols[i]})
        step["pelaksana"] = keys[0] if len(keys) == 1 else keys
        comments["pelaksana"] = (
            f"read: {', '.join(seen)} in {', '.join(names[i] for i in row.executors)}"
        )
        report.add(
            ReviewKind.READ,
            row.where,
            "executor_read",
            step=row.number,
            roles=", ".join(names[i] for i in row.executors),
            seen=", ".join(seen),
        )
        if len(keys) > 1:
            step["bersama"] = "semua"
            comments["bersama"] = "several roles: each one takes part (confirm)"
            report.add(ReviewKind.CONFIRM, row.where, "together_default", step=row.number)
        return
    suggestion, reason = guess_executor(row, index, rows, names)
    if suggestion is None:
        step["pelaksana"] = undecided()
        comments["pelaksana"] = "no symbol in any Pelaksana column: choose one of " + ", ".join(
            role_ids
        )
        report.add(ReviewKind.DECIDE, row.where, "executor_unknown", step=row.number)
    else:
        step["pelaksana"] = undecided(role_ids[suggestion])
        why = {
            "handover": f"the step before hands the work to {names[suggestion]}",
            "previous": f"{names[suggestion]} did the step before",
        }[reason]
        comments["pelaksana"] = f"no symbol in any Pelaksana column; a guess: {why}"
        report.add(
            ReviewKind.DECIDE,
            row.where,
            f"executor_guessed_{reason}",
            step=row.number,
            role=names[suggestion],
        )


def _time(step: dict[str, Any], row: StepRow, report: ImportReport) -> None:
    written = row.time.strip()
    if not written or written in _NOTHING:
        step["waktu"] = undecided()
        report.add(ReviewKind.DECIDE, row.where, "time_missing", step=row.number)
        return
    try:
        parse_standard_time(written)
    except DurationError:
        step["waktu"] = {"tertulis": written, "baku": undecided()}
        report.add(ReviewKind.DECIDE, row.where, "time_unreadable", step=row.number, time=written)
        return
    step["waktu"] = written


def _output_kind(output: str) -> tuple[str, str]:
    text = output.strip().lower()
    if text in _NOTHING:
        return OutputKind.NONE.value, "no output written (confirm)"
    if _NOTE_WORDS.search(text):
        return OutputKind.NOTE.value, "the output is a note such as a disposition (confirm)"
    return OutputKind.DOCUMENT.value, "the output names a document: a file is asked (confirm)"


def _ends_here(row: StepRow) -> bool:
    words = {w.strip().lower() for w in row.terminal_words}
    return bool(words & {"selesai", "end", "finish", "akhir"})


def _decision(
    step: dict[str, Any],
    comments: dict[str, str],
    row: StepRow,
    index: int,
    rows: list[StepRow],
    labels: list[str],
    note: FlowNote | None,
    sheet: SheetDocument,
    table: ProcedureTable,
    report: ImportReport,
) -> None:
    following = labels[index + 1] if index + 1 < len(labels) else FINISH
    arrows = _arrow_targets(sheet, table, row, rows, labels)
    if note is not None and note.only_rejection:
        step["keputusan"] = {"ya": arrows.get("ya", following), "tidak": note.branches[0].target}
        comments["keputusan"] = "'tidak' from the Keterangan column; 'ya' goes on"
        report.add(ReviewKind.READ, row.where, "branches_read", step=row.number)
        _check_targets(note, labels, row, report)
        return
    if note is not None and note.branches:
        if note.approval:
            yes, no = note.branches
            block: dict[str, Any] = {}
            if note.question:
                block["pertanyaan"] = note.question
            block["ya"], block["tidak"] = yes.target, no.target
            step["keputusan"] = block
        else:
            choices = []
            for branch in note.branches:
                choice: dict[str, Any] = {"jawaban": branch.answer, "lanjut": branch.target}
                if branch.rejects:
                    choice["tolak"] = "ya"
                if branch.output:
                    choice["output"] = branch.output
                choices.append(choice)
            step["pertanyaan"] = {"teks": note.question or undecided(), "pilihan": choices}
            if not note.question:
                report.add(ReviewKind.DECIDE, row.where, "question_missing", step=row.number)
        comments["keputusan" if note.approval else "pertanyaan"] = "from the Keterangan column"
        report.add(ReviewKind.READ, row.where, "branches_read", step=row.number)
        _check_targets(note, labels, row, report)
        return
    yes_target = arrows.get("ya", following)
    no_target = arrows.get("tidak")
    if no_target is not None:
        comments["keputusan"] = "targets from the flowchart's arrows"
        report.add(
            ReviewKind.INFERRED,
            row.where,
            "branches_from_arrows",
            step=row.number,
            yes=yes_target,
            no=no_target,
        )
    else:
        back = _step_before_by_another(row, index, rows)
        if back is None:
            no_target = undecided()
            report.add(ReviewKind.DECIDE, row.where, "no_target_unknown", step=row.number)
        else:
            no_target = labels[back]
            comments["keputusan"] = (
                "'tidak' goes back to the step before done by someone else (confirm)"
            )
            report.add(
                ReviewKind.CONFIRM,
                row.where,
                "no_target_inferred",
                step=row.number,
                target=no_target,
            )
    step["keputusan"] = {"ya": yes_target, "tidak": no_target}


def _check_targets(note: FlowNote, labels: list[str], row: StepRow, report: ImportReport) -> None:
    for branch in note.branches:
        if branch.target != FINISH and branch.target not in labels:
            report.add(
                ReviewKind.CONFIRM,
                row.where,
                "target_missing",
                step=row.number,
                target=branch.target,
            )


def _step_before_by_another(row: StepRow, index: int, rows: list[StepRow]) -> int | None:
    """The usual reading of a "tidak" drawn without its target: the work goes back to the
    nearest step before that someone else did (the one whose work is checked)."""
    mine = set(row.executors)
    for back in range(index - 1, -1, -1):
        if rows[back].executors and set(rows[back].executors) != mine:
            return back
    return index - 1 if index > 0 else None


def _arrow_targets(
    sheet: SheetDocument,
    table: ProcedureTable,
    row: StepRow,
    rows: list[StepRow],
    labels: list[str],
) -> dict[str, str]:
    """Where a PDF's arrows from this row's diamond lead, by their label."""
    by_position = {r.position: labels[i] for i, r in enumerate(rows)}
    found: dict[str, str] = {}
    for arrow in sheet.arrows:
        if arrow.start != row.position or arrow.end not in by_position:
            continue
        label = arrow.label.strip().lower()
        key = "tidak" if label.startswith(("tidak", "t", "no")) else "ya" if label else ""
        if key and key not in found:
            found[key] = by_position[arrow.end]
    return found


def suggested_name(title: str) -> str:
    """A file name for the SOP from its title: "SOP Pengolahan Data Kinerja" -> pengolahan-data-kinerja."""
    text = _TITLE_PREFIX.sub("", " ".join(title.split())).strip()
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "sop-impor"
