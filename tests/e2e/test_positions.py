"""/jabatan through the real bot: an agency admin lists the positions, adds and renames one,
gives it an SOP role and sees /mulai route the next step there, takes roles away until a step
is left with no one ("belum ada pejabat") and gives one back, and removes a position only when
no one holds it. Forged buttons naming another agency's position or mapping, stale buttons and
double taps change nothing."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, start_procedure
from sopbot.emulator import CallbackAnswer, SeenMessage
from sopbot.engine.organization import ActingKind
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import MESSAGE_LIMIT, local_date, visible_length
from sopbot.services.organization import OrganizationService
from sopbot.storage import agencies
from sopbot.storage.models import AuditRow, PositionRow, RoleMappingRow

T = default_catalog().text
INVALID = T(Language.ID, "answer.invalid_button")
SOP_BUTTON = "📘 PENGUMPULAN DAN PENGOLAHAN DATA KINERJA"


def screen(official: Official) -> SeenMessage:
    """The bot's newest message in the official's chat, as it looks now."""
    return official.user.last_bot_message()


def shown(message: SeenMessage) -> str:
    """A message as the admin sees it: its text, then its buttons."""
    rows = [" ".join(f"[ {label} ]" for label in row) for row in message.buttons]
    return "\n".join([message.text or "", *rows])


async def tap(official: Official, label: str, message: SeenMessage | None = None) -> SeenMessage:
    """Press a button (on the newest message by default); the screen it leads to."""
    target = message or screen(official)
    answered = await official.press_text(target, label)
    assert not answered.show_alert, (label, answered.text)
    return official.user.message(target.message_id)


async def forged(official: Official, message: SeenMessage, data: str) -> CallbackAnswer:
    return await official.user.wait_for_answer(official.user.press_raw(message.message_id, data))


def data_of(official: Official, message: SeenMessage, label: str) -> str:
    data = dict(official.user.button_data(message))[label]
    assert data is not None
    return data


def rows(demo: World) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every position and role mapping in the database (every agency's)."""
    with demo.parts.database.unit_of_work(read_only=True) as uow:
        positions = uow.session.exec(select(PositionRow).order_by(col(PositionRow.id))).all()
        mappings = uow.session.exec(select(RoleMappingRow).order_by(col(RoleMappingRow.id))).all()
        return (
            [(p.id, p.agency_id, p.key, p.name, p.removed_at) for p in positions],
            [(m.id, m.agency_id, m.sop_id, m.role_key, m.position_id) for m in mappings],
        )


def audit_of(demo: World, entity: str) -> list[tuple[str, int | None]]:
    with demo.parts.database.unit_of_work(read_only=True) as uow:
        found = uow.session.exec(
            select(AuditRow).where(AuditRow.entity == entity).order_by(col(AuditRow.id))
        ).all()
        return [(a.action, a.actor_id) for a in found]


async def open_position(admin: Official, name: str) -> SeenMessage:
    """/jabatan, then the position's button: its screen."""
    (listing,) = await admin.say("/jabatan")
    label = next(b for row in listing.buttons for b in row if b.endswith(f". {name}"))
    return await tap(admin, label, listing)


async def add_position(admin: Official, name: str) -> SeenMessage:
    """ "➕ Tambah jabatan" under /jabatan, the name typed: the new position's screen."""
    (listing,) = await admin.say("/jabatan")
    await admin.press_text(listing, "➕ Tambah jabatan")
    (question,) = await admin.user.wait_for_bot_messages(1)
    assert "Ketik nama jabatan baru" in (question.text or "")
    (added,) = await admin.say(name)
    return added


async def invite(demo: World, position: str, first: str, last: str) -> Official:
    """/undang for the position; a new official joins by the link."""
    admin = demo.admin
    (menu,) = await admin.say("/undang")
    await admin.press_text(menu, position)
    (link,) = await admin.user.wait_for_bot_messages(1)
    token = re.search(r"start=(\S+)", link.text or "")
    assert token is not None
    official = Official(demo.emulator.add_user(first, last), position)
    await official.say(f"/start {token.group(1)}")
    member = demo.parts.services.onboarding.member_for(official.user.id)
    assert member is not None
    official.member_id = member.id
    return official


