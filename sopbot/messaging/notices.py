"""The messages that state changes cause, rendered from plain values (no database here).

For every engine transition the notifier decides who must hear of it: a new disposition goes to
its holder (with the documents of earlier steps, uploaded again from the document store under a
name the server makes); a disposition that is no
longer live gets its message edited so no stale buttons remain; the person who sent the work
hears that it moved on; the starter hears when the procedure ends.

Three parts, one each in its place: `sopbot.storage.notice_facts` reads what the notices show
(`NoticeFacts`), `Notifier.render` turns the facts and the transitions into `OutboxMessage`s,
and `sopbot.storage.outbox.add_messages` writes them, in the transaction of the change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sopbot.engine.definition import (
    Assignment,
    OutputKind,
    SopDefinition,
    Step,
    Together,
)
from sopbot.engine.instance import (
    Disposition,
    DispositionState,
    EntityKind,
    Instance,
    InstanceState,
    StepRun,
    Transition,
    TransitionAction,
)
from sopbot.engine.procedure import Procedure
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import (
    NOTE_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    due_time,
    escape,
    fit_caption,
    local_time,
    shorten,
)
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, to_payload
from sopbot.messaging.letters import SENDER_SHOWN, letter_line
from sopbot.messaging.outgoing import MessageKind, OutboxMessage

# Room for the names of everyone who delivered a shared step, and for each one's name by a note.
NAMES_LIMIT = 300
NAME_LIMIT = 60

# Answers up to this many characters share a row of buttons (a phone shows two such side by side).
_SHORT_ANSWER = 14
_OUTPUT_KEYS = {
    OutputKind.DOCUMENT: "disposition.output_document",
    OutputKind.NOTE: "disposition.output_note",
    OutputKind.NONE: "disposition.output_none",
}
_ENDED_LABELS = {
    DispositionState.DONE: "status.done",
    DispositionState.RELEASED: "status.released",
    DispositionState.HANDED_OVER: "status.handed_over",
    DispositionState.REROUTED: "status.rerouted",
    DispositionState.RETURNED: "status.returned",
    DispositionState.CANCELLED: "status.cancelled",
}


def tells_of(transition: Transition) -> bool:
    """Whether the notices may speak of a transition. A change with none of these (an upload
    attached, say) has nothing to tell, and needs no facts read for it."""
    if transition.entity is EntityKind.DISPOSITION:
        return True
    if transition.entity is EntityKind.STEP_RUN:
        return transition.action is TransitionAction.COMPLETE
    return transition.entity is EntityKind.INSTANCE and transition.action in (
        TransitionAction.FINISH,
        TransitionAction.CANCEL,
        TransitionAction.LETTER,
    )


@dataclass(frozen=True, slots=True)
class Person:
    """What the notices need of a member: the name they are shown by, and their language."""

    id: int
    name: str
    language: str | None


@dataclass(frozen=True, slots=True)
class HandedOnDocument:
    """A document delivered in the instance, as it is handed on to the holders of later steps.

    `filename` is the name the server made for it (never the sender's own); `telegram_file_id`
    is kept to recognise files sent before documents were sent from the store.
    """

    id: uuid.UUID
    storage_key: str
    filename: str
    telegram_file_id: str | None
    uploaded_by_id: int
    uploaded_by_name: str


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """Everything the notices of one change show, read before rendering (see
    `sopbot.storage.notice_facts`).

    `people` and `positions` hold everyone and every position the instance names;
    `documents` the documents delivered in it, oldest first; `files_sent` what each member who
    is sent work was already sent of them in this instance (document ids, or the Telegram file
    ids of older rows).
    """

    procedure: Procedure
    number: int
    timezone: str
    people: Mapping[int, Person]
    positions: Mapping[int, str] = field(default_factory=dict)
    documents: tuple[HandedOnDocument, ...] = ()
    files_sent: Mapping[int, frozenset[str]] = field(default_factory=dict)

    @property
    def instance(self) -> Instance:
        """The instance as the change left it."""
        return self.procedure.instance

    def member(self, member_id: int) -> Person:
        """A member the instance names (KeyError for one the loader did not read)."""
        return self.people[member_id]

    def position_name(self, position_id: int) -> str:
        """A position's name, or "" when it is not known."""
        return self.positions.get(position_id, "")


@dataclass
class _Rendering:
    """One change being rendered: its facts, and the messages made so far, in order."""

    facts: NoticeFacts
    now: dt.datetime
    messages: list[OutboxMessage] = field(default_factory=list)
    # The documents this change has sent each member so far: they count as sent, as the
    # stored ones in `facts.files_sent` do.
    files_sent: dict[int, set[str]] = field(default_factory=dict)
    # Who this change told, in a message of its own, that their step ended by someone
    # else's hand (cancelled, moved): a holder told of the cancellation need not read it again
    # as its starter.
    told_ended: set[int] = field(default_factory=set)

    @property
    def instance(self) -> Instance:
        return self.facts.instance

    def add(
        self,
        member: Person,
        kind: MessageKind,
        payload: dict[str, Any],
        disposition_id: uuid.UUID | None = None,
    ) -> None:
        """Queue a message for the member, after those queued before it."""
        self.messages.append(OutboxMessage(member.id, kind, payload, self.now, disposition_id))
        if kind is MessageKind.DOCUMENT:
            self.files_sent.setdefault(member.id, set()).add(str(payload["document_id"]))


class Notifier:
    """Turns the transitions of a change into the messages that tell people of it."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or default_catalog()

    def render(
        self, facts: NoticeFacts, transitions: Iterable[Transition], now: dt.datetime
    ) -> list[OutboxMessage]:
        """The messages the transitions call for, in the order they are to be delivered.

        An EDIT names the disposition whose message it changes; the outbox's writer finds that
        message, and drops the edit of one that was never shown (its step was done in the
        command that opened it, say).
        """
        context = _Rendering(facts, now)
        procedure = facts.procedure
        for transition in transitions:
            entity, action = transition.entity, transition.action
            if entity is EntityKind.DISPOSITION:
                disposition = procedure.instance.disposition(transition.entity_id)
                if action is TransitionAction.SEND:
                    self._send_disposition(context, disposition)
                elif action is TransitionAction.CLAIM:
                    self._refresh(context, disposition)
                elif disposition.state in _ENDED_LABELS:
                    self._close(context, disposition, transition)
            elif entity is EntityKind.STEP_RUN and action is TransitionAction.COMPLETE:
                self._moved_on(context, procedure.instance.run(transition.entity_id))
            elif entity is EntityKind.INSTANCE and action is TransitionAction.FINISH:
                self._finished(context)
            elif entity is EntityKind.INSTANCE and action is TransitionAction.CANCEL:
                self._cancelled(context, transition)
            elif entity is EntityKind.INSTANCE and action is TransitionAction.LETTER:
                self._letter_changed(context)
        return context.messages

    def render_resend(
        self, facts: NoticeFacts, disposition: Disposition, now: dt.datetime
    ) -> list[OutboxMessage]:
        """A live disposition sent again, as new (its holder has just joined, or asked)."""
        context = _Rendering(facts, now)
        self._send_disposition(context, disposition)
        return context.messages

    # -- rendering a disposition -----------------------------------------------------------

    def render_disposition(
        self, facts: NoticeFacts, disposition: Disposition, language: Language
    ) -> str:
        """The disposition message as its holder sees it: one message, since it is edited
        when it ends. Its title and instruction are shown up to the input limits (a note can
        grow past them, one reply at a time; a title may be older than the limit)."""
        t = self.catalog.text
        procedure = facts.procedure
        instance = facts.instance
        run = instance.run(disposition.step_run_id)
        step = procedure.definition.step(run.step_number)
        lines = [
            t(language, "disposition.header", sop=escape(procedure.definition.identity.name)),
            t(
                language,
                "disposition.title",
                title=escape(shorten(instance.title, TITLE_LIMIT)),
                number=facts.number,
            ),
        ]
        if instance.letter is not None:
            lines.append(
                letter_line(self.catalog, language, instance.letter, sender_limit=SENDER_SHOWN)
            )
        lines += ["", self._step_line(procedure.definition, step, language)]
        if run.round > 1:
            lines.append(t(language, "disposition.round", round=run.round))
        lines.extend(self._from_lines(facts, disposition, run, language))
        lines.append("")
        lines.extend(self._who_does_it(procedure, disposition, step, language))
        lines.append(t(language, "disposition.inputs", inputs=escape(step.inputs or "-")))
        lines.extend(self._output_lines(procedure, disposition, step, language))
        standard = step.standard_for_round(run.round)  # a rework round may have its own
        lines.append(t(language, "disposition.standard_time", time=escape(standard.as_written)))
        if run.due_at is not None:
            lines.append(
                t(
                    language,
                    "disposition.deadline",
                    deadline=due_time(run.due_at, facts.timezone, language, standard),
                )
            )
        if disposition.acting is not None:
            acting_for = (
                facts.member(disposition.acting_for_id).name
                if disposition.acting_for_id is not None
                else t(language, "disposition.vacant_post")
            )
            lines.append(
                t(
                    language,
                    "disposition.acting",
                    prefix=disposition.acting.prefix,
                    position=escape(facts.position_name(disposition.position_id)),
                    person=escape(acting_for),
                )
            )
        if not step.shared and run.assignment is Assignment.EVERY_HOLDER:
            lines.append(t(language, "disposition.every_holder"))
        elif procedure.can_claim(disposition.id, disposition.assignee_id) or (
            not step.shared and len([d for d in instance.dispositions_of(run) if d.is_live]) > 1
        ):
            lines.append(t(language, "disposition.team"))
        lines.append("")
        if (
            step.decision is not None
            and step.decision.question
            and procedure.answers_question(disposition, step)
        ):
            lines.append(
                t(language, "disposition.question", question=escape(step.decision.question))
            )
        lines.append(t(language, self._hint_key(procedure, disposition, step)))
        return "\n".join(lines)

    def _step_line(self, definition: SopDefinition, step: Step, language: Language) -> str:
        """ "Langkah X dari N": X counts the table's rows; a number printed otherwise in the
        SOP ("5.1", a repeated "3", 13 after 11) is shown beside it."""
        position = definition.position_of(step)
        fields: dict[str, object] = {
            "step": position,
            "total": len(definition.steps),
            "activity": escape(step.activity),
        }
        if step.label == str(position):
            return self.catalog.text(language, "disposition.step", **fields)
        return self.catalog.text(
            language, "disposition.step_numbered", label=escape(step.label), **fields
        )

    def _who_does_it(
        self, procedure: Procedure, disposition: Disposition, step: Step, language: Language
    ) -> list[str]:
        """For a step several roles do, or an outside party: how, and this holder's part."""
        t = self.catalog.text
        definition = procedure.definition
        lines: list[str] = []
        if step.shared:
            names = [escape(r.name) for r in definition.roles_of(step)]
            if step.together is Together.IN_TURN:
                role = procedure.role_of(disposition)
                lines.append(
                    t(
                        language,
                        "disposition.together_turn",
                        chain=" → ".join(names),
                        place=step.roles.index(role) + 1,
                        count=len(names),
                    )
                )
            else:
                key = (
                    "disposition.together_any"
                    if step.together is Together.ANY_ONE
                    else "disposition.together_all"
                )
                lines.append(t(language, key, roles=", ".join(names)))
        executor = definition.role(procedure.role_of(disposition))
        if executor.external:
            lines.append(t(language, "disposition.external", party=escape(executor.name)))
        return lines

    def _output_lines(
        self, procedure: Procedure, disposition: Disposition, step: Step, language: Language
    ) -> list[str]:
        """What the step hands on: this holder's to deliver, or another executor's; and on a
        labelled question, what each answer hands on where the SOP says so."""
        t = self.catalog.text
        output = step.output.strip(" -")
        if not procedure.owes_output(disposition, step):
            by = procedure.definition.role(step.output_role).name
            return [
                t(language, "disposition.output_by", output=escape(output or "-"), role=escape(by))
            ]
        if not output and step.output_kind is OutputKind.DOCUMENT:
            output = t(language, "disposition.a_document")  # the cell is "-" but a file is due
        lines = [t(language, _OUTPUT_KEYS[step.output_kind], output=escape(output or "-"))]
        if step.decision is not None and step.decision.labelled:
            lines.extend(
                t(
                    language,
                    "disposition.output_on_document"
                    if step.output_kind_on(branch) is OutputKind.DOCUMENT
                    else "disposition.output_on",
                    answer=escape(branch.label or ""),
                    output=escape(branch.output or output or "-"),
                )
                for branch in step.decision.branches
                if branch.output is not None or branch.output_kind is not None
            )
        return lines

    @staticmethod
    def _hint_key(procedure: Procedure, disposition: Disposition, step: Step) -> str:
        """How to act on the disposition: its buttons, a document, or a note."""
        if procedure.answers_question(disposition, step):
            labelled = step.decision is not None and step.decision.labelled
            return "disposition.how_question" if labelled else "disposition.how_decision"
        if procedure.owes_output(disposition, step) and step.output_kind is OutputKind.DOCUMENT:
            return "disposition.how_document"
        return "disposition.how_note"

    def _from_lines(
        self, facts: NoticeFacts, disposition: Disposition, run: StepRun, language: Language
    ) -> list[str]:
        """Who sent the work and what they wrote. After a step that every holder did, each
        of them is named with their own note."""
        t = self.catalog.text
        deliverers = self._deliverers(facts.procedure, disposition, run)
        if len(deliverers) > 1:
            names = ", ".join(self._person(facts, d.assignee_id) for d in deliverers)
            lines = [t(language, "disposition.from", sender=escape(shorten(names, NAMES_LIMIT)))]
            noted = [d for d in deliverers if d.note]
            # The notes share one note's room: a disposition is edited when it closes, and an
            # edit cannot be split into two messages.
            room = NOTE_LIMIT // max(1, len(noted))
            lines.extend(
                t(
                    language,
                    "disposition.note_by",
                    person=escape(shorten(facts.member(d.assignee_id).name, NAME_LIMIT)),
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
                    sender=escape(self._person(facts, disposition.sender_id)),
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
    def _deliverers(
        procedure: Procedure, disposition: Disposition, run: StepRun
    ) -> list[Disposition]:
        """The dispositions of the step that led here, when this work came from that step
        being done (not from a hand-over, a "tidak" or a return), in the order delivered."""
        instance = procedure.instance
        if (
            run.previous_run_id is None
            or disposition.sender_id != run.sender_id
            or disposition.instruction != run.instruction
        ):
            return []
        previous = instance.run(run.previous_run_id)
        taken = procedure.branch_taken(previous)
        if (taken is not None and taken.rejects) or previous.state.value != "completed":
            return []
        done = [d for d in instance.dispositions_of(previous) if d.state is DispositionState.DONE]
        return sorted(done, key=lambda d: d.acted_at or d.created_at)

    def keyboard(
        self, facts: NoticeFacts, disposition: Disposition, language: Language
    ) -> Keyboard:
        """The buttons that fit this disposition now (the server checks again on press)."""
        t = self.catalog.text
        procedure = facts.procedure
        member = disposition.assignee_id
        d = disposition.id
        rows: Keyboard = []
        if procedure.can_claim(d, member):
            rows.append([Button(t(language, "button.claim"), callback(Action.CLAIM, d))])
        if procedure.can_decide(d, member):
            rows.extend(self._answer_rows(facts, disposition, language))
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

    def _answer_rows(
        self, facts: NoticeFacts, disposition: Disposition, language: Language
    ) -> Keyboard:
        """A question's buttons: "Sesuai" / "Tidak sesuai" for a `keputusan`, else one button
        per answer as the SOP writes it (two to a row when they are short)."""
        t = self.catalog.text
        d = disposition.id
        run = facts.instance.run(disposition.step_run_id)
        decision = facts.procedure.definition.step(run.step_number).decision
        if decision is None or not decision.labelled:
            return [
                [
                    Button(t(language, "button.yes"), callback(Action.YES, d)),
                    Button(t(language, "button.no"), callback(Action.NO, d)),
                ]
            ]
        buttons = [
            Button(
                f"{'↩️' if b.rejects else '▶️'} {b.label}",
                callback(Action.ANSWER_BACK if b.rejects else Action.ANSWER, d, b.key),
            )
            for b in decision.branches
        ]
        short = all(len(b.label or "") <= _SHORT_ANSWER for b in decision.branches)
        width = 2 if short else 1
        return [buttons[i : i + width] for i in range(0, len(buttons), width)]

    def _status_line(
        self, facts: NoticeFacts, disposition: Disposition, language: Language, now: dt.datetime
    ) -> str:
        """The line an ended disposition's message closes with: what happened, and when."""
        t = self.catalog.text
        instance = facts.instance
        run = instance.run(disposition.step_run_id)
        when = local_time(disposition.acted_at or now, facts.timezone, language)
        successor = next(
            (d for d in instance.dispositions if d.handed_from_id == disposition.id), None
        )
        taker = next(
            (
                d
                for d in instance.dispositions_of(run)
                if d.state in (DispositionState.DONE, DispositionState.CLAIMED)
                and d is not disposition
            ),
            None,
        )
        taken = facts.procedure.branch_taken(run)
        if disposition.state is DispositionState.DONE and taken is not None:
            if taken.label is None:
                key = "status.answered_no" if taken.rejects else "status.answered_yes"
            else:
                key = "status.answered_back" if taken.rejects else "status.answered"
            return t(
                language,
                key,
                when=when,
                answer=escape(taken.label or ""),
                reason=escape(shorten(run.reason or "", REASON_LIMIT)),
            )
        if disposition.state is DispositionState.REROUTED and successor is None:
            # The post fell vacant (a mutasi, a deactivation, a role taken away): nobody to name.
            return t(language, "status.rerouted_vacant", when=when)
        return t(
            language,
            _ENDED_LABELS[disposition.state],
            when=when,
            person=escape(
                facts.member(successor.assignee_id).name
                if successor
                else facts.member(taker.assignee_id).name
                if taker
                else "-"
            ),
            reason=escape(
                shorten(
                    disposition.reason or run.reason or instance.cancel_reason or "",
                    REASON_LIMIT,
                )
            ),
        )

    @staticmethod
    def _person(facts: NoticeFacts, member_id: int) -> str:
        """A member's name with the position they acted in for this instance, if any."""
        member = facts.member(member_id)
        acted = [d for d in facts.instance.dispositions if d.assignee_id == member_id]
        if not acted:
            return member.name
        last = acted[-1]
        position = facts.position_name(last.position_id)
        prefix = f"{last.acting.prefix} " if last.acting else ""
        return f"{member.name} ({prefix}{position})" if position else member.name

    # -- what happens on each change -------------------------------------------------------

    def _send_disposition(self, context: _Rendering, disposition: Disposition) -> None:
        if not disposition.is_live:
            return  # done in the same command (the starter's own first step): nothing to show
        facts = context.facts
        member = facts.member(disposition.assignee_id)
        language = Language.of(member.language)
        for document, step_number in self._earlier_documents(context, disposition):
            caption = self.catalog.text(
                language,
                "document.caption",
                step=escape(facts.procedure.definition.step(step_number).label),
                person=document.uploaded_by_name,
                name=document.filename,
            )
            # The stored bytes under a name made by the server, never the sender's file_id
            # (which Telegram would deliver under the sender's own name): the sender reads
            # them from the document store by key, so the row survives a restart.
            context.add(
                member,
                MessageKind.DOCUMENT,
                {
                    "document_id": str(document.id),
                    "storage_key": document.storage_key,
                    "filename": document.filename,
                    "caption": fit_caption(caption),
                },
                disposition.id,
            )
        context.add(
            member,
            MessageKind.MESSAGE,
            self._live_payload(facts, disposition, language),
            disposition.id,
        )

    def _live_payload(
        self, facts: NoticeFacts, disposition: Disposition, language: Language
    ) -> dict[str, Any]:
        """A live disposition's message: its text and its buttons."""
        return {
            "text": self.render_disposition(facts, disposition, language),
            "keyboard": to_payload(self.keyboard(facts, disposition, language)),
        }

    def _refresh(self, context: _Rendering, disposition: Disposition) -> None:
        """Re-render a live disposition (e.g. after it was claimed: no more "Ambil")."""
        facts = context.facts
        member = facts.member(disposition.assignee_id)
        language = Language.of(member.language)
        context.add(
            member,
            MessageKind.EDIT,
            self._live_payload(facts, disposition, language),
            disposition.id,
        )

    def _letter_changed(self, context: _Rendering) -> None:
        """The procedure's letter was given, changed or removed: every live disposition's
        message is edited to show it as it is now. An edit rings no phone, so nobody is sent a
        message of its own for it (an admin correcting a typo twice would ring everyone twice);
        an ended disposition keeps the letter it was done under."""
        for disposition in context.instance.dispositions:
            if disposition.is_live:
                self._refresh(context, disposition)

    def _close(self, context: _Rendering, disposition: Disposition, transition: Transition) -> None:
        """Edit an ended disposition's message: a status line, and no buttons. When the
        procedure was cancelled, or an admin moved the step, its holder is also told in a
        message of its own (an edit rings no phone), unless they did it themselves."""
        facts = context.facts
        member = facts.member(disposition.assignee_id)
        language = Language.of(member.language)
        told = self._told_of_end(context, disposition, transition, language)
        status = (
            told[0]
            if told is not None
            else self._status_line(facts, disposition, language, context.now)
        )
        text = self.render_disposition(facts, disposition, language).rsplit("\n", 1)[0]
        context.add(
            member,
            MessageKind.EDIT,
            {"text": f"{text}\n{status}", "keyboard": None},
            disposition.id,
        )
        if (
            told is not None
            and transition.actor_id != member.id
            and member.id not in context.told_ended
        ):
            context.add(member, MessageKind.MESSAGE, {"text": told[1]})
            context.told_ended.add(member.id)

    def _told_of_end(
        self,
        context: _Rendering,
        disposition: Disposition,
        transition: Transition,
        language: Language,
    ) -> tuple[str, str] | None:
        """For a disposition ended by the procedure's cancellation or by an admin's move: its
        status line and the message its holder reads, both naming who did it and why."""
        facts = context.facts
        instance = facts.instance
        t = self.catalog.text
        run = instance.run(disposition.step_run_id)
        fields: dict[str, object] = {
            "when": local_time(disposition.acted_at or context.now, facts.timezone, language),
            "person": escape(self._actor(facts, transition.actor_id, language)),
            "title": escape(shorten(instance.title, TITLE_LIMIT)),
            "number": facts.number,
            "step": escape(facts.procedure.definition.step(run.step_number).label),
        }
        if (
            transition.action is TransitionAction.CANCEL
            and instance.state is InstanceState.CANCELLED
        ):
            fields["reason"] = escape(shorten(instance.cancel_reason or "", REASON_LIMIT))
            return (
                t(language, "procedure_admin.status_cancelled", **fields),
                t(language, "procedure_admin.notice_cancelled_holder", **fields),
            )
        if (
            transition.action is TransitionAction.HAND_OVER
            and transition.actor_id != disposition.assignee_id
        ):
            successor = next(
                (d for d in instance.dispositions if d.handed_from_id == disposition.id), None
            )
            fields["reason"] = escape(shorten(disposition.reason or "", REASON_LIMIT))
            fields["to"] = escape(facts.member(successor.assignee_id).name if successor else "-")
            return (
                t(language, "procedure_admin.status_moved", **fields),
                t(language, "procedure_admin.notice_moved_away", **fields),
            )
        return None

    def _actor(self, facts: NoticeFacts, actor_id: int | None, language: Language) -> str:
        """Who made a change: a member's name, or the server's operator (the command line)."""
        if actor_id is None:
            return self.catalog.text(language, "procedure_admin.operator")
        person = facts.people.get(actor_id)
        return person.name if person is not None else "-"

    def _moved_on(self, context: _Rendering, run: StepRun) -> None:
        """Tell the one who sent the work into a step that the step is done and where it went."""
        if run.sender_id is None:
            return
        facts = context.facts
        instance = facts.instance
        completers = [
            d.assignee_id for d in instance.dispositions_of(run) if d.state is DispositionState.DONE
        ]
        if run.sender_id in completers:
            return
        member = facts.member(run.sender_id)
        language = Language.of(member.language)
        t = self.catalog.text
        step = facts.procedure.definition.step(run.step_number)
        names = ", ".join(escape(facts.member(m).name) for m in completers) or "-"
        lines = [
            t(
                language,
                "moved_on.done",
                people=names,
                step=escape(step.label),
                activity=escape(step.activity),
                title=escape(instance.title),
                number=facts.number,
            )
        ]
        taken = facts.procedure.branch_taken(run)
        if taken is not None and (taken.label is not None or taken.rejects):
            key = (
                ("moved_on.answered_back" if taken.rejects else "moved_on.answered")
                if taken.label is not None
                else "moved_on.rejected"
            )
            lines.append(
                t(
                    language,
                    key,
                    answer=escape(taken.label or ""),
                    reason=escape(run.reason or ""),
                )
            )
        following = next((r for r in instance.step_runs if r.previous_run_id == run.id), None)
        if following is None:
            if instance.state.value == "finished":
                lines.append(t(language, "moved_on.finished"))
        else:
            holders = [
                facts.member(d.assignee_id).name
                for d in instance.dispositions_of(following)
                if d.is_live
            ]
            lines.append(
                t(
                    language,
                    "moved_on.next",
                    step=escape(facts.procedure.definition.step(following.step_number).label),
                    people=escape(", ".join(holders)) or t(language, "moved_on.vacant"),
                )
            )
        context.add(member, MessageKind.MESSAGE, {"text": "\n".join(lines)})

    def _finished(self, context: _Rendering) -> None:
        """Who hears that the procedure finished, once each (docs/architecture.md, "The end of
        a procedure"): whoever sent the work into the last step already read "🏁 Prosedur
        selesai" in their moved-on notice (`_moved_on`); everyone who delivered the last step
        and the starter get the 🏁 notice, unless they are that sender."""
        facts = context.facts
        instance = facts.instance
        last = max(
            (r for r in instance.step_runs if r.completed_at is not None),
            key=lambda r: r.completed_at or context.now,
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
            person = facts.member(member_id)
            language = Language.of(person.language)
            context.add(
                person,
                MessageKind.MESSAGE,
                {
                    "text": self.catalog.text(
                        language,
                        "notice.finished",
                        title=escape(instance.title),
                        number=facts.number,
                    )
                },
            )

    def _cancelled(self, context: _Rendering, transition: Transition) -> None:
        """The starter hears who cancelled the procedure and why, unless they did it, or
        read it already as the holder of one of its steps."""
        facts = context.facts
        instance = facts.instance
        starter = facts.member(instance.started_by_id)
        if transition.actor_id == starter.id or starter.id in context.told_ended:
            return
        language = Language.of(starter.language)
        context.add(
            starter,
            MessageKind.MESSAGE,
            {
                "text": self.catalog.text(
                    language,
                    "procedure_admin.notice_cancelled",
                    title=escape(shorten(instance.title, TITLE_LIMIT)),
                    number=facts.number,
                    person=escape(self._actor(facts, transition.actor_id, language)),
                    reason=escape(shorten(instance.cancel_reason or "", REASON_LIMIT)),
                )
            },
        )

    @staticmethod
    def _earlier_documents(
        context: _Rendering, disposition: Disposition
    ) -> list[tuple[HandedOnDocument, int]]:
        """Documents delivered in the latest round of each earlier step, oldest first, with
        the number of the step each was delivered in: each person gets a file once per
        instance (counting those this change already sent), and never their own upload back."""
        instance = context.instance
        latest: dict[int, StepRun] = {}
        for run in instance.step_runs:
            if run.id != disposition.step_run_id and run.state.value == "completed":
                latest[run.step_number] = run
        # In an initialling chain the roles before this one delivered in this run (or, in a
        # chain sent back within the step, in the run that was sent back).
        own = instance.run(disposition.step_run_id)
        sources = [*latest.values(), own]
        if own.resume_role is not None and own.previous_run_id is not None:
            sources.append(instance.run(own.previous_run_id))
        wanted = {
            doc_id: run.step_number
            for run in sources
            for d in instance.dispositions_of(run)
            if d.state is DispositionState.DONE
            for doc_id in d.document_ids
        }
        if not wanted:
            return []
        member_id = disposition.assignee_id
        already = context.facts.files_sent.get(member_id, frozenset()) | context.files_sent.get(
            member_id, set()
        )
        return [
            (document, wanted[document.id])
            for document in context.facts.documents
            if document.id in wanted
            and document.uploaded_by_id != member_id
            and str(document.id) not in already
            and document.telegram_file_id not in already
        ]
