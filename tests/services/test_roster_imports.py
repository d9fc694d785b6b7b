"""The roster import service on SQLite and PostgreSQL: a preview stored, "Buat" creating the
positions, members, holdings and invitations in one transaction with their audit rows; a
listed person joining with their link (and only with the recorded username); double presses,
forged and stale buttons, another admin's or agency's roster refused with nothing changed; the
agency changing between the preview and "Buat"; the command line's twin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlmodel import select

from sopbot.engine.errors import NotFound
from sopbot.services.onboarding import InvitationInvalid, OnboardingService, WrongAccount
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.roster_imports import (
    NotAnAdmin,
    RosterApplied,
    RosterChanged,
    RosterImportService,
    RosterOpened,
    RosterRefused,
)
from sopbot.services.roster_plan import SkipReason
from sopbot.storage import holdings
from sopbot.storage.database import Database
from sopbot.storage.models import (
    AuditRow,
    HoldingRow,
    InvitationRow,
    MemberRow,
    PositionRow,
    RosterImportRow,
)
from tests.helpers.agencies import next_key, seed_library
from tests.helpers.clock import ManualClock
from tests.helpers.rosters import HEADER, PEOPLE, csv_file, roster_workbook

START = dt.datetime(2026, 8, 3, 1, 0, tzinfo=dt.UTC)
HENDRA_ACCOUNT = 7_001
STRANGER_ACCOUNT = 7_002


@dataclass
class Setup:
    database: Database
    organization: OrganizationService
    onboarding: OnboardingService
    rosters: RosterImportService
    clock: ManualClock
    agency_id: int
    admin_id: int
    kadis: int  # the Kepala Dinas position, which exists before the roster
    other_admin_id: int  # a second admin of the same agency
    foreign_admin_id: int  # an admin of another agency
    clerk_id: int  # a member who is not an admin


@pytest.fixture
def setup(database: Database) -> Setup:
    clock = ManualClock(START)
    procedures = ProcedureService(database, seed_library(), clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    agency_id = organization.create_agency(
        key="dinas-uji", name="Dinas Uji", timezone="Asia/Jakarta"
    )
    other_agency = organization.create_agency(
        key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    admin_id = organization.add_member(agency_id=agency_id, name="Nur Aini", is_admin=True)
    kadis = organization.add_position(agency_id=agency_id, key="kadis", name="Kepala Dinas")
    return Setup(
        database,
        organization,
        OnboardingService(procedures, clock=clock),
        RosterImportService(procedures, clock=clock),
        clock,
        agency_id,
        admin_id,
        kadis,
        organization.add_member(agency_id=agency_id, name="Admin Dua", is_admin=True),
        organization.add_member(agency_id=other_agency, name="Admin Lain", is_admin=True),
        organization.add_member(agency_id=agency_id, name="Staf Biasa"),
    )


def rows(database: Database, model: type) -> list:  # type: ignore[type-arg]
    with database.transaction() as session:
        return list(session.exec(select(model)).all())


def snapshot(database: Database) -> tuple[int, ...]:
    """How many rows of everything a roster import may write."""
    return tuple(
        len(rows(database, model))
        for model in (PositionRow, MemberRow, HoldingRow, InvitationRow, AuditRow)
    ) + tuple(sorted((r.id, r.status) for r in rows(database, RosterImportRow)))  # type: ignore[misc]


def opened(setup: Setup, content: bytes | None = None, member_id: int | None = None) -> int:
    found = setup.rosters.begin(
        next_key(), member_id or setup.admin_id, content or roster_workbook(), "pegawai.xlsx"
    )
    assert isinstance(found, RosterOpened), found
    return found.roster_id


def test_the_preview_is_stored_and_buat_creates_everything_once(setup: Setup) -> None:
    roster_id = opened(setup)
    view = setup.rosters.view(setup.admin_id, roster_id)
    assert (view.kind, view.sheet, view.header_row, view.turn) == ("xlsx", "Pegawai", 3, 0)
    plan = view.plan
    assert [p.name for p in plan.existing_positions] == ["Kepala Dinas"]
    assert [p.name for p in plan.new_positions] == [
        "Sekretaris",
        "Kepala Bidang Koperasi",
        "Staf Pelaksana",
    ]
    assert [m.name for m in plan.members] == [str(p[2]) for p in PEOPLE]
    before = snapshot(setup.database)

    applied = setup.rosters.confirm(None, setup.admin_id, roster_id, 0)
    assert (applied.confirmed.members, applied.confirmed.new_positions) == (4, 3)
    assert applied.confirmed.expires_at == START + dt.timedelta(days=7)
    assert [i.name for i in applied.invitations] == [m.name for m in plan.members]
    assert len({i.token for i in applied.invitations}) == 4

    members = {m.name: m for m in rows(setup.database, MemberRow)}
    hendra = members["Dr. Hendra Gunawan, M.Si."]
    assert (hendra.nip, hendra.telegram_username, hendra.telegram_user_id) == (
        "198001012005011001",
        "hendra_g",
        None,
    )
    assert members["Wulan Pratiwi"].nip is None
    with setup.database.unit_of_work(read_only=True) as uow:
        assert holdings.position_names_held(uow, hendra.id, START) == ["Kepala Dinas"]
    invitations = [i for i in rows(setup.database, InvitationRow) if i.member_id == hendra.id]
    assert len(invitations) == 1
    assert invitations[0].position_id is None  # the holding exists already
    assert invitations[0].created_by_id == setup.admin_id
    # Only the tokens' hashes are kept.
    stored = {i.token_hash for i in rows(setup.database, InvitationRow)}
    assert not {i.token for i in applied.invitations} & stored

    new_rows = sorted(rows(setup.database, AuditRow), key=lambda a: a.id)[before[4] :]
    by_entity = sorted({(a.entity, a.action) for a in new_rows})
    assert by_entity == [
        ("holding", "appoint"),
        ("invitation", "create"),
        ("member", "create"),
        ("position", "create"),
        ("roster_import", "confirm"),
    ]
    assert {a.actor_id for a in new_rows} == {setup.admin_id}
    (roster,) = rows(setup.database, RosterImportRow)
    assert roster.status == "confirmed"

    # A second press of the same Buat (a double tap) answers as the first: no links again.
    again = setup.rosters.confirm(None, setup.admin_id, roster_id, 0)
    assert again == RosterApplied(applied.confirmed, True, ())
    assert len(rows(setup.database, MemberRow)) == before[1] + 4


def test_a_listed_person_joins_with_their_link_and_only_with_their_username(setup: Setup) -> None:
    roster_id = opened(setup)
    applied = setup.rosters.confirm(None, setup.admin_id, roster_id, 0)
    links = {i.name: i for i in applied.invitations}
    hendra = links["Dr. Hendra Gunawan, M.Si."]
    onboarding = setup.onboarding
    before = snapshot(setup.database)
    for username in ("someone_else", None):
        with pytest.raises(WrongAccount):
            onboarding.accept(
                next_key(),
                token=hendra.token,
                telegram_user_id=STRANGER_ACCOUNT,
                full_name="Orang Lain",
                language_code="id",
                telegram_username=username,
            )
    assert snapshot(setup.database) == before  # nothing changed
    assert onboarding.member_for(STRANGER_ACCOUNT) is None

    accepted = onboarding.accept(
        next_key(),
        token=hendra.token,
        telegram_user_id=HENDRA_ACCOUNT,
        full_name="Hendra",
        language_code="id",
        telegram_username="Hendra_G",  # the letter case does not matter
    )
    assert accepted.result.member_id == hendra.member_id
    assert onboarding.positions_of(hendra.member_id) == ["Kepala Dinas"]
    joined = onboarding.member_for(HENDRA_ACCOUNT)
    assert joined is not None
    assert joined.name == "Dr. Hendra Gunawan, M.Si."  # the roster's name, not the account's

    # Siti's row gave no username: her link binds whoever opens it first, once.
    siti = links["Siti Rahmawati, S.E."]
    onboarding.accept(
        next_key(), token=siti.token, telegram_user_id=7_003, full_name="S", language_code="id"
    )
    with pytest.raises(InvitationInvalid):
        onboarding.accept(
            next_key(), token=siti.token, telegram_user_id=7_004, full_name="X", language_code="id"
        )


def test_forged_stale_and_foreign_presses_change_nothing(setup: Setup) -> None:
    roster_id = opened(setup)
    before = snapshot(setup.database)
    rosters = setup.rosters
    for member_id, turn, refusal in (
        (setup.other_admin_id, 0, NotFound),  # another admin of the agency: not theirs
        (setup.foreign_admin_id, 0, NotFound),  # an admin of another agency
        (setup.clerk_id, 0, NotAnAdmin),  # not an admin
        (setup.admin_id, 1, NotFound),  # a turn that never was
    ):
        with pytest.raises(refusal):
            rosters.confirm(None, member_id, roster_id, turn)
        if turn == 0:
            with pytest.raises(refusal):
                rosters.view(member_id, roster_id)
            with pytest.raises(refusal):
                rosters.cancel(None, member_id, roster_id)
    with pytest.raises(NotFound):
        rosters.confirm(None, setup.admin_id, roster_id + 1000, 0)
    assert snapshot(setup.database) == before
    # The forged presses were refused under their own keys: the owner's Buat still works.
    assert rosters.confirm(None, setup.admin_id, roster_id, 0).confirmed.members == 4
    # A confirmed roster cannot be cancelled or confirmed at another turn.
    with pytest.raises(NotFound):
        rosters.cancel(None, setup.admin_id, roster_id)
    with pytest.raises(NotFound):
        rosters.confirm(None, setup.admin_id, roster_id, 1)


def test_batal_and_a_second_file_close_the_open_roster(setup: Setup) -> None:
    first = opened(setup)
    second = setup.rosters.begin(next_key(), setup.admin_id, roster_workbook(), "lagi.xlsx")
    assert isinstance(second, RosterOpened)
    assert second.replaced == "pegawai.xlsx"
    assert setup.rosters.open_roster(setup.admin_id) is not None
    with pytest.raises(NotFound):
        setup.rosters.confirm(None, setup.admin_id, first, 0)
    assert setup.rosters.cancel(None, setup.admin_id, second.roster_id) == "lagi.xlsx"
    assert setup.rosters.open_roster(setup.admin_id) is None
    assert sorted(r.status for r in rows(setup.database, RosterImportRow)) == [
        "cancelled",
        "cancelled",
    ]
    assert len(rows(setup.database, MemberRow)) == 4  # the fixture's only
    audit = [a for a in rows(setup.database, AuditRow) if a.entity == "roster_import"]
    # The first closed by the second file, the second by Batal: both in the trail.
    assert [(a.entity_id, a.action, a.actor_id) for a in audit] == [
        (str(first), "cancel", setup.admin_id),
        (str(second.roster_id), "cancel", setup.admin_id),
    ]
    assert audit[0].detail["replaced_by"] == "lagi.xlsx"


def test_the_same_file_message_handled_again_is_the_same_roster(setup: Setup) -> None:
    key = next_key()
    first = setup.rosters.begin(key, setup.admin_id, roster_workbook(), "pegawai.xlsx")
    again = setup.rosters.begin(key, setup.admin_id, roster_workbook(), "pegawai.xlsx")
    assert first == again
    assert len(rows(setup.database, RosterImportRow)) == 1


def test_when_the_agency_changes_after_the_preview_buat_shows_it_again(setup: Setup) -> None:
    roster_id = opened(setup)
    # Meanwhile someone adds "Sekretaris" by hand: the roster's Sekretaris is that one now.
    setup.organization.add_position(agency_id=setup.agency_id, key="sekretaris", name="Sekretaris")
    before = snapshot(setup.database)
    with pytest.raises(RosterChanged):
        setup.rosters.confirm(None, setup.admin_id, roster_id, 0)
    assert snapshot(setup.database) == before
    view = setup.rosters.rebase(setup.admin_id, roster_id, 0)
    assert view.turn == 1
    assert "Sekretaris" in [p.name for p in view.plan.existing_positions]
    with pytest.raises(RosterChanged):  # the old Buat again: its answer again
        setup.rosters.confirm(None, setup.admin_id, roster_id, 0)
    assert setup.rosters.rebase(setup.admin_id, roster_id, 0).turn == 1  # once per turn
    applied = setup.rosters.confirm(None, setup.admin_id, roster_id, 1)
    assert applied.confirmed.new_positions == 2
    names = [p.name for p in rows(setup.database, PositionRow)]
    assert names.count("Sekretaris") == 1


def test_importing_the_same_roster_again_creates_nobody_twice(setup: Setup) -> None:
    setup.rosters.confirm(None, setup.admin_id, opened(setup), 0)
    view = setup.rosters.view(setup.admin_id, opened(setup))
    assert view.plan.members == ()
    reasons = {s.reason for s in view.plan.skipped}
    assert reasons == {SkipReason.NIP_OF_MEMBER.value, SkipReason.NAME_OF_MEMBER.value}
    assert len(view.plan.skipped) == 4


def test_a_file_that_cannot_be_read_changes_nothing(setup: Setup) -> None:
    before = snapshot(setup.database)
    refused = setup.rosters.begin(next_key(), setup.admin_id, b"Nama;Umur\nBudi;40\n", "x.csv")
    assert isinstance(refused, RosterRefused)
    assert refused.reading is not None
    assert snapshot(setup.database) == before
    with pytest.raises(NotAnAdmin):
        setup.rosters.begin(next_key(), setup.clerk_id, roster_workbook(), "pegawai.xlsx")


def test_the_command_line_previews_and_applies_without_an_admin(setup: Setup) -> None:
    content = csv_file([HEADER, *PEOPLE], delimiter=";")
    before = snapshot(setup.database)
    view = setup.rosters.preview_for_agency(setup.agency_id, content, "pegawai.csv")
    assert not isinstance(view, RosterRefused)
    assert view.roster_id is None
    assert snapshot(setup.database) == before  # a preview stores nothing
    applied = setup.rosters.apply_for_agency(setup.agency_id, content, "pegawai.csv")
    assert isinstance(applied, RosterApplied)
    assert len(applied.invitations) == 4
    audit = [a for a in rows(setup.database, AuditRow) if a.entity == "roster_import"]
    assert [(a.action, a.actor_id) for a in audit] == [("confirm", None)]
    assert rows(setup.database, RosterImportRow) == []
    with pytest.raises(NotFound):
        setup.rosters.preview_for_agency(9999, content, "pegawai.csv")
