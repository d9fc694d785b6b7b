"""Steps done by several roles, in the engine: joins, hand-overs, any-one claims across roles,
initialling chains with "Kembalikan" and a question at the end, and forged answers.

The end-to-end plays (tests/e2e/test_other_shapes.py) show what officials read; these pin the
semantics the phone cannot show precisely: who is staffed after a mutasi, which role a handed
over disposition keeps, which dispositions a claim releases.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from sopbot.engine.definition import SopDefinition, Together
from sopbot.engine.errors import DocumentRequired, NotADecision
from sopbot.engine.instance import DispositionState, InstanceState, StepRunState
from sopbot.engine.loader import parse_definition
from sopbot.engine.organization import Assignee
from sopbot.engine.procedure import Procedure, Routing
from tests.helpers.definitions import HEADER
from tests.helpers.org import Org

T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)

# The Tata Usaha receives, Kasi and Kabid meet (semua), Kasi and Kabid initial and the Kadis
# signs and answers (berurutan), the TU or either of the staf files it (salah_satu), the TU
# hands it to the Kadis who writes the answer (berurutan, output by the Kadis).
SHARED = f"""{HEADER}pelaksana:
  - id: tata_usaha
    nama: Kasubag Tata Usaha
  - id: kasi
    nama: Kepala Seksi
  - id: kabid
    nama: Kepala Bidang
  - id: kadis
    nama: Kepala Dinas
  - id: staf
    nama: Staf Umum
    pemegang: salah_satu
langkah:
  - no: 1
    kegiatan: Menerima surat
    pelaksana: tata_usaha
    waktu: 5 menit
    jenis_output: catatan
  - no: 2
    kegiatan: Rapat membahas surat
    pelaksana: [kasi, kabid]
    bersama: semua
    waktu: 1 jam
    jenis_output: catatan
  - no: 3
    kegiatan: Paraf konsep dan tanda tangan
    pelaksana: [kasi, kabid, kadis]
    bersama: berurutan
    waktu: 30 menit
    jenis_output: catatan
    keputusan:
      pertanyaan: Konsep disetujui?
      ya: 4
      tidak: 2
  - no: 4
    kegiatan: Mengarsipkan surat
    pelaksana: [tata_usaha, staf]
    bersama: salah_satu
    waktu: 10 menit
    jenis_output: catatan
  - no: 5
    kegiatan: Menyerahkan surat kepada Kepala Dinas untuk dijawab
    pelaksana: [tata_usaha, kadis]
    bersama: berurutan
    waktu: 1 hari
    output: Surat jawaban
    jenis_output: dokumen
    pertanyaan:
      teks: Perlu jawaban?
      pilihan:
        - jawaban: Perlu jawaban
          lanjut: selesai
        - jawaban: Tidak perlu
          lanjut: selesai
          jenis_output: tidak_ada
