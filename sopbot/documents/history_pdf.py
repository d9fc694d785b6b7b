"""The history of one procedure as a PDF an auditor can check (the PDF in /ekspor's zip).

On the house's paper (A4 landscape, `page_format`) and in its fonts (`pdf_text`): a header with
the agency, the procedure's identity (number, title, SOP and version, the letter, start and
end), then what was checked (the agency's audit chain, this procedure's audit rows, each
document's file), each step's real time against its standard, every document with its
SHA-256, size and uploader, and the audit trail line by line: who did what, when, in the
agency's local time. Every page carries the agency and the procedure in its head, and in its
foot when the record was made and by whom.

Laid out with reportlab's platypus (tables that flow over pages with their heading row
repeated); the text is real text, which pdfplumber reads back. The words are the catalog's
(section `archive`), in the reader's language. Pure: it takes a `ProcedureRecord` and returns
the bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)

from sopbot.documents.page_format import CONTENT_WIDTH, MARGIN, PADDING, PAGE_HEIGHT, PAGE_WIDTH
from sopbot.documents.pdf_text import BOLD, REGULAR, printable, register_fonts
from sopbot.engine.instance import EntityKind, InstanceState, StepRunState, TransitionAction
from sopbot.engine.procedure_record import (
    DocumentCheck,
    ProcedureRecord,
    RecordedDocument,
    RecordedEvent,
    RecordedStep,
)
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import short_duration, zone_name
from sopbot.messaging.numbers import quantity, standard_time

HASH_FONT: Final = "Courier"  # a SHA-256 in a fixed width, each of its 64 digits apart
RULE: Final = 0.6
HEAD_ROOM: Final = 22.0  # between the top margin and the body, for the running head
SHADE: Final = colors.Color(0.92, 0.92, 0.92)
ALARM: Final = colors.Color(0.75, 0.0, 0.0)
SHOWN_PROBLEMS: Final = 20  # the chain's problems listed one by one; `audit verify` lists all

_BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=8, leading=10)
_SMALL = ParagraphStyle("small", fontName=REGULAR, fontSize=7, leading=8.6)
_CELL_BOLD = ParagraphStyle("cell-bold", fontName=BOLD, fontSize=8, leading=10)
_HEAD = ParagraphStyle("head", fontName=BOLD, fontSize=7.5, leading=9)
_TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18, spaceAfter=2)
_SUBTITLE = ParagraphStyle("subtitle", fontName=REGULAR, fontSize=10, leading=13, spaceAfter=8)
_SECTION = ParagraphStyle(
    "section", fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4
)
_HASH = ParagraphStyle("hash", fontName=HASH_FONT, fontSize=7, leading=8.6)
_GOOD = ParagraphStyle("good", parent=_CELL_BOLD)
_BAD = ParagraphStyle("bad", parent=_CELL_BOLD, textColor=ALARM)


def history_pdf(record: ProcedureRecord, language: Language) -> bytes:
    """The PDF of the record, in `language`."""
    register_fonts()
    writer = _Writer(record, language)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEAD_ROOM,
        bottomMargin=MARGIN + HEAD_ROOM,
        title=printable(writer.t("archive.pdf.title", number=record.number)),
        subject=printable(record.title),
        author=printable(record.agency_name),
        creator="sopbot",
        invariant=True,
    )
    document.build(writer.story(), onFirstPage=writer.page_marks, onLaterPages=writer.page_marks)
    return buffer.getvalue()


class _Writer:
    """Turns a record into platypus flowables, in one language."""

    def __init__(self, record: ProcedureRecord, language: Language) -> None:
        self.record = record
        self.language = language
        self.zone = ZoneInfo(record.timezone)

    def t(self, key: str, /, **params: Any) -> str:
        return default_catalog().text(self.language, key, **params)

    # -- the page --------------------------------------------------------------------------

    def page_marks(self, canvas: Any, document: Any) -> None:
        """The running head (agency; procedure and page) and foot (when made, by whom)."""
        record = self.record
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN - 9
        canvas.setFont(BOLD, 8)
        canvas.drawString(MARGIN, top, printable(record.agency_name))
        canvas.setFont(REGULAR, 8)
        head = self.t("archive.pdf.running_head", number=record.number, page=document.page)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top, printable(head))
        canvas.setLineWidth(RULE)
        canvas.line(MARGIN, top - 4, PAGE_WIDTH - MARGIN, top - 4)
        foot = self.t(
            "archive.pdf.made",
            when=self.moment(record.made_at),
            by=record.made_by or self.t("archive.pdf.operator"),
        )
        canvas.setFont(REGULAR, 7)
        canvas.drawString(MARGIN, MARGIN, printable(foot))
        canvas.restoreState()

    # -- the story -------------------------------------------------------------------------

    def story(self) -> list[Any]:
        record = self.record
        zone = zone_name(record.timezone)
        story: list[Any] = [
            Paragraph(self.text(self.t("archive.pdf.title", number=record.number)), _TITLE),
            Paragraph(self.text(record.title), _SUBTITLE),
            self.identity(),
            Paragraph(self.text(self.t("archive.pdf.checks")), _SECTION),
            self.checks(),
            Paragraph(self.text(self.t("archive.pdf.steps", zone=zone)), _SECTION),
            self.steps(),
            Paragraph(
                self.text(self.t("archive.pdf.documents", count=len(record.documents))), _SECTION
            ),
            self.documents(),
            Paragraph(self.text(self.t("archive.pdf.trail", zone=zone)), _SECTION),
            self.events(),
        ]
        return story

    def identity(self) -> Table:
        record = self.record
        rows: list[tuple[str, str]] = [
            (self.t("archive.pdf.agency"), record.agency_name),
            (self.t("archive.pdf.number"), f"No. {record.number}"),
            (self.t("archive.pdf.procedure_title"), record.title),
            (self.t("archive.pdf.sop"), self.sop_line()),
            (
                self.t("archive.pdf.sop_version"),
                self.t(
                    "archive.pdf.version_line",
                    version=record.sop_version,
                    digest=record.sop_digest[:16],
                    id=record.sop_id,
                ),
            ),
        ]
        letter = record.letter
        if letter is not None:
            rows.append((self.t("archive.pdf.letter_number"), letter.number))
            rows.append(
                (
                    self.t("archive.pdf.letter_date"),
                    self.day(letter.date) if letter.date is not None else "-",
                )
            )
            rows.append((self.t("archive.pdf.letter_sender"), letter.sender or "-"))
        rows.append((self.t("archive.pdf.state"), self.t(f"archive.state.{record.state.value}")))
        rows.append(
            (
                self.t("archive.pdf.started"),
                self.t(
                    "archive.pdf.started_line",
                    when=self.moment(record.started_at),
                    by=record.started_by,
                ),
            )
        )
        if record.finished_at is not None:
            key = (
                "archive.pdf.cancelled"
                if record.state is InstanceState.CANCELLED
                else "archive.pdf.finished"
            )
            ended = self.moment(record.finished_at)
            if record.cancel_reason:
                ended = self.t(
                    "archive.pdf.cancelled_line", when=ended, reason=record.cancel_reason
                )
            rows.append((self.t(key), ended))
        label_width = 150.0
        table = Table(
            [
                [Paragraph(self.text(label), _CELL_BOLD), Paragraph(self.text(value), _BODY)]
                for label, value in rows
            ],
            colWidths=[label_width, CONTENT_WIDTH - label_width],
            hAlign="LEFT",
        )
        table.setStyle(self.grid(header=False))
        return table

    def sop_line(self) -> str:
        record = self.record
        if record.sop_number:
            return self.t("archive.pdf.sop_line", name=record.sop_name, number=record.sop_number)
        return record.sop_name

    def checks(self) -> Table:
        """What was checked and what it found, one line each, the verdict first."""
        record, chain = self.record, self.record.chain
        left_out = [d for d in record.documents if d.check is not DocumentCheck.INTACT]
        unaudited = [d for d in record.documents if not d.audited]
        rows = [
            (
                chain.intact,
                self.t("archive.pdf.chain", chain=chain.chain),
                self.t("archive.pdf.chain_intact", rows=self.count(chain.rows))
                if chain.intact
                else self.t(
                    "archive.pdf.chain_broken",
                    problems=self.count(len(chain.problems)),
                    rows=self.count(chain.rows),
                ),
            ),
            (
                chain.procedure_problems == 0,
                self.t("archive.pdf.own_rows"),
                self.t("archive.pdf.own_rows_intact", rows=self.count(chain.procedure_rows))
                if chain.procedure_problems == 0
                else self.t(
                    "archive.pdf.own_rows_broken",
                    problems=self.count(chain.procedure_problems),
                    rows=self.count(chain.procedure_rows),
                ),
            ),
            (
                not left_out and not unaudited,
                self.t("archive.pdf.files"),
                self.files_verdict(len(left_out), len(unaudited)),
            ),
        ]
        data = []
        for index, (good, what, found) in enumerate(rows):
            data.append(
                [
                    Paragraph(
                        self.text(self.t("archive.pdf.ok" if good else "archive.pdf.not_ok")),
                        _GOOD if good else _BAD,
                    ),
                    Paragraph(self.text(what), _CELL_BOLD),
                    Paragraph(self.text(found), _BODY),
                ]
            )
            if index == 0:  # the chain's problems right under its verdict
                data.extend(self.problem_rows())
        data.append(
            [
                Paragraph("", _BODY),
                Paragraph("", _BODY),
                Paragraph(self.text(self.t("archive.pdf.how_checked")), _SMALL),
            ]
        )
        table = Table(data, colWidths=[70, 190, CONTENT_WIDTH - 260], hAlign="LEFT")
        table.setStyle(self.grid(header=False))
        return table

    def problem_rows(self) -> list[list[Paragraph]]:
        """A line per problem of the chain (the first 20, then how many more)."""
        chain = self.record.chain
        notes = [
            self.t(
                "archive.pdf.chain_problem",
                kind=self.t(f"archive.problem.{problem.kind}"),
                seq=problem.seq,
                row=problem.row_id if problem.row_id is not None else "-",
            )
            for problem in chain.problems[:SHOWN_PROBLEMS]
        ]
        if len(chain.problems) > SHOWN_PROBLEMS:
            more = len(chain.problems) - SHOWN_PROBLEMS
            notes.append(self.t("archive.pdf.chain_more", count=self.count(more)))
        return [
            [Paragraph("", _BODY), Paragraph("", _BODY), Paragraph(self.text(note), _SMALL)]
            for note in notes
        ]

    def files_verdict(self, left_out: int, unaudited: int) -> str:
        record = self.record
        if not record.documents:
            return self.t("archive.pdf.files_none")
        parts = [
            self.t(
                "archive.pdf.files_intact",
                intact=self.count(len(record.documents) - left_out),
                total=self.count(len(record.documents)),
            )
        ]
        if left_out:
            parts.append(self.t("archive.pdf.files_left_out", count=self.count(left_out)))
        if unaudited:
            parts.append(self.t("archive.pdf.files_unaudited", count=self.count(unaudited)))
        return " ".join(parts)

    def steps(self) -> Table | Paragraph:
        if not self.record.steps:
            return Paragraph(self.text(self.t("archive.pdf.none")), _BODY)
        widths = [46, 210, 130, 76, 76, 70, 82, 70]
        head = [
            self.t("archive.pdf.col_step"),
            self.t("archive.pdf.col_activity"),
            self.t("archive.pdf.col_people"),
            self.t("archive.pdf.col_opened"),
            self.t("archive.pdf.col_completed"),
            self.t("archive.pdf.col_real"),
            self.t("archive.pdf.col_standard"),
            self.t("archive.pdf.col_verdict"),
        ]
        rows = [self.step_row(step) for step in self.record.steps]
        return self.table(head, rows, _fitted(widths))

    def step_row(self, step: RecordedStep) -> list[Paragraph]:
        label = step.step_label
        if step.round > 1:
            label = self.t("archive.pdf.step_round", step=step.step_label, round=step.round)
        verdict, bad = self.step_verdict(step)
        return [
            Paragraph(self.text(label), _BODY),
            Paragraph(self.text(step.activity), _BODY),
            Paragraph(self.text(", ".join(step.people) or "-"), _BODY),
            Paragraph(self.text(self.moment(step.opened_at, zone=False)), _SMALL),
            Paragraph(
                self.text(self.moment(step.completed_at, zone=False) if step.completed_at else "-"),
                _SMALL,
            ),
            Paragraph(
                self.text(
                    short_duration(
                        step.working_seconds, self.language, working_day=step.working_day
                    )
                ),
                _BODY,
            ),
            Paragraph(self.text(standard_time(step.standard, self.language)), _BODY),
            Paragraph(self.text(verdict), _BAD if bad else _BODY),
        ]

    def step_verdict(self, step: RecordedStep) -> tuple[str, bool]:
        state = StepRunState(step.state)
        if state is StepRunState.OPEN:
            return self.t("archive.pdf.step_open"), step.late
        if state is StepRunState.CANCELLED:
            return self.t("archive.pdf.step_cancelled"), False
        if state is StepRunState.RETURNED:
            return self.t("archive.pdf.step_returned"), False
        if step.late:
            return self.t("archive.pdf.step_late"), True
        return self.t("archive.pdf.step_on_time"), False

    def documents(self) -> Table | Paragraph:
        if not self.record.documents:
            return Paragraph(self.text(self.t("archive.pdf.none")), _BODY)
        widths = [24, 50, 200, 50, 280, 104, 66]
        head = [
            self.t("archive.pdf.col_no"),
            self.t("archive.pdf.col_step"),
            self.t("archive.pdf.col_file"),
            self.t("archive.pdf.col_size"),
            "SHA-256",
            self.t("archive.pdf.col_uploaded"),
            self.t("archive.pdf.col_check"),
        ]
        rows = [self.document_row(document) for document in self.record.documents]
        return self.table(head, rows, _fitted(widths))

    def document_row(self, document: RecordedDocument) -> list[Paragraph]:
        label = document.step_label
        if document.round > 1:
            label = self.t("archive.pdf.step_round", step=document.step_label, round=document.round)
        intact = document.check is DocumentCheck.INTACT
        check = self.t(f"archive.check.{document.check.value}")
        if not document.audited:
            check = f"{check}; {self.t('archive.pdf.not_audited')}"
        file_cell = self.t("archive.pdf.file_cell", name=document.name, entry=document.entry)
        if not intact:
            file_cell = self.t(
                "archive.pdf.file_left_out", name=document.name, entry=document.entry
            )
        return [
            Paragraph(str(document.position), _BODY),
            Paragraph(self.text(label), _BODY),
            Paragraph(self.text(file_cell), _BODY),
            Paragraph(self.text(self.size(document.size_bytes)), _BODY),
            Paragraph(document.sha256, _HASH),
            Paragraph(
                self.text(f"{document.uploaded_by}\n{self.moment(document.uploaded_at)}"), _SMALL
            ),
            Paragraph(self.text(check), _BODY if intact and document.audited else _BAD),
        ]

    def events(self) -> Table | Paragraph:
        if not self.record.events:
            return Paragraph(self.text(self.t("archive.pdf.none")), _BODY)
        widths = [84, 150, 56, 190, 294]
        head = [
            self.t("archive.pdf.col_when"),
            self.t("archive.pdf.col_actor"),
            self.t("archive.pdf.col_step"),
            self.t("archive.pdf.col_event"),
            self.t("archive.pdf.col_detail"),
        ]
        rows = [self.event_row(event) for event in self.record.events]
        return self.table(head, rows, _fitted(widths))

    def event_row(self, event: RecordedEvent) -> list[Paragraph]:
        what, detail = self.event_words(event)
        step = event.step_label or "-"
        if event.step_label and event.round and event.round > 1:
            step = self.t("archive.pdf.step_round", step=event.step_label, round=event.round)
        return [
            Paragraph(self.text(self.moment(event.at, seconds=True, zone=False)), _SMALL),
            Paragraph(self.text(event.actor or self.t("archive.pdf.system")), _BODY),
            Paragraph(self.text(step), _BODY),
            Paragraph(self.text(what), _BODY),
            Paragraph(self.text(detail), _BODY),
        ]

    def event_words(self, event: RecordedEvent) -> tuple[str, str]:
        """What happened, and its detail (to whom, why, which file)."""
        key = _EVENT_KEYS.get((event.entity, event.action))
        what = (
            self.t(key)
            if key
            else self.t("archive.event.other", entity=event.entity.value, action=event.action.value)
        )
        details = []
        # Whom a disposition reached (also the actor's own, when they sent it to themselves);
        # who sent a document, when another recorded it.
        if event.person and (event.entity is EntityKind.DISPOSITION or event.person != event.actor):
            details.append(self.t("archive.event.person", person=event.person))
        if event.answer:
            details.append(self.t("archive.event.answer", answer=event.answer))
        if event.reason:
            details.append(self.t("archive.event.reason", reason=event.reason))
        if event.document_name:
            details.append(self.t("archive.event.file", name=event.document_name))
        return what, "; ".join(details) or "-"

    # -- pieces ----------------------------------------------------------------------------

    def table(self, head: Sequence[str], rows: list[list[Paragraph]], widths: list[float]) -> Table:
        data = [[Paragraph(self.text(title), _HEAD) for title in head], *rows]
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(self.grid(header=True))
        return table

    @staticmethod
    def grid(*, header: bool) -> TableStyle:
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), RULE, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
        return TableStyle(commands)

    def text(self, value: str) -> str:
        """Text for a Paragraph: drawable by the font, its markup characters escaped, its line
        breaks kept."""
        return xml_escape(printable(value)).replace("\n", "<br/>")

    def moment(self, at: dt.datetime, *, seconds: bool = False, zone: bool = True) -> str:
        """A moment in the agency's zone: 03/11/2026 09.12 WITA (without the zone in a table
        whose heading names it), as the language writes it."""
        local = at.astimezone(self.zone)
        mark = "." if self.language is Language.ID else ":"
        clock = f"{local.hour:02d}{mark}{local.minute:02d}"
        if seconds:
            clock += f"{mark}{local.second:02d}"
        day = f"{local.day:02d}/{local.month:02d}/{local.year} {clock}"
        return f"{day} {zone_name(self.record.timezone)}" if zone else day

    def day(self, day: dt.date) -> str:
        return f"{day.day:02d}/{day.month:02d}/{day.year}"

    def count(self, value: int) -> str:
        return quantity(value, self.language)

    def size(self, size: int) -> str:
        if size < 1024:
            return self.t("archive.pdf.bytes", count=self.count(size))
        if size < 1024 * 1024:
            return f"{quantity(size / 1024, self.language, 1)} KB"
        return f"{quantity(size / (1024 * 1024), self.language, 1)} MB"


def _fitted(widths: Sequence[float]) -> list[float]:
    """Column widths scaled to fill the content width exactly."""
    scale = CONTENT_WIDTH / sum(widths)
    return [width * scale for width in widths]


_EVENT_KEYS: Final[dict[tuple[EntityKind, TransitionAction], str]] = {
    (EntityKind.INSTANCE, TransitionAction.START): "archive.event.start",
    (EntityKind.INSTANCE, TransitionAction.FINISH): "archive.event.finish",
    (EntityKind.INSTANCE, TransitionAction.CANCEL): "archive.event.cancel",
    (EntityKind.STEP_RUN, TransitionAction.OPEN): "archive.event.step_open",
    (EntityKind.STEP_RUN, TransitionAction.COMPLETE): "archive.event.step_complete",
    (EntityKind.STEP_RUN, TransitionAction.SEND_BACK): "archive.event.step_returned",
    (EntityKind.STEP_RUN, TransitionAction.CANCEL): "archive.event.step_cancelled",
    (EntityKind.DISPOSITION, TransitionAction.SEND): "archive.event.sent",
    (EntityKind.DISPOSITION, TransitionAction.COMPLETE): "archive.event.done",
    (EntityKind.DISPOSITION, TransitionAction.CLAIM): "archive.event.claimed",
    (EntityKind.DISPOSITION, TransitionAction.RELEASE): "archive.event.released",
    (EntityKind.DISPOSITION, TransitionAction.HAND_OVER): "archive.event.handed_over",
    (EntityKind.DISPOSITION, TransitionAction.REROUTE): "archive.event.rerouted",
    (EntityKind.DISPOSITION, TransitionAction.SEND_BACK): "archive.event.sent_back",
    (EntityKind.DISPOSITION, TransitionAction.CANCEL): "archive.event.disposition_cancelled",
    (EntityKind.DOCUMENT, TransitionAction.ATTACH): "archive.event.attached",
}
