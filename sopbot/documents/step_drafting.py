"""The Pelaksana columns and the steps of a draft: each row's executors from its symbols, its
time as written, its output kind, and where a diamond's answers lead.

What a row does not settle is inferred and reported for confirmation (a joint step is done by
all; a "tidak" with no arrow and no note goes back to the step before, done by someone else; the
output kind follows the output's words), or marked `??` for a person to decide (no symbol in
any Pelaksana column, a time that cannot be read, a "tidak" with nowhere to go).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from sopbot.documents.draft_yaml import DraftWriter
from sopbot.documents.executor_guess import guess_executor
from sopbot.documents.flow_notes import FINISH, FlowNote, split_note
from sopbot.documents.header_drafting import NOTHING
from sopbot.documents.procedure_table import ProcedureTable, StepRow
from sopbot.documents.review import ImportReport, ReviewKind
from sopbot.documents.sheet_model import SheetDocument
from sopbot.documents.time_cells import read_time_cell
from sopbot.documents.vocabulary import END_WORDS as _END_WORDS
from sopbot.engine.definition import OutputKind
from sopbot.engine.draft_marks import is_undecided, undecided
from sopbot.engine.durations import DurationError, parse_standard_time

_NOTE_WORDS: Final = re.compile(
    r"disposisi|catatan|nota|paraf|persetujuan|perintah|arahan|instruksi|informasi|laporan lisan"
    r"|koordinasi|tanda tangan|ttd",
    re.IGNORECASE,
)
_ROW_TARGET: Final = re.compile(r"^(?P<number>\S+) \(baris (?P<row>\d+)\)$")
_GUESS_WHY: Final = {
    "handover": "the step before hands the work to {role}",
    "previous": "{role} did the step before",
}


def role_key(name: str) -> str:
    """A role's id from its column title: "Kepala Sub Bagian (Kasubag)" ->
    kepala_sub_bagian_kasubag."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"peran_{key}" if key else "peran"
    return key[:60].rstrip("_")


