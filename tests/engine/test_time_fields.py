"""`waktu` and `waktu_ulang` in a definition file: a text, or the document's wording kept with the
standard the clock counts (`tertulis` / `baku`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sopbot.engine.durations import TimeUnit
from sopbot.engine.loader import LoadResult, parse_definition
from tests.helpers.definitions import definition_text

STEP_1 = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
)


def with_step_2(time_lines: str) -> LoadResult:
    """A definition whose step 2 (from line 24) has the given time lines, then a decision back."""
    steps = (
        STEP_1 + "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
        f"{time_lines}"
        "    jenis_output: catatan\n"
        "  - no: 3\n    kegiatan: Memeriksa\n    pelaksana: kepala_dinas\n"
        "    waktu: 30 detik\n    jenis_output: catatan\n"
        "    keputusan:\n      ya: selesai\n      tidak: 2\n"
    )
    return parse_definition(
        definition_text(steps=steps), source="x.yaml", sop_id="a/x", agency_key="a"
    )


def test_tertulis_is_shown_and_baku_is_counted() -> None:
    result = with_step_2("    waktu:\n      tertulis: 1-2 Hari\n      baku: 2 Hari\n")
    assert result.definition is not None, result.problems
    standard = result.definition.step(2).standard_time
    assert standard.as_written == "1-2 Hari"
    assert standard.counted_as == "2 Hari"
    assert (standard.amount, standard.unit) == (Decimal(2), TimeUnit.WORKING_DAY)


def test_a_rework_round_has_its_own_standard() -> None:
    result = with_step_2("    waktu: 1 (satu) hari\n    waktu_ulang: 2 jam\n")
    assert result.definition is not None, result.problems
    step = result.definition.step(2)
    assert step.standard_for_round(1).as_written == "1 (satu) hari"
    assert step.standard_for_round(2).as_written == "2 jam"
    assert step.standard_for_round(3).as_written == "2 jam"
    # Without waktu_ulang every round has the step's waktu.
    plain = result.definition.step(3)
    assert plain.rework_time is None
    assert plain.standard_for_round(2) is plain.standard_time


def test_waktu_ulang_may_keep_the_wording_too() -> None:
    result = with_step_2(
        "    waktu: 1 hari\n    waktu_ulang:\n      tertulis: segera\n      baku: 1 jam\n"
    )
    assert result.definition is not None, result.problems
    rework = result.definition.step(2).standard_for_round(2)
    assert (rework.as_written, rework.counted_as, rework.unit) == ("segera", "1 jam", TimeUnit.HOUR)


@pytest.mark.parametrize(
    ("time_lines", "problems"),
    [
        (
            "    waktu:\n      tertulis: 1-2 Hari\n",
            [
                "x.yaml:25: 'waktu' of step 2 is missing the required key 'baku' (the "
                "standard the clock counts, e.g. '2 Hari')"
            ],
        ),
        (
            "    waktu:\n      baku: 2 Hari\n",
            [
                "x.yaml:25: 'waktu' of step 2 is missing the required key 'tertulis' (the "
                "time as the document writes it)"
            ],
        ),
        (
            "    waktu:\n      tertulis: 1-2 Hari\n      baku: 1-2 Hari\n",
            [
                "x.yaml:26: 'baku' of 'waktu' of step 2: '1-2 Hari' is a range; write the "
                "standard time as one value, e.g. '2 Hari', or keep the document's wording and "
                "give the standard to count: 'waktu: {tertulis: ..., baku: ...}'"
            ],
        ),
        (
            "    waktu:\n      tertulis: 1-2 Hari\n      baku: 2 Hari\n      catatan: x\n",
            ["x.yaml:27: unknown key 'catatan' in 'waktu' of step 2; allowed keys: tertulis, baku"],
        ),
        (
            "    waktu: 1 hari\n    waktu_ulang: 1 (dua) jam\n",
            [
                "x.yaml:25: 'waktu_ulang' of step 2: '1 (dua) jam' says 1 in digits but 'dua' "
                "in words; correct the one that is wrong"
            ],
        ),
        (
            "    waktu: [1 hari]\n",
            ["x.yaml:24: 'waktu' of step 2 must be text, not a list"],
        ),
    ],
)
def test_unreadable_times_are_reported_where_they_stand(
    time_lines: str, problems: list[str]
) -> None:
    result = with_step_2(time_lines)
    assert result.definition is None
    assert [str(p) for p in result.errors] == problems
