"""The SOP as officials know it, for the terminal: the identity header, then the procedure table
(No, Kegiatan, Pelaksana, Mutu Baku: Kelengkapan / Waktu / Output, Keterangan)."""

from __future__ import annotations

import textwrap

from sopbot.bot.terminal_table import Column, render_table
from sopbot.documents.cells import time_cell
from sopbot.engine.definition import (
    END,
    Assignment,
    Branch,
    DecisionAnswer,
    OutputKind,
    SopDefinition,
    SopIdentity,
    Step,
    Together,
)
from sopbot.engine.header_fields import NOT_STATED_SHOWN
from sopbot.engine.limits import HEADER_LISTS

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
    """The Identitas block, with the dates and names as written and the document's own labels;
    a field the document does not state reads "tidak tercantum"."""
    ident = definition.identity
    lines = [line for line in (ident.government, ident.agency, ident.unit) if line]
    if not ident.is_stated("instansi"):
        lines.append(f"{ident.label('instansi')}: {NOT_STATED_SHOWN}")
    lines.append("")
    fields: list[tuple[str, str]] = [
        (ident.label("nomor"), _stated(ident, "nomor", ident.number or "-")),
        *(
            (ident.label(key), _stated(ident, key, written.as_written or "-"))
            for key, written in (
                ("tanggal_pembuatan", ident.created_on),
                ("tanggal_revisi", ident.revised_on),
                ("tanggal_efektif", ident.effective_on),
            )
        ),
    ]
    approved = _approver_lines(ident)
    fields.append((ident.label("disahkan_oleh"), approved[0]))
    fields.extend(("", extra) for extra in approved[1:])
    fields.append((ident.label("nama"), _stated(ident, "nama", ident.name)))
    fields.append(
        ("ID / Versi", f"{definition.id}  ·  {definition.version}  ·  {definition.digest[:12]}")
    )
    if ident.revision:
        fields.insert(3, (ident.label("revisi"), ident.revision))
    label_width = max(_LABEL_WIDTH, *(len(label) + 2 for label, _ in fields))
    lines.extend(f"{label:<{label_width}}{value}" for label, value in fields)
    for key in HEADER_LISTS:
        lines.append("")
        lines.append(ident.label(key))
        items = ident.header_list(key)
        style = ident.list_style(key)
        if style.intro:
            lines.append(
                textwrap.fill(style.intro, width, initial_indent="   ", subsequent_indent="   ")
            )
        if not items:
            lines.append("   -")
        lines.extend(
            textwrap.fill(f"{style.marker(n):>4} {item}", width, subsequent_indent="     ")
            for n, item in enumerate(items, start=1)
        )
    return "\n".join(lines)


def _stated(ident: SopIdentity, key: str, value: str) -> str:
    """The value, or "tidak tercantum" where the document does not state the field."""
    return value if ident.is_stated(key) else NOT_STATED_SHOWN


def _approver_lines(ident: SopIdentity) -> list[str]:
    """Disahkan Oleh: position, name, rank and NIP, each on its line."""
    approver = ident.approved_by
    if not ident.is_stated("disahkan_oleh"):
        return [NOT_STATED_SHOWN]
    approved = [
        approver.position
        if ident.is_stated("disahkan_oleh.jabatan")
        else f"(jabatan {NOT_STATED_SHOWN})",
        approver.name if ident.is_stated("disahkan_oleh.nama") else f"(nama {NOT_STATED_SHOWN})",
    ]
    if approver.rank:
        approved.append(approver.rank)
    if approver.nip:
        approved.append(f"NIP. {approver.nip}")
    return approved


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
            time_cell(step),
            (step.output or "-") + _OUTPUT_MARK[step.output_kind],
            step.remarks,
        ]
        for index, step in enumerate(definition.steps)
    ]
    title = definition.identity.table_title or f"Prosedur: {definition.identity.name}"
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
            and step.together is not Together.ANY_ONE
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
    """A branch's target as the table shows it; a number the document repeats names its row."""
    if number == END:
        return "selesai"
    step = definition.step(number)
    if sum(1 for other in definition.steps if other.label == step.label) > 1:
        return f"langkah {step.label} (baris {definition.position_of(step)})"
    return f"langkah {step.label}"
