"""The people of an agency through `PeopleService`, on SQLite and PostgreSQL: the list, mutasi
with open work following the positions, deactivation, the admin right, revoked invitations,
and what another agency's ids, a deactivated member or a non-admin get (nothing changes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from sopbot.demo.staffing import SeedAgency, staff_agency
from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import DomainError, NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.notices import Notifier
from sopbot.services.onboarding import InvitationInvalid, OnboardingService, WrongAccount
from sopbot.services.organization import OrganizationService
from sopbot.services.people import (
    AlreadyHeld,
    InvitationClosed,
    LastAdmin,
    MemberInactive,
    MemberJoined,
    NotHeld,
    OwnDeactivation,
    PeopleService,
    SeveralHeld,
)
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import ActingRow, AuditRow, InvitationRow, MemberRow, OutboxRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.agencies import next_key, seed_library, start_as
from tests.helpers.clock import ManualClock

SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
START = dt.datetime(2026, 7, 6, 2, 0, tzinfo=dt.UTC)  # Monday 09.00 WIB
SEKRETARIS_TELEGRAM = 7_001
ADMIN_TELEGRAM = 7_002


@dataclass
class Office:
    procedures: ProcedureService
    organization: OrganizationService
    onboarding: OnboardingService
    people: PeopleService
    clock: ManualClock
    agency: SeedAgency
    definition: SopDefinition

    @property
    def agency_id(self) -> int:
        return self.agency.agency_id

    @property
    def admin(self) -> int:
        return self.agency.admin_id

    def join(self, member_id: int, telegram_user_id: int) -> None:
        """The member takes their invitation in Telegram."""
        token, _ = self.onboarding.invite(agency_id=self.agency_id, member_id=member_id)
        self.onboarding.accept(
            next_key(),
            token=token,
            telegram_user_id=telegram_user_id,
            full_name="-",
            language_code="id",
        )

    def tasks(self, member_id: int) -> list[int]:
        """The step numbers in the member's /tugas."""
        return [item.step_number for item in self.procedures.inbox(member_id)]


@pytest.fixture
def office(database: Database) -> Office:
    clock = ManualClock(START)
    library = seed_library()
    procedures = ProcedureService(database, library, clock=clock, observer=NoticeWriter(Notifier()))
    organization = OrganizationService(procedures, clock=clock)
    definition = library.definitions[SOP]
    agency = staff_agency(organization, definition)
    return Office(
        procedures,
        organization,
        OnboardingService(procedures, clock=clock),
        PeopleService(procedures, clock=clock),
        clock,
        agency,
        definition,
    )


def counts(database: Database) -> dict[str, int]:
    """Rows per table (the command keys, which remember refusals too, left out)."""
    with database.transaction() as session:
        return {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in SQLModel.metadata.tables.items()
            if name != "processed_command"
        }


def people_audit(database: Database) -> list[tuple[str, str, int | None]]:
    """(entity, action, actor) of the audit rows outside procedures, in order."""
    with database.transaction() as session:
        rows = session.exec(
            select(AuditRow)
            .where(col(AuditRow.instance_id).is_(None))
            .where(col(AuditRow.entity).in_(["holding", "member", "acting", "invitation"]))
            .order_by(col(AuditRow.id))
        ).all()
        return [(row.entity, row.action, row.actor_id) for row in rows]


