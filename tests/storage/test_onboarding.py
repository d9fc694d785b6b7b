"""Invitations, accounts and holdings through the services, on SQLite and PostgreSQL: typed
results, replays that return the stored result, and refusals for what does not exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from sopbot.engine.errors import NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.services.onboarding import (
    AlreadyBound,
    InvitationAccepted,
    InvitationInvalid,
    OnboardingService,
)
from sopbot.services.organization import (
    HoldingStarted,
    InvalidSetup,
    OrganizationService,
)
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from tests.helpers.agencies import next_key, seed_library
from tests.helpers.clock import ManualClock

START = dt.datetime(2026, 8, 3, 1, 0, tzinfo=dt.UTC)
ANI = 5_001  # Telegram user ids
BUDI = 5_002
NO_SUCH_TOKEN = "x" * 32  # a link that was never made


@dataclass
class Agency:
    organization: OrganizationService
    onboarding: OnboardingService
    clock: ManualClock
    agency_id: int
    admin_id: int
    kaban: int  # the Kepala Badan's position


@pytest.fixture
def agency(database: Database) -> Agency:
    clock = ManualClock(START)
    procedures = ProcedureService(database, seed_library(), clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    onboarding = OnboardingService(procedures, clock=clock)
    agency_id = organization.create_agency(
        key="dinas-uji", name="Dinas Uji", timezone="Asia/Jakarta"
    )
    admin_id = organization.add_member(agency_id=agency_id, name="Siti Admin", is_admin=True)
    kaban = organization.add_position(agency_id=agency_id, key="kaban", name="Kepala Badan")
    return Agency(organization, onboarding, clock, agency_id, admin_id, kaban)


def test_an_invited_member_binds_their_account_and_a_replay_returns_the_stored_result(
    agency: Agency,
) -> None:
    onboarding = agency.onboarding
    token, _ = onboarding.invite(agency_id=agency.agency_id, member_id=agency.admin_id)
    key = next_key()
    accepted = onboarding.accept(
        key, token=token, telegram_user_id=ANI, full_name="Siti", language_code="en-GB"
    )
    assert (accepted.result, accepted.replayed) == (InvitationAccepted(agency.admin_id), False)
    again = onboarding.accept(
        key, token=token, telegram_user_id=ANI, full_name="Siti", language_code="en-GB"
    )
    assert (again.result, again.replayed) == (InvitationAccepted(agency.admin_id), True)
    member = onboarding.member_for(ANI)
    assert member is not None
    # The member keeps the name the admin gave; the language is the app's, as none was chosen.
    assert (member.id, member.name, member.is_admin, member.language) == (
        agency.admin_id,
        "Siti Admin",
        True,
        "en",
    )
    onboarding.set_language(member.id, "id")
    assert (onboarding.member_for(ANI) or member).language == "id"
    # The account is bound now: another link does not bind it again.
    other, _ = onboarding.invite(agency_id=agency.agency_id, position_id=agency.kaban)
    with pytest.raises(AlreadyBound):
        onboarding.accept(
            next_key(), token=other, telegram_user_id=ANI, full_name="Siti", language_code=None
        )


def test_a_position_invitation_makes_a_new_member_who_holds_the_position(agency: Agency) -> None:
    onboarding = agency.onboarding
    token, expires = onboarding.invite(
        agency_id=agency.agency_id, position_id=agency.kaban, created_by_id=agency.admin_id
    )
    assert expires == START + dt.timedelta(days=7)
    outcome = onboarding.accept(
        next_key(), token=token, telegram_user_id=BUDI, full_name="  ", language_code="id"
    )
    member = onboarding.member_for(BUDI)
    assert member is not None
    assert (member.id, member.name, member.is_admin, member.language, member.agency_key) == (
        outcome.result.member_id,
        "Pegawai",
        False,
        "id",
        "dinas-uji",
    )
    assert onboarding.positions_of(member.id) == ["Kepala Badan"]
    assert [(p.id, p.name) for p in onboarding.agency_positions(agency.agency_id)] == [
        (agency.kaban, "Kepala Badan")
    ]


def test_a_used_or_expired_invitation_is_refused(agency: Agency) -> None:
    onboarding = agency.onboarding
    used, _ = onboarding.invite(agency_id=agency.agency_id, position_id=agency.kaban)
    onboarding.accept(
        next_key(), token=used, telegram_user_id=ANI, full_name="Ani", language_code=None
    )
    with pytest.raises(InvitationInvalid):
        onboarding.accept(
            next_key(), token=used, telegram_user_id=BUDI, full_name="Budi", language_code=None
        )
    late, _ = onboarding.invite(agency_id=agency.agency_id, ttl=dt.timedelta(hours=1))
    agency.clock.advance(hours=1)
    with pytest.raises(InvitationInvalid):
        onboarding.accept(
            next_key(), token=late, telegram_user_id=BUDI, full_name="Budi", language_code=None
        )
    with pytest.raises(InvitationInvalid):
        onboarding.accept(
            next_key(),
            token=NO_SUCH_TOKEN,
            telegram_user_id=BUDI,
            full_name="B",
            language_code=None,
        )
    assert onboarding.member_for(BUDI) is None


def test_an_appointment_replayed_returns_its_result_and_appoints_once(agency: Agency) -> None:
    organization = agency.organization
    member = organization.add_member(agency_id=agency.agency_id, name="Budi")
    key = next_key()
    first = organization.appoint(key, member_id=member, position_id=agency.kaban)
    again = organization.appoint(key, member_id=member, position_id=agency.kaban)
    assert isinstance(again.result, HoldingStarted)
    assert (again.result, again.replayed, first.replayed) == (first.result, True, False)
    # One holding: a second would name the position twice.
    assert agency.onboarding.positions_of(member) == ["Kepala Badan"]
    left = organization.end_holding(next_key(), member_id=member, position_id=agency.kaban)
    assert left.result.instances_rerouted == 0
    assert agency.onboarding.positions_of(member) == []


def test_what_does_not_exist_is_not_found(agency: Agency) -> None:
    organization, onboarding = agency.organization, agency.onboarding
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    theirs = organization.add_position(agency_id=other, key="kaban", name="Kepala Badan")
    member = organization.add_member(agency_id=agency.agency_id, name="Budi")
    with pytest.raises(NotFound) as position:
        organization.appoint(next_key(), member_id=member, position_id=theirs)
    assert position.value.params["what"] == "position"
    with pytest.raises(NotFound):
        onboarding.invite(agency_id=agency.agency_id, position_id=theirs)
    with pytest.raises(NotFound):
        onboarding.invite(agency_id=other + 100)
    with pytest.raises(NotAllowed):
        onboarding.invite(agency_id=agency.agency_id, created_by_id=member)  # not an admin
    with pytest.raises(UnknownMember):
        organization.appoint(next_key(), member_id=member + 100, position_id=agency.kaban)
    with pytest.raises(NotFound):
        organization.end_acting(next_key(), acting_id=1)
    acting = organization.appoint_acting(
        next_key(),
        member_id=member,
        position_id=agency.kaban,
        kind=ActingKind.PLH,
        for_member_id=None,
    )
    organization.end_acting(next_key(), acting_id=acting.result.acting_id)
    with pytest.raises(InvalidSetup):
        organization.end_acting(next_key(), acting_id=acting.result.acting_id)