def _position_id(demo: World, key: str) -> int:
    with demo.parts.database.unit_of_work(read_only=True) as uow:
        found = agencies.position_by_key(uow, demo.agency_id, key)
        assert found is not None
        return found.id


def has_disposition(official: Official) -> bool:
    try:
        official.disposition()
    except LookupError:
        return False
    return True


async def test_an_admin_runs_the_agencys_positions_from_telegram(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    sekretaris = demo.officials["sekretaris"]

    # A Plh stands in for the Kepala Bidang until the end of a day a week ahead.
    zone = ZoneInfo("Asia/Jakarta")
    last_day = dt.datetime.now(zone).date() + dt.timedelta(days=7)
    organization = OrganizationService(demo.parts.services.procedures)
    organization.appoint_acting(
        None,
        member_id=demo.officials["kassubag_renval"].member_id or 0,
        position_id=_position_id(demo, "kepala_bidang"),
        kind=ActingKind.PLH,
        for_member_id=demo.officials["kepala_bidang"].member_id,
        valid_to=dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), zone),
    )

    (listing,) = await admin.say("/jabatan")
    text = listing.text or ""
    assert text.startswith("🏛️ Jabatan BADAN KESATUAN BANGSA DAN POLITIK (5)")
    assert "1. Kepala Dinas · kepala_dinas" in text
    assert "👤 Siti Rahmawati" in text
    until = local_date(
        dt.datetime.combine(last_day, dt.time(12), zone), "Asia/Jakarta", Language.ID
    )
    assert f"👤 Agus Prasetyo; Plh. Dewi Lestari untuk Agus Prasetyo s.d. {until}" in text
    assert "🔗 Sekretaris (SOP PENGUMPULAN DAN PENGOLAHAN DATA KINERJA)" in text
    assert listing.button_list[-1] == "➕ Tambah jabatan"

    # A new position, named, then renamed.
    added = await add_position(admin, "Analis Kinerja")
    assert (added.text or "").startswith(
        "✅ Jabatan Analis Kinerja ditambahkan (kunci analis_kinerja)."
    )
    assert "👤 Pemegang: belum ada (jabatan kosong)" in (added.text or "")
    await admin.press_text(added, "✏️ Ubah nama")
    (question,) = await admin.user.wait_for_bot_messages(1)
    assert (question.text or "") == "✏️ Ketik nama baru untuk Analis Kinerja."
    (taken,) = await admin.say("Sekretaris")
    assert (taken.text or "").startswith("Sudah ada jabatan bernama itu.")
    (renamed,) = await admin.say("Analis Data Kinerja")
    assert (renamed.text or "").startswith(
        "✅ Nama jabatan diubah: Analis Kinerja → Analis Data Kinerja."
    )
    analis = await invite(demo, "Analis Data Kinerja", "Wulan", "Pratiwi")

    # The Sekretaris role of the SOP, given to it.
    roles = await tap(admin, "🔗 Peran SOP", renamed)
    assert "Jabatan ini belum menjalankan peran SOP." in (roles.text or "")
    sops = await tap(admin, "➕ Tambah peran", roles)
    assert sops.button_list[0] == "📚 Semua SOP"
    choices = await tap(admin, SOP_BUTTON, sops)
    assert "Pilih perannya." in (choices.text or "")
    map_sekretaris = data_of(admin, choices, "Sekretaris")
    mapped = await tap(admin, "Sekretaris", choices)
    assert (mapped.text or "").startswith(
        "✅ Analis Data Kinerja kini menjalankan peran Sekretaris (SOP PENGUMPULAN DAN "
        "PENGOLAHAN DATA KINERJA). Tidak ada prosedur berjalan yang berubah."
    )
    # A double tap of the role's button changes nothing.
    before = rows(demo)
    again = await forged(admin, mapped, map_sekretaris)
    assert (again.text, again.show_alert) == (
        T(Language.ID, "positions.mapping_exists"),
        True,
    )
    assert rows(demo) == before

    # /mulai: step 2 is the Sekretaris's, and reaches the new position's holder too.
    await start_procedure(demo)
    await analis.user.wait_until(lambda: has_disposition(analis), what="step 2 at the Analis")
    assert "Langkah 2 dari 13" in (analis.disposition().text or "")
    assert has_disposition(sekretaris)

    # The role taken from the Sekretaris: the step stays with the Analis.
    position = await open_position(admin, "Sekretaris")
    roles = await tap(admin, "🔗 Peran SOP", position)
    confirm = await tap(admin, "➖ 1. Sekretaris", roles)
    assert (confirm.text or "").splitlines()[1:] == ["Ini mengubah 1 langkah yang sedang terbuka."]
    done = await tap(admin, "✅ Ya, lepaskan", confirm)
    assert "1 prosedur berjalan dialihkan." in (done.text or "")
    await settle(demo.emulator, demo.parts)
    assert not has_disposition(sekretaris)
    assert has_disposition(analis)

    # ... and from the Analis: no position serves it, the step waits.
    position = await open_position(admin, "Analis Data Kinerja")
    roles = await tap(admin, "🔗 Peran SOP", position)
    confirm = await tap(admin, "➖ 1. Sekretaris", roles)
    assert "⚠️ 1 di antaranya tidak lagi punya pejabat" in (confirm.text or "")
    unmap_again = data_of(admin, confirm, "✅ Ya, lepaskan")
    done = await tap(admin, "✅ Ya, lepaskan", confirm)
    assert "⚠️ 1 langkah terbuka kini belum ada pejabat." in (done.text or "")
    await settle(demo.emulator, demo.parts)
    assert not has_disposition(analis)
    _, status = await admin.say("/status", expect=2)  # the chart, then the text
    assert "Langkah 2" in (status.text or "")
    assert "belum ada pejabat" in (status.text or "")
    before = rows(demo)
    twice = await forged(admin, done, unmap_again)  # the confirmation pressed again
    assert (twice.text, twice.show_alert) == (INVALID, True)
    assert rows(demo) == before

    # Given back, for every SOP: the waiting step reaches the Analis.
    sops = await tap(admin, "➕ Tambah peran", done)
    choices = await tap(admin, "📚 Semua SOP", sops)
    mapped = await tap(admin, "Sekretaris", choices)
    assert "Sekretaris (semua SOP)" in (mapped.text or "")
    assert "1 prosedur berjalan dialihkan." in (mapped.text or "")
    await analis.user.wait_until(lambda: has_disposition(analis), what="step 2 back")

    # Removing: refused while held, with why; done when the position is empty.
    position = await open_position(admin, "Analis Data Kinerja")
    refused = await tap(admin, "🗑️ Hapus", position)
    assert (refused.text or "").splitlines()[:3] == [
        "⛔ Analis Data Kinerja belum dapat dihapus:",
        "• dipegang oleh Wulan Pratiwi",
        "• 1 disposisi masih menunggu di jabatan ini",
    ]
    assert refused.button_list == ["◀️ Kembali"]
    spare = await add_position(admin, "Pengadministrasi Umum")
    stale = [data_of(admin, spare, label) for label in ("✏️ Ubah nama", "🔗 Peran SOP")]
    question = await tap(admin, "🗑️ Hapus", spare)
    assert (question.text or "").startswith("🗑️ Hapus jabatan Pengadministrasi Umum?")
    remove_again = data_of(admin, question, "🗑️ Ya, hapus")
    listing = await tap(admin, "🗑️ Ya, hapus", question)
    assert (listing.text or "").startswith("🗑️ Jabatan Pengadministrasi Umum dihapus.")
    assert not any("Pengadministrasi Umum" in label for label in listing.button_list)
    (menu,) = await admin.say("/undang")
    assert "Pengadministrasi Umum" not in menu.button_list
    assert "Analis Data Kinerja" in menu.button_list
    before = rows(demo)
    for data in (remove_again, *stale):  # a double tap, and the removed position's old buttons
        answered = await forged(admin, listing, data)
        assert (answered.text, answered.show_alert) == (INVALID, True), data
    assert rows(demo) == before
    assert audit_of(demo, "position")[-4:] == [
        ("create", admin.member_id),
        ("rename", admin.member_id),
        ("create", admin.member_id),
        ("remove", admin.member_id),
    ]