"""

TU, KASI, KABID, KADIS, STAF_A, STAF_B, KASI_NEW, KABID_NEW, KABID_PLH = 1, 2, 3, 4, 5, 6, 7, 8, 9


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def definition_of(text: str = SHARED) -> SopDefinition:
    result = parse_definition(
        text, source="shared.yaml", sop_id="dinas-contoh/surat", agency_key="dinas-contoh"
    )
    assert result.definition is not None, result.problems
    return result.definition


class Office:
    """The Dinas: one holder per role, two staf on one position."""

    def __init__(self) -> None:
        self.org = Org()
        self.positions: dict[str, int] = {}
        for role, member in (
            ("tata_usaha", TU),
            ("kasi", KASI),
            ("kabid", KABID),
            ("kadis", KADIS),
        ):
            self.positions[role] = self.org.position(role)
            self.org.appoint(member, self.positions[role])
        self.positions["staf"] = self.org.position("staf")
        self.org.appoint(STAF_A, self.positions["staf"])
        self.org.appoint(STAF_B, self.positions["staf"])

    def routing(self, when: dt.datetime) -> Routing:
        return self.org.routing(when)


def started(office: Office) -> Procedure:
    """Started by the Tata Usaha, who does step 1 at once: step 2 is open."""
    procedure = Procedure.start(
        definition_of(),
        agency_id=1,
        title="Surat Bupati tentang rapat koordinasi",
        starter_id=TU,
        note="Mohon arahan",
        at=T0,
        routing=office.routing(T0),
    )
    first = procedure.first_disposition_of(TU)
    assert first is not None
    procedure.complete(first.id, TU, at=T0, routing=office.routing(T0))
    return procedure


def live_of(procedure: Procedure, member: int) -> list[uuid.UUID]:
    return [d.id for d in procedure.instance.live_dispositions(member)]


def only(procedure: Procedure, member: int) -> uuid.UUID:
    (disposition,) = live_of(procedure, member)
    return disposition


def open_step(procedure: Procedure) -> int:
    (run,) = procedure.instance.open_runs()
    return run.step_number


def done(procedure: Procedure, office: Office, member: int, minute: int) -> None:
    procedure.complete(
        only(procedure, member), member, at=at(minute), routing=office.routing(at(minute))
    )


def to_step_3(office: Office) -> Procedure:
    procedure = started(office)
    done(procedure, office, KASI, 1)
    done(procedure, office, KABID, 2)
    assert open_step(procedure) == 3
    return procedure


def test_a_join_waits_for_every_role_and_each_holder_sees_their_own_role() -> None:
    office = Office()
    procedure = started(office)
    assert open_step(procedure) == 2
    roles = {procedure.role_of(d) for d in procedure.instance.live_dispositions()}
    assert roles == {"kasi", "kabid"}
    done(procedure, office, KASI, 1)
    assert open_step(procedure) == 2  # the Kabid has not delivered yet
    assert live_of(procedure, KASI) == []
    done(procedure, office, KABID, 2)
    assert open_step(procedure) == 3


def test_reconcile_on_a_join_staffs_only_the_roles_not_yet_delivered() -> None:
    office = Office()
    procedure = started(office)
    done(procedure, office, KASI, 1)
    # Mutasi: both the Kasi (who delivered) and the Kabid (who did not) move; new holders come.
    office.org.leave(KASI, office.positions["kasi"], at(5))
    office.org.leave(KABID, office.positions["kabid"], at(5))
    office.org.appoint(KASI_NEW, office.positions["kasi"], at(5))
    office.org.appoint(KABID_NEW, office.positions["kabid"], at(5))
    before = len(procedure.instance.dispositions)

    procedure.reconcile(at=at(6), routing=office.routing(at(6)))

    added = procedure.instance.dispositions[before:]
    assert [(d.assignee_id, d.role_key) for d in added] == [(KABID_NEW, "kabid")]
    assert live_of(procedure, KASI_NEW) == []  # the Kasi's part is done; it stays done
    old_kabid = [d for d in procedure.instance.dispositions if d.assignee_id == KABID]
    assert [d.state for d in old_kabid] == [DispositionState.REROUTED]
    done(procedure, office, KABID_NEW, 7)
    assert open_step(procedure) == 3


def test_a_hand_over_on_a_join_keeps_the_role() -> None:
    office = Office()
    procedure = started(office)
    kabid = only(procedure, KABID)
    handed = procedure.hand_over(
        kabid, KABID, Assignee(KABID_PLH, office.positions["kabid"]), reason="Dinas luar", at=at(1)
    )
    assert handed.role_key == "kabid"
    assert procedure.role_of(handed) == "kabid"
    done(procedure, office, KASI, 2)
    assert open_step(procedure) == 2  # the Kabid's part is with the colleague now
    procedure.complete(handed.id, KABID_PLH, at=at(3), routing=office.routing(at(3)))
    assert open_step(procedure) == 3


def test_a_claim_on_an_any_one_step_releases_the_others_of_both_roles() -> None:
    office = Office()
    procedure = to_step_3(office)
    for member, minute in ((KASI, 3), (KABID, 4)):
        done(procedure, office, member, minute)
    procedure.decide(only(procedure, KADIS), KADIS, "ya", at=at(5), routing=office.routing(at(5)))
    assert open_step(procedure) == 4
    tu, staf_a, staf_b = only(procedure, TU), only(procedure, STAF_A), only(procedure, STAF_B)
    assert procedure.can_claim(staf_b, STAF_B)
    assert procedure.can_claim(tu, TU)  # any one of the two roles: the TU may take it too

    procedure.claim(staf_b, STAF_B, at(6))

    states = {d: procedure.instance.disposition(d).state for d in (tu, staf_a, staf_b)}
    assert states == {
        tu: DispositionState.RELEASED,
        staf_a: DispositionState.RELEASED,
        staf_b: DispositionState.CLAIMED,
    }
    procedure.complete(staf_b, STAF_B, at=at(7), routing=office.routing(at(7)))
    assert open_step(procedure) == 5


def test_an_in_turn_step_reaches_the_next_role_only_when_the_one_before_delivered() -> None:
    office = Office()
    procedure = to_step_3(office)
    assert [procedure.role_of(d) for d in procedure.instance.live_dispositions()] == ["kasi"]
    done(procedure, office, KASI, 3)
    assert live_of(procedure, KADIS) == []
    kabid = only(procedure, KABID)
    # The Kabid's disposition comes from the Kasi, not from whoever opened the step.
    assert procedure.instance.disposition(kabid).sender_id == KASI
    done(procedure, office, KABID, 4)
    assert only(procedure, KADIS)


def test_only_the_last_of_a_chain_answers_its_question_the_others_press_selesai() -> None:
    office = Office()
    procedure = to_step_3(office)
    kasi = only(procedure, KASI)
    assert procedure.can_complete(kasi, KASI)
    assert not procedure.can_decide(kasi, KASI)
    with pytest.raises(NotADecision):
        procedure.decide(kasi, KASI, "ya", at=at(3), routing=office.routing(at(3)))
    done(procedure, office, KASI, 3)
    done(procedure, office, KABID, 4)
    kadis = only(procedure, KADIS)
    assert procedure.can_decide(kadis, KADIS)
    assert not procedure.can_complete(kadis, KADIS)
    with pytest.raises(NotADecision):
        procedure.complete(kadis, KADIS, at=at(5), routing=office.routing(at(5)))
    procedure.decide(
        kadis,
        KADIS,
        "tidak",
        reason="Perbaiki dasar hukum",
        at=at(5),
        routing=office.routing(at(5)),
    )
    # "tidak" goes back to the meeting, a second round for both roles.
    assert open_step(procedure) == 2
    (run,) = procedure.instance.open_runs()
    assert run.round == 2
    assert {procedure.role_of(d) for d in procedure.instance.live_dispositions()} == {
        "kasi",
        "kabid",
    }


def test_kembalikan_in_a_chain_goes_back_to_the_role_before_in_the_chain() -> None:
    office = Office()
    procedure = to_step_3(office)
    done(procedure, office, KASI, 3)
    kabid = only(procedure, KABID)
    assert procedure.can_send_back(kabid, KABID)
    procedure.send_back(
        kabid, KABID, reason="Lampiran kurang", at=at(4), routing=office.routing(at(4))
    )
    assert procedure.instance.disposition(kabid).state is DispositionState.RETURNED
    chain = [r for r in procedure.instance.step_runs if r.step_number == 3]
    # The step runs again (the next round) from the Kasi, who initialled before the Kabid;
    # the reason travels with it.
    assert [(r.state, r.round, r.resume_role) for r in chain] == [
        (StepRunState.RETURNED, 1, None),
        (StepRunState.OPEN, 2, "kasi"),
    ]
    (kasi,) = procedure.instance.live_dispositions()
    assert (procedure.role_of(kasi), kasi.assignee_id, kasi.instruction, kasi.sender_id) == (
        "kasi",
        KASI,
        "Lampiran kurang",
        KABID,
    )
    done(procedure, office, KASI, 5)
    # Then the Kabid again, with the Kasi's note, and the chain goes on.
    (again,) = procedure.instance.live_dispositions()
    assert (procedure.role_of(again), again.assignee_id, again.sender_id) == (
        "kabid",
        KABID,
        KASI,
    )


def test_kembalikan_by_the_first_of_a_chain_returns_the_step_to_the_step_before() -> None:
    office = Office()
    procedure = to_step_3(office)
    kasi = only(procedure, KASI)
    procedure.send_back(kasi, KASI, reason="Data kurang", at=at(4), routing=office.routing(at(4)))
    assert open_step(procedure) == 2
    assert {d.instruction for d in procedure.instance.live_dispositions()} == {"Data kurang"}


def test_the_hand_over_step_is_answered_by_the_receiver_and_wants_a_document_on_one_answer() -> (
    None
):
    office = Office()
    procedure = to_step_3(office)
    done(procedure, office, KASI, 3)
    done(procedure, office, KABID, 4)
    procedure.decide(only(procedure, KADIS), KADIS, "ya", at=at(5), routing=office.routing(at(5)))
    done(procedure, office, TU, 6)
    assert open_step(procedure) == 5
    step = procedure.definition.step(5)
    assert step.together is Together.IN_TURN
    tu = only(procedure, TU)
    # The Tata Usaha hands over: no document is theirs to give, no question theirs to answer.
    assert not procedure.needs_document(tu)
    assert procedure.can_complete(tu, TU)
    done(procedure, office, TU, 7)
    kadis = only(procedure, KADIS)
    assert procedure.needs_document(kadis)
    # "Tidak perlu" hands nothing on: it needs no document and no reason.
    procedure.decide(kadis, KADIS, "2", at=at(8), routing=office.routing(at(8)))
    assert procedure.instance.state is InstanceState.FINISHED


@pytest.mark.parametrize("forged", ["9", "0", "ya", "", "1 ", "tidak"])
def test_a_forged_answer_key_is_refused_and_changes_nothing(forged: str) -> None:
    office = Office()
    procedure = to_step_3(office)
    done(procedure, office, KASI, 3)
    done(procedure, office, KABID, 4)
    procedure.decide(only(procedure, KADIS), KADIS, "ya", at=at(5), routing=office.routing(at(5)))
    done(procedure, office, TU, 6)
    done(procedure, office, TU, 7)
    kadis = only(procedure, KADIS)
    instance_before = copy.deepcopy(procedure.instance)
    transitions_before = len(procedure.transitions)

    with pytest.raises(NotADecision):
        procedure.decide(kadis, KADIS, forged, reason="x", at=at(8), routing=office.routing(at(8)))

    assert procedure.instance == instance_before
    assert len(procedure.transitions) == transitions_before


def test_a_keputusan_refuses_the_keys_of_labelled_answers() -> None:
    office = Office()
    procedure = to_step_3(office)
    done(procedure, office, KASI, 3)
    done(procedure, office, KABID, 4)
    kadis = only(procedure, KADIS)
    before = copy.deepcopy(procedure.instance)
    with pytest.raises(NotADecision):
        procedure.decide(kadis, KADIS, "1", at=at(5), routing=office.routing(at(5)))
    assert procedure.instance == before


ANY_ONE_DOCUMENT = f"""{HEADER}pelaksana:
  - id: tata_usaha
    nama: Kasubag Tata Usaha
  - id: staf
    nama: Staf Umum
