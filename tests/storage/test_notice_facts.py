"""The facts the notices show, read in a few statements however many people a change names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sopbot.engine.instance import Transition
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.file_names import delivery_name
from sopbot.storage.instance_store import InstanceStore, LoadedInstance
from sopbot.storage.notice_facts import load_resend_facts
from sopbot.storage.notice_writer import NoticeWriter
from sopbot.storage.unit_of_work import UnitOfWork
from tests.helpers.agencies import Player, seed_library, staff_agency, start_as

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
# One query for the names, one each for the documents and the files already sent, one for
# the messages an edit changes, one insert: whoever the change names.
MOST_STATEMENTS_A_CHANGE = 5


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """Every statement sent to the driver in the block."""
    statements: list[str] = []

    def record(sql: str, _parameters: Any, _many: bool) -> None:
        statements.append(sql)

    database.observe_statements(record)
    try:
        yield statements
    finally:
        database.stop_observing(record)


class CountingWriter(NoticeWriter):
    """The notice writer, counting the statements each change's notices run."""

    def __init__(self, database: Database) -> None:
        super().__init__(Notifier())
        self.database = database
        self.counts: list[int] = []

    def on_change(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        with counted(self.database) as statements:
            super().on_change(uow, loaded, transitions, now)
        self.counts.append(len(statements))


def test_a_change_s_notices_run_a_handful_of_statements(database: Database) -> None:
    writer = CountingWriter(database)
    procedures = ProcedureService(database, LIBRARY, observer=writer)
    # Three Kepala Bidang deliver a document each, and a team of two is sent all three.
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan I")
    Player(procedures, agency).play_to_end()
    assert len(writer.counts) > len(PENGOLAHAN.steps)
    assert max(writer.counts) <= MOST_STATEMENTS_A_CHANGE, writer.counts


def test_the_facts_of_a_disposition_with_earlier_documents(database: Database) -> None:
    procedures = ProcedureService(database, LIBRARY, observer=NoticeWriter(Notifier()))
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    outcome = start_as(procedures, agency, PENGOLAHAN, "Triwulan I")
    player = Player(procedures, agency)
    team = agency.people["tim_perencanaan_program"]
    while not any(item.step_number == 6 for _, item in player.work(team)):
        member, item = player.work()[0]
        player.act(member, item)
    holder, item = next((m, i) for m, i in player.work(team) if i.step_number == 6)
    store = InstanceStore(DefinitionStore())
    with database.unit_of_work() as uow:
        loaded = store.load(uow, outcome.result.instance_id)
        facts = load_resend_facts(uow, loaded, loaded.instance.disposition(item.disposition_id))
    instance = loaded.instance
    named = {instance.started_by_id} | {d.assignee_id for d in instance.dispositions}
    assert named <= facts.people.keys()
    assert facts.people[holder].name == "Tim Perencanaan Program #1"
    assert facts.positions[agency.positions["kepala_bidang"][2]] == "Kepala Bidang 3"
    assert facts.timezone == "Asia/Makassar"
    kepala_bidang = agency.people["kepala_bidang"]
    assert [(d.uploaded_by_id, d.uploaded_by_name, d.filename) for d in facts.documents] == [
        (
            member,
            f"Kepala Bidang #{index + 1}",
            delivery_name(f"langkah-5-{member}.pdf", "pdf"),
        )
        for index, member in enumerate(kepala_bidang)
    ]
    # The team was sent them when the step opened: a resend sends them no more.
    assert facts.files_sent == {holder: frozenset(str(d.id) for d in facts.documents)}