async def test_forged_and_foreign_buttons_change_nothing(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    organization = OrganizationService(demo.parts.services.procedures)
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    theirs = organization.add_position(agency_id=other, key="kadis", name="Kepala Dinas Lain")
    their_mapping = organization.map_role(
        agency_id=other, role_key="kepala_dinas", position_id=theirs
    ).mapping_id
    (listing,) = await admin.say("/jabatan")
    before = rows(demo)
    for data in (
        f"Jv:{theirs}",
        f"Jn:{theirs}",
        f"Jg:{theirs}",
        f"Jp:{theirs}",
        f"Js:{theirs}:all",
        f"Jm:{theirs}:all:0123abcd",
        f"Ju:{their_mapping}",
        f"Jx:{their_mapping}",
        f"Jd:{theirs}",
        f"Jr:{theirs}",
        "Jv:999999",
        "Jm:1",
        "Jm:1:all:notarole",
        "Jx:abc",
        "Jq:1",
        "Jv",
    ):
        answered = await forged(admin, listing, data)
        assert (answered.text, answered.show_alert) == (INVALID, True), data
    # An official who is not an admin, with the admin's own live buttons.
    sekretaris = demo.officials["sekretaris"]
    theirs_chat = sekretaris.user.bot_messages()[-1]
    for label in ("1. Kepala Dinas", "➕ Tambah jabatan"):
        answered = await forged(sekretaris, theirs_chat, data_of(admin, listing, label))
        assert answered.text == T(Language.ID, "status_report.not_admin")
    (answer,) = await sekretaris.say("/jabatan")
    assert answer.text == T(Language.ID, "status_report.not_admin")
    await settle(demo.emulator, demo.parts)
    assert rows(demo) == before


async def test_a_long_list_is_paged_within_one_message(pengolahan: World) -> None:
    demo, admin = pengolahan, pengolahan.admin
    organization = OrganizationService(demo.parts.services.procedures)
    for number in range(1, 21):
        organization.add_position(
            agency_id=demo.agency_id,
            key=f"staf_{number}",
            name=f"Pengolah Data Kinerja dan Pelaporan Bidang Usaha Mikro Nomor {number:02d} " * 2,
        )
    (first,) = await admin.say("/jabatan")
    assert visible_length(first.text or "") <= MESSAGE_LIMIT
    pages = re.search(r"Halaman 1 dari (\d+)", first.text or "")
    assert pages is not None
    assert int(pages.group(1)) >= 3
    assert first.button_list[-2:] == ["▶️", "➕ Tambah jabatan"]
    second = await tap(admin, "▶️", first)
    assert "Halaman 2 dari" in (second.text or "")
    assert second.button_list[-3:] == ["◀️", "▶️", "➕ Tambah jabatan"]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", second.text or "", re.MULTILINE)]
    assert numbers[0] > 1
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    first_again = await tap(admin, "◀️", second)
    assert "Halaman 1 dari" in (first_again.text or "")


async def test_the_help_names_jabatan_and_it_speaks_english(pengolahan: World) -> None:
    admin = pengolahan.admin
    (help_text,) = await admin.say("/bantuan")
    assert "/jabatan: jabatan instansi, pemegangnya, dan peran SOP" in (help_text.text or "")
    (menu,) = await admin.say("/bahasa")
    await admin.press_text(menu, "🇬🇧 English")
    await admin.user.wait_until(
        lambda: "English" in (admin.user.message(menu.message_id).text or ""), what="language"
    )
    (listing,) = await admin.say("/positions")
    assert (listing.text or "").startswith("🏛️ Positions of ")
    assert listing.button_list[-1] == "➕ Add position"
