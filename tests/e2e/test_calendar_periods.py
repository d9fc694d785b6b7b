"""Ramadan working hours set and removed by the agency's admin in Telegram (/kalender jam), in
the words `sopbot calendar hours` takes: the open step's due time moves, its reminder is planned
again at the new time, the change is audited as the admin's; officials who are not admins,
forged and repeated buttons change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from sopbot.bot.reminders import alert_job_id
from sopbot.demo.scenario import World, world
from sopbot.engine.library import SopLibrary
from sopbot.storage.models import AuditRow, HoursPeriodRow
from tests.e2e.conftest import KESBANGPOL
from tests.e2e.test_refusals import at_step
from tests.helpers.clock import ManualClock

WIB = ZoneInfo("Asia/Jakarta")
FORGED = "Tombol ini tidak berlaku lagi"


def rows(demo: World, model: type) -> list:  # type: ignore[type-arg]
    with demo.parts.database.transaction() as session:
        return list(session.exec(select(model)).all())


def alert_time(demo: World, member_id: int) -> dt.datetime | None:
    """When the reminder of the member's open step is planned (None: not yet, it is due more
    than the scheduler's horizon ahead)."""
    (item,) = demo.parts.services.procedures.inbox(member_id)
    job = demo.parts.reminders.scheduler.get_job(alert_job_id(item.step_run_id))
    return None if job is None else job.next_run_time.astimezone(WIB)


