"""The flow notes of the Keterangan column: what the renderer writes, the importer reads back,
and the ways officials write them by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopbot.documents.flow_notes import FINISH, note_for, read_note, split_note
from sopbot.engine.definition import END
from sopbot.engine.library import load_paths

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = load_paths(
    [ROOT / "sop_defs", ROOT / "tests/e2e/defs", ROOT / "tests/engine/other_shapes"]
).definitions


@pytest.mark.parametrize("sop_id", sorted(DEFINITIONS))
def test_every_note_reads_back_to_the_flow_it_writes(sop_id: str) -> None:
    definition = DEFINITIONS[sop_id]
    for step in definition.steps:
        note = note_for(definition, step)
        remarks, read = split_note(f"Lihat SOP lain?\n{note}" if note else "Lihat SOP lain?")
        assert remarks == "Lihat SOP lain?"
        if not note:
            assert read is None
            continue
        assert read is not None
        assert read.canonical
        printed = [s.label for s in definition.steps]
        labels = {
            s.number: s.label
            if printed.count(s.label) == 1
            else f"{s.label} (baris {definition.steps.index(s) + 1})"
            for s in definition.steps
        }
        if step.decision is None:
            assert read.next == (FINISH if step.next == END else labels[step.next])
            continue
        assert read.question == step.decision.question
        assert [(b.target, b.rejects, b.output) for b in read.branches] == [
            (FINISH if b.target == END else labels[b.target], b.rejects, b.output)
            for b in step.decision.branches
        ]
        assert [b.answer for b in read.branches] == [
            b.label if b.label is not None else b.key for b in step.decision.branches
        ]


def test_a_plain_step_in_row_order_needs_no_note() -> None:
    definition = DEFINITIONS["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
    assert [note_for(definition, s) for s in definition.steps].count("") == 10


@pytest.mark.parametrize(
    ("text", "answers", "targets"),
    [
        ("Jika tidak sesuai, dikembalikan ke langkah 4", ["tidak"], ["4"]),
        ("Tidak: kembali ke no. 3", ["tidak"], ["3"]),
        ("Apabila tidak lengkap, dikembalikan ke langkah 2.", ["tidak"], ["2"]),
        ("Ya: lanjut ke no. 5. Tidak: kembali ke no. 3.", ["ya", "tidak"], ["5", "3"]),
        ("Jika tidak sesuai dikembalikan ke langkah 4", ["tidak"], ["4"]),
        ("Apabila tidak lengkap dikembalikan ke kegiatan no. 2", ["tidak"], ["2"]),
        ("Jika tidak: kembali ke langkah nomor 3", ["tidak"], ["3"]),
        (
            "Bila sesuai: lanjut ke langkah 6; bila tidak sesuai: kembali ke langkah 4",
            ["ya", "tidak"],
            ["6", "4"],
        ),
    ],
)
def test_what_officials_write_by_hand_is_read(
    text: str, answers: list[str], targets: list[str]
) -> None:
    note = read_note(text)
    assert note is not None
    assert not note.canonical
    assert [b.answer for b in note.branches] == answers
    assert [b.target for b in note.branches] == targets
    assert note.branches[-1].rejects


@pytest.mark.parametrize(
    "text",
    ["SOP Pelaksanaan Rapat", "Catatan: lihat SOP 2", "Sesuai: SOP Surat Keluar", "", "Jika perlu"],
)
def test_remarks_are_not_taken_for_flow(text: str) -> None:
    assert read_note(text) is None
    assert split_note(text) == (text.strip(), None)
