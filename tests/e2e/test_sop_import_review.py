"""The SOP import's review through the real bot, where things go wrong: a press whose answer
was lost, a task's file or note while the review waits, a version installed meanwhile, an
admin demoted while the bot waits, and agencies with many positions or many SOPs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sopbot.demo.officials import Official
from sopbot.demo.scenario import World, start_procedure, world
from sopbot.emulator.faults import ServerError
from sopbot.engine.library import load_library
from sopbot.engine.loader import parse_definition
from sopbot.messaging.catalog import Language
from sopbot.services.sop_catalog import InstallOrigin
from sopbot.services.sop_imports import MAX_POSITION_BUTTONS, SOPS_PER_PAGE
from sopbot.storage import agencies
from sopbot.storage.database import Database
from sopbot.storage.models import MemberRow, SopDraftRow, SopInstallRow
from tests.helpers.definitions import definition_text, write_definition
from tests.helpers.sop_import import (
    CANCEL,
    DOCX,
    NEW_SOP,
    PASANG,
    ROWS,
    SOP,
    YAML_SOP,
    T,
    review_of,
    review_word_file,
    rows_of,
    send_sop,
    tap,
    to_preview,
    until,
    word_file,
)


@pytest.fixture
async def contoh(tmp_path: Path, database: Database) -> AsyncIterator[World]:
    """The agency's admin and one official per role, bot running (SQLite and PostgreSQL)."""
    root = tmp_path / "sop_defs"
    write_definition(root, SOP, definition_text())
    async with world(
        load_library(root),
        SOP,
        database=database,
        documents_dir=tmp_path / "documents",
        catalog_check_seconds=0,
    ) as running_world:
        yield running_world


def set_admin(demo: World, official: Official, is_admin: bool) -> None:
    with demo.parts.database.transaction() as session:
        row = session.get(MemberRow, official.member_id)
        assert row is not None
        row.is_admin = is_admin
        session.add(row)