async def test_an_admin_sets_and_removes_ramadan_hours_in_telegram(
    library: SopLibrary, tmp_path: Path
) -> None:
    # Thursday 3 January 2030, 15.00 WIB (far ahead: no job fires by itself); step 4, "1 hari",
    # opens then. Ramadan 1451 H is taken as 4 January to 2 February 2030.
    clock = ManualClock(dt.datetime(2030, 1, 3, 15, 0, tzinfo=WIB).astimezone(dt.UTC))
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs", clock=clock) as demo:
        staff, admin = await at_step(demo, 4), demo.admin
        assert staff.member_id is not None
        (tasks,) = await staff.say("/tugas")
        assert "Batas Jumat, 4 Januari 2030 15.30 WIB" in (tasks.text or "")
        assert alert_time(demo, staff.member_id) is None  # due in more than 24 hours

        (overview,) = await admin.say("/kalender jam")
        assert "Tidak ada periode jam kerja khusus" in (overview.text or "")
        (saved,) = await admin.say(
            "/kalender jam 2030-01-04 2030-02-02 jumat 08.00-11.30,12.30-15.30 Ramadan 1451 H"
        )
        assert (saved.text or "") == (
            "🕗 Jam kerja Ramadan 1451 H (4 Januari - 2 Februari 2030) disimpan: "
            "Jumat 08.00-15.30 (istirahat 11.30-12.30). "
            "1 langkah yang sedang berjalan mendapat batas waktu baru."
        )
        (saved,) = await admin.say(
            "/kalender jam senin-kamis 08.00-12.00,12.30-15.00 Ramadan 1451 H"
        )
        assert (saved.text or "") == (
            "🕗 Jam kerja Ramadan 1451 H (4 Januari - 2 Februari 2030) disimpan: "
            "Senin-Kamis 08.00-15.00 (istirahat 12.00-12.30); "
            "Jumat 08.00-15.30 (istirahat 11.30-12.30). "
            "1 langkah yang sedang berjalan mendapat batas waktu baru."
        )
        (tasks,) = await staff.say("/tugas")
        assert "Batas Jumat, 4 Januari 2030 14.38 WIB" in (tasks.text or "")
        # Due within 24 hours now: the scheduler, planning the alerts again, looks at it then.
        assert alert_time(demo, staff.member_id) == dt.datetime(2030, 1, 4, 14, 38, tzinfo=WIB)
        audited = [a for a in rows(demo, AuditRow) if a.entity == "hours_period"]
        assert [(a.action, a.actor_id) for a in audited] == [("set", admin.member_id)] * 2

        # What cannot be read or stored is said, and nothing changes.
        refusals = {
            "/kalender jam 2030-03-01 senin 08.00-12.00 X": "Tulis kedua tanggal periode",
            "/kalender jam kemis 08.00-12.00 Ramadan 1451 H": "Hari kemis tidak dikenal",
            "/kalender jam senin 8-12 Ramadan 1451 H": "Jam 8-12 tidak dapat dibaca",
            "/kalender jam senin 08.00-12.00": "Tulis nama periodenya di akhir",
            "/kalender jam senin 08.00-12.00 Pekan Olahraga": "Periode Pekan Olahraga belum ada",
            "/kalender jam 2030-01-20 2030-02-10 senin 08.00-12.00 Porprov": (
                "bertumpang tindih dengan periode Ramadan 1451 H (4 Januari - 2 Februari 2030)"
            ),
            "/kalender jam 2030-03-10 2030-03-01 senin 08.00-12.00 Porprov": (
                "Jam kerja itu tidak dapat disimpan"
            ),
            "/kalender jam hapus Porprov": "Tidak ada periode bernama Porprov.",
        }
        for form, says in refusals.items():
            (refused,) = await admin.say(form)
            assert says in (refused.text or ""), form
        assert len(rows(demo, HoursPeriodRow)) == 1
        assert len([a for a in rows(demo, AuditRow) if a.entity == "hours_period"]) == 2

        # An official who is no admin: refused, and so are the buttons.
        (no,) = await staff.say("/kalender jam hapus Ramadan 1451 H")
        assert "hanya untuk admin" in (no.text or "")
        target = staff.user.last_bot_message().message_id
        for data in ("Kh:20300104", "Kx:20300104", "K"):
            answer = await staff.user.wait_for_answer(staff.user.press_raw(target, data), 15.0)
            assert "hanya untuk admin" in (answer.text or ""), data
        assert len(rows(demo, HoursPeriodRow)) == 1

        # The admin removes it with the buttons: asked first, then removed; a second tap and
        # a forged day change nothing.
        (overview,) = await admin.say("/kalender jam")
        assert "🕗 Jam kerja Ramadan 1451 H (4 Januari - 2 Februari 2030)" in (overview.text or "")
        await admin.press_text(overview, "✖️ Hapus: Ramadan 1451 H")
        asked = admin.user.message(overview.message_id)
        assert (asked.text or "").startswith("Hapus periode Ramadan 1451 H (4 Januari - 2 Februari")
        await admin.press_text(asked, "◀️ Kembali")
        assert "✖️ Hapus: Ramadan 1451 H" in admin.user.message(overview.message_id).button_list
        await admin.press_text(admin.user.message(overview.message_id), "✖️ Hapus: Ramadan 1451 H")
        confirm = dict(admin.user.button_data(overview.message_id))["✅ Ya, hapus"]
        assert confirm is not None
        await admin.press_text(admin.user.message(overview.message_id), "✅ Ya, hapus")
        removed = admin.user.message(overview.message_id)
        assert (removed.text or "") == (
            "🕗 Periode Ramadan 1451 H dihapus; hari-harinya kembali memakai jam kerja biasa. "
            "1 langkah yang sedang berjalan mendapat batas waktu baru."
        )
        for data in (confirm, "Kx:20991231", "Kh:2030", "Kh:20300231"):
            answer = await admin.user.wait_for_answer(
                admin.user.press_raw(overview.message_id, data), 15.0
            )
            assert FORGED in (answer.text or ""), data
        assert rows(demo, HoursPeriodRow) == []
        audited = [a for a in rows(demo, AuditRow) if a.entity == "hours_period"]
        assert [(a.action, a.actor_id) for a in audited][-1] == ("clear", admin.member_id)
        assert len(audited) == 3
        (tasks,) = await staff.say("/tugas")
        assert "Batas Jumat, 4 Januari 2030 15.30 WIB" in (tasks.text or "")
