"""The SOP as officials know it, for the terminal: the identity header, then the procedure table
(No, Kegiatan, Pelaksana, Mutu Baku: Kelengkapan / Waktu / Output, Keterangan)."""

from __future__ import annotations

import textwrap

from sopbot.bot.terminal_table import Column, render_table
from sopbot.engine.definition import END, Assignment, OutputKind, SopDefinition, Step

_LABEL_WIDTH = 19
_OUTPUT_MARK = {
    OutputKind.DOCUMENT: " [unggah dokumen]",
    OutputKind.NOTE: "",
    OutputKind.NONE: "",
}


def render_sop_sheet(definition: SopDefinition, *, width: int) -> str:
    """The whole sheet: header fields above the procedure table."""
    return (
        render_header(definition, width=width) + "\n\n" + render_procedure(definition, width=width)
    )


def render_header(definition: SopDefinition, *, width: int) -> str:
    """The Identitas block, with the dates and names as written."""
    ident = definition.identity
    approver = ident.approved_by
    lines = [line for line in (ident.government, ident.agency, ident.unit) if line]
    lines.append("")
    approved = [approver.position, approver.name]
    if approver.rank:
        approved.append(approver.rank)
    if approver.nip:
        approved.append(f"NIP. {approver.nip}")
    fields: list[tuple[str, str]] = [
        ("Nomor SOP", ident.number or "-"),
        ("Tanggal Pembuatan", ident.created_on.as_written or "-"),
        ("Tanggal Revisi", ident.revised_on.as_written or "-"),
        ("Tanggal Efektif", ident.effective_on.as_written or "-"),
        ("Disahkan Oleh", approved[0]),
        *(("", extra) for extra in approved[1:]),
        ("Nama SOP", ident.name),
        ("ID / Versi", f"{definition.id}  ·  {definition.version}  ·  {definition.digest[:12]}"),
    ]
    if ident.revision:
        fields.insert(3, ("Revisi", ident.revision))
    lines.extend(f"{label:<{_LABEL_WIDTH}}{value}" for label, value in fields)
    sections = [
        ("Dasar Hukum", ident.legal_basis),
        ("Kualifikasi Pelaksana", ident.executor_qualifications),
        ("Keterkaitan", ident.related_sops),
        ("Peralatan/Perlengkapan", ident.equipment),
        ("Peringatan", ident.warnings),
        ("Pencatatan dan Pendataan", ident.records),
    ]
    for title, items in sections:
        lines.append("")
        lines.append(title)
        if not items:
            lines.append("   -")
        lines.extend(
            textwrap.fill(f"{n:>3}. {item}", width, subsequent_indent="     ")
            for n, item in enumerate(items, start=1)
        )
    return "\n".join(lines)


def render_procedure(definition: SopDefinition, *, width: int) -> str:
    """The procedure table, with the flow (decisions, jumps, the end) under each activity."""
    columns = [
        Column("No", 2),
        Column("Kegiatan", 20, weight=5),
        Column("Pelaksana", 12, weight=2),
        Column("Kelengkapan", 12, weight=3),
        Column("Waktu", 8),
        Column("Output", 12, weight=2),
        Column("Keterangan", 10, weight=1),
    ]
    rows = [
        [
            str(step.number),
            step.activity + _flow_note(definition, step, index),
            _executor(definition, step),
            step.inputs or "-",
            time_cell(step),
            (step.output or "-") + _OUTPUT_MARK[step.output_kind],
            step.remarks,
        ]
        for index, step in enumerate(definition.steps)
    ]
    title = f"Prosedur: {definition.identity.name}"
    table = render_table(
        columns,
        rows,
        width=width,
        group_titles=[("", 1), ("", 1), ("", 1), ("Mutu Baku", 3), ("", 1)],
    )
    return f"{title}\n{table}"


def _executor(definition: SopDefinition, step: Step) -> str:
    name = definition.role_of(step).name
    if step.assignment is Assignment.EVERY_HOLDER:
        return f"{name} (setiap pemegang)"
    return name


def _flow_note(definition: SopDefinition, step: Step, index: int) -> str:
    """A short line saying where the work goes, where that is not simply the next row."""
    if step.decision is not None:
        question = f" {step.decision.question}" if step.decision.question else ""
        return (
            f"  ◇{question} Ya → {_target(step.decision.yes)}; Tidak → {_target(step.decision.no)}"
        )
    following = definition.steps[index + 1].number if index + 1 < len(definition.steps) else END
    if step.next != following:
        return f"  → {_target(step.next)}"
    return ""


def _target(number: int) -> str:
    return "selesai" if number == END else f"langkah {number}"


def time_cell(step: Step) -> str:
    """The Waktu cell: as the document writes it, with the standard counted when that differs
    ("1-2 Hari (baku 2 Hari)") and the rework round's time when the SOP gives one."""
    standard = step.standard_time
    cell = standard.as_written
    if standard.counted_as is not None:
        cell += f" (baku {standard.counted_as})"
    if step.rework_time is not None:
        rework = step.rework_time
        counted = f" (baku {rework.counted_as})" if rework.counted_as is not None else ""
        cell += f"; ulang: {rework.as_written}{counted}"
    return cell
