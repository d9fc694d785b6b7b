"""The plan a roster makes against an agency: jabatan matched by name whatever the case, spaces
and punctuation; a close spelling reported, never merged; keys unique in the agency; the rows
that are not created and why."""

from __future__ import annotations

from sopbot.documents.roster_reading import RosterEntry, RowIssue, RowProblem
from sopbot.services.roster_plan import (
    AgencyPerson,
    AgencyPosition,
    KeptReading,
    PlanCounts,
    PlannedMember,
    PlannedPosition,
    RosterPlan,
    SimilarName,
    SkippedRow,
    SkipReason,
    name_key,
    plan_roster,
)

KADIS = AgencyPosition(7, "kepala_dinas", "Kepala Dinas")
KASUBBAG = AgencyPosition(8, "kasubbag_umum", "Kepala Subbagian Umum dan Kepegawaian")
GONE = AgencyPosition(9, "staf", "Staf", removed=True)
NIP_A = "198001012005011001"
NIP_B = "198502022010012002"


def entry(
    row: int, name: str, position: str, nip: str | None = None, username: str | None = None
) -> RosterEntry:
    return RosterEntry(row, name, position, nip, username)


def test_jabatan_match_without_case_spaces_and_punctuation_and_new_ones_get_keys() -> None:
    plan = plan_roster(
        [
            entry(2, "Hendra", "KEPALA DINAS.", NIP_A),
            entry(3, "Siti", "Kepala Sub Bagian Umum & Kepegawaian", NIP_B),
            entry(4, "Agus", "Kepala Bidang Koperasi"),
            entry(5, "Dewi", "kepala bidang  koperasi"),
            entry(6, "Rudi", "Staf"),  # the agency's "Staf" was removed: a new one
        ],
        [],
        [KADIS, KASUBBAG, GONE],
        [],
    )
    assert plan.existing_positions == (
        PlannedPosition("kepala_dinas", "Kepala Dinas", (2,), 7),
        PlannedPosition("kasubbag_umum", KASUBBAG.name, (3,), 8),
    )
    assert plan.new_positions == (
        PlannedPosition("kepala_bidang_koperasi", "Kepala Bidang Koperasi", (4, 5)),
        PlannedPosition("staf_2", "Staf", (6,)),  # "staf" is the removed position's key
    )
    assert [(m.row, m.position_key) for m in plan.members] == [
        (2, "kepala_dinas"),
        (3, "kasubbag_umum"),
        (4, "kepala_bidang_koperasi"),
        (5, "kepala_bidang_koperasi"),
        (6, "staf_2"),
    ]
    assert plan.skipped == ()
    assert PlanCounts.of(plan) == PlanCounts(5, 2, 2, 0)


def test_a_close_spelling_is_reported_and_created_as_written_never_merged() -> None:
    plan = plan_roster(
        [
            entry(2, "Hendra", "Kepala Dinass"),
            entry(3, "Siti", "Pengelola Keuangan"),
            entry(4, "Agus", "Pengelola Keuangan"),
            entry(5, "Dewi", "Pengelola Keungan"),
            entry(6, "Rudi", "Kepala Bidang Pemberdayaan"),
        ],
        [],
        [KADIS],
        [],
    )
    assert [p.name for p in plan.new_positions] == [
        "Kepala Dinass",
        "Pengelola Keuangan",
        "Pengelola Keungan",
        "Kepala Bidang Pemberdayaan",
    ]
    assert plan.similar == (
        SimilarName("Kepala Dinass", (2,), "Kepala Dinas", existing=True),
        SimilarName("Pengelola Keungan", (5,), "Pengelola Keuangan", existing=False),
    )


