"""The /plt flow's service (`services.acting_admin`) on SQLite and PostgreSQL: each answer is
checked against the stored flow and the caller's agency, typed dates are read in the agency's
zone, a refusal leaves the question open, and "Tunjuk" appoints once under its key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from sopbot.engine.errors import NotAllowed, NotFound
from sopbot.engine.organization import ActingKind
from sopbot.services.acting_admin import (
    PAGE_SIZE,
    ActingAdmin,
    AlreadyAnswered,
    FlowView,
    Stage,
    StaleFlow,
)
from sopbot.services.commands import CommandKey
from sopbot.services.organization import InvalidSetup, OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.pending_questions import question_of
from tests.helpers.agencies import SeedAgency, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
WITA = ZoneInfo("Asia/Makassar")
MONDAY = dt.datetime(2026, 7, 6, 9, 0, tzinfo=WITA)


@dataclass
class Setup:
    database: Database
    clock: ManualClock
    procedures: ProcedureService
    admin: ActingAdmin
    agency: SeedAgency
    plh: int

    @property
    def admin_id(self) -> int:
        return self.agency.admin_id

    def stored_turn(self) -> int:
        with self.database.unit_of_work(read_only=True) as uow:
            question = question_of(uow, self.admin_id)
            assert question is not None
            return int(question.payload["turn"])


@pytest.fixture
def setup(database: Database) -> Setup:
    clock = ManualClock(MONDAY.astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    agency = staff_agency(organization, PENGOLAHAN)
    plh = organization.add_member(agency_id=agency.agency_id, name="Rina Plh")
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    admin = ActingAdmin(organization, clock=clock)
    return Setup(database, clock, procedures, admin, agency, plh)


def answer(setup: Setup, view: FlowView, value: object) -> FlowView:
    return setup.admin.pick(setup.admin_id, view.flow.flow, view.flow.turn, str(value))


def to_the_start(setup: Setup) -> FlowView:
    """Position Sekretaris, person Rina, Plh, for the Sekretaris: the start is asked."""
    service, agency = setup.admin, setup.agency
    view = service.begin(setup.admin_id)
    position = agency.positions["sekretaris"][0]
    while position not in {pick.id for pick in view.choices}:
        view = service.page(setup.admin_id, view.flow.flow, view.flow.turn, view.flow.page + 1)
    view = answer(setup, view, position)
    assert view.stage is Stage.MEMBER
    assert agency.person("sekretaris") not in {pick.id for pick in view.choices}  # the holder
    view = answer(setup, view, setup.plh)
    view = answer(setup, view, "plh")
    assert [pick.id for pick in view.choices] == [agency.person("sekretaris")]
    view = answer(setup, view, agency.person("sekretaris"))
    assert view.stage is Stage.START
    return view


def test_positions_come_a_page_at_a_time(setup: Setup) -> None:
    organization = setup.admin.organization
    for index in range(PAGE_SIZE):
        organization.add_position(
            agency_id=setup.agency.agency_id, key=f"staf_{index}", name=f"Staf {index}"
        )
    view = setup.admin.begin(setup.admin_id)
    positions = sum(len(ids) for ids in setup.agency.positions.values()) + PAGE_SIZE
    assert len(view.choices) == PAGE_SIZE
    assert view.pages == -(-positions // PAGE_SIZE)
    last = setup.admin.page(setup.admin_id, view.flow.flow, view.flow.turn, 99)
    assert (last.flow.page, len(last.choices)) == (view.pages - 1, positions - PAGE_SIZE)


def test_an_appointment_answered_step_by_step_is_made_once(setup: Setup) -> None:
    service, admin_id = setup.admin, setup.admin_id
    view = to_the_start(setup)
    unread = service.typed(admin_id, view.flow.payload(), "besok pagi")
    assert (unread.stage, unread.problem) == (Stage.START, "unreadable")
    view = service.typed(admin_id, unread.flow.payload(), "7 Juli 2026 08.00")
    assert (view.stage, view.problem) == (Stage.END, None)
    assert view.flow.starts_at == dt.datetime(2026, 7, 7, 0, 0, tzinfo=dt.UTC)
    with pytest.raises(NotFound):  # "Tanpa batas" is for a Plt only
        answer(setup, view, "none")
    before = service.typed(admin_id, view.flow.payload(), "6 Juli 2026 17.00")
    assert before.problem == "end_not_after_start"
    passed = service.typed(admin_id, view.flow.payload(), "5 Juli 2026")
    assert passed.problem == "end_passed"
    view = service.typed(admin_id, view.flow.payload(), "9 Juli 2026")
    assert view.stage is Stage.DECREE
    assert view.flow.ends_at == dt.datetime(2026, 7, 9, 16, 0, tzinfo=dt.UTC)  # 10 Juli 00.00
    long = service.typed(admin_id, view.flow.payload(), "8" * 201)
    assert long.problem == "decree_too_long"
    view = service.typed(admin_id, view.flow.payload(), "800/45/2026")
    assert view.stage is Stage.CONFIRM
    assert (view.member_name, view.for_member_name) == ("Rina Plh", "Sekretaris #1")

    key = CommandKey(f"plt:{admin_id}:{view.flow.flow}")
    done = service.appoint(key, admin_id, view.flow.flow, view.flow.turn)
    assert (done.replayed, done.starts_later, done.instances_rerouted) == (False, True, 0)
    again = service.appoint(key, admin_id, view.flow.flow, view.flow.turn)  # a double tap
    assert (again.replayed, again.term.acting.id) == (True, done.term.acting.id)
    (listed,) = service.listing(admin_id).terms
    assert (listed.acting.decree, listed.for_member_name) == ("800/45/2026", "Sekretaris #1")
    with setup.database.unit_of_work(read_only=True) as uow:
        assert question_of(uow, admin_id) is None  # the flow is over


def test_presses_that_do_not_belong_change_nothing(setup: Setup) -> None:
    service, admin_id, organization = setup.admin, setup.admin_id, setup.admin.organization
    other = organization.create_agency(
        key="dinas-lain", name="Dinas Lain", timezone="Asia/Makassar"
    )
    their_post = organization.add_position(agency_id=other, key="kabid", name="Kabid Lain")
    their_admin = organization.add_member(agency_id=other, name="Admin Lain", is_admin=True)
    view = service.begin(admin_id)
    flow, turn = view.flow.flow, view.flow.turn
    typed = service.typed(admin_id, view.flow.payload(), "Sekretaris")  # typed, not tapped
    assert (typed.stage, typed.problem, typed.flow.turn) == (Stage.POSITION, "use_buttons", turn)
    with pytest.raises(NotFound):  # another agency's position
        service.pick(admin_id, flow, turn, str(their_post))
    with pytest.raises(StaleFlow):  # a turn that is not this one
        service.pick(admin_id, flow, turn + 1, str(setup.agency.positions["sekretaris"][0]))
    with pytest.raises(StaleFlow):  # another flow
        service.pick(admin_id, "0badf00d", turn, str(setup.agency.positions["sekretaris"][0]))
    with pytest.raises(StaleFlow):  # someone else's flow: the other admin has none
        service.pick(their_admin, flow, turn, str(their_post))
    with pytest.raises(StaleFlow):  # "Tunjuk" before the questions are answered
        service.appoint(CommandKey("plt:early"), admin_id, flow, turn)
    assert setup.stored_turn() == turn
    sekretaris_post = str(setup.agency.positions["sekretaris"][0])
    service.pick(admin_id, flow, turn, sekretaris_post)
    with pytest.raises(AlreadyAnswered):  # the same press again
        service.pick(admin_id, flow, turn, sekretaris_post)
    with pytest.raises(NotAllowed):  # no admin
        service.begin(setup.agency.person("sekretaris"))
    their_term = organization.appoint_acting(
        None, member_id=their_admin, position_id=their_post, kind=ActingKind.PLT, for_member_id=None
    ).result.acting_id
    with pytest.raises(NotFound):
        service.term(admin_id, their_term)
    with pytest.raises(NotFound):
        service.end(CommandKey("plt-end:forged"), admin_id, their_term)
    assert service.cancel(admin_id, flow)
    assert not service.cancel(admin_id, flow)


def test_an_end_that_passed_before_tunjuk_is_asked_for_again(setup: Setup) -> None:
    service, admin_id = setup.admin, setup.admin_id
    view = answer(setup, to_the_start(setup), "now")
    view = service.typed(admin_id, view.flow.payload(), "6 Juli 2026 10.00")
    view = answer(setup, view, "skip")
    assert view.stage is Stage.CONFIRM
    setup.clock.advance(hours=2)  # the admin came back at 11.00
    key = CommandKey(f"plt:{admin_id}:{view.flow.flow}:{view.flow.turn}")
    with pytest.raises(InvalidSetup) as passed:
        service.appoint(key, admin_id, view.flow.flow, view.flow.turn)
    assert passed.value.params["problem"] == "end_passed"
    view = service.end_again(admin_id, view.flow.flow)
    assert (view.stage, view.flow.end) == (Stage.END, None)
    view = service.typed(admin_id, view.flow.payload(), "6 Juli 2026 16.00")
    view = answer(setup, view, "skip")
    key = CommandKey(f"plt:{admin_id}:{view.flow.flow}:{view.flow.turn}")
    done = service.appoint(key, admin_id, view.flow.flow, view.flow.turn)
    assert done.instances_rerouted == 1
    assert [item.step_number for item in setup.procedures.inbox(setup.plh)] == [2]
