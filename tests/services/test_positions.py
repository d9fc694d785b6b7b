"""An agency's positions and the roles they serve, through `PositionAdmin` on SQLite and
PostgreSQL: listed with holders, Plt/Plh and roles; added, renamed, removed; roles given and
taken away with open work re-routed (or left waiting); every command audited with its actor,
authorised per agency, and a replay that changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import col, select

from sopbot.engine.errors import NotAllowed, NotFound, UnknownSop
from sopbot.engine.library import load_library
from sopbot.engine.organization import ActingKind
from sopbot.services.organization import OrganizationService
from sopbot.services.positions import (
    MappingExists,
    OpenWorkImpact,
    PositionAdmin,
    PositionInUse,
    PositionKeyTaken,
    PositionNameRefused,
    RoleNotServable,
    key_from_name,
    ref_of,
)
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage import agencies
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, PositionRow, RoleMappingRow
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock

START = dt.datetime(2026, 8, 3, 2, 0, tzinfo=dt.UTC)  # a Monday, 09.00 WIB
SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
SOP_TITLE = "STANDAR OPERASIONAL PROSEDUR PENGUMPULAN DAN PENGOLAHAN DATA KINERJA"
DEFS = Path(__file__).resolve().parents[1] / "e2e" / "defs"


@dataclass
class Office:
    """The Kesbangpol seed's agency, one person per role, with its admin."""

    procedures: ProcedureService
    organization: OrganizationService
    admin: PositionAdmin
    clock: ManualClock
    seed: SeedAgency

    @property
    def agency_id(self) -> int:
        return self.seed.agency_id

    @property
    def admin_id(self) -> int:
        return self.seed.admin_id

    def position_of(self, role: str) -> int:
        return self.seed.positions[role][0]

    def mapping_of(self, role: str, position_id: int | None = None) -> int:
        view = self.admin.position(self.agency_id, position_id or self.position_of(role))
        return next(m.mapping_id for m in view.mappings if m.role_key == role)

    def new_holder(self, name: str, position_key: str) -> tuple[int, int]:
        """A new position (named `name`) and a member holding it: (position, member)."""
        created = self.admin.add_position(
            next_key(), agency_id=self.agency_id, name=name, position_key=position_key
        ).result
        member = self.organization.add_member(agency_id=self.agency_id, name=f"Pak {name}")
        self.organization.appoint(None, member_id=member, position_id=created.position_id)
        return created.position_id, member

    def work_of(self, member_id: int) -> list[int]:
        """The step numbers waiting for the member."""
        return [item.step_number for item in self.procedures.inbox(member_id)]

    def rows(self, model: type[PositionRow] | type[RoleMappingRow]) -> list[tuple[object, ...]]:
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            if model is PositionRow:
                found = uow.session.exec(select(PositionRow).order_by(col(PositionRow.id))).all()
                return [(p.id, p.key, p.name, p.removed_at) for p in found]
            mappings = uow.session.exec(
                select(RoleMappingRow).order_by(col(RoleMappingRow.id))
            ).all()
            return [(m.id, m.sop_id, m.role_key, m.position_id) for m in mappings]

    def audit(self, entity: str) -> list[tuple[str, int | None, str | None, str]]:
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            found = uow.session.exec(
                select(AuditRow).where(AuditRow.entity == entity).order_by(col(AuditRow.id))
            ).all()
            return [(a.action, a.actor_id, a.before, a.after) for a in found]


