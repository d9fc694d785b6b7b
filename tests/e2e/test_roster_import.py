"""Staff lists through the real bot: an agency admin asks with /impor_pegawai, fills in the
template, sends it back, reads the preview and taps "Buat"; each person's link comes back as
messages and as an Excel file; a listed person joins with their link and holds their
position, and another account is refused. Forged buttons (another admin's roster, another
agency's), a double tap and a restart between the preview and "Buat" change nothing they
should not."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import SIMULATED_FLOOD, SIMULATED_INBOUND, World, _enrol, world
from sopbot.emulator import BotApiEmulator, CallbackAnswer, SeenMessage
from sopbot.engine.library import SopLibrary, load_library
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import plain_text
from sopbot.services.organization import OrganizationService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import InvitationRow, MemberRow, PositionRow, RosterImportRow
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.definitions import definition_text, write_definition
from tests.helpers.office_samples import office_open_xml
from tests.helpers.rosters import (
    CREATED,
    LINK,
    PREVIEW,
    ask_and_fill,
    created,
    csv_file,
    read_workbook,
    send_roster,
)

T = default_catalog().text
SOP = "dinas-contoh/surat"
# What the admin types into the template: a NIP Excel turned into a number on row 4, a
# misspelt jabatan on row 6, and one existing position (Sekretaris).
FILLED: list[tuple[str | float, ...]] = [
    ("198001012005011001", "Hendra Gunawan, S.Kom.", "Kepala Bidang Koperasi", "@hendra_g"),
    ("198502022010012002", "Siti Rahmawati", "Sekretaris", ""),
    (1.99003032015031e17, "Agus Prasetyo", "Kepala Bidang Koperasi", ""),
    ("", "Wulan Pratiwi", "Staf Pelaksana", ""),
    ("199104042019032004", "Dewi Lestari", "Kepala Bidang Koprasi", "dewi_les"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "sop_defs"
    write_definition(root, SOP, definition_text())
    return root


@pytest.fixture
async def contoh(folder: Path, database: Database, tmp_path: Path) -> AsyncIterator[World]:
    """The agency's admin and one official per role (Kepala Dinas, Sekretaris), bot running
    (SQLite and PostgreSQL)."""
    async with world(
        load_library(folder), SOP, database=database, documents_dir=tmp_path / "documents"
    ) as running_world:
        yield running_world


def rows_of(demo: World | BotParts, model: type) -> list:  # type: ignore[type-arg]
    parts = demo.parts if isinstance(demo, World) else demo
    with parts.database.transaction() as session:
        return list(session.exec(select(model)).all())


def data_of(admin: Official, message: SeenMessage, text: str) -> str:
    data = dict(admin.user.button_data(message))[text]
    assert data is not None
    return data


async def forged(official: Official, message_id: int, data: str) -> CallbackAnswer:
    return await official.user.wait_for_answer(official.user.press_raw(message_id, data))


async def test_an_admin_imports_a_staff_list_and_the_people_join_with_their_links(
    contoh: World,
) -> None:
    demo, admin = contoh, contoh.admin
    content, template = await ask_and_fill(admin, FILLED)
    preview = await send_roster(admin, content, reply_to=template)  # a reply to the template
    text = preview.text or ""
    assert "pegawai.xlsx (lembar Pegawai, judul kolom di baris 1)" in text
    assert "Akan dibuat: 4 pegawai dan 3 jabatan baru; 1 jabatan yang sudah ada dipakai." in text
    assert "1 baris tidak diimpor" in text
    assert "• baris 4 · Agus Prasetyo · 1.99003E+17" in text
    assert "Kepala Bidang Koprasi (baris 6) mirip" in text
    assert "• Sekretaris (1 orang)" in text
    assert len(rows_of(demo, MemberRow)) == 3  # the admin and two officials, nothing yet

    await admin.press_text(preview, "✅ Buat 4 pegawai")
    links, sheet = await created(admin)
    assert "4 pegawai dan 3 jabatan baru dibuat dari pegawai.xlsx" in (links.text or "")
    found = LINK.findall(links.text or "")
    assert [bot for bot, _ in found] == ["sopbot_demo_bot"] * 4
    tokens = [token for _, token in found]
    assert "hanya untuk @hendra_g" in (links.text or "")
    assert (sheet.document or "").startswith("undangan-pegawai-")
    table = read_workbook(admin.user.document_content(sheet))
    assert table[0] == [
        "No",
        "Nama",
        "Jabatan",
        "NIP",
        "Username Telegram",
        "Tautan undangan",
        "Berlaku sampai",
    ]
    assert [row[1] for row in table[1:]] == [
        "Hendra Gunawan, S.Kom.",
        "Siti Rahmawati",
        "Wulan Pratiwi",
        "Dewi Lestari",
    ]
    assert table[1][3] == "198001012005011001"  # a NIP stays text, all 18 digits
    assert [row[5] for row in table[1:]] == [
        f"https://t.me/sopbot_demo_bot?start={token}" for token in tokens
    ]
    assert preview.message_id not in [m for m, _ in admin.live_buttons()]  # Buat is gone

    # Someone else opens Hendra's link: refused, nothing changes.
    impostor = Official(demo.emulator.add_user("Orang", "Lain", username="orang_lain"), "-")
    (refused,) = await impostor.say(f"/start {tokens[0]}")
    assert refused.text == plain_text(T(Language.ID, "roster.wrong_account"))
    hendra_row = next(m for m in rows_of(demo, MemberRow) if m.name.startswith("Hendra"))
    assert hendra_row.telegram_user_id is None

    # Hendra himself (his username in another letter case).
    hendra = Official(demo.emulator.add_user("Hendra", "G", username="Hendra_G"), "Kabid")
    (welcome,) = await hendra.say(f"/start {tokens[0]}")
    assert "Selamat datang, Hendra Gunawan, S.Kom.." in (welcome.text or "")
    assert "sebagai Kepala Bidang Koperasi" in (welcome.text or "")
    # Siti's row gave no username: her link is for whoever opens it first.
    siti = Official(demo.emulator.add_user("Siti", "R"), "Sekretaris")
    (welcome,) = await siti.say(f"/start {tokens[1]}")
    assert "sebagai Sekretaris" in (welcome.text or "")
    await settle(demo.emulator, demo.parts)
    assert sorted(p.name for p in rows_of(demo, PositionRow)) == [
        "Kepala Bidang Koperasi",
        "Kepala Bidang Koprasi",
        "Kepala Dinas",
        "Sekretaris",
        "Staf Pelaksana",
    ]
    (roster,) = rows_of(demo, RosterImportRow)
    assert roster.status == "confirmed"


async def test_forged_buttons_and_a_double_tap_change_nothing(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    organization = OrganizationService(demo.parts.services.procedures)
    onboarding = demo.parts.services.onboarding

    async def admin_of(agency_id: int, name: str) -> Official:
        member_id = await asyncio.to_thread(
            organization.add_member, agency_id=agency_id, name=name, is_admin=True
        )
        token, _ = await asyncio.to_thread(
            onboarding.invite, agency_id=agency_id, member_id=member_id, is_admin=True
        )
        official = Official(demo.emulator.add_user(name), "Admin")
        await official.say(f"/start {token}")
        return official

    colleague = await admin_of(demo.agency_id, "Admin Dua")
    other_agency = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Makassar"
    )
    foreign = await admin_of(other_agency, "Admin Lain")
    preview = await send_roster(
        admin, csv_file([("Nama", "Jabatan"), ("Budi", "Staf")]), "p.csv", "/impor_pegawai"
    )
    create = data_of(admin, preview, "✅ Buat 1 pegawai")
    cancel = data_of(admin, preview, "✖️ Batal")
    not_open = T(Language.ID, "roster.not_open")
    for official in (colleague, foreign):
        theirs = official.user.bot_messages()[-1].message_id
        for data in (create, cancel, create.replace(":ok", ":s")):
            answered = await forged(official, theirs, data)
            assert (answered.text, answered.show_alert) == (not_open, True), data
    sekretaris = demo.officials["sekretaris"]
    answered = await forged(sekretaris, sekretaris.user.bot_messages()[-1].message_id, create)
    assert answered.text == T(Language.ID, "status_report.not_admin")
    roster_id = int(create.split(":")[1])
    for data in (f"R:{roster_id}:7:ok", f"R:{roster_id + 50}:0:ok", f"R:{roster_id}:0:dance"):
        answered = await forged(admin, preview.message_id, data)
        assert answered.show_alert, data
    await settle(demo.emulator, demo.parts)
    assert [m.name for m in rows_of(demo, MemberRow) if m.name == "Budi"] == []
    assert [r.status for r in rows_of(demo, RosterImportRow)] == ["open"]

    # The owner's double tap: one import, and the second press says so.
    first = admin.user.press_raw(preview.message_id, create)
    second = admin.user.press_raw(preview.message_id, create)
    await admin.user.wait_for_answer(first)
    await admin.user.wait_for_answer(second)
    await settle(demo.emulator, demo.parts)
    assert [m.name for m in rows_of(demo, MemberRow)].count("Budi") == 1
    budi = next(m for m in rows_of(demo, MemberRow) if m.name == "Budi")
    assert len([i for i in rows_of(demo, InvitationRow) if i.member_id == budi.id]) == 1
    texts = [m.text or "" for m in admin.user.bot_messages()]
    assert sum(CREATED in t for t in texts) == 1
    assert any("sudah dibuat (1 pegawai)" in t for t in texts)


async def test_what_is_not_a_staff_list_and_who_is_not_an_admin(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    sekretaris = demo.officials["sekretaris"]
    (refused,) = await sekretaris.say("/impor_pegawai")
    assert refused.text == T(Language.ID, "status_report.not_admin")
    sekretaris.user.send_document(b"Nama,Jabatan\nBudi,Staf\n", "p.csv", "text/csv", "/roster")
    (refused,) = await sekretaris.user.wait_for_bot_messages(1)
    assert refused.text == T(Language.ID, "status_report.not_admin")

    await admin.say("/roster", expect=2)
    (again,) = await admin.say("ini daftarnya")  # text, not a file: the question stays
    assert again.text == plain_text(T(Language.ID, "roster.send_a_file"))
    answer = await send_roster(admin, b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "daftar.pdf")
    assert "daftar.pdf tidak dapat dibaca" in (answer.text or "")
    assert "bukan berkas Excel (.xlsx) atau CSV" in (answer.text or "")
    macros = office_open_xml("xlsm", extra_parts={"xl/vbaProject.bin": b"vba"})
    answer = await send_roster(admin, macros, "daftar.xlsm", "/impor_pegawai")
    assert "berkas ini berisi makro" in (answer.text or "")
    answer = await send_roster(
        admin, csv_file([("Nama", "Umur"), ("Budi", "40")]), "salah.csv", "/impor_pegawai"
    )
    assert "tidak ada baris judul kolom dengan Nama dan Jabatan" in (answer.text or "")
    assert rows_of(demo, RosterImportRow) == []


async def test_a_restart_between_the_preview_and_buat_loses_nothing(
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
            content, _ = await ask_and_fill(admin, FILLED)
            preview = await send_roster(admin, content)
            await settle(emulator, parts)
        parts = restarted_bot(library, emulator, database, tmp_path)
        async with running(parts):
            # /impor_pegawai offers the open preview again; its Buat and the old one are one.
            question, _ = await admin.say("/impor_pegawai", expect=2)
            assert "Pratinjau pegawai.xlsx masih terbuka" in (question.text or "")
            await admin.press_text(question, "▶️ Pratinjau pegawai.xlsx")
            await admin.user.wait_until(
                lambda: PREVIEW in (admin.user.last_bot_message().text or ""), 30.0, "again"
            )
            again = admin.user.last_bot_message()
            assert again.message_id != preview.message_id
            await admin.press_text(preview, "✅ Buat 4 pegawai")
            links, _ = await created(admin)
            assert len(LINK.findall(links.text or "")) == 4
            await admin.press_text(again, "✅ Buat 4 pegawai")
            await admin.user.wait_until(
                lambda: "sudah dibuat" in (admin.user.last_bot_message().text or ""), 30.0, "once"
            )
            assert len(rows_of(parts, MemberRow)) == 3 + 4
        assert [r.status for r in rows_of(parts, RosterImportRow)] == ["confirmed"]
    database.dispose()


def restarted_bot(
    library: SopLibrary, emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> BotParts:
    """A bot as `sopbot run` starts it."""
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


async def test_a_long_list_is_paged_and_its_links_come_as_a_file(contoh: World) -> None:
    demo, admin = contoh, contoh.admin
    people = [("Nama Lengkap", "Nama Jabatan")] + [
        (f"Pegawai Nomor {n:03d} dengan Nama Panjang", f"Staf Seksi {n % 7}") for n in range(150)
    ]
    preview = await send_roster(admin, csv_file(people, delimiter=";"), "besar.csv", "/roster")
    assert "Halaman 1 dari" in (preview.text or "")
    assert "Berkas ini tanpa kolom NIP" in (preview.text or "")
    pages = int(re.findall(r"Halaman 1 dari (\d+)", preview.text or "")[0])
    seen = [preview.text or ""]
    message = preview
    for _ in range(pages - 1):
        await admin.press_text(message, "▶️")
        message = admin.user.message(preview.message_id)  # the same message, edited
        seen.append(message.text or "")
    assert all(len(text) <= 4096 for text in seen)
    assert "Halaman 1 dari" not in seen[-1]
    listed = "\n".join(seen)
    assert all(f"Pegawai Nomor {n:03d}" in listed for n in range(150))
    await admin.press_text(message, "✅ Buat 150 pegawai")
    links, sheet = await created(admin)
    assert "terlalu panjang untuk pesan" in (links.text or "")
    assert LINK.findall(links.text or "") == []
    table = read_workbook(admin.user.document_content(sheet))
    assert len(table) == 151
    assert all(str(row[5]).startswith("https://t.me/sopbot_demo_bot?start=") for row in table[1:])
    assert len([m for m in rows_of(demo, MemberRow) if m.name.startswith("Pegawai Nomor")]) == 150
