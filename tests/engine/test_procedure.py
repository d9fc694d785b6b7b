"""The engine's moves on the seed SOPs: fan-out, teams, decisions, Plt, mutasi, refusals."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from sopbot.engine.definition import DecisionAnswer, SopDefinition
from sopbot.engine.errors import (
    AlreadyDone,
    CannotClaim,
    DocumentRequired,
    InstanceNotRunning,
    InvalidHandOver,
    NotADecision,
    NotAllowed,
    NotFound,
    NothingToReturnTo,
    NotYourStep,
    ReasonRequired,
    StepMoved,
)
from sopbot.engine.instance import (
    DispositionState,
    EntityKind,
    InstanceState,
    StepRunState,
)
from sopbot.engine.library import load_library
from sopbot.engine.organization import ActingKind, Assignee
from sopbot.engine.procedure import Procedure
from tests.helpers.org import Org

REPO = Path(__file__).resolve().parents[2]
LIBRARY = load_library(REPO / "sop_defs")
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


# Members of the Samarinda Dinas: 1 Kadis, 2 Sekretaris, 3 Jafung, 11-13 the three Kepala
# Bidang, 21-22 the planning team.
KADIS, SEKRETARIS, JAFUNG, KABID_1, KABID_2, KABID_3, TIM_A, TIM_B = 1, 2, 3, 11, 12, 13, 21, 22


def samarinda_org() -> Org:
    org = Org()
    org.appoint(KADIS, org.position("kepala_dinas"))
    org.appoint(SEKRETARIS, org.position("sekretaris"))
    org.appoint(JAFUNG, org.position("jafung_perencana"))
    for member in (KABID_1, KABID_2, KABID_3):
        org.appoint(member, org.position("kepala_bidang"))
    team = org.position("tim_perencanaan_program")
    org.appoint(TIM_A, team)
    org.appoint(TIM_B, team)
    return org


def start(definition: SopDefinition, org: Org, starter: int = KADIS) -> Procedure:
    procedure = Procedure.start(
        definition,
        agency_id=1,
        title="Pengolahan Data Kinerja Triwulan III 2026",
        starter_id=starter,
        note="Untuk ditindaklanjuti",
        at=T0,
        routing=org.routing(T0),
    )
    first = procedure.first_disposition_of(starter)
    if first is not None:
        procedure.complete(first.id, starter, at=T0, routing=org.routing(T0), note="Segera")
    return procedure


def live(procedure: Procedure, member: int) -> uuid.UUID:
    """The one live disposition of a member."""
    (disposition,) = procedure.instance.live_dispositions(member)
    return disposition.id


def complete(
    procedure: Procedure, org: Org, member: int, at: dt.datetime, *, upload: bool = False
) -> None:
    disposition_id = live(procedure, member)
    if upload:
        procedure.attach_document(disposition_id, member, uuid.uuid4(), at)
    procedure.complete(disposition_id, member, at=at, routing=org.routing(at), note="Terlampir")


def open_step(procedure: Procedure) -> int:
    (run,) = procedure.instance.open_runs()
    return run.step_number


def test_a_whole_run_with_fan_out_and_a_team() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    assert open_step(procedure) == 2
    complete(procedure, org, SEKRETARIS, minutes(3))
    complete(procedure, org, JAFUNG, minutes(6))

    # Step 4: any one of the team. B claims it; A is released.
    team_a, team_b = live(procedure, TIM_A), live(procedure, TIM_B)
    assert procedure.can_claim(team_b, TIM_B)
    procedure.claim(team_b, TIM_B, minutes(7))
    assert procedure.instance.disposition(team_a).state is DispositionState.RELEASED
    with pytest.raises(AlreadyDone) as taken:
        procedure.complete(team_a, TIM_A, at=minutes(8), routing=org.routing(minutes(8)))
    assert taken.value.params == {"by_member_id": TIM_B}
    complete(procedure, org, TIM_B, minutes(30))

    # Step 5: every Kepala Bidang delivers a document; the step waits for all three.
    assert open_step(procedure) == 5
    assert {d.assignee_id for d in procedure.instance.live_dispositions()} == {
        KABID_1,
        KABID_2,
        KABID_3,
    }
    complete(procedure, org, KABID_1, minutes(40), upload=True)
    complete(procedure, org, KABID_2, minutes(45), upload=True)
    assert open_step(procedure) == 5
    with pytest.raises(DocumentRequired):
        complete(procedure, org, KABID_3, minutes(50))
    complete(procedure, org, KABID_3, minutes(55), upload=True)

    # Steps 6-11.
    complete(procedure, org, TIM_A, minutes(300), upload=True)
    for member in (JAFUNG, SEKRETARIS, KADIS, SEKRETARIS, SEKRETARIS):
        complete(procedure, org, member, minutes(310))
    assert procedure.instance.state is InstanceState.FINISHED
    assert procedure.instance.open_runs() == []
    numbers = [r.step_number for r in procedure.instance.step_runs]
    assert numbers == list(range(1, 12))
    assert all(r.state is StepRunState.COMPLETED for r in procedure.instance.step_runs)


def kesbangpol_org() -> Org:
    org = Org()
    org.appoint(1, org.position("kepala_dinas"))
    org.appoint(2, org.position("sekretaris"))
    for member in (11, 12, 13):
        org.appoint(member, org.position("kepala_bidang"))
    org.appoint(4, org.position("kassubag_renval"))
    org.appoint(5, org.position("petugas_pengelola_data_kinerja"))
    return org


def test_tidak_sends_the_work_back_and_counts_rounds() -> None:
    org = kesbangpol_org()
    procedure = start(KESBANGPOL, org, starter=1)
    complete(procedure, org, 2, minutes(1))
    complete(procedure, org, 4, minutes(2))
    complete(procedure, org, 5, minutes(3), upload=True)  # step 4: the format

    # Step 5 is a decision: "Selesai" is refused, "tidak" needs a reason.
    verification = live(procedure, 4)
    assert procedure.can_decide(verification, 4)
    assert not procedure.can_complete(verification, 4)
    with pytest.raises(NotADecision):
        procedure.complete(verification, 4, at=minutes(4), routing=org.routing(minutes(4)))
    with pytest.raises(ReasonRequired):
        procedure.decide(
            verification, 4, DecisionAnswer.NO, at=minutes(4), routing=org.routing(minutes(4))
        )
    procedure.decide(
        verification,
        4,
        DecisionAnswer.NO,
        reason="Kolom IKU belum lengkap",
        at=minutes(5),
        routing=org.routing(minutes(5)),
    )
    assert open_step(procedure) == 4
    redo = procedure.instance.disposition(live(procedure, 5))
    assert redo.instruction == "Kolom IKU belum lengkap"
    assert redo.sender_id == 4
    assert procedure.instance.step_runs[-1].round == 2

    complete(procedure, org, 5, minutes(10), upload=True)
    procedure.decide(
        live(procedure, 4), 4, DecisionAnswer.YES, at=minutes(11), routing=org.routing(minutes(11))
    )
    assert open_step(procedure) == 6
    complete(procedure, org, 5, minutes(12))
    for kabid in (11, 12, 13):
        complete(procedure, org, kabid, minutes(20), upload=True)
    complete(procedure, org, 5, minutes(30))  # step 8
    complete(procedure, org, 5, minutes(40), upload=True)  # step 9
    complete(procedure, org, 5, minutes(41))  # step 10
    procedure.decide(
        live(procedure, 4),
        4,
        DecisionAnswer.NO,
        reason="Angka tidak cocok",
        at=minutes(42),
        routing=org.routing(minutes(42)),
    )
    assert open_step(procedure) == 9
    complete(procedure, org, 5, minutes(50), upload=True)
    complete(procedure, org, 5, minutes(51))
    procedure.decide(
        live(procedure, 4), 4, DecisionAnswer.YES, at=minutes(52), routing=org.routing(minutes(52))
    )
    procedure.decide(
        live(procedure, 2),
        2,
        DecisionAnswer.NO,
        reason="Validasi akhir gagal",
        at=minutes(53),
        routing=org.routing(minutes(53)),
    )
    assert open_step(procedure) == 9
    assert procedure.instance.step_runs[-1].round == 3
    complete(procedure, org, 5, minutes(60), upload=True)
    complete(procedure, org, 5, minutes(61))
    for decider in (4, 2):
        procedure.decide(
            live(procedure, decider),
            decider,
            DecisionAnswer.YES,
            at=minutes(62),
            routing=org.routing(minutes(62)),
        )
    complete(procedure, org, 1, minutes(63))
    assert procedure.instance.state is InstanceState.FINISHED
    rounds = {(r.step_number, r.round) for r in procedure.instance.step_runs}
    assert {(4, 2), (9, 3), (10, 3), (11, 3), (12, 2)} <= rounds
    answers = [(r.step_number, r.answer) for r in procedure.instance.step_runs if r.answer]
    assert answers == [
        (5, DecisionAnswer.NO),
        (5, DecisionAnswer.YES),
        (11, DecisionAnswer.NO),
        (11, DecisionAnswer.YES),
        (12, DecisionAnswer.NO),
        (11, DecisionAnswer.YES),
        (12, DecisionAnswer.YES),
    ]


def test_a_plt_receives_the_work_of_an_absent_sekretaris() -> None:
    org = samarinda_org()
    sekretaris_post = org.positions["sekretaris"][0]
    org.act(99, sekretaris_post, ActingKind.PLT, for_member_id=SEKRETARIS, since=T0)
    procedure = start(PENGOLAHAN, org)
    disposition = procedure.instance.disposition(live(procedure, 99))
    assert disposition.acting is ActingKind.PLT
    assert disposition.acting_for_id == SEKRETARIS
    assert list(procedure.instance.live_dispositions(SEKRETARIS)) == []
    sent = [t for t in procedure.transitions if t.action == "send"][-1]
    assert sent.detail["acting"] == "plt"
    assert sent.detail["acting_for_id"] == SEKRETARIS


def test_mutasi_moves_an_open_step_to_the_new_holder() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    old = live(procedure, SEKRETARIS)
    post = org.positions["sekretaris"][0]
    org.leave(SEKRETARIS, post, minutes(5))
    org.appoint(77, post, since=minutes(5))
    procedure.reconcile(at=minutes(6), routing=org.routing(minutes(6)), actor_id=None)
    assert procedure.instance.disposition(old).state is DispositionState.REROUTED
    moved = procedure.instance.disposition(live(procedure, 77))
    assert moved.handed_from_id == old
    assert moved.instruction == "Segera"  # the Kadis' note travels to the new holder
    with pytest.raises(StepMoved) as gone:
        procedure.complete(old, SEKRETARIS, at=minutes(7), routing=org.routing(minutes(7)))
    assert gone.value.params == {"to_member_id": 77}
    complete(procedure, org, 77, minutes(8))
    assert open_step(procedure) == 3


def test_a_vacant_step_waits_for_a_holder() -> None:
    org = samarinda_org()
    post = org.positions["sekretaris"][0]
    org.leave(SEKRETARIS, post, T0 - dt.timedelta(days=1))
    procedure = start(PENGOLAHAN, org)
    assert open_step(procedure) == 2
    assert list(procedure.instance.live_dispositions()) == []
    org.act(55, post, ActingKind.PLH, for_member_id=None, since=minutes(30))
    procedure.reconcile(at=minutes(31), routing=org.routing(minutes(31)))
    disposition = procedure.instance.disposition(live(procedure, 55))
    assert disposition.acting is ActingKind.PLH
    assert disposition.instruction == "Segera"


def test_reconcile_leaves_delivered_divisions_alone() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    for member in (SEKRETARIS, JAFUNG, TIM_A):
        complete(procedure, org, member, minutes(5))
    complete(procedure, org, KABID_1, minutes(6), upload=True)
    kabid_1_post = org.positions["kepala_bidang"][0]
    org.leave(KABID_1, kabid_1_post, minutes(7))
    org.appoint(44, kabid_1_post, since=minutes(7))
    procedure.reconcile(at=minutes(8), routing=org.routing(minutes(8)))
    assert list(procedure.instance.live_dispositions(44)) == []
    assert {d.assignee_id for d in procedure.instance.live_dispositions()} == {KABID_2, KABID_3}


def test_hand_over_and_send_back() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    sekretaris = live(procedure, SEKRETARIS)
    with pytest.raises(ReasonRequired):
        procedure.hand_over(sekretaris, SEKRETARIS, Assignee(88, 0), reason=" ", at=minutes(1))
    with pytest.raises(InvalidHandOver):
        procedure.hand_over(
            sekretaris, SEKRETARIS, Assignee(SEKRETARIS, 0), reason="x", at=minutes(1)
        )
    new = procedure.hand_over(
        sekretaris, SEKRETARIS, Assignee(88, 0), reason="Sedang dinas luar", at=minutes(2)
    )
    assert new.assignee_id == 88
    assert new.position_id == procedure.instance.disposition(sekretaris).position_id
    # A later routing check leaves a handed-over step where it is.
    procedure.reconcile(at=minutes(3), routing=org.routing(minutes(3)))
    assert procedure.instance.disposition(new.id).state is DispositionState.PENDING

    complete(procedure, org, 88, minutes(4))
    jafung = live(procedure, JAFUNG)
    assert procedure.can_send_back(jafung, JAFUNG)
    procedure.send_back(
        jafung,
        JAFUNG,
        reason="Disposisi kurang jelas",
        at=minutes(5),
        routing=org.routing(minutes(5)),
    )
    assert open_step(procedure) == 2
    back = procedure.instance.disposition(live(procedure, SEKRETARIS))
    assert back.instruction == "Disposisi kurang jelas"
    assert procedure.instance.step_runs[-2].state is StepRunState.RETURNED


def test_refusals_change_nothing() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    sekretaris = live(procedure, SEKRETARIS)
    at, routing = minutes(1), org.routing(minutes(1))
    refusals: list[tuple[type[Exception], Callable[[], object]]] = [
        (NotYourStep, lambda: procedure.complete(sekretaris, JAFUNG, at=at, routing=routing)),
        (
            NotADecision,
            lambda: procedure.decide(
                sekretaris, SEKRETARIS, DecisionAnswer.YES, at=at, routing=routing
            ),
        ),
        (NotAllowed, lambda: procedure.cancel(JAFUNG, reason="x", at=at, is_admin=False)),
        (ReasonRequired, lambda: procedure.cancel(KADIS, reason=" ", at=at, is_admin=False)),
        (
            ReasonRequired,
            lambda: procedure.send_back(sekretaris, SEKRETARIS, reason="", at=at, routing=routing),
        ),
        (NotFound, lambda: procedure.complete(uuid.uuid4(), SEKRETARIS, at=at, routing=routing)),
    ]
    for error, move in refusals:
        before = (len(procedure.transitions), [d.state for d in procedure.instance.dispositions])
        with pytest.raises(error):
            move()
        after = (len(procedure.transitions), [d.state for d in procedure.instance.dispositions])
        assert after == before, error

    for member in (SEKRETARIS, JAFUNG, TIM_A):
        complete(procedure, org, member, minutes(2))
    kabid = live(procedure, KABID_1)
    with pytest.raises(CannotClaim):
        procedure.claim(kabid, KABID_1, minutes(3))

    procedure.cancel(SEKRETARIS, reason="Salah SOP", at=minutes(4), is_admin=True)
    assert procedure.instance.state is InstanceState.CANCELLED
    assert procedure.instance.cancel_reason == "Salah SOP"
    assert list(procedure.instance.live_dispositions()) == []
    assert all(r.state is not StepRunState.OPEN for r in procedure.instance.step_runs)
    with pytest.raises(InstanceNotRunning):
        procedure.complete(kabid, KABID_1, at=minutes(5), routing=org.routing(minutes(5)))


def test_an_admin_start_leaves_the_first_step_to_its_holder() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org, starter=500)  # an admin who holds no position
    assert open_step(procedure) == 1
    first = live(procedure, KADIS)
    assert procedure.instance.disposition(first).sender_id == 500
    assert not procedure.can_send_back(first, KADIS)
    with pytest.raises(NothingToReturnTo):
        procedure.send_back(first, KADIS, reason="x", at=minutes(1), routing=org.routing(T0))


def test_a_double_tap_is_refused_with_who_did_it() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    sekretaris = live(procedure, SEKRETARIS)
    procedure.complete(sekretaris, SEKRETARIS, at=minutes(1), routing=org.routing(minutes(1)))
    with pytest.raises(AlreadyDone) as again:
        procedure.complete(sekretaris, SEKRETARIS, at=minutes(1), routing=org.routing(minutes(1)))
    assert again.value.params == {"by_member_id": SEKRETARIS}
    assert not procedure.can_complete(sekretaris, SEKRETARIS)


def test_every_transition_is_one_state_change() -> None:
    org = samarinda_org()
    procedure = start(PENGOLAHAN, org)
    complete(procedure, org, SEKRETARIS, minutes(1))
    for transition in procedure.transitions:
        assert transition.before != transition.after
        assert transition.at.tzinfo is not None
    kinds = {t.entity for t in procedure.transitions}
    assert kinds == {EntityKind.INSTANCE, EntityKind.STEP_RUN, EntityKind.DISPOSITION}


def test_naive_times_are_refused() -> None:
    org = samarinda_org()
    with pytest.raises(ValueError, match="timezone-aware"):
        Procedure.start(
            PENGOLAHAN,
            agency_id=1,
            title="x",
            starter_id=KADIS,
            note=None,
            at=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            routing=org.routing(T0),
        )