def test_rows_left_out_say_why() -> None:
    people = [
        AgencyPerson(1, "Nur Aini", NIP_B, "nur_aini"),
        AgencyPerson(2, "Pak Tua", None, None, active=False),
    ]
    problems = [RowProblem(9, RowIssue.NIP_AS_NUMBER, "1.98E+17", "Maya")]
    plan = plan_roster(
        [
            entry(2, "Hendra", "Staf", NIP_A, "hendra_g"),
            entry(3, "Hendra G.", "Staf", NIP_A),  # the same NIP again
            entry(4, "Nur Aini", "Staf", NIP_B),  # a member already
            entry(5, "Wulan", "Staf"),
            entry(6, "WULAN", "Staf"),  # no NIP: the same name again
            entry(7, "Nur  Aini", "Staf"),  # no NIP: a member's name
            entry(8, "Andi", "Staf", username="HENDRA_G"),  # a username on an earlier row
            entry(10, "Rina", "Staf", username="Nur_Aini"),  # a member's username
            entry(11, "Pak Tua", "Staf"),  # a deactivated member's name: created again
        ],
        problems,
        [],
        people,
    )
    assert plan.skipped == (
        SkippedRow(3, SkipReason.NIP_TWICE.value, NIP_A, "Hendra G.", other_row=2),
        SkippedRow(4, SkipReason.NIP_OF_MEMBER.value, NIP_B, "Nur Aini", member="Nur Aini"),
        SkippedRow(6, SkipReason.NAME_TWICE.value, name="WULAN", other_row=5),
        SkippedRow(7, SkipReason.NAME_OF_MEMBER.value, name="Nur  Aini", member="Nur Aini"),
        SkippedRow(8, SkipReason.USERNAME_TWICE.value, "HENDRA_G", "Andi", other_row=2),
        SkippedRow(9, RowIssue.NIP_AS_NUMBER.value, "1.98E+17", "Maya"),
        SkippedRow(10, SkipReason.USERNAME_OF_MEMBER.value, "Nur_Aini", "Rina", member="Nur Aini"),
    )
    assert [m.row for m in plan.members] == [2, 5, 11]
    assert PlanCounts.of(plan).skipped_rows == 7


def test_keys_are_unique_in_the_agency_and_ascii() -> None:
    taken = [AgencyPosition(1, "staf_umum", "Staf Bagian Umum")]
    long_name = "Pejabat Fungsional " + "Analis Kebijakan Ahli Muda " * 5
    plan = plan_roster(
        [
            entry(2, "A", "Staf Umum"),
            entry(3, "B", "Pranata Komputer (Ahli Pertama) — TIK"),
            entry(4, "C", long_name),
            entry(5, "D", "???"),
        ],
        [],
        taken,
        [],
    )
    keys = [p.key for p in plan.new_positions]
    assert keys[0] == "staf_umum_2"
    assert keys[1] == "pranata_komputer_ahli_pertama_tik"
    assert len(keys[2]) <= 60
    assert keys[2].startswith("pejabat_fungsional_analis_kebijakan")
    assert keys[3] == "jabatan"


def test_the_plan_and_the_rows_read_survive_json() -> None:
    plan = RosterPlan(
        members=(PlannedMember(2, "Hendra", "staf", "Staf", NIP_A, "hendra_g"),),
        new_positions=(PlannedPosition("staf", "Staf", (2, 3)),),
        existing_positions=(PlannedPosition("kepala_dinas", "Kepala Dinas", (4,), 7),),
        skipped=(SkippedRow(3, "nip_twice", NIP_A, "Hendra", other_row=2),),
        similar=(SimilarName("Staff", (5,), "Staf", existing=False),),
    )
    assert RosterPlan.from_json(plan.to_json()) == plan
    kept = KeptReading(
        "xlsx",
        3,
        "Pegawai",
        ("nip", "nama", "jabatan"),
        (entry(4, "Hendra", "Staf", NIP_A),),
        (RowProblem(5, RowIssue.NO_NAME),),
    )
    assert KeptReading.from_json(kept.to_json()) == kept
    assert kept.has_nip


def test_name_keys() -> None:
    assert name_key("Kepala Sub-Bagian  Umum.") == name_key("KEPALA SUBBAGIAN UMUM")
    assert name_key("Kepala Seksi I") != name_key("Kepala Seksi II")
