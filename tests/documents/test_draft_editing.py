"""Writing a review's decisions into an imported draft: only the decided values change, the
comments and the agency's cells stay as the importer wrote them, and the result loads."""

from __future__ import annotations

import difflib

import pytest

from sopbot.documents.draft_editing import (
    DraftShapeError,
    outline,
    with_executors,
    with_standard_time,
)
from sopbot.documents.importing import import_bytes
from sopbot.documents.time_candidates import time_candidates
from sopbot.engine.loader import parse_definition
from tests.documents.docx_samples import Row, Sample, build
from tests.helpers.definitions import definition_text

ROLES = ["Kepala Dinas", "Sekretaris", "Kasubag Umum"]
ROWS = [
    Row("1", "Menerima surat masuk", [2], symbol="flowChartTerminator"),
    Row("2", "Meneruskan surat", [], time="1-2 Hari"),
    Row("3", "Rapat pembahasan", [1, 2], merged=True),
    Row("4", "Menandatangani", [0], symbol="flowChartTerminator"),
]


@pytest.fixture(scope="module")
def draft() -> str:
    result = import_bytes(build(Sample(ROLES, ROWS)), "contoh.docx", agency_key="diskominfo")
    assert result.refusal is None
    return result.draft


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def loads(text: str) -> bool:
    result = parse_definition(text, source="x.yaml", sop_id="diskominfo/x", agency_key="diskominfo")
    return result.definition is not None


def test_the_outline_names_what_is_read_and_what_is_left_to_decide(draft: str) -> None:
    shape = outline(draft)
    assert [r.key for r in shape.roles] == ["kepala_dinas", "sekretaris", "kasubag_umum"]
    first, second, third, _ = shape.steps
    assert first.executors == ("kasubag_umum",)
    assert not first.executor_undecided
    assert second.executor_undecided
    assert second.suggestion == "kasubag_umum"
    assert second.time_undecided
    assert second.time_written == "1-2 Hari"
    assert third.executors == ("sekretaris", "kasubag_umum")
    assert shape.others == ()


def test_deciding_an_executor_and_a_time_changes_those_values_only(draft: str) -> None:
    text = with_executors(draft, 1, ["sekretaris"])
    text = with_standard_time(text, 1, "2 Hari")
    assert changed_lines(draft, text) == [
        '-    pelaksana: "?? kasubag_umum"  # no symbol in any Pelaksana column; a guess: '
        "Kasubag Umum did the step before",
        "+    pelaksana: sekretaris  # no symbol in any Pelaksana column; a guess: "
        "Kasubag Umum did the step before",
        '-      baku: "??"',
        '+      baku: "2 Hari"',
    ]
    assert loads(text)
    assert not outline(text).steps[1].executor_undecided


def test_several_executors_get_bersama_and_one_loses_it(draft: str) -> None:
    joint = with_executors(draft, 0, ["kepala_dinas", "kasubag_umum"])
    assert changed_lines(draft, joint)[1:] == [
        "+    pelaksana: [kepala_dinas, kasubag_umum]  # read: bentuk flowChartTerminator in "
        "Kasubag Umum",
        "+    bersama: semua  # several roles chosen in the review (confirm)",
    ]
    single = with_executors(draft, 2, ["sekretaris"])
    removed = changed_lines(draft, single)
    assert removed[0].startswith("-    pelaksana: [sekretaris, kasubag_umum]")
    assert removed[1].startswith("-    bersama: semua")
    assert removed[2].startswith("+    pelaksana: sekretaris")
    assert len(removed) == 3
    ready = with_standard_time(with_executors(single, 1, ["sekretaris"]), 1, "1 Hari")
    assert loads(ready)


def test_a_block_list_of_executors_is_replaced_whole() -> None:
    text = definition_text(
        steps="  - no: 1\n    kegiatan: Rapat\n    pelaksana:\n      - kepala_dinas\n"
        "      - sekretaris\n    bersama: semua\n    waktu: 5 Menit\n    jenis_output: catatan\n"
    )
    changed = with_executors(text, 0, ["sekretaris"])
    assert "bersama" not in changed
    assert outline(changed).steps[0].executors == ("sekretaris",)
    assert loads(changed)


def test_a_time_the_document_did_not_write_is_set_in_place() -> None:
    text = definition_text().replace("waktu: 5 Menit", 'waktu: "??"', 1)
    step = outline(text).steps[0]
    assert step.time_undecided
    assert step.time_written == ""
    assert 'waktu: "30 Menit"' in with_standard_time(text, 0, "30 Menit")
    with pytest.raises(DraftShapeError):
        with_standard_time(definition_text(), 0, "30 Menit")  # decided already


def test_other_open_values_are_listed_with_their_line() -> None:
    text = definition_text().replace(
        "    jenis_output: catatan\n",
        '    jenis_output: catatan\n    keputusan:\n      ya: 2\n      tidak: "??"\n',
        1,
    )
    (mark,) = outline(text).others
    assert mark.key == "tidak"
    assert text.splitlines()[mark.line - 1].strip() == 'tidak: "??"'


def test_what_is_not_a_definition_cannot_be_edited() -> None:
    for text in ("just words", "sop: {}\nlangkah: []\n", "[1, 2"):
        with pytest.raises(DraftShapeError):
            outline(text)


@pytest.mark.parametrize(
    ("written", "candidates"),
    [
        ("1-2 Hari", ["1 Hari", "2 Hari"]),
        ("1 s/d 3 hari kerja", ["1 hari kerja", "3 hari kerja"]),
        ("2 - 3 Jam", ["2 Jam", "3 Jam"]),
        ("segera", []),
        ("sesuai jadwal", []),
        ("", []),
    ],
)
def test_time_candidates_are_the_numbers_of_the_wording_with_its_unit(
    written: str, candidates: list[str]
) -> None:
    assert time_candidates(written) == candidates
