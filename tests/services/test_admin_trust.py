"""What a trust review of the admin work found, each as a test that failed before its fix: a
link outlives what it was made for (a removed position, a deactivated maker, an admin right
taken), an invitation for a deactivated member, a Plt for a deactivated holder, the last operator
deactivated, and a calendar change by an admin whose right was taken (real SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlmodel import select

from sopbot.demo.staffing import SeedAgency, staff_agency
from sopbot.engine.errors import DomainError, NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.messaging.notices import Notifier
from sopbot.services.calendar_admin import CalendarAdmin
from sopbot.services.onboarding import InvitationInvalid, OnboardingService
from sopbot.services.operators import LastOperator, OperatorService
from sopbot.services.organization import OrganizationService
from sopbot.services.people import LastAdmin, PeopleService
from sopbot.services.positions import PositionAdmin
from sopbot.services.procedures import ProcedureService
from sopbot.storage import members
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, CalendarDayRow, HoldingRow, InvitationRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.agencies import next_key, seed_library
from tests.helpers.clock import ManualClock

SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
START = dt.datetime(2026, 7, 6, 2, 0, tzinfo=dt.UTC)


@dataclass
class Setup:
    database: Database
    agency: SeedAgency
    organization: OrganizationService
    onboarding: OnboardingService
    people: PeopleService
    positions: PositionAdmin
    procedures: ProcedureService
    clock: ManualClock

    def accept(self, token: str, user_id: int) -> int:
        outcome = self.onboarding.accept(
            next_key(), token=token, telegram_user_id=user_id, full_name="X", language_code="id"
        )
        return outcome.result.member_id

    def rows(self, model: type) -> list:  # type: ignore[type-arg]
        with self.database.transaction() as session:
            return list(session.exec(select(model)).all())


@pytest.fixture
def setup(database: Database) -> Setup:
    clock = ManualClock(START)
    library = seed_library()
    procedures = ProcedureService(database, library, clock=clock, observer=NoticeWriter(Notifier()))
    organization = OrganizationService(procedures, clock=clock)
    agency = staff_agency(organization, library.definitions[SOP])
    return Setup(
        database,
        agency,
        organization,
        OnboardingService(procedures, clock=clock),
        PeopleService(procedures, clock=clock),
        PositionAdmin(procedures, clock=clock),
        procedures,
        clock,
    )


def revoked_with(setup: Setup, reason: str) -> list[int]:
    return [
        int(a.entity_id)
        for a in setup.rows(AuditRow)
        if a.entity == "invitation" and a.action == "revoke" and a.detail.get("reason") == reason
    ]


def test_a_link_to_a_position_removed_since_opens_nothing(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    added = setup.positions.add_position(
        next_key(), agency_id=agency_id, name="Staf Baru", actor_id=admin
    )
    position_id = added.result.position_id
    token, _ = setup.onboarding.invite(
        agency_id=agency_id, position_id=position_id, created_by_id=admin
    )
    setup.positions.remove_position(
        next_key(), agency_id=agency_id, position_id=position_id, actor_id=admin
    )
    with pytest.raises(InvitationInvalid):
        setup.accept(token, 99_001)
    assert [h for h in setup.rows(HoldingRow) if h.position_id == position_id] == []
    (invitation,) = [i for i in setup.rows(InvitationRow) if i.position_id == position_id]
    assert invitation.revoked_at is not None
    assert revoked_with(setup, "position_removed") == [invitation.id]


def test_the_links_a_deactivated_admin_made_open_nothing(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    rogue = setup.organization.add_member(agency_id=agency_id, name="Rogue", is_admin=True)
    position_id = setup.agency.positions["sekretaris"][0]
    token, _ = setup.onboarding.invite(
        agency_id=agency_id, position_id=position_id, created_by_id=rogue
    )
    setup.people.deactivate(next_key(), agency_id=agency_id, member_id=rogue, actor_id=admin)
    with pytest.raises(InvitationInvalid):
        setup.accept(token, 99_002)
    assert len(revoked_with(setup, "maker_left")) == 1


def test_a_link_made_before_the_admin_right_was_taken_opens_nothing(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    other = setup.organization.add_member(agency_id=agency_id, name="Former", is_admin=True)
    position_id = setup.agency.positions["sekretaris"][0]
    token, _ = setup.onboarding.invite(
        agency_id=agency_id, position_id=position_id, created_by_id=other
    )
    setup.people.set_admin(
        next_key(), agency_id=agency_id, member_id=other, is_admin=False, actor_id=admin
    )
    with pytest.raises(InvitationInvalid):
        setup.accept(token, 99_003)


def test_an_admin_right_taken_before_joining_stays_taken(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    named = OperatorService(setup.procedures, clock=setup.clock).name_admin(
        next_key(), operator_id=None, agency_id=agency_id, name="Named Admin"
    )
    setup.people.set_admin(
        next_key(), agency_id=agency_id, member_id=named.member_id, is_admin=False, actor_id=admin
    )
    member_id = setup.accept(named.token, 99_004)
    with setup.database.unit_of_work(read_only=True) as uow:
        joined = members.member(uow, member_id)
    assert joined is not None
    assert (joined.telegram_user_id, joined.is_admin) == (99_004, False)


def test_no_invitation_for_a_deactivated_member(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    gone = setup.organization.add_member(agency_id=agency_id, name="Gone")
    token, _ = setup.onboarding.invite(agency_id=agency_id, member_id=gone, created_by_id=admin)
    setup.people.deactivate(next_key(), agency_id=agency_id, member_id=gone, actor_id=admin)
    with pytest.raises(NotFound):
        setup.onboarding.invite(agency_id=agency_id, member_id=gone, created_by_id=admin)
    with pytest.raises(InvitationInvalid):  # the one made before: revoked, and refused anyway
        setup.accept(token, 99_005)


def test_no_plh_for_a_deactivated_holder(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    holder = setup.agency.person("sekretaris")
    stand_in = setup.agency.person("kepala_bidang")
    setup.people.deactivate(next_key(), agency_id=agency_id, member_id=holder, actor_id=admin)
    with pytest.raises(UnknownMember):
        setup.organization.appoint_acting(
            next_key(),
            member_id=stand_in,
            position_id=setup.agency.positions["sekretaris"][0],
            kind=ActingKind.PLH,
            for_member_id=holder,
            valid_to=START + dt.timedelta(days=3),
            actor_id=admin,
        )


def test_the_last_operator_is_not_deactivated_by_an_agency_admin(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    operator = setup.organization.add_member(agency_id=agency_id, name="Rina Kominfo")
    with setup.database.unit_of_work() as uow:
        members.set_operator(uow, operator, is_operator=True)
    with pytest.raises(LastOperator):
        setup.people.deactivate(next_key(), agency_id=agency_id, member_id=operator, actor_id=admin)
    second = setup.organization.add_member(agency_id=agency_id, name="Budi Kominfo")
    with setup.database.unit_of_work() as uow:
        members.set_operator(uow, second, is_operator=True)
    setup.people.deactivate(next_key(), agency_id=agency_id, member_id=operator, actor_id=admin)


def test_a_calendar_change_needs_an_admin_of_the_agency_at_the_time(setup: Setup) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    other = setup.organization.add_member(agency_id=agency_id, name="Former", is_admin=True)
    setup.people.set_admin(
        next_key(), agency_id=agency_id, member_id=other, is_admin=False, actor_id=admin
    )
    calendar = CalendarAdmin(setup.procedures, clock=setup.clock)
    day = dt.date(2026, 7, 20)
    before = setup.rows(CalendarDayRow)
    for actor in (other, setup.agency.person("sekretaris"), 999_999):
        with pytest.raises(NotAllowed):
            calendar.set_day(agency_id, day, "off", "HUT Kota", actor)
    assert setup.rows(CalendarDayRow) == before
    calendar.set_day(agency_id, day, "off", "HUT Kota", admin)
    assert len(setup.rows(CalendarDayRow)) == len(before) + 1


def test_the_last_admin_who_joined_keeps_the_right_while_the_others_never_joined(
    setup: Setup,
) -> None:
    admin, agency_id = setup.agency.admin_id, setup.agency.agency_id
    named = setup.organization.add_member(agency_id=agency_id, name="Named", is_admin=True)
    with setup.database.unit_of_work() as uow:
        members.bind_account(uow, admin, telegram_user_id=55_501, language=None, is_admin=True)
    with pytest.raises(LastAdmin):
        setup.people.set_admin(
            next_key(), agency_id=agency_id, member_id=admin, is_admin=False, actor_id=admin
        )
    # Once the other admin has joined, the first may step down.
    with setup.database.unit_of_work() as uow:
        members.bind_account(uow, named, telegram_user_id=55_502, language=None, is_admin=True)
    setup.people.set_admin(
        next_key(), agency_id=agency_id, member_id=admin, is_admin=False, actor_id=admin
    )


def test_every_refusal_here_is_a_domain_error() -> None:
    # The handlers answer a DomainError politely; anything else would be a crash.
    for error in (InvitationInvalid, LastAdmin, LastOperator, NotAllowed, NotFound, UnknownMember):
        assert issubclass(error, DomainError)
