"""What the notices of a change show, read from the database into plain values.

`load_notice_facts` reads, after a change is saved and in its transaction, everything
`sopbot.messaging.notices.Notifier` needs to render the change's messages: the names and
languages of the people the instance names, its positions' names, its agency's time zone, the
documents delivered in it and which of them each new holder was already sent. One query per
kind of fact (an IN list each), and none for a fact the change cannot need.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, literal_column, null, select, union_all

from sopbot.engine.instance import Disposition, DispositionState, EntityKind, Transition
from sopbot.messaging.notices import HandedOnDocument, NoticeFacts, Person
from sopbot.storage.file_kinds import file_type_of_mime
from sopbot.storage.file_names import delivery_name
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.models import AgencyRow, DocumentRow, MemberRow, OutboxRow, PositionRow
from sopbot.storage.prepared import PreparedQuery
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

_MEMBER = table_of(MemberRow)
_POSITION = table_of(PositionRow)
_OUTBOX = table_of(OutboxRow)
_AGENCY = table_of(AgencyRow)
_DOCUMENT = table_of(DocumentRow)

# The names the notices show, people's and positions', in one round trip (a change's notices
# always name both): a row is a member's (with their language) or a position's.
_NAMES = PreparedQuery(
    lambda members, positions: union_all(
        select(
            literal_column("'member'").label("kind"),
            _MEMBER.c.id,
            _MEMBER.c.name,
            _MEMBER.c.language,
        ).where(_MEMBER.c.id.in_(members)),
        select(literal_column("'position'"), _POSITION.c.id, _POSITION.c.name, null()).where(
            _POSITION.c.id.in_(positions)
        ),
    ),
    lists={"members": _MEMBER.c.id, "positions": _POSITION.c.id},
)
_AGENCY_TIMEZONE = PreparedQuery(
    select(_AGENCY.c.timezone).where(_AGENCY.c.id == bindparam("agency_id"))
)
# With the uploader's name, which each document's caption shows.
_DOCUMENTS = PreparedQuery(
    lambda ids: (
        select(
            _DOCUMENT.c.id,
            _DOCUMENT.c.telegram_file_id,
            _DOCUMENT.c.original_name,
            _DOCUMENT.c.mime_type,
            _DOCUMENT.c.storage_key,
            _DOCUMENT.c.uploaded_by_id,
            _MEMBER.c.name.label("uploaded_by_name"),
        )
        .join(_MEMBER, _MEMBER.c.id == _DOCUMENT.c.uploaded_by_id)
        .where(_DOCUMENT.c.id.in_(ids))
        .order_by(_DOCUMENT.c.uploaded_at)
    ),
    lists={"ids": _DOCUMENT.c.id},
)
# Found by the instance's dispositions (ix_outbox_disposition_member), never by member alone:
# a member's rows grow without end.
_FILES_SENT = PreparedQuery(
    lambda dispositions, members: (
        select(_OUTBOX.c.member_id, _OUTBOX.c.payload)
        .where(_OUTBOX.c.disposition_id.in_(dispositions))
        .where(_OUTBOX.c.member_id.in_(members))
        .where(_OUTBOX.c.kind == "document")
        # A file never delivered (its holder had no Telegram account yet) was not sent.
        .where(_OUTBOX.c.state != "skipped")
    ),
    lists={"dispositions": _OUTBOX.c.disposition_id, "members": _OUTBOX.c.member_id},
)


def load_notice_facts(
    uow: UnitOfWork, loaded: LoadedInstance, transitions: Iterable[Transition]
) -> NoticeFacts:
    """The facts the notices of these transitions show, read in the change's transaction
    after the change was saved (the instance is read as the change left it)."""
    instance = loaded.instance
    transitions = list(transitions)
    sent = [
        instance.disposition(t.entity_id)
        for t in transitions
        if t.entity is EntityKind.DISPOSITION and t.action == "send"
    ]
    # Whoever made the change is named by it (an admin who cancelled, say), even when the
    # instance never named them before.
    actors = {t.actor_id for t in transitions if t.actor_id is not None}
    return _load(uow, loaded, sent, actors)


def load_resend_facts(
    uow: UnitOfWork, loaded: LoadedInstance, disposition: Disposition
) -> NoticeFacts:
    """The facts that sending a live disposition again shows."""
    return _load(uow, loaded, [disposition])


def _load(
    uow: UnitOfWork,
    loaded: LoadedInstance,
    sent: Sequence[Disposition],
    actors: Iterable[int] = (),
) -> NoticeFacts:
    """The facts, with the documents for the holders of `sent` (those still live), and the
    names of `actors` besides those the instance names."""
    session = uow.session
    instance = loaded.instance
    named = {instance.started_by_id, *actors}
    for disposition in instance.dispositions:
        named.add(disposition.assignee_id)
        if disposition.sender_id is not None:
            named.add(disposition.sender_id)
        if disposition.acting_for_id is not None:
            named.add(disposition.acting_for_id)
    named.update(run.sender_id for run in instance.step_runs if run.sender_id is not None)
    people: dict[int, Person] = {}
    positions: dict[int, str] = {}
    position_ids = {d.position_id for d in instance.dispositions}
    for row in _NAMES.rows(session, {"members": sorted(named), "positions": sorted(position_ids)}):
        if row.kind == "member":
            people[row.id] = Person(row.id, row.name, row.language)
        else:
            positions[row.id] = row.name
    timezone = loaded.agency_timezone  # read with the instance, as a rule
    if timezone is None:
        row = _AGENCY_TIMEZONE.first(session, {"agency_id": instance.agency_id})
        if row is None or not row.timezone:
            # Every agency is stored with its zone (required at creation); showing another
            # zone's times would put each due time hours off, so none is assumed.
            raise LookupError(f"agency {instance.agency_id} has no time zone stored")
        timezone = row.timezone
    recipients = {d.assignee_id for d in sent if d.is_live}
    documents = _delivered_documents(uow, loaded) if recipients else ()
    # A holder is never sent their own upload: only the others' need looking up.
    recipients = {m for m in recipients if any(d.uploaded_by_id != m for d in documents)}
    return NoticeFacts(
        procedure=loaded.procedure,
        number=loaded.number,
        timezone=timezone,
        people=people,
        positions=positions,
        documents=documents,
        files_sent=_files_sent(uow, loaded, recipients) if recipients else {},
    )


def _delivered_documents(uow: UnitOfWork, loaded: LoadedInstance) -> tuple[HandedOnDocument, ...]:
    """The documents delivered in the instance's completed step runs, oldest first: those
    the notices may hand on to later steps' holders."""
    instance = loaded.instance
    completed = {run.id for run in instance.step_runs if run.state.value == "completed"}
    ids = [
        document_id
        for d in instance.dispositions
        if d.state is DispositionState.DONE and d.step_run_id in completed
        for document_id in d.document_ids
    ]
    if not ids:
        return ()
    documents = []
    for row in _DOCUMENTS.rows(uow.session, {"ids": ids}):
        file_type = file_type_of_mime(row.mime_type)
        # The extension is always the detected type's; the stored MIME type is only ever one
        # of the accepted types, so "bin" is there for a row edited by hand.
        name = delivery_name(row.original_name, file_type.extension if file_type else "bin")
        documents.append(
            HandedOnDocument(
                id=row.id,
                storage_key=row.storage_key,
                filename=name,
                telegram_file_id=row.telegram_file_id,
                uploaded_by_id=row.uploaded_by_id,
                uploaded_by_name=row.uploaded_by_name,
            )
        )
    return tuple(documents)


def _files_sent(
    uow: UnitOfWork, loaded: LoadedInstance, members: set[int]
) -> dict[int, frozenset[str]]:
    """The documents each member was already sent in this instance: their ids, and the
    Telegram file ids that rows written before documents were sent from the store name."""
    dispositions: list[uuid.UUID] = [d.id for d in loaded.instance.dispositions]
    sent: dict[int, set[str]] = {member: set() for member in members}
    rows = _FILES_SENT.rows(uow.session, {"dispositions": dispositions, "members": sorted(members)})
    for row in rows:
        sent[row.member_id].update(
            str(row.payload[key]) for key in ("document_id", "file_id") if key in row.payload
        )
    return {member: frozenset(ids) for member, ids in sent.items()}