@pytest.fixture
def office(database: Database) -> Office:
    clock = ManualClock(START)
    library = seed_library()
    procedures = ProcedureService(database, library, clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    definition = library.get(SOP)
    assert definition is not None
    seed = staff_agency(organization, definition)
    return Office(procedures, organization, PositionAdmin(procedures, clock=clock), clock, seed)


def start(office: Office) -> None:
    """The Kepala Dinas starts the SOP: step 1 is theirs and done at once; step 2 (the
    Sekretaris's) is open."""
    definition = office.seed.definition
    start_as(office.procedures, office.seed, definition, "Data kinerja triwulan III")


def test_the_overview_shows_holders_actings_and_roles(office: Office) -> None:
    sekretaris = office.position_of("sekretaris")
    deputy = office.seed.person("kassubag_renval")
    office.organization.appoint_acting(
        None,
        member_id=deputy,
        position_id=sekretaris,
        kind=ActingKind.PLH,
        for_member_id=office.seed.person("sekretaris"),
        valid_to=START + dt.timedelta(days=5),
    )
    overview = office.admin.overview(office.agency_id, actor_id=office.admin_id)
    assert overview.agency_key == "kesbangpol-pekalongan"
    by_key = {p.key: p for p in overview.positions}
    assert list(by_key) == [
        "kepala_dinas_1",
        "sekretaris_1",
        "kepala_bidang_1",
        "kepala_bidang_2",
        "kepala_bidang_3",
        "kassubag_renval_1",
        "petugas_pengelola_data_kinerja_1",
    ]
    shown = by_key["sekretaris_1"]
    assert shown.holders == ("Sekretaris #1",)
    (acting,) = shown.actings
    assert (acting.kind, acting.name, acting.for_name, acting.in_office) == (
        ActingKind.PLH,
        "Kassubag Renval #1",
        "Sekretaris #1",
        True,
    )
    (mapping,) = shown.mappings
    assert (mapping.sop_id, mapping.sop_title, mapping.role_key, mapping.role_name) == (
        SOP,
        SOP_TITLE,
        "sekretaris",
        "Sekretaris",
    )


def test_a_position_added_gets_a_key_from_its_name_and_is_audited(office: Office) -> None:
    added = office.admin.add_position(
        next_key(), agency_id=office.agency_id, name="  Kepala  Bidang 1 (Plh) ", actor_id=None
    ).result
    assert (added.key, added.name) == ("kepala_bidang_1_plh", "Kepala Bidang 1 (Plh)")
    again = office.admin.add_position(
        next_key(),
        agency_id=office.agency_id,
        name="Kepala-Bidang 1 Plh",
        actor_id=office.admin_id,
    ).result
    assert again.key == "kepala_bidang_1_plh_2"
    assert key_from_name("Kasubbag Umum & Kepegawaian", set()) == "kasubbag_umum_kepegawaian"
    assert key_from_name("Sekretariat Ω", set()) == "sekretariat"
    assert key_from_name("—", {"jabatan"}) == "jabatan_2"
    assert office.audit("position")[-2:] == [
        ("create", None, None, "active"),
        ("create", office.admin_id, None, "active"),
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [("   ", "empty"), ("x" * 201, "too_long"), ("sekretaris 1", "taken")],
)
def test_a_name_that_cannot_be_used_is_refused(office: Office, name: str, reason: str) -> None:
    before = office.rows(PositionRow)
    with pytest.raises(PositionNameRefused) as refused:
        office.admin.add_position(next_key(), agency_id=office.agency_id, name=name)
    assert refused.value.params["reason"] == reason
    assert office.rows(PositionRow) == before


def test_a_key_in_use_is_refused(office: Office) -> None:
    with pytest.raises(PositionKeyTaken):
        office.admin.add_position(
            next_key(), agency_id=office.agency_id, name="Lain", position_key="sekretaris_1"
        )


def test_renaming_keeps_the_key_and_is_audited(office: Office) -> None:
    sekretaris = office.position_of("sekretaris")
    renamed = office.admin.rename_position(
        next_key(),
        agency_id=office.agency_id,
        position_id=sekretaris,
        name="Sekretaris Badan",
        actor_id=office.admin_id,
    ).result
    assert (renamed.old_name, renamed.new_name) == ("Sekretaris 1", "Sekretaris Badan")
    view = office.admin.position(office.agency_id, sekretaris)
    assert (view.key, view.name) == ("sekretaris_1", "Sekretaris Badan")
    assert office.audit("position")[-1] == (
        "rename",
        office.admin_id,
        "Sekretaris 1",
        "Sekretaris Badan",
    )
    for name, reason in (("Sekretaris Badan", "unchanged"), ("KEPALA DINAS 1", "taken")):
        with pytest.raises(PositionNameRefused) as refused:
            office.admin.rename_position(
                next_key(), agency_id=office.agency_id, position_id=sekretaris, name=name
            )
        assert refused.value.params["reason"] == reason


def test_a_role_given_takes_open_work_at_once_and_twice_is_refused(office: Office) -> None:
    start(office)
    sekretaris = office.seed.person("sekretaris")
    assert office.work_of(sekretaris) == [2]
    analis, holder = office.new_holder("Analis Kinerja", "analis")
    given = office.admin.map_role(
        next_key(),
        agency_id=office.agency_id,
        position_id=analis,
        role_key="sekretaris",
        sop_id=SOP,
        actor_id=office.admin_id,
    ).result
    assert (given.role_key, given.sop_id, given.instances_rerouted) == ("sekretaris", SOP, 1)
    assert office.work_of(holder) == [2]  # a team of two now: either takes it
    assert office.work_of(sekretaris) == [2]
    with pytest.raises(MappingExists):
        office.admin.map_role(
            next_key(),
            agency_id=office.agency_id,
            position_id=analis,
            role_key="sekretaris",
            sop_id=SOP,
        )
    assert office.audit("role_mapping")[-1] == ("map", office.admin_id, None, "mapped")


def test_a_role_taken_away_leaves_the_step_vacant_until_given_again(office: Office) -> None:
    start(office)
    sekretaris = office.seed.person("sekretaris")
    analis, holder = office.new_holder("Analis Kinerja", "analis")
    office.admin.map_role(
        next_key(),
        agency_id=office.agency_id,
        position_id=analis,
        role_key="sekretaris",
        sop_id=SOP,
    )
    # Taking it from the Analis: the step stays with the Sekretaris.
    analis_mapping = office.mapping_of("sekretaris", analis)
    preview = office.admin.unmap_preview(office.agency_id, analis_mapping, actor_id=office.admin_id)
    assert preview.impact == OpenWorkImpact(steps_touched=1, steps_left_vacant=0)
    assert (preview.mapping.role_name, preview.position.name) == ("Sekretaris", "Analis Kinerja")
    taken = office.admin.unmap_role(
        next_key(), agency_id=office.agency_id, mapping_id=analis_mapping, actor_id=office.admin_id
    ).result
    assert (taken.steps_touched, taken.steps_left_vacant, taken.instances_rerouted) == (1, 0, 1)
    assert (office.work_of(holder), office.work_of(sekretaris)) == ([], [2])
    # Taking it from the Sekretaris too: no position serves the role, the step waits.
    last = office.mapping_of("sekretaris")
    assert office.admin.unmap_preview(office.agency_id, last).impact == OpenWorkImpact(1, 1)
    taken = office.admin.unmap_role(next_key(), agency_id=office.agency_id, mapping_id=last).result
    assert (taken.steps_touched, taken.steps_left_vacant) == (1, 1)
    assert office.work_of(sekretaris) == []
    assert _open_steps(office) == [(2, [])]  # /status: "belum ada pejabat"
    # Given to the Analis (for every SOP this time): the step reaches its holder.
    office.admin.map_role(
        next_key(), agency_id=office.agency_id, position_id=analis, role_key="sekretaris"
    )
    assert office.work_of(holder) == [2]
    assert office.audit("role_mapping")[-3:] == [
        ("unmap", office.admin_id, "mapped", "unmapped"),
        ("unmap", None, "mapped", "unmapped"),
        ("map", None, None, "mapped"),
    ]


def _open_steps(office: Office) -> list[tuple[int, list[str]]]:
    (instance,) = Views(office.procedures, clock=office.clock).status(office.agency_id)
    return [(step.step_number, step.people) for step in instance.open_steps]


def test_an_sops_own_mapping_taken_away_hands_the_role_back_to_the_agency_wide_one(
    office: Office,
) -> None:
    start(office)
    umum, holder = office.new_holder("Sekretaris Umum", "sekum")
    office.admin.map_role(
        next_key(), agency_id=office.agency_id, position_id=umum, role_key="sekretaris"
    )
    # The SOP's own mapping (to the Sekretaris 1) replaces the agency-wide one for this SOP.
    assert office.work_of(holder) == []
    own = office.mapping_of("sekretaris")
    assert office.admin.unmap_preview(office.agency_id, own).impact == OpenWorkImpact(1, 0)
    office.admin.unmap_role(next_key(), agency_id=office.agency_id, mapping_id=own)
    assert office.work_of(holder) == [2]
    assert office.work_of(office.seed.person("sekretaris")) == []


def test_only_the_roles_of_the_agencys_posts_can_be_given(office: Office) -> None:
    position = office.position_of("sekretaris")
    before = office.rows(RoleMappingRow)
    with pytest.raises(RoleNotServable):
        office.admin.map_role(
            next_key(),
            agency_id=office.agency_id,
            position_id=position,
            role_key="sekretariss",
            sop_id=SOP,
        )
    with pytest.raises(RoleNotServable):  # in no SOP of the agency
        office.admin.map_role(
            next_key(), agency_id=office.agency_id, position_id=position, role_key="tata_usaha"
        )
    with pytest.raises(UnknownSop):
        office.admin.map_role(
            next_key(),
            agency_id=office.agency_id,
            position_id=position,
            role_key="sekretaris",
            sop_id="dinas-kukmp-samarinda/pengolahan-data-kinerja",
        )
    assert office.rows(RoleMappingRow) == before


def test_an_outside_party_is_never_a_post(database: Database) -> None:
    library = load_library(DEFS)
    procedures = ProcedureService(database, library)
    organization = OrganizationService(procedures)
    agency_id = organization.create_agency(
        key="dinas-surat-samarinda", name="Dinas Surat", timezone="Asia/Makassar"
    )
    admin = PositionAdmin(procedures)
    position = admin.add_position(next_key(), agency_id=agency_id, name="Loket").result
    choices = admin.role_choices(agency_id, position.position_id, None)
    assert [r.key for r in choices.roles] == [
        "tata_usaha",
        "sekretaris",
        "kasi",
        "kabid",
        "kepala_dinas",
    ]
    with pytest.raises(RoleNotServable) as refused:
        admin.map_role(
            next_key(),
            agency_id=agency_id,
            position_id=position.position_id,
            role_key="pengirim",
            sop_id="dinas-surat-samarinda/surat-masuk",
        )
    assert refused.value.params["recorded_by"] == "tata_usaha"


def test_role_choices_name_the_sop_by_a_short_reference(office: Office) -> None:
    position = office.position_of("sekretaris")
    (sop,) = office.admin.sop_choices(office.agency_id)
    assert (sop.ref, sop.sop_id, sop.title) == (ref_of(SOP), SOP, SOP_TITLE)
    choices = office.admin.role_choices(office.agency_id, position, sop.ref)
    assert choices.sop == sop
    assert [(r.key, r.mapped) for r in choices.roles] == [
        ("kepala_dinas", False),
        ("sekretaris", True),
        ("kepala_bidang", False),
        ("kassubag_renval", False),
        ("petugas_pengelola_data_kinerja", False),
    ]
    every = office.admin.role_choices(office.agency_id, position, None)
    assert not any(r.mapped for r in every.roles)  # mapped for the one SOP, not for all
    with pytest.raises(NotFound):
        office.admin.role_choices(office.agency_id, position, "deadbeef")


def test_a_position_in_use_is_not_removed_and_says_why(office: Office) -> None:
    start(office)
    sekretaris_position = office.position_of("sekretaris")
    preview = office.admin.removal_preview(office.agency_id, sekretaris_position)
    assert preview.blocked
    assert (preview.holders, preview.open_work) == (("Sekretaris #1",), 1)
    before = (office.rows(PositionRow), office.rows(RoleMappingRow))
    with pytest.raises(PositionInUse) as refused:
        office.admin.remove_position(
            next_key(), agency_id=office.agency_id, position_id=sekretaris_position
        )
    assert refused.value.params == {"holders": "Sekretaris #1", "actings": "", "open_work": 1}
    # An empty post with a Plt still in office.
    kabid = office.position_of("kepala_bidang")
    office.organization.end_holding(
        None, member_id=office.seed.person("kepala_bidang"), position_id=kabid
    )
    office.organization.appoint_acting(
        None,
        member_id=office.seed.person("kassubag_renval"),
        position_id=kabid,
        kind=ActingKind.PLT,
        for_member_id=None,
    )
    with pytest.raises(PositionInUse) as refused:
        office.admin.remove_position(next_key(), agency_id=office.agency_id, position_id=kabid)
    assert refused.value.params["actings"] == "Plt. Kassubag Renval #1"
    # Work handed to a colleague stays on the post after its holder leaves.
    disposition = office.procedures.inbox(office.seed.person("sekretaris"))[0].disposition_id
    office.procedures.hand_over(
        next_key(),
        member_id=office.seed.person("sekretaris"),
        disposition_id=disposition,
        to_member_id=office.seed.person("kepala_dinas"),
        reason="Cuti",
    )
    office.organization.end_holding(
        None, member_id=office.seed.person("sekretaris"), position_id=sekretaris_position
    )
    with pytest.raises(PositionInUse) as refused:
        office.admin.remove_position(
            next_key(), agency_id=office.agency_id, position_id=sekretaris_position
        )
    assert refused.value.params == {"holders": "", "actings": "", "open_work": 1}
    assert (office.rows(PositionRow), office.rows(RoleMappingRow)) == before


def test_an_empty_position_is_removed_its_roles_go_and_its_key_is_free(office: Office) -> None:
    start(office)
    sekretaris_position = office.position_of("sekretaris")
    umum, holder = office.new_holder("Sekretaris Umum", "sekum")
    office.admin.map_role(
        next_key(), agency_id=office.agency_id, position_id=umum, role_key="sekretaris"
    )
    office.organization.end_holding(
        None, member_id=office.seed.person("sekretaris"), position_id=sekretaris_position
    )
    preview = office.admin.removal_preview(office.agency_id, sekretaris_position)
    assert not preview.blocked
    # Its SOP's own mapping goes: the agency-wide Sekretaris Umum takes the vacant step.
    assert preview.impact == OpenWorkImpact(1, 0)
    removed = office.admin.remove_position(
        next_key(),
        agency_id=office.agency_id,
        position_id=sekretaris_position,
        actor_id=office.admin_id,
    ).result
    freed = f"sekretaris_1~{sekretaris_position}"
    assert (removed.key, removed.freed_key, removed.mappings_removed) == (
        "sekretaris_1",
        freed,
        1,
    )
    assert office.work_of(holder) == [2]
    with office.procedures.database.unit_of_work(read_only=True) as uow:
        offered = [p.id for p in agencies.positions_of_agency(uow, office.agency_id)]
        assert sekretaris_position not in offered
        assert agencies.position_in_agency(uow, office.agency_id, sekretaris_position) is None
        assert agencies.position_by_key(uow, office.agency_id, "sekretaris_1") is None
    assert [m for m in office.rows(RoleMappingRow) if m[3] == sekretaris_position] == []
    listed = office.admin.overview(office.agency_id, include_removed=True).positions
    assert [(p.key, p.removed_at is not None) for p in listed if p.id == sekretaris_position] == [
        (freed, True)
    ]
    assert sekretaris_position not in [
        p.id for p in office.admin.overview(office.agency_id).positions
    ]
    assert office.audit("position")[-1] == ("remove", office.admin_id, "active", "removed")
    # The key is free again; the removed position is gone from every command.
    office.admin.add_position(
        next_key(), agency_id=office.agency_id, name="Sekretaris 1", position_key="sekretaris_1"
    )
    for call in (
        lambda: office.admin.position(office.agency_id, sekretaris_position),
        lambda: office.admin.rename_position(
            next_key(), agency_id=office.agency_id, position_id=sekretaris_position, name="X"
        ),
        lambda: office.admin.remove_position(
            next_key(), agency_id=office.agency_id, position_id=sekretaris_position
        ),
        lambda: office.admin.map_role(
            next_key(),
            agency_id=office.agency_id,
            position_id=sekretaris_position,
            role_key="sekretaris",
        ),
    ):
        with pytest.raises(NotFound):
            call()


def test_another_agencys_ids_and_admins_change_nothing(office: Office) -> None:
    other = office.organization.create_agency(
        key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    other_admin = office.organization.add_member(agency_id=other, name="Admin Lain", is_admin=True)
    theirs = office.organization.add_position(agency_id=other, key="kadis", name="Kepala Dinas")
    their_mapping = office.organization.map_role(
        agency_id=other, role_key="kepala_dinas", position_id=theirs
    ).mapping_id
    clerk = office.seed.person("sekretaris")  # of the agency, not an admin
    before = (office.rows(PositionRow), office.rows(RoleMappingRow))
    mine, me = office.agency_id, office.admin_id
    for call in (
        lambda: office.admin.position(mine, theirs, actor_id=me),
        lambda: office.admin.rename_position(
            next_key(), agency_id=mine, position_id=theirs, name="Milik kami", actor_id=me
        ),
        lambda: office.admin.remove_position(
            next_key(), agency_id=mine, position_id=theirs, actor_id=me
        ),
        lambda: office.admin.map_role(
            next_key(), agency_id=mine, position_id=theirs, role_key="sekretaris", actor_id=me
        ),
        lambda: office.admin.unmap_preview(mine, their_mapping, actor_id=me),
        lambda: office.admin.unmap_role(
            next_key(), agency_id=mine, mapping_id=their_mapping, actor_id=me
        ),
        lambda: office.admin.removal_preview(mine, theirs, actor_id=me),
    ):
        with pytest.raises(NotFound):
            call()
    sekretaris = office.position_of("sekretaris")
    mapping = office.mapping_of("sekretaris")

    def attempts(actor: int) -> list[Callable[[], object]]:
        return [
            lambda: office.admin.overview(mine, actor_id=actor),
            lambda: office.admin.rename_position(
                next_key(), agency_id=mine, position_id=sekretaris, name="X", actor_id=actor
            ),
            lambda: office.admin.unmap_role(
                next_key(), agency_id=mine, mapping_id=mapping, actor_id=actor
            ),
        ]

    for actor in (other_admin, clerk):
        for attempt in attempts(actor):
            with pytest.raises(NotAllowed):
                attempt()
    assert (office.rows(PositionRow), office.rows(RoleMappingRow)) == before


def test_a_replayed_command_returns_its_first_answer_and_changes_nothing(office: Office) -> None:
    key = next_key()
    first = office.admin.add_position(key, agency_id=office.agency_id, name="Bendahara")
    positions_after = office.rows(PositionRow)
    again = office.admin.add_position(key, agency_id=office.agency_id, name="Bendahara")
    assert (again.result, again.replayed) == (first.result, True)
    assert office.rows(PositionRow) == positions_after
    # A refusal is remembered the same way.
    mapping = office.mapping_of("sekretaris")
    unmap_key = next_key()
    office.admin.unmap_role(unmap_key, agency_id=office.agency_id, mapping_id=mapping)
    replayed = office.admin.unmap_role(unmap_key, agency_id=office.agency_id, mapping_id=mapping)
    assert replayed.replayed
    with pytest.raises(NotFound):  # a second press of the same button: gone already
        office.admin.unmap_role(next_key(), agency_id=office.agency_id, mapping_id=mapping)
