"""The sender's side of the outbox store: claiming, leasing, giving back, recording outcomes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from sopbot.storage import outbox, outbox_delivery
from sopbot.storage.database import Database
from sopbot.storage.models import AgencyRow, MemberRow, OutboxRow
from sopbot.storage.outbox_delivery import DeliveryOutcome, Recipient

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def people(database: Database) -> tuple[int, int, int]:
    """An agency with an admin, a bound member and one not bound yet: their member ids."""
    with database.transaction() as session:
        agency = AgencyRow(key="uji", name="Dinas Uji", timezone="Asia/Jakarta", created_at=NOW)
        session.add(agency)
        session.flush()
        assert agency.id is not None
        rows = [
            MemberRow(
                agency_id=agency.id,
                name="Admin",
                is_admin=True,
                telegram_user_id=5001,
                language="en",
                created_at=NOW,
            ),
            MemberRow(agency_id=agency.id, name="Budi", telegram_user_id=5002, created_at=NOW),
            MemberRow(agency_id=agency.id, name="Sari", created_at=NOW),
        ]
        session.add_all(rows)
        session.flush()
        admin, budi, sari = (row.id for row in rows)
        assert admin is not None
        assert budi is not None
        assert sari is not None
        return admin, budi, sari


def queue(database: Database, member_id: int, **fields: object) -> int:
    with database.transaction() as session:
        row = OutboxRow(
            created_at=NOW,
            member_id=member_id,
            kind=str(fields.pop("kind", "message")),
            payload={"text": "halo"},
            **fields,  # type: ignore[arg-type]
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_due_rows_come_in_order_with_their_chat_and_what_an_edit_changes(
    database: Database,
) -> None:
    _admin, budi, sari = people(database)
    shown = queue(database, budi, state="sent", chat_id=5002, telegram_message_id=77)
    first = queue(database, budi)
    edit = queue(database, budi, kind="edit", edits_outbox_id=shown)
    unbound = queue(database, sari)
    with database.unit_of_work() as uow:
        due = outbox_delivery.claimable(uow, NOW, limit=10)
        assert [m.id for m in due] == [first, edit, unbound]
        assert [m.chat_id for m in due] == [5002, 5002, None]
        assert due[1].edit_target == (5002, 77)
        assert due[1].edit_target_state == "sent"
        assert outbox_delivery.next_unsent(uow, {budi, sari}, per_member=1) == {
            budi: [first],
            sari: [unbound],
        }
        outbox_delivery.lease(uow, [first, edit], "sender-a", NOW + LEASE)
    with database.unit_of_work() as uow:
        # Held under a lease: not due until it runs out, though still unsent.
        assert [m.id for m in outbox_delivery.claimable(uow, NOW, limit=10)] == [unbound]
        later = outbox_delivery.claimable(uow, NOW + 2 * LEASE, limit=10)
        assert [(m.id, m.state) for m in later][:2] == [(first, "sending"), (edit, "sending")]
        assert outbox_delivery.next_unsent(uow, {budi}, per_member=5) == {budi: [first, edit]}
    with database.unit_of_work() as uow:
        outbox_delivery.release(uow, [first], "sender-b")  # not b's to give back
        outbox_delivery.release(uow, [edit], "sender-a")
    with database.unit_of_work() as uow:
        assert [m.id for m in outbox_delivery.claimable(uow, NOW, limit=10)] == [edit, unbound]
        assert outbox_delivery.reclaim_all(uow) == [first]
    with database.unit_of_work() as uow:
        assert len(outbox_delivery.claimable(uow, NOW, limit=10)) == 3


def test_outcomes_are_recorded_and_failures_name_whom_to_tell(database: Database) -> None:
    admin, budi, _sari = people(database)
    sent, refused, blocked = (queue(database, budi) for _ in range(3))
    notice = queue(database, admin)
    with database.unit_of_work() as uow:
        outbox_delivery.lease(uow, [sent, refused, blocked, notice], "sender-a", NOW + LEASE)
    with database.unit_of_work() as uow:
        undelivered = outbox_delivery.record_outcomes(
            uow,
            [
                DeliveryOutcome(sent, "sent", message_id=80, copies=(79,)),
                DeliveryOutcome(refused, "failed", error="bad request: " + "x" * 600),
                DeliveryOutcome(blocked, "failed", error="forbidden", blocked=True),
            ],
            NOW,
        )
        assert [(u.outbox_id, u.blocked, u.was_notice) for u in undelivered] == [
            (refused, False, False),
            (blocked, True, False),
        ]
        recipient = undelivered[0].recipient
        assert recipient is not None
        assert recipient.member_id == budi
        assert [a.member_id for a in outbox_delivery.admins_to_tell(uow, recipient)] == [admin]
        # The admin's own failure is told to no one but the other admins: there are none.
        assert outbox_delivery.admins_to_tell(uow, Recipient(admin, 1, "Admin")) == []
        outbox.add_text(uow, admin, "Budi tidak menerima pesan", NOW, notice=True)
    with database.transaction() as session:
        rows = {row.id: row for row in session.exec(select(OutboxRow)).all()}
        assert rows[sent].state == "sent"
        assert rows[sent].telegram_message_id == 80
        assert rows[sent].chat_id == 5002
        assert rows[sent].payload["copies"] == [79]
        assert rows[sent].lease_owner is None
        assert rows[sent].sent_at is not None
        assert rows[refused].state == "failed"
        assert len(rows[refused].last_error or "") == 500
        member = session.get(MemberRow, budi)
        assert member is not None
        assert member.blocked_at is not None
        (added,) = [row for row in rows.values() if row.payload.get("notice")]
        assert added.member_id == admin
        assert added.state == "pending"


def test_a_postponed_row_waits_and_fails_at_the_last_attempt(database: Database) -> None:
    _admin, budi, _sari = people(database)
    row = queue(database, budi)
    later = NOW + dt.timedelta(minutes=1)
    with database.unit_of_work() as uow:
        failure = outbox_delivery.postpone(
            uow, row, error="timed out", not_before=later, counts=True, max_attempts=2
        )
        assert failure is None
    with database.unit_of_work() as uow:
        (due,) = outbox_delivery.claimable(uow, NOW, limit=10)
        assert due.not_before == later
        assert due.attempts == 1
        # A 429 does not count as a try.
        assert (
            outbox_delivery.postpone(
                uow, row, error="429", not_before=later, counts=False, max_attempts=2
            )
            is None
        )
    with database.unit_of_work() as uow:
        failure = outbox_delivery.postpone(
            uow, row, error="timed out", not_before=later, counts=True, max_attempts=2
        )
        assert failure is not None
        assert failure.attempts == 2
        assert failure.error == "timed out"
        assert failure.recipient is not None
        assert failure.recipient.name == "Budi"
    with database.unit_of_work() as uow:
        assert outbox_delivery.claimable(uow, NOW, limit=10) == []
