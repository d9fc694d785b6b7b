"""Ramadan working hours through the bot: /kalender shows them as officials write them, and a
"1 hari" step already open when the period is set gets the due time of the shorter days."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sopbot.demo.scenario import world
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.calendar_admin import CalendarAdmin
from tests.e2e.conftest import KESBANGPOL
from tests.e2e.test_refusals import at_step
from tests.helpers.clock import ManualClock

T = default_catalog().text
WIB = ZoneInfo("Asia/Jakarta")
t = dt.time
# SE Menteri PANRB (e.g. No. 51/2020) for five-day offices.
RAMADAN_DAY = [(t(8), t(12)), (t(12, 30), t(15))]
RAMADAN_FRIDAY = [(t(8), t(11, 30)), (t(12, 30), t(15, 30))]


async def test_ramadan_hours_are_shown_and_move_an_open_step(
    library: SopLibrary, tmp_path: Path
) -> None:
    # Thursday 3 January 2030, 15.00 WIB: far ahead of real time, so no scheduler job fires by
    # itself. Ramadan 1451 H is taken as Friday 4 January to Saturday 2 February 2030.
    clock = ManualClock(dt.datetime(2030, 1, 3, 15, 0, tzinfo=WIB).astimezone(dt.UTC))
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs", clock=clock) as demo:
        staff = await at_step(demo, 4)  # "1 hari", opened on Thursday at 15.00
        assert demo.definition.step(4).standard_time.as_written == "1 hari"
        (tasks,) = await staff.say("/tugas")
        # An hour of Thursday is left; the other 6.5 hours of a regular day end on Friday.
        assert "Batas Jumat, 4 Januari 2030 15.30 WIB" in (tasks.text or "")

        # The server's admin sets the Ramadan hours, as `sopbot calendar hours ... --nama` does.
        admin = CalendarAdmin(demo.parts.services.procedures, clock=clock)
        first, last = dt.date(2030, 1, 4), dt.date(2030, 2, 2)
        name = "Ramadan 1451 H"
        await asyncio.to_thread(
            admin.set_period_hours,
            demo.agency_id,
            name,
            [4],
            RAMADAN_FRIDAY,
            first=first,
            last=last,
        )
        changed = await asyncio.to_thread(
            admin.set_period_hours, demo.agency_id, name, [0, 1, 2, 3], RAMADAN_DAY
        )
        assert changed.moved == 1
        (tasks,) = await staff.say("/tugas")
        # 1/7.5 of a day on Thursday; the other 13/15 are 13/15 of a 6.5-hour Ramadan day.
        assert "Batas Jumat, 4 Januari 2030 14.38 WIB" in (tasks.text or "")

        (calendar,) = await demo.admin.say("/kalender")
        lines = (calendar.text or "").splitlines()
        assert (
            "🕗 Jam kerja: Senin-Kamis 07.30-16.00 (istirahat 12.00-13.00); "
            "Jumat 07.30-16.30 (istirahat 11.30-13.00); Sabtu-Minggu libur"
        ) in lines
        assert (
            "🕗 Jam kerja Ramadan 1451 H (4 Januari - 2 Februari 2030): "
            "Senin-Kamis 08.00-15.00 (istirahat 12.00-12.30); "
            "Jumat 08.00-15.30 (istirahat 11.30-12.30)"
        ) in lines
        # Officials who are not admins do not see (or change) the calendar.
        (refused,) = await staff.say("/kalender")
        assert refused.text == T(Language.ID, "status_report.not_admin")

        # After Ramadan, /kalender shows the regular hours only.
        clock.set(dt.datetime(2030, 2, 4, 9, 0, tzinfo=WIB).astimezone(dt.UTC))
        (calendar,) = await demo.admin.say("/kalender")
        assert "Ramadan" not in (calendar.text or "")
