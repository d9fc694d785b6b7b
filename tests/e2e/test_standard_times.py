"""Times as SOPs write them, through the bot: a time kept as written (tertulis) and counted as a
standard (baku), a rework round's own time (waktu_ulang), and due times to the second."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sopbot.cli import main
from sopbot.demo.scenario import World, act, start_procedure, world
from sopbot.documents.cells import time_cell
from sopbot.engine.library import load_library
from sopbot.engine.working_calendar import DayRule
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.calendar_admin import CalendarAdmin
from tests.helpers.clock import ManualClock

DEFS = Path(__file__).parent / "defs"
SOP = "dinas-contoh-samarinda/waktu-tertulis"
WITA = ZoneInfo("Asia/Makassar")
REASON = "Nomor surat belum dicantumkan"
T = default_catalog().text


def test_the_definition_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "validate", str(DEFS / "dinas-contoh-samarinda")]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[-1] == "1 valid, 0 with errors, 0 warning(s)"
    # `sop show` gives the document's wording, the standard counted and the rework round's.
    assert main(["sop", "show", "--dir", str(DEFS), "--width", "200", SOP]) == 0
    shown = capsys.readouterr().out
    assert "(baku" in shown
    assert "ulang:" in shown
    definition = load_library(DEFS).get(SOP)
    assert definition is not None
    assert time_cell(definition.step(2)) == "1-2 Hari (baku 2 (dua) hari); ulang: 30 detik"


def _text(official_world: World, role: str) -> str:
    return official_world.officials[role].disposition().text or ""


async def test_written_times_rework_times_and_seconds_in_telegram(tmp_path: Path) -> None:
    library = load_library(DEFS)
    # A Tuesday in working hours, far ahead of real time, so no scheduler job fires by itself.
    clock = ManualClock(dt.datetime(2030, 7, 2, 9, 0, tzinfo=WITA).astimezone(dt.UTC))
    async with world(library, SOP, documents_dir=tmp_path / "docs", clock=clock) as demo:
        await start_procedure(demo)  # the Kepala Dinas starts: step 1 is done at once
        staf = demo.officials["staf"]
        first = _text(demo, "staf").splitlines()
        # Officials read the document's own wording; the clock counts "2 (dua) hari".
        assert "Waktu baku: 1-2 Hari" in first
        assert "Batas waktu: Kamis, 4 Juli 2030 09.00 WITA" in first

        await act(demo, staf, 2, 1, {})
        check = _text(demo, "sekretaris").splitlines()
        assert "Waktu baku: 30 detik" in check
        assert "Batas waktu: Selasa, 2 Juli 2030 09.00.30 WITA" in check  # with its seconds

        clock.advance(seconds=12)
        await act(demo, demo.officials["sekretaris"], 3, 1, {(3, 1): REASON})
        rework = _text(demo, "staf").splitlines()
        assert "🔁 Putaran ke-2: langkah ini dikerjakan ulang." in rework
        # The rework round counts waktu_ulang, not the two days of the first round.
        assert "Waktu baku: 30 detik" in rework
        assert "Batas waktu: Selasa, 2 Juli 2030 09.00.42 WITA" in rework
        (tasks,) = await staf.say("/tugas")
        assert "Selasa, 2 Juli 2030 09.00.42 WITA" in (tasks.text or "")

        clock.advance(seconds=20)
        await act(demo, staf, 2, 2, {})
        again = _text(demo, "sekretaris").splitlines()
        assert "Batas waktu: Selasa, 2 Juli 2030 09.01.02 WITA" in again
        await act(demo, demo.officials["sekretaris"], 3, 2, {})
        assert staf.member_id is not None
        assert demo.parts.services.procedures.inbox(staf.member_id) == []


async def test_kalender_names_the_agency_s_reading_of_hari(pengolahan: World) -> None:
    admin = pengolahan.admin
    (shown,) = await admin.say("/kalender")
    assert (shown.text or "").splitlines()[1] == T(Language.ID, "calendar.day_rule_kerja")
    calendars = CalendarAdmin(pengolahan.parts.services.procedures)
    await asyncio.to_thread(calendars.set_day_rule, pengolahan.agency_id, DayRule.END_OF_DAY)
    (shown,) = await admin.say("/kalender")
    line = (shown.text or "").splitlines()[1]
    assert line == T(Language.ID, "calendar.day_rule_akhir")
    assert "sampai jam pulang hari kerja ke-N setelah hari langkah dibuka" in line
