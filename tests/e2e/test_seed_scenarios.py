"""Each seed SOP from invitation to the last step, through the real Application over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopbot.demo.scenario import play, start_procedure, world
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from tests.e2e.conftest import KESBANGPOL

# Whole seed SOPs played end to end: the slow stage.
pytestmark = pytest.mark.slow


REJECTIONS_004 = {
    (5, 1): "Format belum memuat kolom target",
    (11, 1): "Data bidang belum lengkap",
    (12, 1): "Angka capaian tidak konsisten",
}
LIVE = {
    default_catalog().text(Language.ID, k)
    for k in ("button.complete", "button.yes", "button.no", "button.claim")
}


@pytest.mark.parametrize(
    "sop_id",
    [
        "dinas-kukmp-samarinda/pengolahan-data-kinerja",
        "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
        "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
        KESBANGPOL,
    ],
)
async def test_a_seed_sop_from_invitation_to_the_last_step(
    library: SopLibrary, sop_id: str, tmp_path: Path
) -> None:
    rejections = REJECTIONS_004 if sop_id == KESBANGPOL else {}
    async with world(library, sop_id, documents_dir=tmp_path / "docs") as demo:
        await start_procedure(demo)
        await play(demo, rejections)
        statuses = demo.parts.services.views.status(demo.agency_id, 1)
        assert [s.state for s in statuses] == ["finished"]
        definition = demo.definition
        # Every step after the first reached its official as a disposition on the phone.
        for step in definition.steps[1:]:
            official = demo.officials[step.role]
            texts = [m.text or "" for m in official.user.bot_messages()]
            assert any(f"Langkah {step.number} dari {len(definition.steps)}" in t for t in texts), (
                step.number,
                official.name,
            )
        # No old message shows a live button any more.
        for official in demo.officials.values():
            for message in official.user.bot_messages():
                assert not (LIVE & set(message.button_list)), (official.name, message.text)
        if sop_id == KESBANGPOL:
            rounds = {(t.step_number, t.round) for t in statuses[0].steps}
            assert {(4, 2), (9, 3), (12, 2)} <= rounds
        # Documents of earlier steps were uploaded from the document store under the name
        # the server made, never sent on by the sender's file_id.
        sent = demo.emulator.calls_to("sendDocument")
        assert sent
        assert all(str(call.params.get("document")).startswith("<file ") for call in sent)


async def test_the_command_menu_speaks_both_languages(library: SopLibrary, tmp_path: Path) -> None:
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs") as demo:
        indonesian = dict(demo.admin.user.command_menu())
        english_user = demo.emulator.add_user("Jane", language_code="en")
        english = dict(english_user.command_menu())
    assert indonesian["tugas"] == "Tugas saya yang masih terbuka"
    assert english["tugas"] == "My open tasks"
    assert (
        set(indonesian)
        == set(english)
        == {
            "tugas",
            "mulai",
            "riwayat",
            "cari",
            "arsip",
            "ekspor",
            "status",
            "undang",
            "kalender",
            "sop",
            "batal",
            "surat",
            "pindah",
            "jabatan",
            "pegawai",
            "plt",
            "impor_pegawai",
            "laporan",
            "bahasa",
            "bantuan",
        }
    )