def test_the_list_shows_positions_acting_posts_joined_and_admins(office: Office) -> None:
    sekretaris = office.agency.person("sekretaris")
    kabid = office.agency.person("kepala_bidang")
    kaban_position = office.agency.positions["kepala_dinas"][0]
    office.join(sekretaris, SEKRETARIS_TELEGRAM)
    # The Sekretaris is Plh. Kepala Badan until Friday (the end is exclusive: Saturday 00.00).
    until = dt.datetime(2026, 7, 11, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    office.organization.appoint_acting(
        next_key(),
        member_id=sekretaris,
        position_id=kaban_position,
        kind=ActingKind.PLH,
        for_member_id=office.agency.person("kepala_dinas"),
        valid_to=until,
        decree="800/25/2026",
    )
    roster = office.people.roster(office.agency_id, actor_id=office.admin)
    assert roster.agency.key == "kesbangpol-pekalongan"
    person = roster.person(sekretaris)
    assert person is not None
    assert [p.name for p in person.positions] == ["Sekretaris 1"]
    (post,) = person.acting
    assert (post.kind, post.position.id, post.valid_to, post.decree, post.in_office) == (
        ActingKind.PLH,
        kaban_position,
        until,
        "800/25/2026",
        True,
    )
    assert post.for_member_name == "Kepala Dinas #1"
    assert (person.joined, person.is_admin, person.nip) == (True, False, "198001012005010001")
    other = roster.person(kabid)
    assert other is not None
    assert (other.joined, other.acting) == (False, ())
    admin = roster.person(office.admin)
    assert admin is not None
    assert (admin.is_admin, admin.positions) == (True, ())
    # Every member, in the order they were added.
    assert [p.id for p in roster.people] == sorted(p.id for p in roster.people)


def test_a_mutasi_moves_open_work_with_the_positions(office: Office) -> None:
    start_as(office.procedures, office.agency, office.definition, "Data Kinerja Triwulan III")
    sekretaris = office.agency.person("sekretaris")
    kabid = office.agency.person("kepala_bidang")
    assert office.tasks(sekretaris) == [2]
    staf_ahli = office.organization.add_position(
        agency_id=office.agency_id, key="staf_ahli", name="Staf Ahli"
    )
    sekretaris_position = office.agency.positions["sekretaris"][0]
    # The Sekretaris moves to Staf Ahli: step 2 waits for the post's next holder.
    moved = office.people.move(
        next_key(),
        agency_id=office.agency_id,
        member_id=sekretaris,
        to_position_id=staf_ahli,
        actor_id=office.admin,
    ).result
    assert (moved.position_id, moved.left, moved.instances_rerouted) == (
        staf_ahli,
        (sekretaris_position,),
        1,
    )
    assert office.tasks(sekretaris) == []
    # A Kepala Bidang becomes Sekretaris: step 2 reaches them.
    office.people.move(
        next_key(),
        agency_id=office.agency_id,
        member_id=kabid,
        to_position_id=sekretaris_position,
        actor_id=office.admin,
    )
    assert office.tasks(kabid) == [2]
    roster = office.people.roster(office.agency_id)
    assert [p.name for p in (roster.person(sekretaris) or roster.people[0]).positions] == [
        "Staf Ahli"
    ]
    assert [p.name for p in (roster.person(kabid) or roster.people[0]).positions] == [
        "Sekretaris 1"
    ]
    # Audited with who did it: the holding ended, the new one started, the second mutasi too.
    assert people_audit(office.procedures.database)[-4:] == [
        ("holding", "move", office.admin),
        ("holding", "move", office.admin),
        ("holding", "move", office.admin),
        ("holding", "move", office.admin),
    ]
    # Moving again to the position held already changes nothing.
    with pytest.raises(AlreadyHeld):
        office.people.move(
            next_key(),
            agency_id=office.agency_id,
            member_id=kabid,
            to_position_id=sekretaris_position,
            actor_id=office.admin,
        )


def test_a_member_of_two_positions_says_which_one_they_leave(office: Office) -> None:
    kabid = office.agency.person("kepala_bidang")
    kabid_position = office.agency.positions["kepala_bidang"][0]
    renval = office.agency.positions["kassubag_renval"][0]
    sekretaris_position = office.agency.positions["sekretaris"][0]
    office.people.take_position(
        next_key(), agency_id=office.agency_id, member_id=kabid, position_id=renval
    )
    before = counts(office.procedures.database)
    with pytest.raises(SeveralHeld):
        office.people.move(
            next_key(),
            agency_id=office.agency_id,
            member_id=kabid,
            to_position_id=sekretaris_position,
        )
    with pytest.raises(NotHeld):
        office.people.move(
            next_key(),
            agency_id=office.agency_id,
            member_id=kabid,
            to_position_id=sekretaris_position,
            from_position_ids=[sekretaris_position + 1000],
        )
    assert counts(office.procedures.database) == before
    office.people.move(
        next_key(),
        agency_id=office.agency_id,
        member_id=kabid,
        to_position_id=sekretaris_position,
        from_position_ids=[renval],
    )
    person = office.people.person(office.agency_id, kabid)
    assert {p.id for p in person.positions} == {kabid_position, sekretaris_position}
    office.people.leave_position(
        next_key(), agency_id=office.agency_id, member_id=kabid, position_id=kabid_position
    )
    assert [p.id for p in office.people.person(office.agency_id, kabid).positions] == [
        sekretaris_position
    ]
    with pytest.raises(NotHeld):
        office.people.leave_position(
            next_key(), agency_id=office.agency_id, member_id=kabid, position_id=kabid_position
        )


def test_deactivating_a_holder_ends_everything_of_theirs_and_moves_their_work(
    office: Office,
) -> None:
    database = office.procedures.database
    sekretaris = office.agency.person("sekretaris")
    kaban_position = office.agency.positions["kepala_dinas"][0]
    office.join(sekretaris, SEKRETARIS_TELEGRAM)
    start_as(office.procedures, office.agency, office.definition, "Data Kinerja Triwulan III")
    assert office.tasks(sekretaris) == [2]
    acting = office.organization.appoint_acting(
        next_key(),
        member_id=sekretaris,
        position_id=kaban_position,
        kind=ActingKind.PLH,
        for_member_id=office.agency.person("kepala_dinas"),
    ).result.acting_id
    pending, _ = office.onboarding.invite(agency_id=office.agency_id, member_id=sekretaris)
    preview = office.people.deactivation_preview(
        office.agency_id, sekretaris, actor_id=office.admin
    )
    assert (preview.open_steps, preview.open_invitations) == (1, 1)
    office.clock.advance(minutes=3)
    done = office.people.deactivate(
        next_key(), agency_id=office.agency_id, member_id=sekretaris, actor_id=office.admin
    ).result
    assert (done.holdings_ended, done.actings_ended, done.invitations_revoked, done.told) == (
        1,
        1,
        1,
        True,
    )
    assert done.instances_rerouted == 1
    # Their step waits for the Sekretaris's next holder; they have no work.
    assert office.tasks(sekretaris) == []
    # A stranger to the bot now; the row stays, unbound, for the record.
    assert office.onboarding.member_for(SEKRETARIS_TELEGRAM) is None
    with database.transaction() as session:
        row = session.get(MemberRow, sekretaris)
        assert row is not None
        assert (row.telegram_user_id, row.deactivated_at, row.is_admin) == (
            None,
            office.clock.now,
            False,
        )
        ended = session.get(ActingRow, acting)
        assert ended is not None
        assert (ended.valid_to, ended.end_applied_at) == (office.clock.now, office.clock.now)
        # Told once, to the chat they had, as the outbox delivers it after the unbinding.
        told = session.exec(
            select(OutboxRow).where(OutboxRow.member_id == sekretaris).order_by(col(OutboxRow.id))
        ).all()
    agency_name = office.people.roster(office.agency_id).agency.name
    farewell = default_catalog().text(Language.ID, "people.farewell", agency=agency_name)
    assert [m.payload.get("text") for m in told].count(farewell) == 1
    assert {m.chat_id for m in told if m.state == "pending"} == {SEKRETARIS_TELEGRAM}
    with pytest.raises(InvitationInvalid):
        office.onboarding.accept(
            next_key(), token=pending, telegram_user_id=7_999, full_name="X", language_code=None
        )
    # Listed only when asked for everyone; nothing else is done to them.
    assert office.people.roster(office.agency_id).person(sekretaris) is None
    listed = office.people.roster(office.agency_id, include_deactivated=True).person(sekretaris)
    assert listed is not None
    assert (listed.deactivated_at, listed.positions, listed.acting, listed.joined) == (
        office.clock.now,
        (),
        (),
        False,
    )
    before = counts(database)
    for attempt in (
        lambda: office.people.deactivate(
            next_key(), agency_id=office.agency_id, member_id=sekretaris
        ),
        lambda: office.people.set_admin(
            next_key(), agency_id=office.agency_id, member_id=sekretaris, is_admin=True
        ),
        lambda: office.people.take_position(
            next_key(),
            agency_id=office.agency_id,
            member_id=sekretaris,
            position_id=kaban_position,
        ),
        lambda: office.people.person(office.agency_id, sekretaris),
    ):
        with pytest.raises(MemberInactive):
            attempt()
    assert counts(database) == before
    # The record: the holding and the Plh ended, the invitation revoked, the member deactivated.
    assert people_audit(database)[-4:] == [
        ("holding", "end", office.admin),
        ("acting", "end", office.admin),
        ("invitation", "revoke", office.admin),
        ("member", "deactivate", office.admin),
    ]


def test_a_step_handed_to_a_deactivated_member_goes_back_to_the_position(office: Office) -> None:
    start_as(office.procedures, office.agency, office.definition, "Data Kinerja Triwulan III")
    sekretaris = office.agency.person("sekretaris")
    staff = office.agency.person("kassubag_renval")
    (item,) = office.procedures.inbox(sekretaris)
    office.procedures.hand_over(
        next_key(),
        member_id=sekretaris,
        disposition_id=item.disposition_id,
        to_member_id=staff,
        reason="Sekretaris dinas luar",
    )
    assert (office.tasks(sekretaris), office.tasks(staff)) == ([], [2])
    office.people.deactivate(next_key(), agency_id=office.agency_id, member_id=staff)
    assert (office.tasks(sekretaris), office.tasks(staff)) == ([2], [])


def test_the_agency_always_keeps_an_admin(office: Office) -> None:
    database = office.procedures.database
    admin = office.admin
    before = counts(database)
    with pytest.raises(LastAdmin):
        office.people.set_admin(
            next_key(), agency_id=office.agency_id, member_id=admin, is_admin=False, actor_id=admin
        )
    with pytest.raises(LastAdmin):  # from the command line too
        office.people.deactivate(next_key(), agency_id=office.agency_id, member_id=admin)
    with pytest.raises(OwnDeactivation):
        office.people.deactivate(
            next_key(), agency_id=office.agency_id, member_id=admin, actor_id=admin
        )
    assert counts(database) == before
    second = office.agency.person("sekretaris")
    made = office.people.set_admin(
        next_key(), agency_id=office.agency_id, member_id=second, is_admin=True, actor_id=admin
    ).result
    assert (made.is_admin, made.changed) == (True, True)
    again = office.people.set_admin(
        next_key(), agency_id=office.agency_id, member_id=second, is_admin=True, actor_id=admin
    ).result
    assert again.changed is False
    # Two admins: the first may give up the right, and then the second is the last.
    office.people.set_admin(
        next_key(), agency_id=office.agency_id, member_id=admin, is_admin=False, actor_id=admin
    )
    with pytest.raises(NotAllowed):  # no longer an admin
        office.people.roster(office.agency_id, actor_id=admin)
    with pytest.raises(LastAdmin):
        office.people.set_admin(
            next_key(),
            agency_id=office.agency_id,
            member_id=second,
            is_admin=False,
            actor_id=second,
        )
    assert [a for a in people_audit(database) if a[1].startswith("admin_")] == [
        ("member", "admin_on", admin),
        ("member", "admin_off", admin),
    ]


def test_a_revoked_invitation_opens_nothing(office: Office) -> None:
    position = office.agency.positions["sekretaris"][0]
    token, _ = office.onboarding.invite(
        agency_id=office.agency_id, position_id=position, created_by_id=office.admin
    )
    (listed,) = office.people.open_invitations(office.agency_id, actor_id=office.admin)
    assert (listed.position and listed.position.id, listed.created_by, listed.member_name) == (
        position,
        "Admin Agency",
        None,
    )
    office.people.revoke_invitation(
        next_key(), agency_id=office.agency_id, invitation_id=listed.id, actor_id=office.admin
    )
    assert office.people.open_invitations(office.agency_id) == []
    with pytest.raises(InvitationInvalid):
        office.onboarding.accept(
            next_key(), token=token, telegram_user_id=7_555, full_name="X", language_code=None
        )
    with pytest.raises(InvitationClosed):
        office.people.revoke_invitation(
            next_key(), agency_id=office.agency_id, invitation_id=listed.id, actor_id=office.admin
        )
    # An expired one is not open either.
    office.onboarding.invite(agency_id=office.agency_id, ttl=dt.timedelta(hours=1))
    office.clock.advance(hours=2)
    assert office.people.open_invitations(office.agency_id) == []


def test_another_agencys_ids_and_people_change_nothing(office: Office) -> None:
    database = office.procedures.database
    organization = office.organization
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    their_admin = organization.add_member(agency_id=other, name="Admin Lain", is_admin=True)
    their_member = organization.add_member(agency_id=other, name="Pegawai Lain")
    their_position = organization.add_position(agency_id=other, key="kaban", name="Kepala")
    their_invitation, _ = office.onboarding.invite(agency_id=other, position_id=their_position)
    (invitation,) = office.people.open_invitations(other)
    ours = office.agency.person("sekretaris")
    our_position = office.agency.positions["sekretaris"][0]
    clerk = office.agency.person("kassubag_renval")  # a member, not an admin
    before = counts(database)
    agency, admin = office.agency_id, office.admin
    refused: list[tuple[type[DomainError], object]] = [
        # Our admin names their member, position or invitation.
        (UnknownMember, lambda: office.people.person(agency, their_member, actor_id=admin)),
        (
            UnknownMember,
            lambda: office.people.deactivate(
                next_key(), agency_id=agency, member_id=their_member, actor_id=admin
            ),
        ),
        (
            UnknownMember,
            lambda: office.people.set_admin(
                next_key(), agency_id=agency, member_id=their_admin, is_admin=False, actor_id=admin
            ),
        ),
        (
            NotFound,
            lambda: office.people.move(
                next_key(),
                agency_id=agency,
                member_id=ours,
                to_position_id=their_position,
                actor_id=admin,
            ),
        ),
        (
            NotFound,
            lambda: office.people.revoke_invitation(
                next_key(), agency_id=agency, invitation_id=invitation.id, actor_id=admin
            ),
        ),
        # Their admin, or our clerk, acts on our agency.
        (
            NotAllowed,
            lambda: office.people.move(
                next_key(),
                agency_id=agency,
                member_id=ours,
                to_position_id=our_position,
                actor_id=their_admin,
            ),
        ),
        (NotAllowed, lambda: office.people.roster(agency, actor_id=their_admin)),
        (
            NotAllowed,
            lambda: office.people.set_admin(
                next_key(), agency_id=agency, member_id=clerk, is_admin=True, actor_id=clerk
            ),
        ),
        (
            NotAllowed,
            lambda: office.people.revoke_invitation(
                next_key(), agency_id=other, invitation_id=invitation.id, actor_id=admin
            ),
        ),
    ]
    for error, attempt in refused:
        with pytest.raises(error):
            attempt()  # type: ignore[operator]
    assert counts(database) == before
    assert office.people.open_invitations(other)[0].id == invitation.id
    assert their_invitation


def test_a_replayed_mutasi_returns_its_result_and_moves_once(office: Office) -> None:
    kabid = office.agency.person("kepala_bidang")
    renval = office.agency.positions["kassubag_renval"][0]
    key = next_key()
    first = office.people.move(
        key, agency_id=office.agency_id, member_id=kabid, to_position_id=renval
    )
    again = office.people.move(
        key, agency_id=office.agency_id, member_id=kabid, to_position_id=renval
    )
    assert (again.result, again.replayed, first.replayed) == (first.result, True, False)
    assert [p.id for p in office.people.person(office.agency_id, kabid).positions] == [renval]


# -- a new link for a member who has not joined ------------------------------------------------


def _listed(office: Office, name: str, username: str | None = None) -> int:
    """A member made before they have Telegram (as a roster or an operator makes them), with
    their first link, which is then lost."""
    member_id = office.organization.add_member(agency_id=office.agency_id, name=name)
    if username is not None:
        with office.procedures.database.transaction() as session:
            row = session.get(MemberRow, member_id)
            assert row is not None
            row.telegram_username = username
            session.add(row)
    office.onboarding.invite(
        agency_id=office.agency_id, member_id=member_id, created_by_id=office.admin
    )
    return member_id


def _open_links(office: Office, member_id: int) -> list[int]:
    with office.procedures.database.transaction() as session:
        return [
            invitation_id
            for invitation_id in session.exec(
                select(InvitationRow.id)
                .where(InvitationRow.member_id == member_id)
                .where(col(InvitationRow.used_at).is_(None))
                .where(col(InvitationRow.revoked_at).is_(None))
            ).all()
            if invitation_id is not None
        ]


def test_a_member_who_has_not_joined_gets_a_new_link_and_joins_as_themselves(
    office: Office,
) -> None:
    database = office.procedures.database
    start_as(office.procedures, office.agency, office.definition, "Data Kinerja Triwulan III")
    sekretaris = office.agency.person("sekretaris")
    sekretaris_position = office.agency.positions["sekretaris"][0]
    # Rina, from a roster, is the Sekretaris now (step 2 waits for her), and lost her link.
    rina = _listed(office, "Rina Wulandari", username="rina_w")
    lost_token, _ = office.onboarding.invite(agency_id=office.agency_id, member_id=rina)
    office.people.leave_position(
        next_key(),
        agency_id=office.agency_id,
        member_id=sekretaris,
        position_id=sekretaris_position,
    )
    office.people.take_position(
        next_key(), agency_id=office.agency_id, member_id=rina, position_id=sekretaris_position
    )
    assert office.tasks(rina) == [2]
    assert len(_open_links(office, rina)) == 2
    audit_before = len(people_audit(database))

    link = office.people.relink(
        next_key(), agency_id=office.agency_id, member_id=rina, actor_id=office.admin
    )
    assert (link.member_id, link.member_name, link.telegram_username) == (
        rina,
        "Rina Wulandari",
        "rina_w",
    )
    assert (link.revoked, link.renewed) == (2, False)
    assert link.expires_at == START + dt.timedelta(days=7)
    assert _open_links(office, rina) == [link.invitation_id]
    (listed,) = [
        i for i in office.people.open_invitations(office.agency_id) if i.member_name is not None
    ]
    assert (listed.id, listed.position, listed.is_admin, listed.created_by) == (
        link.invitation_id,
        None,
        False,
        "Admin Agency",
    )
    assert people_audit(database)[audit_before:] == [
        ("invitation", "revoke", office.admin),
        ("invitation", "revoke", office.admin),
        ("invitation", "create", office.admin),
    ]
    with database.transaction() as session:
        reasons = [
            (row.action, (row.detail or {}).get("reason"))
            for row in session.exec(
                select(AuditRow)
                .where(AuditRow.entity == "invitation")
                .order_by(col(AuditRow.id).desc())
                .limit(3)
            ).all()
        ]
    assert reasons == [("create", "relinked"), ("revoke", "relinked"), ("revoke", "relinked")]

    # The lost link opens nothing; the new one binds only Rina's account, to her own row.
    with pytest.raises(InvitationInvalid):
        office.onboarding.accept(
            next_key(),
            token=lost_token,
            telegram_user_id=7_700,
            full_name="Rina",
            language_code="id",
            telegram_username="rina_w",
        )
    with pytest.raises(WrongAccount):
        office.onboarding.accept(
            next_key(),
            token=link.token,
            telegram_user_id=7_701,
            full_name="Orang Lain",
            language_code="id",
            telegram_username="orang_lain",
        )
    members_before = counts(database)["member"]
    joined = office.onboarding.accept(
        next_key(),
        token=link.token,
        telegram_user_id=7_700,
        full_name="Rina W",
        language_code="id",
        telegram_username="Rina_W",
    ).result
    assert joined.member_id == rina
    assert counts(database)["member"] == members_before  # no second Rina
    # Her open work reaches her: step 2, in /tugas and as a disposition to her chat.
    assert office.tasks(rina) == [2]
    with database.transaction() as session:
        sent = session.exec(
            select(OutboxRow)
            .where(OutboxRow.member_id == rina)
            .where(col(OutboxRow.disposition_id).is_not(None))
            .where(OutboxRow.state == "pending")
        ).all()
    assert len(sent) == 1
    # Joined now: no more links for her.
    before = counts(database)
    with pytest.raises(MemberJoined):
        office.people.relink(
            next_key(), agency_id=office.agency_id, member_id=rina, actor_id=office.admin
        )
    assert counts(database) == before


def test_a_relink_is_refused_for_what_is_not_the_admins_to_relink(office: Office) -> None:
    database = office.procedures.database
    organization = office.organization
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    their_admin = organization.add_member(agency_id=other, name="Admin Lain", is_admin=True)
    their_member = organization.add_member(agency_id=other, name="Pegawai Lain")
    office.onboarding.invite(agency_id=other, member_id=their_member)
    joined = office.agency.person("sekretaris")
    office.join(joined, SEKRETARIS_TELEGRAM)
    clerk = office.agency.person("kassubag_renval")  # a member, not an admin
    gone = _listed(office, "Pegawai Keluar")
    office.people.deactivate(
        next_key(), agency_id=office.agency_id, member_id=gone, actor_id=office.admin
    )
    waiting = _listed(office, "Pegawai Menunggu")
    before = counts(database)
    agency, admin = office.agency_id, office.admin
    for error, member_id, actor_id, agency_id in (
        (UnknownMember, their_member, admin, agency),  # another agency's member
        (UnknownMember, 999_999, admin, agency),  # no such member
        (MemberJoined, joined, admin, agency),
        (MemberInactive, gone, admin, agency),
        (NotAllowed, waiting, clerk, agency),  # not an admin
        (NotAllowed, waiting, their_admin, agency),  # another agency's admin
        (NotAllowed, their_member, admin, other),  # our admin, their agency
    ):
        with pytest.raises(error):
            office.people.relink(
                next_key(), agency_id=agency_id, member_id=member_id, actor_id=actor_id
            )
    assert counts(database) == before
    assert len(_open_links(office, their_member)) == 1


def test_a_second_press_or_a_replay_leaves_one_link_that_opens(office: Office) -> None:
    rina = _listed(office, "Rina Wulandari")
    first = office.people.relink(
        next_key(), agency_id=office.agency_id, member_id=rina, actor_id=office.admin
    )
    # A double tap is two presses: the second revokes the first's link.
    second = office.people.relink(
        next_key(), agency_id=office.agency_id, member_id=rina, actor_id=office.admin
    )
    assert (first.revoked, second.revoked) == (1, 1)
    assert _open_links(office, rina) == [second.invitation_id]
    # The same update handled twice: its link may never have been shown, so it is renewed.
    key = next_key()
    third = office.people.relink(key, agency_id=office.agency_id, member_id=rina)
    again = office.people.relink(key, agency_id=office.agency_id, member_id=rina)
    assert (third.renewed, again.renewed) == (False, True)
    assert again.token != third.token
    assert _open_links(office, rina) == [again.invitation_id]
    for token in (first.token, second.token, third.token):
        with pytest.raises(InvitationInvalid):
            office.onboarding.accept(
                next_key(), token=token, telegram_user_id=7_800, full_name="R", language_code=None
            )
    joined = office.onboarding.accept(
        next_key(), token=again.token, telegram_user_id=7_800, full_name="R", language_code=None
    )
    assert joined.result.member_id == rina


def test_a_named_admins_new_link_makes_them_an_admin(office: Office) -> None:
    named = office.organization.add_member(
        agency_id=office.agency_id, name="Admin Kedua", is_admin=True
    )
    link = office.people.relink(
        next_key(), agency_id=office.agency_id, member_id=named, actor_id=office.admin
    )
    assert link.revoked == 0
    (listed,) = [i for i in office.people.open_invitations(office.agency_id) if i.is_admin]
    assert listed.id == link.invitation_id
    office.onboarding.accept(
        next_key(), token=link.token, telegram_user_id=7_900, full_name="A", language_code=None
    )
    assert office.people.person(office.agency_id, named).is_admin
    assert office.people.person(office.agency_id, named).joined
