"""The messages that state changes cause, rendered into the outbox in the change's transaction.

For every engine transition the notifier decides who must hear of it: a new disposition goes to
its holder (with the documents of earlier steps, uploaded again from the document store under a
name the server makes); a disposition that is no
longer live gets its message edited so no stale buttons remain; the person who sent the work
hears that it moved on; the starter hears when the procedure ends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlmodel import Session

from sopbot.engine.definition import Assignment, DecisionAnswer, OutputKind
from sopbot.engine.instance import (
    Disposition,
    DispositionState,
    EntityKind,
    Instance,
    StepRun,
    Transition,
)
from sopbot.engine.procedure import Procedure
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import (
    NOTE_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    escape,
    fit_caption,
    local_time,
    shorten,
)
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, to_payload
from sopbot.storage.file_kinds import file_type_of_mime
from sopbot.storage.file_names import delivery_name
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.models import AgencyRow, DocumentRow, MemberRow, OutboxRow, PositionRow
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import table_of

# Room for the names of everyone who delivered a shared step, and for each one's name by a note.
NAMES_LIMIT = 300
NAME_LIMIT = 60

_ENDED_LABELS = {
    DispositionState.DONE: "status.done",
    DispositionState.RELEASED: "status.released",
    DispositionState.HANDED_OVER: "status.handed_over",
    DispositionState.REROUTED: "status.rerouted",
    DispositionState.RETURNED: "status.returned",
    DispositionState.CANCELLED: "status.cancelled",
}

_MEMBER = table_of(MemberRow)
_POSITION = table_of(PositionRow)
_OUTBOX = table_of(OutboxRow)
_AGENCY = table_of(AgencyRow)
_DOCUMENT = table_of(DocumentRow)

# Built once (see storage.prepared): every change runs most of them.
_PEOPLE = PreparedQuery(
    select(_MEMBER.c.id, _MEMBER.c.name, _MEMBER.c.language).where(
        _MEMBER.c.id.in_(bindparam("ids", expanding=True))
    )
)
_POSITION_NAMES = PreparedQuery(
    select(_POSITION.c.id, _POSITION.c.name).where(
        _POSITION.c.id.in_(bindparam("ids", expanding=True))
    )
)
_AGENCY_TIMEZONE = PreparedQuery(
    select(_AGENCY.c.timezone).where(_AGENCY.c.id == bindparam("agency_id"))
)
_FIRST_MESSAGE = PreparedQuery(
    select(_OUTBOX.c.id)
    .where(_OUTBOX.c.disposition_id == bindparam("disposition_id"))
    .where(_OUTBOX.c.kind == "message")
    .order_by(_OUTBOX.c.id)
    .limit(1)
)
_FILES_SENT = PreparedQuery(
    select(_OUTBOX.c.payload)
    .where(_OUTBOX.c.member_id == bindparam("member_id"))
    .where(_OUTBOX.c.kind == "document")
    .where(_OUTBOX.c.disposition_id.in_(bindparam("dispositions", expanding=True)))
)
_EARLIER_DOCUMENTS = PreparedQuery(
    select(
        _DOCUMENT.c.id,
        _DOCUMENT.c.telegram_file_id,
        _DOCUMENT.c.original_name,
        _DOCUMENT.c.mime_type,
        _DOCUMENT.c.storage_key,
        _DOCUMENT.c.uploaded_by_id,
    )
    .where(_DOCUMENT.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_DOCUMENT.c.uploaded_at)
)
_ADD_OUTBOX = PreparedWrite(insert(_OUTBOX))


@dataclass(frozen=True, slots=True)
class _Person:
    """What the notices need of a member."""

    id: int
    name: str
    language: str | None


@dataclass
class _Context:
    """What rendering needs from the database, loaded once per change, and the outbox rows
    the change adds (written together, see `write_outbox`)."""

    session: Session
    loaded: LoadedInstance
    members: dict[int, _Person] = field(default_factory=dict)
    positions: dict[int, str] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)

    @property
    def instance(self) -> Instance:
        return self.loaded.instance

    @property
    def procedure(self) -> Procedure:
        return self.loaded.procedure

    # A change's notices name several people and positions of the instance: the first miss
    # loads all of them in one query, where one lookup each (and the autoflush before each)
    # was a fifth of the notifier's time (bench.transitions).

    def member(self, member_id: int) -> _Person:
        if member_id not in self.members:
            wanted = {member_id, self.instance.started_by_id}
            for disposition in self.instance.dispositions:
                wanted.add(disposition.assignee_id)
                if disposition.sender_id is not None:
                    wanted.add(disposition.sender_id)
                if disposition.acting_for_id is not None:
                    wanted.add(disposition.acting_for_id)
            rows = _PEOPLE.rows(self.session, {"ids": list(wanted - self.members.keys())})
            self.members.update((row.id, _Person(row.id, row.name, row.language)) for row in rows)
            if member_id not in self.members:
                raise KeyError(member_id)
        return self.members[member_id]

    def position_name(self, position_id: int) -> str:
        if position_id not in self.positions:
            wanted = {position_id} | {d.position_id for d in self.instance.dispositions}
            rows = _POSITION_NAMES.rows(self.session, {"ids": list(wanted - self.positions.keys())})
            self.positions.update((row.id, row.name) for row in rows)
            if position_id not in self.positions:
                return ""
        return self.positions[position_id]

    def timezone(self) -> str:
        if self.loaded.agency_timezone is None:  # read with the instance, as a rule
            row = _AGENCY_TIMEZONE.first(self.session, {"agency_id": self.instance.agency_id})
            self.loaded.agency_timezone = (row.timezone if row else None) or "Asia/Jakarta"
        return self.loaded.agency_timezone

    def write_outbox(self) -> None:
        """Insert the rows added so far, in the order added (the sender delivers by id).

        One executemany of a Core insert: nothing needs their ids but a later edit of one,
        and an edit looks its message up after this has run (`Notifier._edit`).
        """
        if self.outbox:
            _ADD_OUTBOX.run(self.session, self.outbox)
            self.outbox.clear()


class Notifier:
    """Writes the outbox rows for a change; plugged into the procedure service."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or default_catalog()

    def on_change(
        self,
        session: Session,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Add the outbox rows the transitions call for (nothing is sent here)."""
        context = _Context(session, loaded)
        procedure = loaded.procedure
        for transition in transitions:
            if transition.entity is EntityKind.DISPOSITION:
                disposition = procedure.instance.disposition(transition.entity_id)
                if transition.action == "send":
                    self._send_disposition(context, disposition, now)
                elif transition.action == "claim":
                    self._refresh(context, disposition, now)
                elif disposition.state in _ENDED_LABELS:
                    self._close(context, disposition, now)
            elif transition.entity is EntityKind.STEP_RUN and transition.action == "complete":
                self._moved_on(context, procedure.instance.run(transition.entity_id), now)
            elif transition.entity is EntityKind.INSTANCE and transition.action == "finish":
                self._finished(context, now)
            elif transition.entity is EntityKind.INSTANCE and transition.action == "cancel":
                self._cancelled(context, transition, now)
        context.write_outbox()

    def resend(
        self, session: Session, loaded: LoadedInstance, disposition: Disposition, now: dt.datetime
    ) -> None:
        """Send a live disposition again, as new (its holder has just joined, or asked)."""
        context = _Context(session, loaded)
        self._send_disposition(context, disposition, now)
        context.write_outbox()

    # -- rendering a disposition -----------------------------------------------------------

    def render_disposition(
        self, context: _Context, disposition: Disposition, language: Language
    ) -> str:
        """The disposition message as its holder sees it: one message, since it is edited
        when it ends. Its title and instruction are shown up to the input limits (a note can
        grow past them, one reply at a time; a title may be older than the limit)."""
        t = self.catalog.text
        procedure = context.procedure
        instance = context.instance
        run = instance.run(disposition.step_run_id)
        step = procedure.definition.step(run.step_number)
        lines = [
            t(language, "disposition.header", sop=escape(procedure.definition.identity.name)),
            t(
                language,
                "disposition.title",
                title=escape(shorten(instance.title, TITLE_LIMIT)),
                number=context.loaded.number,
            ),
            "",
            t(
                language,
                "disposition.step",
                step=step.number,
                total=len(procedure.definition.steps),
                activity=escape(step.activity),
            ),
        ]
        if run.round > 1:
            lines.append(t(language, "disposition.round", round=run.round))
        lines.extend(self._from_lines(context, disposition, run, language))
        lines.append("")
        lines.append(t(language, "disposition.inputs", inputs=escape(step.inputs or "-")))
        output_key = {
            OutputKind.DOCUMENT: "disposition.output_document",
            OutputKind.NOTE: "disposition.output_note",
            OutputKind.NONE: "disposition.output_none",
        }[step.output_kind]
        output = step.output.strip(" -")
        if not output and step.output_kind is OutputKind.DOCUMENT:
            output = t(language, "disposition.a_document")  # the cell is "-" but a file is due
        lines.append(t(language, output_key, output=escape(output or "-")))
        lines.append(
            t(language, "disposition.standard_time", time=escape(step.standard_time.as_written))
        )
        if run.due_at is not None:
            lines.append(
                t(
                    language,
                    "disposition.deadline",
                    deadline=local_time(run.due_at, context.timezone(), language),
                )
            )
        if disposition.acting is not None:
            acting_for = (
                context.member(disposition.acting_for_id).name
                if disposition.acting_for_id is not None
                else t(language, "disposition.vacant_post")
            )
            lines.append(
                t(
                    language,
                    "disposition.acting",
                    prefix=disposition.acting.prefix,
                    position=escape(context.position_name(disposition.position_id)),
                    person=escape(acting_for),
                )
            )
        if run.assignment is Assignment.EVERY_HOLDER:
            lines.append(t(language, "disposition.every_holder"))
        elif len([d for d in instance.dispositions_of(run) if d.is_live]) > 1:
            lines.append(t(language, "disposition.team"))
        lines.append("")
        hint = (
            "disposition.how_decision"
            if step.is_decision
            else (
                "disposition.how_document"
                if step.output_kind is OutputKind.DOCUMENT
                else "disposition.how_note"
            )
        )
        lines.append(t(language, hint))
        return "\n".join(lines)

    def _from_lines(
        self, context: _Context, disposition: Disposition, run: StepRun, language: Language
    ) -> list[str]:
        """Who sent the work and what they wrote. After a step that every holder did, each
        of them is named with their own note."""
        t = self.catalog.text
        deliverers = self._deliverers(context, disposition, run)
        if len(deliverers) > 1:
            names = ", ".join(self._person(context, d.assignee_id, language) for d in deliverers)
            lines = [t(language, "disposition.from", sender=escape(shorten(names, NAMES_LIMIT)))]
            noted = [d for d in deliverers if d.note]
            # The notes share one note's room: a disposition is edited when it closes, and an
            # edit cannot be split into two messages.
            room = NOTE_LIMIT // max(1, len(noted))
            lines.extend(
                t(
                    language,
                    "disposition.note_by",
                    person=escape(shorten(context.member(d.assignee_id).name, NAME_LIMIT)),
                    note=escape(shorten(d.note or "", room)),
                )
                for d in noted
            )
            return lines
        lines = []
        if disposition.sender_id is not None:
            lines.append(
                t(
                    language,
                    "disposition.from",
                    sender=escape(self._person(context, disposition.sender_id, language)),
                )
            )
        if disposition.instruction:
            lines.append(
                t(
                    language,
                    "disposition.instruction",
                    instruction=escape(shorten(disposition.instruction, NOTE_LIMIT)),
                )
            )
        return lines

    @staticmethod
    def _deliverers(context: _Context, disposition: Disposition, run: StepRun) -> list[Disposition]:
        """The dispositions of the step that led here, when this work came from that step
        being done (not from a hand-over, a "tidak" or a return), in the order delivered."""
        if (
            run.previous_run_id is None
            or disposition.sender_id != run.sender_id
            or disposition.instruction != run.instruction
        ):
            return []
        previous = context.instance.run(run.previous_run_id)
        if previous.answer is DecisionAnswer.NO or previous.state.value != "completed":
            return []
        done = [
            d
            for d in context.instance.dispositions_of(previous)
            if d.state is DispositionState.DONE
        ]
        return sorted(done, key=lambda d: d.acted_at or d.created_at)

    def keyboard(self, context: _Context, disposition: Disposition, language: Language) -> Keyboard:
        """The buttons that fit this disposition now (the server checks again on press)."""
        t = self.catalog.text
        procedure = context.procedure
        member = disposition.assignee_id
        d = disposition.id
        rows: Keyboard = []
        if procedure.can_claim(d, member):
            rows.append([Button(t(language, "button.claim"), callback(Action.CLAIM, d))])
        if procedure.can_decide(d, member):
            rows.append(
                [
                    Button(t(language, "button.yes"), callback(Action.YES, d)),
                    Button(t(language, "button.no"), callback(Action.NO, d)),
                ]
            )
        elif procedure.can_complete(d, member):
            rows.append([Button(t(language, "button.complete"), callback(Action.COMPLETE, d))])
        second: list[Button] = []
        if procedure.can_send_back(d, member):
            second.append(Button(t(language, "button.send_back"), callback(Action.SEND_BACK, d)))
        if procedure.can_hand_over(d, member):
            second.append(Button(t(language, "button.hand_over"), callback(Action.HAND_OVER, d)))
        if second:
            rows.append(second)
        return rows

    # -- what happens on each change -------------------------------------------------------

    def _send_disposition(
        self, context: _Context, disposition: Disposition, now: dt.datetime
    ) -> None:
        if not disposition.is_live:
            return  # done in the same command (the starter's own first step): nothing to show
        member = context.member(disposition.assignee_id)
        language = Language.of(member.language)
        for document, name, caption in self._earlier_documents(context, disposition, language):
            # The stored bytes under a name made here, never the sender's file_id (which
            # Telegram would deliver under the sender's own name): the sender reads them from
            # the document store by key, so the row survives a restart.
            self._add(
                context,
                member,
                "document",
                now,
                {
                    "document_id": str(document.id),
                    "storage_key": document.storage_key,
                    "filename": name,
                    "caption": fit_caption(caption),
                },
                disposition.id,
            )
        self._add(
            context,
            member,
            "message",
            now,
            {
                "text": self.render_disposition(context, disposition, language),
                "keyboard": to_payload(self.keyboard(context, disposition, language)),
            },
            disposition.id,
        )

    def _refresh(self, context: _Context, disposition: Disposition, now: dt.datetime) -> None:
        """Re-render a live disposition (e.g. after it was claimed: no more "Ambil")."""
        member = context.member(disposition.assignee_id)
        language = Language.of(member.language)
        self._edit(
            context,
            member,
            disposition,
            now,
            {
                "text": self.render_disposition(context, disposition, language),
                "keyboard": to_payload(self.keyboard(context, disposition, language)),
            },
        )

    def _close(self, context: _Context, disposition: Disposition, now: dt.datetime) -> None:
        """Edit an ended disposition's message: a status line, and no buttons."""
        member = context.member(disposition.assignee_id)
        language = Language.of(member.language)
        status = self._status_line(context, disposition, language, now)
        text = self.render_disposition(context, disposition, language).rsplit("\n", 1)[0]
        self._edit(
            context, member, disposition, now, {"text": f"{text}\n{status}", "keyboard": None}
        )

    def _status_line(
        self, context: _Context, disposition: Disposition, language: Language, now: dt.datetime
    ) -> str:
        t = self.catalog.text
        run = context.instance.run(disposition.step_run_id)
        when = local_time(disposition.acted_at or now, context.timezone(), language)
        successor = next(
            (d for d in context.instance.dispositions if d.handed_from_id == disposition.id), None
        )
        taker = next(
            (
                d
                for d in context.instance.dispositions_of(run)
                if d.state in (DispositionState.DONE, DispositionState.CLAIMED)
                and d is not disposition
            ),
            None,
        )
        if disposition.state is DispositionState.DONE and run.answer is not None:
            key = (
                "status.answered_yes" if run.answer is DecisionAnswer.YES else "status.answered_no"
            )
            return t(
                language, key, when=when, reason=escape(shorten(run.reason or "", REASON_LIMIT))
            )
        return t(
            language,
            _ENDED_LABELS[disposition.state],
            when=when,
            person=escape(
                context.member(successor.assignee_id).name
                if successor
                else context.member(taker.assignee_id).name
                if taker
                else "-"
            ),
            reason=escape(
                shorten(
                    disposition.reason or run.reason or context.instance.cancel_reason or "",
                    REASON_LIMIT,
                )
            ),
        )

    def _moved_on(self, context: _Context, run: StepRun, now: dt.datetime) -> None:
        """Tell the one who sent the work into a step that the step is done and where it went."""
        if run.sender_id is None:
            return
        completers = [
            d.assignee_id
            for d in context.instance.dispositions_of(run)
            if d.state is DispositionState.DONE
        ]
        if run.sender_id in completers:
            return
        member = context.member(run.sender_id)
        language = Language.of(member.language)
        t = self.catalog.text
        step = context.procedure.definition.step(run.step_number)
        names = ", ".join(escape(context.member(m).name) for m in completers) or "-"
        lines = [
            t(
                language,
                "moved_on.done",
                people=names,
                step=step.number,
                activity=escape(step.activity),
                title=escape(context.instance.title),
                number=context.loaded.number,
            )
        ]
        if run.answer is DecisionAnswer.NO:
            lines.append(t(language, "moved_on.rejected", reason=escape(run.reason or "")))
        following = self._following_run(context, run)
        if following is None:
            if context.instance.state.value == "finished":
                lines.append(t(language, "moved_on.finished"))
        else:
            holders = [
                context.member(d.assignee_id).name
                for d in context.instance.dispositions_of(following)
                if d.is_live
            ]
            lines.append(
                t(
                    language,
                    "moved_on.next",
                    step=following.step_number,
                    people=escape(", ".join(holders)) or t(language, "moved_on.vacant"),
                )
            )
        self._add(context, member, "message", now, {"text": "\n".join(lines)}, None)

    def _finished(self, context: _Context, now: dt.datetime) -> None:
        """Who hears that the procedure finished, once each (docs/architecture.md, "The end of
        a procedure"): whoever sent the work into the last step already read "🏁 Prosedur
        selesai" in their moved-on notice (`_moved_on`); everyone who delivered the last step
        and the starter get the 🏁 notice, unless they are that sender."""
        instance = context.instance
        last = max(
            (r for r in instance.step_runs if r.completed_at is not None),
            key=lambda r: r.completed_at or now,
            default=None,
        )
        completers = (
            [
                d.assignee_id
                for d in instance.dispositions_of(last)
                if d.state is DispositionState.DONE
            ]
            if last is not None
            else []
        )
        told: set[int] = set()
        if last is not None and last.sender_id is not None and last.sender_id not in completers:
            told.add(last.sender_id)
        for member_id in (*completers, instance.started_by_id):
            if member_id in told:
                continue
            told.add(member_id)
            person = context.member(member_id)
            language = Language.of(person.language)
            self._add(
                context,
                person,
                "message",
                now,
                {
                    "text": self.catalog.text(
                        language,
                        "notice.finished",
                        title=escape(instance.title),
                        number=context.loaded.number,
                    )
                },
                None,
            )

    def _cancelled(self, context: _Context, transition: Transition, now: dt.datetime) -> None:
        starter = context.member(context.instance.started_by_id)
        if transition.actor_id == starter.id:
            return
        language = Language.of(starter.language)
        self._add(
            context,
            starter,
            "message",
            now,
            {
                "text": self.catalog.text(
                    language,
                    "notice.cancelled",
                    title=escape(context.instance.title),
                    number=context.loaded.number,
                    reason=escape(context.instance.cancel_reason or ""),
                )
            },
            None,
        )

    # -- helpers ---------------------------------------------------------------------------

    def _person(self, context: _Context, member_id: int, language: Language) -> str:
        """A member's name with the position they acted in for this instance, if any."""
        member = context.member(member_id)
        acted = [d for d in context.instance.dispositions if d.assignee_id == member_id]
        if not acted:
            return member.name
        last = acted[-1]
        position = context.position_name(last.position_id)
        prefix = f"{last.acting.prefix} " if last.acting else ""
        return f"{member.name} ({prefix}{position})" if position else member.name

    def _following_run(self, context: _Context, run: StepRun) -> StepRun | None:
        for candidate in context.instance.step_runs:
            if candidate.previous_run_id == run.id:
                return candidate
        return None

    def _earlier_documents(
        self, context: _Context, disposition: Disposition, language: Language
    ) -> list[tuple[Any, str, str]]:
        """Documents delivered in the latest round of each earlier step, oldest first: rows
        of `_EARLIER_DOCUMENTS` with the name and the caption each is sent with."""
        instance = context.instance
        latest: dict[int, StepRun] = {}
        for run in instance.step_runs:
            if run.id != disposition.step_run_id and run.state.value == "completed":
                latest[run.step_number] = run
        wanted = {
            doc_id: run
            for run in latest.values()
            for d in instance.dispositions_of(run)
            if d.state is DispositionState.DONE
            for doc_id in d.document_ids
        }
        if not wanted:
            return []
        rows = _EARLIER_DOCUMENTS.rows(context.session, {"ids": list(wanted)})
        # Each person gets a file once per instance, and never their own upload back.
        context.write_outbox()  # the files this change already sent count too
        already: set[str] = set()
        for sent in _FILES_SENT.rows(
            context.session,
            {
                "member_id": disposition.assignee_id,
                "dispositions": [d.id for d in instance.dispositions],
            },
        ):
            # Rows written before documents were sent from the store name the file_id.
            already.update(
                str(sent.payload[key]) for key in ("document_id", "file_id") if key in sent.payload
            )
        rows = [
            row
            for row in rows
            if row.uploaded_by_id != disposition.assignee_id
            and str(row.id) not in already
            and row.telegram_file_id not in already
        ]
        handed_on = []
        for row in rows:
            file_type = file_type_of_mime(row.mime_type)
            # The extension is always the detected type's; the stored MIME type is only ever
            # one of the accepted types, so "bin" is there for a row edited by hand.
            name = delivery_name(row.original_name, file_type.extension if file_type else "bin")
            caption = self.catalog.text(
                language,
                "document.caption",
                step=wanted[row.id].step_number,
                person=context.member(row.uploaded_by_id).name,
                name=name,
            )
            handed_on.append((row, name, caption))
        return handed_on

    def _edit(
        self,
        context: _Context,
        member: _Person,
        disposition: Disposition,
        now: dt.datetime,
        payload: dict[str, Any],
    ) -> None:
        context.write_outbox()  # the message may have been added in this change
        original = _FIRST_MESSAGE.first(context.session, {"disposition_id": disposition.id})
        if original is None:
            return  # never shown (e.g. rerouted in the same change): nothing to edit
        self._add(context, member, "edit", now, payload, disposition.id, edits=original.id)

    def _add(
        self,
        context: _Context,
        member: _Person,
        kind: str,
        now: dt.datetime,
        payload: dict[str, Any],
        disposition_id: uuid.UUID | None,
        *,
        edits: int | None = None,
    ) -> None:
        # Not written one by one: the change's rows go in together, in the order added.
        context.outbox.append(
            {
                "created_at": now,
                "member_id": member.id,
                "kind": kind,
                "payload": payload,
                "disposition_id": disposition_id,
                "edits_outbox_id": edits,
                "state": "pending",
                "attempts": 0,
            }
        )
