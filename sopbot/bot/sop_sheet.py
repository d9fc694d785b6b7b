"""The SOP as officials know it, for the terminal: the identity header, then the procedure table
(No, Kegiatan, Pelaksana, Mutu Baku: Kelengkapan / Waktu / Output, Keterangan)."""

from __future__ import annotations

import textwrap

from sopbot.bot.terminal_table import Column, render_table
from sopbot.engine.definition import (
    END,
    Assignment,
    Branch,
    DecisionAnswer,
    OutputKind,
    SopDefinition,
    Step,
    Together,
)

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
            step.label,
            step.activity + _flow_note(definition, step, index),
            _executor(definition, step),
            step.inputs or "-",
            step.standard_time.as_written,
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


_TOGETHER_WORDS = {
    Together.ALL: "bersama",
    Together.ANY_ONE: "salah satu",
    Together.IN_TURN: "berurutan",
}


def _executor(definition: SopDefinition, step: Step) -> str:
    """The Pelaksana cell: the role(s), how several do it, who delivers the output, and who
    records an outside party's step."""
    names = []
    for executor in step.executors:
        role = definition.role(executor.role)
        name = role.name
        if executor.assignment is Assignment.EVERY_HOLDER:
            name += " (setiap pemegang)"
        if role.external and role.recorded_by:
            name += f" (pihak luar; dicatat {definition.role(role.recorded_by).name})"
        if (
            step.shared
            and executor.role == step.output_role
            and step.output_kind is not OutputKind.NONE
        ):
            name += " (output)"
        names.append(name)
    if not step.shared:
        return names[0]
    joiner = " → " if step.together is Together.IN_TURN else " + "
    return f"{_TOGETHER_WORDS[step.together]}: {joiner.join(names)}"


def _flow_note(definition: SopDefinition, step: Step, index: int) -> str:
    """A short line saying where the work goes, where that is not simply the next row."""
    if step.decision is not None:
        question = f" {step.decision.question}" if step.decision.question else ""
        ways = "; ".join(
            f"{_answer_word(branch)} → {_target(definition, branch.target)}"
            for branch in step.decision.branches
        )
        return f"  ◇{question} {ways}"
    following = definition.steps[index + 1].number if index + 1 < len(definition.steps) else END
    if step.next != following:
        return f"  → {_target(definition, step.next)}"
    return ""


def _answer_word(branch: Branch) -> str:
    """A branch as the sheet names it: the SOP's answer, or Ya / Tidak; "(kembali)" when the
    work goes back and a reason is asked."""
    if branch.label is None:
        return "Ya" if branch.key == DecisionAnswer.YES else "Tidak"
    return f"{branch.label} (kembali)" if branch.rejects else branch.label


def _target(definition: SopDefinition, number: int) -> str:
    return "selesai" if number == END else f"langkah {definition.step(number).label}"
