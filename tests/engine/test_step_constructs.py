"""Reading the step constructs real SOPs need: several executors, labelled questions, numbers as
printed, outside parties; what each builds, and the message each mistake gets."""

from __future__ import annotations

import pytest

from sopbot.engine.definition import (
    END,
    Assignment,
    DecisionAnswer,
    OutputKind,
    Together,
)
from sopbot.engine.loader import LoadResult, parse_definition
from sopbot.engine.problems import Severity
from tests.helpers.definitions import definition_text

ROLES = (
    "  - id: tata_usaha\n    nama: Tata Usaha\n"
    "  - id: kasi\n    nama: Kepala Seksi\n"
    "  - id: kabid\n    nama: Kepala Bidang\n"
    "  - id: kepala\n    nama: Kepala Dinas\n"
    "  - id: pemohon\n    nama: Pemohon\n    pihak_luar: ya\n    dicatat_oleh: tata_usaha\n"
)


def _parse(steps: str, roles: str = ROLES) -> LoadResult:
    return parse_definition(
        definition_text(roles=roles, steps=steps),
        source="uji.yaml",
        sop_id="uji/langkah",
        agency_key="uji",
    )


def _step(no: str, role: str, extra: str = "", kind: str = "catatan") -> str:
    return (
        f"  - no: {no}\n    kegiatan: Langkah {no}\n    pelaksana: {role}\n"
        f"    waktu: 5 Menit\n    jenis_output: {kind}\n{extra}"
    )


def _errors(result: LoadResult) -> list[str]:
    return [p.message for p in result.problems if p.severity is Severity.ERROR]


def _warnings(result: LoadResult) -> list[str]:
    return [p.message for p in result.problems if p.severity is Severity.WARNING]


FULL = (
    _step("1", "pemohon")
    + _step("2", "[tata_usaha, kepala]", "    bersama: berurutan\n", kind="dokumen")
    + _step(
        "3",
        "kasi",
        "    pertanyaan:\n      teks: Surat penting?\n      pilihan:\n"
        "        - jawaban: Penting\n          lanjut: 5.1\n"
        "          output: lembar disposisi\n          jenis_output: dokumen\n"
        "        - jawaban: Biasa\n          lanjut: 6\n"
        "        - jawaban: Berkas kurang\n          lanjut: 1\n          tolak: ya\n",
    )
    + _step("5.1", "[kasi, kabid, kepala]", "    bersama: semua\n    output_oleh: kabid\n")
    + _step("6", "[kasi, kabid]", "    bersama: salah_satu\n")
    + _step(
        "6",
        "[kasi, kepala]",
        "    id: 60\n    bersama: berurutan\n"
        "    keputusan:\n      pertanyaan: Sudah benar?\n      ya: selesai\n      tidak: 60\n",
    ).replace("      tidak: 60\n", "      tidak: 3\n")
)


def test_every_construct_reads_into_the_model() -> None:
    result = _parse(FULL)
    assert _errors(result) == []
    definition = result.definition
    assert definition is not None
    outside, handover, question, joint, either, chain = definition.steps
    assert definition.routed_role("pemohon") == "tata_usaha"
    assert outside.roles == ("pemohon",)
    assert (handover.roles, handover.together, handover.output_role) == (
        ("tata_usaha", "kepala"),
        Together.IN_TURN,
        "kepala",
    )
    assert handover.assignment is Assignment.EVERY_HOLDER  # several must deliver
    decision = question.decision
    assert decision is not None
    assert decision.labelled
    assert [(b.key, b.label, b.rejects) for b in decision.branches] == [
        ("1", "Penting", False),
        ("2", "Biasa", False),
        ("3", "Berkas kurang", True),
    ]
    # A branch names a sub-step as printed; it gets an id after the whole numbers.
    assert joint.label == "5.1"
    assert decision.target("1") == joint.number
    assert joint.number not in (1, 2, 3, 6, 60)
    assert question.output_kind_on(decision.branch("1")) is OutputKind.DOCUMENT
    assert question.output_kind_on(decision.branch("2")) is OutputKind.NOTE
    assert question.output_kind_on(decision.branch("3")) is OutputKind.NONE
    assert (joint.together, joint.output_role) == (Together.ALL, "kabid")
    assert either.together is Together.ANY_ONE
    assert either.assignment is Assignment.ANY_ONE
    # The repeated "6" with an id: its branches by key, and in a chain the last role decides.
    assert (chain.number, chain.label) == (60, "6")
    assert chain.decision is not None
    assert (chain.decision.yes, chain.decision.no) == (END, question.number)
    assert chain.deciding_role == "kepala"
    assert [definition.position_of(s) for s in definition.steps] == [1, 2, 3, 4, 5, 6]
    assert _warnings(result) == [
        "step numbers jump from 3 to 5; is a step missing?",
        "step number 6 appears twice (first on line 59); kept as the document prints it. A "
        "'lanjut' or a branch names this one by its id 60",
    ]


