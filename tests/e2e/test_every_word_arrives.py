"""Every seed played with two holders on each step every holder does, through the real bot:
each official receives every note, document and notice they should, and the finish.

Who is told what at the end is written down in docs/architecture.md ("The end of a procedure").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sopbot.demo.officials import Official
from sopbot.demo.scenario import World, play, start_procedure, world
from sopbot.engine.definition import OutputKind
from sopbot.engine.library import SopLibrary
from tests.e2e.conftest import KESBANGPOL

# Whole seed SOPs played end to end: the slow stage.
pytestmark = pytest.mark.slow


SEEDS = [
    "dinas-kukmp-samarinda/pengolahan-data-kinerja",
    "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
    "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
    KESBANGPOL,
]
REJECTIONS_004 = {(5, 1): "Format belum memuat kolom target", (11, 1): "Data bidang kurang"}


@dataclass
class Record:
    """What the officials did, in order: (step, round, official) with the note each wrote."""

    world: World
    actions: list[tuple[int, int, Official]] = field(default_factory=list)
    notes: dict[tuple[int, int], list[tuple[Official, str]]] = field(default_factory=dict)

    def note(self, official: Official, step: int, round_: int) -> str | None:
        self.actions.append((step, round_, official))
        definition = self.world.definition
        if definition.step(step).is_decision or step == definition.steps[-1].number:
            return None  # a "tidak" sends its reason on, and the last step has no one after it
        text = f"Catatan {official.name} untuk langkah {step} putaran {round_}"
        self.notes.setdefault((step, round_), []).append((official, text))
        return text


def bot_texts(official: Official) -> list[str]:
    return [m.text or "" for m in official.user.bot_messages()]


@pytest.mark.parametrize("sop_id", SEEDS)
async def test_every_official_receives_every_word_meant_for_them(
    library: SopLibrary, sop_id: str, tmp_path: Path
) -> None:
    async with world(library, sop_id, documents_dir=tmp_path / "docs", holders=2) as demo:
        record = Record(demo)
        await start_procedure(demo)
        await play(demo, REJECTIONS_004 if sop_id == KESBANGPOL else {}, notes=record.note)
        statuses = demo.parts.services.views.status(demo.agency_id, 1)
        assert [s.state for s in statuses] == ["finished"]
        definition = demo.definition
        fan_out = [r.key for r in definition.roles if len(demo.holders[r.key]) > 1]
        if sop_id in (SEEDS[0], KESBANGPOL):
            assert fan_out, "these seeds have a step every holder does"

        # Notes: the disposition that carries a step's notes on carries every holder's note,
        # each with its writer's name.
        for (step, round_), written in record.notes.items():
            carriers = [
                text
                for official in demo.everyone()
                for text in bot_texts(official)
                if written[0][1] in text and "Langkah" in text
            ]
            assert carriers, (step, round_, written[0][1])
            for text in carriers:
                for writer, note in written:
                    assert note in text, (step, round_, note)
                    assert writer.user.first_name in text, (step, round_, writer.name)

        # Documents: every final upload of a step reached each official who acted after it.
        uploads = {
            step.number: max(
                (i for i, (s, _, _) in enumerate(record.actions) if s == step.number),
                default=None,
            )
            for step in definition.steps
            if step.output_kind is OutputKind.DOCUMENT
        }
        for step_number, index in uploads.items():
            if index is None:
                continue
            _, round_, uploader = record.actions[index]
            name = f"langkah-{step_number}-putaran-{round_}.pdf"
            later = {o.user.id: o for _, _, o in record.actions[index + 1 :] if o is not uploader}
            for official in later.values():
                documents = [m.document for m in official.user.bot_messages()]
                assert name in documents, (official.name, name)

        # The finish: the starter and everyone who delivered the last step hear it, once.
        last_step = record.actions[-1][0]
        last_holders = {o.user.id: o for s, _, o in record.actions if s == last_step}
        starter = demo.officials[definition.first_step.role]
        for official in (*last_holders.values(), starter):
            flags = [t for t in bot_texts(official) if "🏁" in t]
            assert len(flags) == 1, (official.name, flags)
        # No message is left with a live button: not a disposition, not an answered question.
        for official in demo.everyone():
            for message in official.user.bot_messages():
                assert not message.buttons, (official.name, message.text)