class StepDrafter:
    """Writes the `pelaksana:` and `langkah:` sections of a draft from the procedure table."""

    def __init__(
        self, writer: DraftWriter, sheet: SheetDocument, table: ProcedureTable, report: ImportReport
    ) -> None:
        self._writer = writer
        self._sheet = sheet
        self._table = table
        self._report = report
        self._rows = table.rows
        self._labels = [row.number or str(i + 1) for i, row in enumerate(table.rows)]
        self._row_ids = _ids_for_repeats(self._labels)
        self._names = [name for _, name in table.columns.roles]
        self._ids: list[str] = []
        self.decisions = 0

    def write_roles(self) -> int:
        """Write the Pelaksana columns; their number."""
        self._writer.section("pelaksana")
        for name in self._names:
            key = role_key(name)
            base, n = key, 2
            while key in self._ids:
                key, n = f"{base}_{n}", n + 1
            self._ids.append(key)
            self._writer.role(key, name)
        where = self._table.where
        names = ", ".join(self._names)
        self._report.add(ReviewKind.READ, where, "roles_read", count=len(self._ids), names=names)
        self._report.add(ReviewKind.CONFIRM, where, "holders_default")
        return len(self._ids)

    def write_steps(self) -> None:
        """Write every row of the procedure table as a step."""
        self._writer.section("langkah")
        for index in range(len(self._rows)):
            step, comments = self._step(index)
            self._writer.step(step, comments)

    def _step(self, index: int) -> tuple[dict[str, Any], dict[str, str]]:
        row = self._rows[index]
        remarks, note = split_note(row.remarks)
        if note is not None and not note.canonical:
            remarks = row.remarks  # the agency's own words: kept as written, and read for flow
        step: dict[str, Any] = {"no": self._labels[index]}
        comments: dict[str, str] = {}
        if index in self._row_ids:
            step["id"] = str(self._row_ids[index])
            comments["id"] = "the table prints this number again: an id to point branches at"
        step["kegiatan"] = row.activity
        self._executors(step, comments, index)
        step["kelengkapan"] = row.inputs
        step["waktu"], rework = self._time(row)
        if isinstance(step["waktu"], str) and not is_undecided(step["waktu"]):
            comments["waktu"] = f"read as {parse_standard_time(step['waktu']).describe()}"
        if rework is not None:
            step["waktu_ulang"] = rework
        step["output"] = row.output
        step["jenis_output"], comments["jenis_output"] = _output_kind(row.output)
        if remarks:
            step["keterangan"] = remarks
        if row.decision or (note is not None and note.branches):
            self.decisions += 1
            self._decision(step, comments, index, note)
        elif note is not None and note.next is not None:
            step["lanjut"] = self._resolve(note.next)
            comments["lanjut"] = "from the Keterangan column"
            self._report.add(ReviewKind.READ, row.where, "jump_read", target=note.next)
        elif 0 < index < len(self._rows) - 1 and _ends_here(row):
            step["lanjut"] = FINISH
            comments["lanjut"] = "a terminator ('selesai') in a middle row: the procedure ends"
            self._report.add(ReviewKind.CONFIRM, row.where, "ends_here", step=row.number)
        return step, comments

    def _executors(self, step: dict[str, Any], comments: dict[str, str], index: int) -> None:
        row = self._rows[index]
        if row.executors:
            keys = [self._ids[i] for i in row.executors]
            names = ", ".join(self._names[i] for i in row.executors)
            seen = ", ".join(sorted({s.seen_as for i in row.executors for s in row.symbols[i]}))
            step["pelaksana"] = keys[0] if len(keys) == 1 else keys
            comments["pelaksana"] = f"read: {seen} in {names}"
            self._report.add(
                ReviewKind.READ, row.where, "executor_read", step=row.number, roles=names, seen=seen
            )
            if len(keys) > 1:
                # A question is answered by one person: the others initial first.
                step["bersama"] = "berurutan" if row.decision else "semua"
                comments["bersama"] = (
                    "several roles around a question: in turn, the last one answers (confirm)"
                    if row.decision
                    else "several roles: each one takes part (confirm)"
                )
                self._report.add(ReviewKind.CONFIRM, row.where, "together_default", step=row.number)
            return
        suggestion, reason = guess_executor(row, index, self._rows, self._names)
        if suggestion is None:
            step["pelaksana"] = undecided()
            comments["pelaksana"] = "no symbol in any Pelaksana column: choose one of " + ", ".join(
                self._ids
            )
            self._report.add(ReviewKind.DECIDE, row.where, "executor_unknown", step=row.number)
            return
        role = self._names[suggestion]
        step["pelaksana"] = undecided(self._ids[suggestion])
        why = _GUESS_WHY[reason].format(role=role)
        comments["pelaksana"] = f"no symbol in any Pelaksana column; a guess: {why}"
        self._report.add(
            ReviewKind.DECIDE, row.where, f"executor_guessed_{reason}", step=row.number, role=role
        )

    def _time(self, row: StepRow) -> tuple[str | dict[str, str], str | dict[str, str] | None]:
        """The Waktu cell as `waktu` (and `waktu_ulang` when the cell gives a rework time, as
        the rendered document writes it: "1 hari; ulang: 2 jam")."""
        cell = read_time_cell(row.time)
        if cell.written in NOTHING:
            self._report.add(ReviewKind.DECIDE, row.where, "time_missing", step=row.number)
            return undecided(), None
        rework = None
        if cell.rework is not None:
            rework = self._one_time(row, cell.rework, cell.rework_counted)
        return self._one_time(row, cell.written, cell.counted), rework

    def _one_time(self, row: StepRow, written: str, counted: str | None) -> str | dict[str, str]:
        if counted is not None:
            return {"tertulis": written, "baku": counted}
        try:
            parse_standard_time(written)
        except DurationError:
            self._report.add(
                ReviewKind.DECIDE, row.where, "time_unreadable", step=row.number, time=written
            )
            return {"tertulis": written, "baku": undecided()}
        return written

    def _decision(
        self, step: dict[str, Any], comments: dict[str, str], index: int, note: FlowNote | None
    ) -> None:
        row = self._rows[index]
        following = self._labels[index + 1] if index + 1 < len(self._labels) else FINISH
        arrows = self._arrow_targets(row)
        if note is not None and note.branches:
            self._report.add(ReviewKind.READ, row.where, "branches_read", step=row.number)
            self._check_targets(note, row)
            if note.only_rejection:
                step["keputusan"] = {
                    "ya": arrows.get("ya", following),
                    "tidak": self._resolve(note.branches[0].target),
                }
                comments["keputusan"] = "'tidak' from the Keterangan column; 'ya' goes on"
            elif note.approval:
                self._approval_from(step, comments, note, self._resolve)
            else:
                self._question_from(step, comments, note, row)
            return
        no_target = arrows.get("tidak")
        yes_target = arrows.get("ya", following)
        if no_target is not None:
            comments["keputusan"] = "targets from the flowchart's arrows"
            self._report.add(
                ReviewKind.INFERRED,
                row.where,
                "branches_from_arrows",
                step=row.number,
                yes=yes_target,
                no=no_target,
            )
        else:
            no_target = self._usual_no_target(index, comments)
        step["keputusan"] = {"ya": yes_target, "tidak": no_target}

    def _usual_no_target(self, index: int, comments: dict[str, str]) -> str:
        """The usual reading of a "tidak" drawn without its target: back to the nearest step
        before that someone else did (the one whose work is checked)."""
        row = self._rows[index]
        mine = set(row.executors)
        back = next(
            (
                i
                for i in range(index - 1, -1, -1)
                if self._rows[i].executors and set(self._rows[i].executors) != mine
            ),
            index - 1 if index > 0 else None,
        )
        if back is None:
            self._report.add(ReviewKind.DECIDE, row.where, "no_target_unknown", step=row.number)
            return undecided()
        target = self._labels[back]
        comments["keputusan"] = (
            "'tidak' goes back to the step before done by someone else (confirm)"
        )
        self._report.add(
            ReviewKind.CONFIRM, row.where, "no_target_inferred", step=row.number, target=target
        )
        return target

    @staticmethod
    def _approval_from(
        step: dict[str, Any],
        comments: dict[str, str],
        note: FlowNote,
        resolve: Callable[[str], str],
    ) -> None:
        yes, no = note.branches
        block: dict[str, Any] = {}
        if note.question:
            block["pertanyaan"] = note.question
        block["ya"], block["tidak"] = resolve(yes.target), resolve(no.target)
        step["keputusan"] = block
        comments["keputusan"] = "from the Keterangan column"

    def _question_from(
        self, step: dict[str, Any], comments: dict[str, str], note: FlowNote, row: StepRow
    ) -> None:
        choices = []
        for branch in note.branches:
            choice: dict[str, Any] = {
                "jawaban": branch.answer,
                "lanjut": self._resolve(branch.target),
            }
            if branch.rejects:
                choice["tolak"] = "ya"
            if branch.output:
                choice["output"] = branch.output
            choices.append(choice)
        if not note.question:
            self._report.add(ReviewKind.DECIDE, row.where, "question_missing", step=row.number)
        step["pertanyaan"] = {"teks": note.question or undecided(), "pilihan": choices}
        comments["pertanyaan"] = "from the Keterangan column"

    def _resolve(self, target: str) -> str:
        """A note's target as the draft names it: the printed number, or the id of the row a
        repeated number names ("3 (baris 5)")."""
        found = _ROW_TARGET.match(target)
        if found is None:
            return target
        index = int(found["row"]) - 1
        if index in self._row_ids and self._labels[index] == found["number"]:
            return str(self._row_ids[index])
        return found["number"]

    def _check_targets(self, note: FlowNote, row: StepRow) -> None:
        for branch in note.branches:
            target = self._resolve(branch.target)
            known = set(self._labels) | {str(i) for i in self._row_ids.values()}
            if target != FINISH and target not in known:
                self._report.add(
                    ReviewKind.CONFIRM,
                    row.where,
                    "target_missing",
                    step=row.number,
                    target=target,
                )

    def _arrow_targets(self, row: StepRow) -> dict[str, str]:
        """Where a PDF's arrows from this row's diamond lead, by their label."""
        by_position = {r.position: self._labels[i] for i, r in enumerate(self._rows)}
        found: dict[str, str] = {}
        for arrow in self._sheet.arrows:
            if arrow.start != row.position or arrow.end not in by_position:
                continue
            label = arrow.label.strip().lower()
            key = "tidak" if label.startswith(("tidak", "t", "no")) else "ya" if label else ""
            if key and key not in found:
                found[key] = by_position[arrow.end]
        return found


def _ids_for_repeats(labels: list[str]) -> dict[int, int]:
    """An id for each row whose printed number an earlier row already has (the format points
    branches at such a row by its id): 100, 101, ... above every whole number printed."""
    whole = [int(label) for label in labels if label.isascii() and label.isdecimal()]
    base = 100
    while base <= max(whole, default=0) + len(labels):
        base *= 10
    seen: set[str] = set()
    ids: dict[int, int] = {}
    for index, label in enumerate(labels):
        if label in seen:
            ids[index] = base + index
        seen.add(label)
    return ids


def _output_kind(output: str) -> tuple[str, str]:
    text = " ".join(output.split()).lower()
    if text in NOTHING:
        return OutputKind.NONE.value, "no output written (confirm)"
    if _NOTE_WORDS.search(text):
        return OutputKind.NOTE.value, "the output is a note such as a disposition (confirm)"
    return OutputKind.DOCUMENT.value, "the output names a document: a file is asked (confirm)"


def _ends_here(row: StepRow) -> bool:
    return bool({w.strip().lower() for w in row.terminal_words} & _END_WORDS)
