"""Operator admins through the services, on SQLite and PostgreSQL: the operator's link makes
an operator; creating an agency question by question, every button checked against the stored
question; naming an agency's first admin and revoking their link; an agency admin who is no
operator is refused everywhere, and a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlmodel import select

from sopbot.engine.errors import NotFound
from sopbot.engine.working_calendar import DayRule
from sopbot.services.agency_setup import (
    AGENCY_QUESTION,
    USE_KEY,
    AgencyDraft,
    AgencyMade,
    AgencySetup,
    Problem,
    Stage,
)
from sopbot.services.onboarding import InvitationInvalid, OnboardingService
from sopbot.services.operators import (
    AGENCIES_PER_PAGE,
    LastOperator,
    NotOperator,
    OperatorService,
)
from sopbot.services.organization import InvalidSetup, OrganizationService
from sopbot.services.pending import PendingInputs
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AgencyRow, AuditRow, InvitationRow, MemberRow
from tests.helpers.agencies import next_key, seed_library
from tests.helpers.clock import ManualClock

START = dt.datetime(2026, 8, 3, 1, 0, tzinfo=dt.UTC)
RINA = 7_001  # Telegram user ids
BUDI = 7_002
SITI = 7_003


@dataclass
class Deployment:
    """An operator (joined) of the Diskominfo, and another agency with its own admin."""

    database: Database
    clock: ManualClock
    operators: OperatorService
    setup: AgencySetup
    onboarding: OnboardingService
    pending: PendingInputs
    operator_id: int
    home_id: int
    other_id: int  # Dinas Uji
    other_admin_id: int  # its admin, no operator

    def rows(self, model: type) -> list:  # type: ignore[type-arg]
        with self.database.transaction() as session:
            return list(session.exec(select(model)).all())

    def accept(self, token: str, user_id: int, name: str = "Someone") -> int:
        accepted = self.onboarding.accept(
            next_key(), token=token, telegram_user_id=user_id, full_name=name, language_code="id"
        )
        return accepted.result.member_id


@pytest.fixture
def deployment(database: Database) -> Deployment:
    clock = ManualClock(START)
    procedures = ProcedureService(database, seed_library(), clock=clock)
    operators = OperatorService(procedures, clock=clock)
    onboarding = OnboardingService(procedures, clock=clock)
    token, added = operators.add_operator(
        name="Rina Kominfo",
        agency_key="diskominfo-samarinda",
        agency_name="Diskominfo Kota Samarinda",
        timezone="Asia/Makassar",
    )
    organization = OrganizationService(procedures, clock=clock)
    other = organization.create_agency(key="dinas-uji", name="Dinas Uji", timezone="Asia/Jakarta")
    other_admin = organization.add_member(agency_id=other, name="Siti", is_admin=True)
    found = Deployment(
        database,
        clock,
        operators,
        AgencySetup(procedures, clock=clock),
        onboarding,
        PendingInputs(database, clock=clock),
        added.member_id,
        added.agency_id,
        other,
        other_admin,
    )
    found.accept(token, RINA, "Rina")
    return found


def test_the_operators_link_makes_an_operator_admin_of_the_home_agency(
    deployment: Deployment,
) -> None:
    view = deployment.onboarding.member_for(RINA)
    assert view is not None
    assert (view.id, view.is_operator, view.is_admin, view.agency_key) == (
        deployment.operator_id,
        True,
        True,
        "diskominfo-samarinda",
    )
    # An invitation for whoever accepts it (no member named) makes an operator too.
    operators = deployment.operators
    with deployment.database.unit_of_work() as uow:
        from sopbot.services.onboarding import new_token
        from sopbot.storage import invitations

        token, token_hash = new_token()
        invitations.add_invitation(
            uow,
            token_hash=token_hash,
            agency_id=deployment.home_id,
            member_id=None,
            position_id=None,
            is_admin=True,
            created_by_id=None,
            created_at=START,
            expires_at=START + dt.timedelta(days=1),
            is_operator=True,
        )
    deployment.accept(token, BUDI, "Budi")
    budi = deployment.onboarding.member_for(BUDI)
    assert budi is not None
    assert (budi.is_operator, budi.is_admin, budi.name) == (True, True, "Budi")
    assert [o.member.name for o in operators.operators()] == ["Rina Kominfo", "Budi"]


def create_agency(deployment: Deployment, name: str = "Dinas Kominfo Kecil") -> AgencyMade:
    """The whole flow, as the handler runs it."""
    setup, operator = deployment.setup, deployment.operator_id
    draft = setup.begin(operator)
    deployment.pending.ask(operator, AGENCY_QUESTION, draft.payload())
    step = setup.typed(operator, draft.payload(), name)
    deployment.pending.ask(operator, AGENCY_QUESTION, step.draft.payload())
    draft = setup.chosen(operator, draft.flow, Stage.KEY.value, USE_KEY)
    draft = setup.chosen(operator, draft.flow, Stage.ZONE.value, "WITA")
    draft = setup.chosen(operator, draft.flow, Stage.DAY.value, "akhir")
    assert draft.stage is Stage.CONFIRM
    return setup.create(next_key(), operator, draft.flow)


def test_an_agency_created_question_by_question_is_audited_as_the_operators(
    deployment: Deployment,
) -> None:
    setup, operator = deployment.setup, deployment.operator_id
    draft = setup.begin(operator)
    assert draft.stage is Stage.NAME
    deployment.pending.ask(operator, AGENCY_QUESTION, draft.payload())
    # An empty name, and a key already taken, are asked again.
    assert setup.typed(operator, draft.payload(), "   ").problem is Problem.NAME_EMPTY
    assert setup.typed(operator, draft.payload(), "x" * 201).problem is Problem.NAME_TOO_LONG
    step = setup.typed(operator, draft.payload(), "  Dinas   Uji ")
    assert (step.problem, step.draft.stage, step.draft.name) == (None, Stage.KEY, "Dinas Uji")
    assert step.draft.key == "dinas-uji-2"  # dinas-uji is another agency's
    deployment.pending.ask(operator, AGENCY_QUESTION, step.draft.payload())
    assert setup.typed(operator, step.draft.payload(), "Dinas/Uji").problem is Problem.KEY_INVALID
    assert setup.typed(operator, step.draft.payload(), "dinas-uji").problem is Problem.KEY_TAKEN
    typed = setup.typed(operator, step.draft.payload(), "Dinas-Uji-Baru")
    assert (typed.problem, typed.draft.stage, typed.draft.key) == (
        None,
        Stage.ZONE,
        "dinas-uji-baru",
    )
    deployment.pending.ask(operator, AGENCY_QUESTION, typed.draft.payload())
    # At a stage that takes a button, typing changes nothing.
    assert setup.typed(operator, typed.draft.payload(), "WITA").problem is Problem.USE_BUTTONS
    draft = setup.chosen(operator, draft.flow, Stage.ZONE.value, "WIT")
    assert (draft.stage, draft.zone, draft.timezone) == (Stage.DAY, "WIT", "Asia/Jayapura")
    draft = setup.chosen(operator, draft.flow, Stage.DAY.value, "kerja")
    assert draft.stage is Stage.CONFIRM
    key = next_key()
    made = setup.create(key, operator, draft.flow)
    assert made == AgencyMade(
        made.agency_id, "dinas-uji-baru", "Dinas Uji", "Asia/Jayapura", DayRule.WORKING_TIME
    )
    assert deployment.pending.peek(operator) is None  # forgotten with the create
    # The same press handled again answers as before; a second press finds nothing to create.
    assert setup.create(key, operator, draft.flow) == made
    with pytest.raises(NotFound):
        setup.create(next_key(), operator, draft.flow)
    assert [a.key for a in deployment.rows(AgencyRow)].count("dinas-uji-baru") == 1
    (audit,) = [a for a in deployment.rows(AuditRow) if a.entity == "agency" and a.actor_id]
    assert (audit.actor_id, audit.agency_id, audit.action) == (
        operator,
        made.agency_id,
        "create",
    )
    assert audit.detail["timezone"] == "Asia/Jayapura"


def test_stale_forged_and_repeated_buttons_change_nothing(deployment: Deployment) -> None:
    setup, operator = deployment.setup, deployment.operator_id
    draft = setup.begin(operator)
    step = setup.typed(operator, draft.payload(), "Badan Baru")
    deployment.pending.ask(operator, AGENCY_QUESTION, step.draft.payload())
    before = deployment.pending.peek(operator)
    refused = [
        ("00000000", Stage.KEY.value, USE_KEY),  # another flow
        (draft.flow, Stage.ZONE.value, "WITA"),  # a stage not open yet
        (draft.flow, Stage.KEY.value, "WITA"),  # not a choice of this stage
        (draft.flow, "nonsense", USE_KEY),
    ]
    for flow, stage, choice in refused:
        with pytest.raises(NotFound):
            setup.chosen(operator, flow, stage, choice)
    with pytest.raises(NotFound):
        setup.create(next_key(), operator, draft.flow)  # "Buat" before the summary
    assert deployment.pending.peek(operator) == before
    setup.chosen(operator, draft.flow, Stage.KEY.value, USE_KEY)
    with pytest.raises(NotFound):  # the same button again: that question was answered
        setup.chosen(operator, draft.flow, Stage.KEY.value, USE_KEY)
    # Expired: the question is gone for the buttons too.
    deployment.clock.advance(hours=13)
    with pytest.raises(NotFound):
        setup.chosen(operator, draft.flow, Stage.ZONE.value, "WIB")
    # Batal (the question cleared): nothing to answer.
    deployment.clock.advance(hours=-13)
    deployment.pending.clear(operator)
    with pytest.raises(NotFound):
        setup.chosen(operator, draft.flow, Stage.ZONE.value, "WIB")
    assert len(deployment.rows(AgencyRow)) == 2


def test_an_agency_admin_who_is_no_operator_is_refused_and_nothing_changes(
    deployment: Deployment,
) -> None:
    admin, operators, setup = deployment.other_admin_id, deployment.operators, deployment.setup
    # Even with a question an operator's flow would have stored.
    made = AgencyDraft(flow="abcd1234", stage=Stage.CONFIRM, name="X", key="x", zone="WIB")
    deployment.pending.ask(admin, AGENCY_QUESTION, {**made.payload(), "day_rule": "kerja"})
    before = len(deployment.rows(AuditRow))
    refused: list[Callable[[], object]] = [
        lambda: operators.agencies_page(admin, 0),
        lambda: operators.agency_detail(admin, deployment.home_id),
        lambda: operators.name_admin(
            next_key(), operator_id=admin, agency_id=deployment.other_id, name="Budi"
        ),
        lambda: operators.revoke_admin_invitation(
            next_key(), operator_id=admin, agency_id=deployment.other_id, invitation_id=1
        ),
        lambda: setup.begin(admin),
        lambda: setup.typed(admin, made.payload(), "Dinas"),
        lambda: setup.chosen(admin, "abcd1234", Stage.CONFIRM.value, "x"),
        lambda: setup.create(next_key(), admin, "abcd1234"),
    ]
    for call in refused:
        with pytest.raises(NotOperator):
            call()
    assert len(deployment.rows(AuditRow)) == before
    assert len(deployment.rows(AgencyRow)) == 2
    assert len(deployment.rows(MemberRow)) == 2


def test_the_first_admin_named_by_the_operator_joins_as_an_admin_and_no_operator(
    deployment: Deployment,
) -> None:
    made = create_agency(deployment)
    operators, operator = deployment.operators, deployment.operator_id
    key = next_key()
    link = operators.name_admin(key, operator_id=operator, agency_id=made.agency_id, name=" Budi ")
    assert (link.member_name, link.agency_name, link.agency_timezone, link.renewed) == (
        "Budi",
        "Dinas Kominfo Kecil",
        "Asia/Makassar",
        False,
    )
    detail = operators.agency_detail(operator, made.agency_id)
    assert [(i.member_id, i.member_name) for i in detail.invitations] == [(link.member_id, "Budi")]
    assert detail.summary.admins == ()  # not joined yet
    # The same typed message handled again: no second Budi; his first link is revoked for a
    # new one (the first may never have reached the operator).
    again = operators.name_admin(key, operator_id=operator, agency_id=made.agency_id, name="Budi")
    assert (again.member_id, again.renewed) == (link.member_id, True)
    assert again.token != link.token
    with pytest.raises(InvitationInvalid):
        deployment.accept(link.token, BUDI)
    assert deployment.accept(again.token, BUDI, "Budi S") == link.member_id
    budi = deployment.onboarding.member_for(BUDI)
    assert budi is not None
    assert (budi.name, budi.agency_id, budi.is_admin, budi.is_operator) == (
        "Budi",
        made.agency_id,
        True,
        False,
    )
    detail = operators.agency_detail(operator, made.agency_id)
    assert (detail.summary.admins, detail.summary.members, detail.invitations) == (
        ("Budi",),
        1,
        (),
    )
    audited = [
        (a.entity, a.action, a.actor_id)
        for a in deployment.rows(AuditRow)
        if a.agency_id == made.agency_id
    ]
    assert ("member", "create", operator) in audited
    assert ("invitation", "revoke", operator) in audited
    # An empty name is refused before anything is written.
    with pytest.raises(InvalidSetup):
        operators.name_admin(next_key(), operator_id=operator, agency_id=made.agency_id, name=" ")
    with pytest.raises(NotFound):
        operators.name_admin(next_key(), operator_id=operator, agency_id=999, name="Ani")


def test_revoking_an_admin_invitation_closes_its_link_once(deployment: Deployment) -> None:
    operators, operator = deployment.operators, deployment.operator_id
    link = operators.name_admin(
        next_key(), operator_id=operator, agency_id=deployment.other_id, name="Ani"
    )
    (invitation,) = operators.agency_detail(operator, deployment.other_id).invitations
    # Named with another agency's id, it is not found, and stays open.
    with pytest.raises(NotFound):
        operators.revoke_admin_invitation(
            next_key(),
            operator_id=operator,
            agency_id=deployment.home_id,
            invitation_id=invitation.id,
        )
    revoked = operators.revoke_admin_invitation(
        next_key(), operator_id=operator, agency_id=deployment.other_id, invitation_id=invitation.id
    )
    assert revoked.result.member_name == "Ani"
    with pytest.raises(NotFound):  # a second tap: nothing left to revoke
        operators.revoke_admin_invitation(
            next_key(),
            operator_id=operator,
            agency_id=deployment.other_id,
            invitation_id=invitation.id,
        )
    with pytest.raises(InvitationInvalid):
        deployment.accept(link.token, SITI)
    row = next(i for i in deployment.rows(InvitationRow) if i.id == invitation.id)
    assert row.revoked_by_id == operator
    assert operators.agency_detail(operator, deployment.other_id).invitations == ()


def test_the_agencies_are_paged_by_name(deployment: Deployment) -> None:
    organization = OrganizationService(deployment.operators.procedures, clock=deployment.clock)
    for number in range(AGENCIES_PER_PAGE):
        organization.create_agency(
            key=f"kecamatan-{number}", name=f"Kecamatan {number}", timezone="Asia/Makassar"
        )
    operators, operator = deployment.operators, deployment.operator_id
    first = operators.agencies_page(operator, 0)
    assert (first.page, first.pages, first.total) == (0, 2, AGENCIES_PER_PAGE + 2)
    second = operators.agencies_page(operator, 5)  # past the end: the last page
    assert second.page == 1
    names = [s.agency.name for s in (*first.agencies, *second.agencies)]
    assert names == sorted(names, key=str.lower)
    home = next(s for s in first.agencies if s.agency.id == deployment.home_id)
    assert (home.admins, home.members, home.sops) == (("Rina Kominfo",), 1, 0)


def test_the_last_operator_stays(deployment: Deployment) -> None:
    with pytest.raises(LastOperator):
        deployment.operators.remove_operator(deployment.operator_id)
    with pytest.raises(NotFound):
        deployment.operators.remove_operator(deployment.other_admin_id)
    assert deployment.onboarding.member_for(RINA).is_operator  # type: ignore[union-attr]
