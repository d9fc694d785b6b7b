"""SOPs from Telegram, through the real bot: an agency admin sends the agency's Word file, the
bot imports it and asks with buttons what the document cannot say, shows the rendered table,
and "Pasang" installs a version that /mulai runs at once. /sop lists the versions and sends the
document; non-admins never reach the importer; stale, forged and repeated buttons change
nothing; a restart in the middle of a review loses nothing."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import col, select

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import (
    SIMULATED_FLOOD,
    SIMULATED_INBOUND,
    World,
    _enrol,
    give_title,
    start_procedure,
    world,
)
from sopbot.emulator import BotApiEmulator, CallbackAnswer, SeenMessage
from sopbot.engine.library import SopLibrary, load_library
from sopbot.messaging.catalog import Language
from sopbot.services.organization import OrganizationService
from sopbot.storage.database import Database
from sopbot.storage.file_types import ALLOWED_TYPES_DESCRIPTION
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AuditRow, RoleMappingRow, SopDraftRow, SopInstallRow
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.definitions import definition_text, write_definition
from tests.helpers.office_samples import compound_file, office_open_xml
from tests.helpers.sop_import import (
    CANCEL,
    DOCX,
    NEW_SOP,
    PASANG,
    ROLES,
    SOP,
    YAML_SOP,
    T,
    preview_of,
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
def folder(tmp_path: Path) -> Path:
    """An agency with one SOP in its folder (its roles: Kepala Dinas, Sekretaris)."""
    root = tmp_path / "sop_defs"
    write_definition(root, SOP, definition_text())
    return root


@pytest.fixture
async def contoh(folder: Path, database: Database, tmp_path: Path) -> AsyncIterator[World]:
    """The agency's admin and one official per role, bot running (SQLite and PostgreSQL)."""
    async with world(
        load_library(folder),
        SOP,
        database=database,
        documents_dir=tmp_path / "documents",
        catalog_check_seconds=0,
    ) as running_world:
        yield running_world


# -- the admin at the phone ------------------------------------------------------------------


# -- the plays -------------------------------------------------------------------------------