def test_a_keputusan_reads_as_before() -> None:
    result = _parse(
        _step("1", "kasi")
        + _step("2", "kabid", "    keputusan:\n      ya: 3\n      tidak: 1\n")
        + _step("3", "kepala"),
        roles=ROLES.replace(
            "  - id: pemohon\n    nama: Pemohon\n    pihak_luar: ya\n"
            "    dicatat_oleh: tata_usaha\n",
            "",
        ),
    )
    definition = result.definition
    assert definition is not None, result.problems
    decision = definition.step(2).decision
    assert decision is not None
    assert not decision.labelled
    assert [(b.key, b.target, b.rejects) for b in decision.branches] == [
        (DecisionAnswer.YES, 3, False),
        (DecisionAnswer.NO, 1, True),
    ]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            _step("1", "[kasi, kabid]"),
            "step 1 has several pelaksana; say how they do it with 'bersama': semua (each of "
            "them, the step completes when all have delivered), salah_satu (whoever of them is "
            "first) or berurutan (one after another in the order listed, e.g. paraf then tanda "
            "tangan)",
        ),
        (
            _step("1", "kasi", "    bersama: semua\n"),
            "'bersama' of step 1 needs several pelaksana; list them as "
            "'pelaksana: [role_a, role_b]' or remove 'bersama'",
        ),
        (
            _step("1", "[kasi, kabid]", "    bersama: bareng\n"),
            "unknown bersama 'bareng' for step 1; use one of: semua, salah_satu, berurutan",
        ),
        (
            _step("1", "[kasi, kabid]", "    bersama: semua\n    output_oleh: kepala\n"),
            "'output_oleh' of step 1 is 'kepala', which does not do the step; name one of: "
            "kasi, kabid",
        ),
        (
            _step("1", "[kasi, kasi]", "    bersama: semua\n"),
            "'pelaksana' of step 1 names 'kasi' twice; name it once",
        ),
        (
            _step(
                "1",
                "[kasi, kabid]",
                "    bersama: semua\n    keputusan:\n      ya: selesai\n      tidak: 2\n",
            )
            + _step("2", "kepala"),
            "step 1 asks a question but all its pelaksana would answer it (bersama: semua); a "
            "question is answered by one person: use bersama: berurutan (the last one answers) "
            "or salah_satu",
        ),
        (
            _step(
                "1",
                "kasi",
                "    pertanyaan:\n      teks: Penting?\n      pilihan:\n"
                "        - jawaban: Ya\n          lanjut: selesai\n",
            ),
            "'pilihan' of the question ('pertanyaan') of step 1 has 1 answers; a question has 2 "
            "to 6, each a button",
        ),
        (
            _step(
                "1",
                "kasi",
                "    pertanyaan:\n      teks: Penting?\n      pilihan:\n"
                "        - jawaban: Ya\n          lanjut: selesai\n"
                "        - jawaban: ya\n          lanjut: 2\n",
            )
            + _step("2", "kepala"),
            "two answers of step 1 read 'ya' (lines 32 and 34); each button needs its own words",
        ),
        (
            _step(
                "1",
                "kasi",
                "    pertanyaan:\n      teks: Penting?\n      pilihan:\n"
                "        - jawaban: Ya\n          lanjut: selesai\n"
                "        - jawaban: Tidak\n          lanjut: 2\n          tolak: mungkin\n",
            )
            + _step("2", "kepala"),
            "'tolak' of answer 2 of step 1 must be 'ya' or 'tidak', not 'mungkin'",
        ),
        (
            _step("1", "kasi", "    lanjut: 9\n") + _step("2", "kepala"),
            "'lanjut' of step 1 goes to step 9, which does not exist",
        ),
    ],
)
def test_each_mistake_gets_its_message(steps: str, message: str) -> None:
    result = _parse(steps)
    assert result.definition is None
    assert message in _errors(result), _errors(result)


def test_an_outside_party_needs_an_agency_role_to_record_it() -> None:
    roles = "  - id: kasi\n    nama: Kepala Seksi\n  - id: warga\n    nama: Warga\n"
    missing = _parse(_step("1", "warga") + _step("2", "kasi"), roles + "    pihak_luar: ya\n")
    assert _errors(missing) == [
        "role 'warga' is an outside party (pihak_luar: ya); say which role of the agency records "
        "what it does with 'dicatat_oleh' (e.g. the official who serves it)"
    ]
    unknown = _parse(
        _step("1", "warga") + _step("2", "kasi"),
        roles + "    pihak_luar: ya\n    dicatat_oleh: loket\n",
    )
    assert _errors(unknown) == [
        "'dicatat_oleh' of role 'warga' is 'loket', which is not a role of this SOP; name a "
        "role of the agency under 'pelaksana'"
    ]
    stray = _parse(
        _step("1", "kasi"), "  - id: kasi\n    nama: Kepala Seksi\n    dicatat_oleh: kasi\n"
    )
    assert _errors(stray) == [
        "'dicatat_oleh' of role 'kasi' is for an outside party; add 'pihak_luar: ya' or remove it"
    ]


def test_a_quoted_whole_number_names_the_step_by_its_id() -> None:
    result = _parse(
        _step("1", "kasi", '    lanjut: "3"\n')
        + _step("2", "kabid", "    lanjut: selesai\n")
        + _step("3", "kepala", "    lanjut: 2\n")
    )
    definition = result.definition
    assert definition is not None, result.problems
    assert definition.step(1).next == 3
