"""The one open question of each member: asked, shown, peeked at, taken, expired."""

from __future__ import annotations

import datetime as dt

from sopbot.services.organization import OrganizationService
from sopbot.services.pending import PENDING_TTL, PendingInputs
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from tests.helpers.agencies import seed_library
from tests.helpers.clock import ManualClock

LIBRARY = seed_library()


def test_a_question_is_kept_until_taken_and_replaced_by_the_next(database: Database) -> None:
    clock = ManualClock(dt.datetime(2026, 7, 6, 1, 0, tzinfo=dt.UTC))
    organization = OrganizationService(ProcedureService(database, LIBRARY))
    agency = organization.create_agency(key="dinas", name="Dinas", timezone="Asia/Jakarta")
    ani = organization.add_member(agency_id=agency, name="Ani")
    budi = organization.add_member(agency_id=agency, name="Budi")
    pending = PendingInputs(database, clock=clock)

    assert pending.peek(ani) is None
    pending.ask(ani, "reason", {"disposition": "d-1"})
    pending.ask(budi, "title", {"sop": "s-1"})
    pending.shown(ani, "title", 41)  # another question's message: not this one's
    pending.shown(ani, "reason", 42)
    asked = pending.peek(ani)
    assert asked is not None
    assert (asked.kind, asked.payload, asked.expired) == (
        "reason",
        {"disposition": "d-1", "prompt_message_id": 42},
        False,
    )
    assert asked.prompt_message_id == 42
    assert pending.peek(ani) == asked  # peeking leaves it in place

    pending.ask(ani, "note", {"disposition": "d-2"})  # the next question replaces it
    taken = pending.take(ani)
    assert taken is not None
    assert (taken.kind, taken.payload, taken.prompt_message_id) == (
        "note",
        {"disposition": "d-2"},
        None,
    )
    assert pending.take(ani) is None  # answered once

    clock.advance(seconds=PENDING_TTL.total_seconds())
    late = pending.take(budi)
    assert late is not None
    assert (late.kind, late.expired) == ("title", True)

    pending.ask(ani, "reason", {})
    pending.clear(ani)
    assert pending.peek(ani) is None