langkah:
  - no: 1
    kegiatan: Menerima surat
    pelaksana: tata_usaha
    waktu: 5 menit
    jenis_output: catatan
  - no: 2
    kegiatan: Memindai dan mengarsipkan surat
    pelaksana: [tata_usaha, staf]
    bersama: salah_satu
    waktu: 10 menit
    output: Arsip surat (pindaian)
    jenis_output: dokumen
"""


@pytest.mark.parametrize("doer", [TU, STAF_A])
def test_on_an_any_one_step_whoever_does_it_owes_the_document(doer: int) -> None:
    """Whichever role does a salah_satu step hands on its output: the one who is not listed last
    must not finish it without the document (the last one is released and never could)."""
    office = Office()
    procedure = Procedure.start(
        definition_of(ANY_ONE_DOCUMENT),
        agency_id=1,
        title="Surat masuk",
        starter_id=TU,
        note=None,
        at=T0,
        routing=office.routing(T0),
    )
    first = procedure.first_disposition_of(TU)
    assert first is not None
    procedure.complete(first.id, TU, at=T0, routing=office.routing(T0))
    assert open_step(procedure) == 2
    disposition = only(procedure, doer)
    assert procedure.needs_document(disposition)
    with pytest.raises(DocumentRequired):
        procedure.complete(disposition, doer, at=at(1), routing=office.routing(at(1)))
    procedure.attach_document(disposition, doer, uuid.uuid4(), at(2))
    procedure.complete(disposition, doer, at=at(3), routing=office.routing(at(3)))
    assert procedure.instance.state is InstanceState.FINISHED