async def test_an_admin_with_a_word_file_gets_a_running_sop(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    (listing,) = await admin.say("/sop")
    assert SOP in (listing.text or "")
    await admin.press_text(listing, "➕ Impor SOP")
    await until(admin, lambda: "Kirim berkas SOP" in (admin.user.last_bot_message().text or ""), "")

    await send_sop(admin, word_file(), "SOP Surat Masuk.docx")
    summary = next(m for m in admin.user.bot_messages() if "terbaca:" in (m.text or ""))
    assert "3 langkah, 2 pelaksana" in (summary.text or "")
    assert "Harus diputuskan (2)" in (summary.text or "")
    await review_word_file(demo)

    text = review_of(admin).text if CANCEL in review_of(admin).button_list else ""
    preview = next(m for m in reversed(admin.user.bot_messages()) if "Pratinjau" in (m.text or ""))
    assert NEW_SOP in (preview.text or "")
    assert "Kepala Dinas → Kepala Dinas" in (preview.text or ""), text
    picture = admin.user.photo_content(preview_of(admin))
    assert Image.open(io.BytesIO(picture)).width >= 1000  # the rendered table, to read

    answered = await admin.press_text(preview_of(admin), PASANG)
    assert answered.text is None
    installed = admin.user.last_bot_message().text or ""
    assert "versi" in installed
    assert "terpasang" in installed
    assert "sudah dapat dimulai dengan /mulai" in installed
    assert "2 pemetaan peran ditambahkan" in installed

    installs = [r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]
    assert len(installs) == 1
    assert installs[0].origin == "telegram"
    assert installs[0].installed_by_id == admin.member_id
    (draft,) = rows_of(demo, SopDraftRow)
    assert draft.status == "installed"
    assert 'baku: "2 Hari"' in draft.draft_text
    assert "# Draft imported" in draft.draft_text  # the importer's comments stay
    assert any(a.entity == "sop_install" for a in rows_of(demo, AuditRow))

    # The admin starts it; the first disposition reaches the holder of the mapped position.
    (menu,) = await admin.say("/mulai")
    await admin.press_text(menu, "Pengelolaan Surat Masuk")
    await admin.user.wait_for_bot_messages(1)
    await give_title(admin, "Surat dari Gubernur")
    await admin.say("Segera")
    await settle(demo.emulator, demo.parts)
    kepala = demo.officials["kepala_dinas"]
    assert "Memberi disposisi surat masuk" in (kepala.disposition().text or "")


async def test_pasang_twice_installs_once_and_the_same_file_again_changes_nothing(
    contoh: World,
) -> None:
    demo, admin = contoh, contoh.admin
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    await review_word_file(demo)
    picture = preview_of(admin)
    data = dict(admin.user.button_data(picture))[PASANG]
    assert data is not None
    first = admin.user.press_raw(picture.message_id, data)
    second = admin.user.press_raw(picture.message_id, data)  # a double tap
    await admin.user.wait_for_answer(first)
    await admin.user.wait_for_answer(second)
    await settle(demo.emulator, demo.parts)
    installs = [r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]
    assert len(installs) == 1
    assert len([r for r in rows_of(demo, RoleMappingRow) if r.sop_id == NEW_SOP]) == 2

    # The same document again: mapped already, so Lanjut; "versi ini sudah terpasang".
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    await tap(admin, "✅ Benar")
    await tap(admin, "Sekretaris")
    await tap(admin, "✅ Benar")
    await tap(admin, "2 Hari")
    for _ in ROLES:
        assert "Sudah dipetakan ke" in (review_of(admin).text or "")
        await tap(admin, "▶️ Lanjut")
    await to_preview(admin)
    await admin.press_text(preview_of(admin), PASANG)
    assert "versi ini sudah terpasang" in (admin.user.last_bot_message().text or "")
    assert len([r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]) == 1


def draft_row(demo: World) -> SopDraftRow:
    """The admin's newest draft."""
    with demo.parts.database.transaction() as session:
        found = session.exec(select(SopDraftRow).order_by(col(SopDraftRow.id).desc())).first()
    assert found is not None
    return found


def data_of(admin: Official, message: SeenMessage, text: str) -> str:
    """The callback data of a button, as a tampered client reads it."""
    data = dict(admin.user.button_data(message))[text]
    assert data is not None
    return data


async def forged(official: Official, message_id: int, data: str) -> CallbackAnswer:
    return await official.user.wait_for_answer(official.user.press_raw(message_id, data))


async def test_stale_forged_and_foreign_buttons_change_nothing(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    review = review_of(admin)
    confirm = data_of(admin, review, "✅ Benar")
    pick = data_of(admin, review, "Sekretaris")
    await tap(admin, "✅ Benar")  # the review moves on: the buttons above are stale now
    before = draft_row(demo)
    assert before.id is not None
    invalid = T(Language.ID, "answer.invalid_button")
    again = T(Language.ID, "sop.review_again")
    for data in (
        confirm,  # pressed again from an old screen
        pick,  # a role button of the step before
        pick.rsplit(":", 1)[0] + ":9",  # a role that is not there, of the step before
    ):
        # A stale turn of the admin's own open review: its current question again.
        answered = await forged(admin, review.message_id, data)
        assert (answered.text, answered.show_alert) == (again, False), data
    for data in (
        f"v:{before.id}:1:pick:9",  # a role that is not there, of the current question
        f"v:{before.id + 100}:1:ok",  # someone else's draft, or none
        f"v:{before.id}:1:install",  # Pasang before the preview
        f"v:{before.id}:1:dance",  # no such button
        "d:99999",  # a document of no installed version
    ):
        answered = await forged(admin, review.message_id, data)
        assert answered.show_alert, data
        assert answered.text == invalid, data
    # An official who is not an admin tries the admin's live button.
    sekretaris = demo.officials["sekretaris"]
    live = data_of(admin, review_of(admin), "Kepala Dinas")
    theirs = sekretaris.user.bot_messages()[-1].message_id
    refused = await forged(sekretaris, theirs, live)
    assert refused.text == T(Language.ID, "status_report.not_admin")
    await settle(demo.emulator, demo.parts)
    after = draft_row(demo)
    assert (after.review, after.draft_text, after.status) == (
        before.review,
        before.draft_text,
        before.status,
    )
    assert "Langkah 2 dari 3" in (review_of(admin).text or "")


async def test_a_foreign_pasang_first_does_not_spoil_the_owners_pasang(contoh: World) -> None:
    """A second admin presses the owner's "Pasang" (its data copied) before the owner does: it
    is refused, and the owner's own press still installs (the refusal is not stored under the
    owner's key)."""
    demo, admin = contoh, contoh.admin
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    other_id = await asyncio.to_thread(
        organization.add_member, agency_id=demo.agency_id, name="Budi (Admin)", is_admin=True
    )
    token, _ = await asyncio.to_thread(
        services.onboarding.invite, agency_id=demo.agency_id, member_id=other_id, is_admin=True
    )
    other = Official(demo.emulator.add_user("Budi", "Admin"), "Admin")
    await other.say(f"/start {token}")
    await send_sop(admin, word_file(), "surat.docx", caption="/sop")
    await review_word_file(demo)
    picture = preview_of(admin)
    data = dict(admin.user.button_data(picture))[PASANG]
    assert data is not None
    theirs = other.user.bot_messages()[-1].message_id
    refused = await forged(other, theirs, data)
    assert (refused.text, refused.show_alert) == (T(Language.ID, "answer.invalid_button"), True)
    assert [r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP] == []
    await admin.user.wait_for_answer(admin.user.press_raw(picture.message_id, data))
    await settle(demo.emulator, demo.parts)
    installs = [r for r in rows_of(demo, SopInstallRow) if r.sop_id == NEW_SOP]
    assert [r.installed_by_id for r in installs] == [admin.member_id]


async def test_non_admins_never_reach_the_importer(contoh: World) -> None:
    demo = contoh
    sekretaris = demo.officials["sekretaris"]
    not_admin = T(Language.ID, "status_report.not_admin")
    (answer,) = await sekretaris.say("/sop")
    assert answer.text == not_admin
    sekretaris.user.send_document(word_file(), "sop.docx", DOCX, caption="/sop")
    (answer,) = await sekretaris.user.wait_for_bot_messages(1)
    assert answer.text == not_admin

    # Their document is a step's output, as it always was.
    await start_procedure(demo, title="Surat undangan rapat")  # step 1 is the starter's
    received = await sekretaris.upload(sekretaris.disposition(), word_file(), "sop.docx", DOCX)
    assert "diterima" in (received.text or "")
    assert rows_of(demo, SopDraftRow) == []


async def test_a_scan_and_an_old_word_file_are_refused_with_what_to_send(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    page = Image.new("RGB", (600, 400), "white")
    scan = io.BytesIO()
    page.save(scan, format="PDF")
    await send_sop(admin, scan.getvalue(), "scan.pdf", caption="/sop")
    refused = admin.user.last_bot_message().text or ""
    assert "scan.pdf tidak dapat diimpor" in refused
    assert "hasil pindaian" in refused
    old_word = compound_file([("WordDocument", None), ("1Table", None)])
    await send_sop(admin, old_word, "sop.doc", "/sop")
    assert "simpan sebagai .docx" in (admin.user.last_bot_message().text or "")
    # The uploads' guards come before the importer parses anything: a Word file with macros
    # (and no SOP table the importer could read) gets the uploads' own answer.
    with_macros = office_open_xml("docx", extra_parts={"word/vbaProject.bin": b"vba"})
    await send_sop(admin, with_macros, "sop.docx", "/sop")
    macros = T(Language.ID, "document.refused_macros", allowed=ALLOWED_TYPES_DESCRIPTION)
    assert macros in (admin.user.last_bot_message().text or "")
    assert rows_of(demo, SopDraftRow) == []


async def test_sop_lists_versions_and_sends_the_document(contoh: World) -> None:
    admin = contoh.admin
    (listing,) = await admin.say("/sop")
    text = listing.text or ""
    assert "📘 Contoh · dinas-contoh/surat" in text
    assert "versi 2026-05-04" in text
    assert "dari berkas di server · berlaku" in text
    await admin.press_text(listing, "📄 Dokumen: Contoh")
    await until(admin, lambda: admin.user.last_bot_message().document is not None, "the PDF")
    sent = admin.user.last_bot_message()
    assert sent.document == "surat.pdf"
    assert (sent.text or "").startswith("📄 Contoh · versi 2026-05-04")
    assert admin.user.document_content(sent).startswith(b"%PDF")


async def test_a_yaml_skips_the_executors_and_what_buttons_cannot_settle_comes_back_as_yaml(
    contoh: World,
) -> None:
    demo, admin = contoh, contoh.admin
    await send_sop(admin, YAML_SOP.encode(), "surat.yaml", caption="/sop")
    time = review_of(admin)  # no executor to confirm: a person wrote the file
    assert "segera" in (time.text or "")
    assert "Ketik waktu baku" in (time.text or "")
    (refused,) = await admin.say("sebentar")
    assert "tidak dapat dibaca" in (refused.text or "")
    await until(admin, lambda: CANCEL in admin.user.last_bot_message().button_list, "again")
    await admin.say("2 Jam", expect=1)
    fix = review_of(admin)
    line = YAML_SOP.splitlines().index('      tidak: "??"') + 1
    assert f"baris {line}: tidak masih bertanda ??" in (fix.text or "")
    await tap(admin, "📄 Kirim draf .yaml")
    await until(admin, lambda: admin.user.last_bot_message().document == "surat.yaml", "draft")
    draft = admin.user.document_content(admin.user.last_bot_message()).decode()
    assert 'baku: "2 Jam"' in draft

    # The admin corrects the line and sends the file back: the next file is the SOP.
    # Named as a second download would be: it still fixes this draft, not a new SOP.
    fixed = draft.replace('tidak: "??"', "tidak: 1").encode()
    await send_sop(admin, fixed, "surat (1).yaml")
    assert any("dibatalkan; berkas ini" in (m.text or "") for m in admin.user.bot_messages())
    for _ in ROLES:  # mapped already, for this SOP
        assert "Sudah dipetakan ke" in (review_of(admin).text or "")
        await tap(admin, "▶️ Lanjut")
    await to_preview(admin)
    preview = next(m for m in reversed(admin.user.bot_messages()) if "Pratinjau" in (m.text or ""))
    assert "Menggantikan Contoh (dinas-contoh/surat) versi 2026-05-04" in (preview.text or "")
    await admin.press_text(preview_of(admin), PASANG)
    assert "Contoh versi revisi 2 terpasang" in (admin.user.last_bot_message().text or "")
    current = demo.parts.services.procedures.library.get(SOP)
    assert current is not None
    assert current.version == "revisi 2"
    statuses = sorted(row.status for row in rows_of(demo, SopDraftRow))
    assert statuses == ["cancelled", "installed"]


async def test_a_restart_in_the_middle_of_a_review_loses_nothing(
    folder: Path, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}", audit_key=TEST_AUDIT_KEY)
    await asyncio.to_thread(upgrade, database)
    library = load_library(folder)
    async with BotApiEmulator() as emulator:
        parts = restarted_bot(library, emulator, database, tmp_path)
        async with running(parts):
            demo = await _enrol(emulator, parts, library.definitions[SOP])
            admin = demo.admin
            await send_sop(admin, word_file(), "surat.docx", caption="/sop")
            await tap(admin, "✅ Benar")
            await settle(emulator, parts)
        assert emulator.pending_update_count == 0

        demo.parts = restarted_bot(library, emulator, database, tmp_path)
        async with running(demo.parts):
            review = review_of(admin)
            assert "Langkah 2 dari 3" in (review.text or "")
            await tap(admin, "Sekretaris")
            await tap(admin, "✅ Benar")
            await tap(admin, "2 Hari")
            for role in ROLES:
                await tap(admin, role)
                await tap(admin, "▶️ Lanjut")
            await to_preview(admin)
            await admin.press_text(preview_of(admin), PASANG)
            assert "terpasang" in (admin.user.last_bot_message().text or "")
            assert demo.parts.services.procedures.library.get(NEW_SOP) is not None
    database.dispose()


def restarted_bot(
    library: SopLibrary, emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> BotParts:
    """A bot as `sopbot run` starts it: the folder synced into the catalog, the catalog live."""
    return build_bot(
        token=emulator.token,
        database=database,
        library=sync_at_start_up(database, library, check_every=0),
        documents_dir=tmp_path / "documents",
        base_url=f"http://127.0.0.1:{emulator.port}",
        sender_idle_wait=0.2,
        inbound=SIMULATED_INBOUND,
        flood=SIMULATED_FLOOD,
    )