async def test_a_press_whose_answer_was_lost_shows_the_next_question(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    first = review_of(admin)
    # The press is saved, then every edit of the review fails: the inbox handles the press
    # again, finds its turn gone, and must still show the question it moved to.
    demo.emulator.faults.fail_next("editMessageText", ServerError(500), times=5)
    admin.user.press(first, "✅ Benar")
    await until(admin, lambda: "Langkah 2 dari 3" in (review_of(admin).text or ""), "step 2")

    # /sop offers the open review again, and shows its current question.
    (listing,) = await admin.say("/sop")
    resume = T(Language.ID, "button.sop_resume", name="surat.docx")
    assert resume in listing.button_list
    seen = len(admin.user.bot_messages())
    await admin.press_text(listing, resume)
    await until(admin, lambda: len(admin.user.bot_messages()) > seen, "the question again")
    assert "Langkah 2 dari 3" in (review_of(admin).text or "")


async def test_a_tasks_note_and_file_stay_with_the_task_while_the_review_waits(
    contoh: World,
) -> None:
    demo = contoh
    sekretaris = demo.officials["sekretaris"]
    set_admin(demo, sekretaris, True)
    await start_procedure(demo, title="Surat undangan rapat")
    task = sekretaris.disposition()
    await send_sop(sekretaris, YAML_SOP.encode(), "surat.yaml", caption="/sop")
    assert "Ketik waktu baku" in (review_of(sekretaris).text or "")

    # A note replying to the task is the task's, and the typed-time question stays open.
    (noted,) = await sekretaris.say("Sudah diagendakan", reply_to=task)
    assert "Catatan disimpan" in (noted.text or "")
    await sekretaris.say("2 Jam", expect=1)
    await until(sekretaris, lambda: "bertanda ??" in (review_of(sekretaris).text or ""), "fix")

    # At the fix stage: a Word file replying to the task, or sent with one task open, is the
    # task's output; the review still waits for its .yaml.
    received = await sekretaris.upload(task, word_file(), "lampiran.docx", DOCX)
    assert "diterima" in (received.text or "")
    received = await sekretaris.upload(None, word_file(ROWS[:2]), "lampiran2.docx", DOCX)
    assert "diterima" in (received.text or "")
    assert len(rows_of(demo, SopDraftRow)) == 1


async def test_a_version_installed_after_the_preview_is_not_overwritten_unseen(
    contoh: World,
) -> None:
    demo, admin = contoh, contoh.admin
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    await review_word_file(demo)
    # Meanwhile the same SOP gets a version from the server.
    other = definition_text().replace("  nama: Contoh\n", "  nama: Contoh\n  revisi: 9\n", 1)
    loaded = parse_definition(other, source="x.yaml", sop_id=NEW_SOP, agency_key="dinas-contoh")
    assert loaded.definition is not None
    imports = demo.parts.services.sop_imports
    assert imports is not None
    catalog = imports.catalog
    await asyncio.to_thread(catalog.install, loaded.definition, InstallOrigin.FILE, None)
    pictures = len([m for m in admin.user.bot_messages() if m.photo])

    picture = next(m for m in reversed(admin.user.bot_messages()) if m.photo)
    await admin.press_text(picture, PASANG)
    await until(
        admin,
        lambda: len([m for m in admin.user.bot_messages() if m.photo]) > pictures,
        "the new preview",
    )
    texts = [m.text or "" for m in admin.user.bot_messages()]
    assert any("dipasang sejak pratinjau ini ditampilkan" in t for t in texts)
    assert any("versi revisi 9 yang berlaku sekarang" in t for t in texts)
    assert len([r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]) == 1

    # The new preview's Pasang installs.
    await to_preview(admin)
    newest = next(m for m in reversed(admin.user.bot_messages()) if m.photo)
    await admin.press_text(newest, PASANG)
    await until(admin, lambda: "terpasang" in (admin.user.last_bot_message().text or ""), "done")
    assert len([r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]) == 2


async def test_an_admin_demoted_while_the_bot_waits_sends_an_ordinary_file(contoh: World) -> None:
    demo = contoh
    sekretaris = demo.officials["sekretaris"]
    set_admin(demo, sekretaris, True)
    await start_procedure(demo, title="Surat undangan rapat")
    (listing,) = await sekretaris.say("/sop impor")
    assert "Kirim berkas SOP" in (listing.text or "")
    set_admin(demo, sekretaris, False)
    received = await sekretaris.upload(None, word_file(), "lampiran.docx", DOCX)
    assert "diterima" in (received.text or "")
    assert rows_of(demo, SopDraftRow) == []
    member_id = sekretaris.member_id
    assert member_id is not None
    assert await asyncio.to_thread(demo.parts.services.pending.peek, member_id) is None


async def test_every_position_of_a_large_agency_can_be_chosen(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    extra = MAX_POSITION_BUTTONS + 6
    with demo.parts.database.unit_of_work() as uow:
        for number in range(extra):
            agencies.add_position(
                uow, agency_id=demo.agency_id, key=f"staf-{number}", name=f"Staf {number:02d}"
            )
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    await tap(admin, "✅ Benar")
    await tap(admin, "Sekretaris")
    await tap(admin, "✅ Benar")
    await tap(admin, "2 Hari")
    question = review_of(admin)
    last = f"Staf {extra - 1:02d}"
    assert last not in question.button_list
    await tap(admin, "▶️")
    assert "Halaman 2 dari 2" in (review_of(admin).text or "")
    await tap(admin, last)
    assert f"☑️ {last}" in review_of(admin).button_list
    await tap(admin, "◀️")
    await tap(admin, "Kepala Dinas")
    assert "Staf" in (review_of(admin).text or "")  # both chosen, on different pages
    await tap(admin, "▶️ Lanjut")
    assert CANCEL in review_of(admin).button_list


async def test_sop_pages_an_agency_with_many_sops(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    imports = demo.parts.services.sop_imports
    assert imports is not None
    catalog = imports.catalog
    for number in range(SOPS_PER_PAGE + 2):
        text = definition_text().replace("  nama: Contoh\n", f"  nama: Contoh {number:02d}\n", 1)
        sop_id = f"dinas-contoh/sop-{number:02d}"
        loaded = parse_definition(text, source="x.yaml", sop_id=sop_id, agency_key="dinas-contoh")
        assert loaded.definition is not None
        await asyncio.to_thread(catalog.install, loaded.definition, InstallOrigin.FILE, None)
    (listing,) = await admin.say("/sop")
    documents = [b for b in listing.button_list if b.startswith("📄")]
    assert len(documents) == SOPS_PER_PAGE
    assert "Halaman 1 dari 2" in (listing.text or "")
    await admin.press_text(listing, "▶️")
    await until(
        admin,
        lambda: "Halaman 2 dari 2" in (admin.user.message(listing.message_id).text or ""),
        "page 2",
    )
    second_page = admin.user.message(listing.message_id)
    assert len([b for b in second_page.button_list if b.startswith("📄")]) == 3
    assert "◀️" in second_page.button_list
