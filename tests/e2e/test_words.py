"""What the bot writes, read on the phone: numbers in the person's language, standard times in
one style beside our own units, and a clear answer to a command it does not know."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from sopbot.bot.app import COMMANDS
from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, start_procedure, world
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from tests.e2e.conftest import PENGOLAHAN
from tests.e2e.test_history import plain
from tests.e2e.test_refusals import at_step
from tests.helpers.clock import ManualClock

T = default_catalog().text
MB = 1024 * 1024
WITA = ZoneInfo("Asia/Makassar")


async def test_a_file_size_is_written_as_the_language_writes_numbers(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 4)  # a document step
    message = holder.disposition()
    big = b"%PDF-1.4\n" + b"0" * (21 * MB - 9)
    reply = await holder.upload(message, big, "besar.pdf", "application/pdf")
    assert (reply.text or "").startswith("Berkas terlalu besar (21,0 MB).")
    (menu,) = await holder.say("/bahasa")
    await holder.press_text(menu, "🇬🇧 English")
    holder.language = Language.EN
    reply = await holder.upload(message, big, "besar.pdf", "application/pdf")
    assert (reply.text or "").startswith("The file is too large (21.0 MB).")


async def test_an_unknown_command_is_named_and_the_commands_listed(pengolahan: World) -> None:
    member = pengolahan.officials["sekretaris"]
    (answer,) = await member.say("/foo")
    lines = (answer.text or "").splitlines()
    assert lines[0] == T(Language.ID, "unknown_command.header", command="/foo")
    assert lines[1:] == [f"/{c}: {T(Language.ID, f'command.{c}')}" for c in COMMANDS]
    assert "/tugas: Tugas saya yang masih terbuka" in lines
    # Free text still gets the hint on how to answer a disposition.
    (hint,) = await member.say("halo")
    assert hint.text == plain(T(Language.ID, "hint.text"))

    english = pengolahan.emulator.add_user("Jane", "Doe", language_code="en")
    token, _ = await asyncio.to_thread(
        pengolahan.parts.services.onboarding.invite, agency_id=pengolahan.agency_id
    )
    jane = Official(english, "-", language=Language.EN)
    await jane.say(f"/start {token}")
    (answer,) = await jane.say("/foo@sopbot bar")
    lines = (answer.text or "").splitlines()
    assert lines[0] == "Unknown command: /foo@sopbot. The commands are:"
    assert "/tugas: My open tasks" in lines


async def test_standard_times_read_like_our_own_units_in_status_reminders_and_escalations(
    library: SopLibrary, tmp_path: Path
) -> None:
    # A Monday in working hours, far ahead of real time, so no scheduler job fires by itself:
    # the test decides when the alerts are looked at.
    clock = ManualClock(dt.datetime(2030, 7, 1, 8, 0, tzinfo=WITA).astimezone(dt.UTC))
    async with world(library, PENGOLAHAN, documents_dir=tmp_path / "docs", clock=clock) as demo:
        await start_procedure(demo)
        sekretaris = demo.officials["sekretaris"]  # step 2: "5 Menit" in the SOP
        assert demo.definition.step(2).standard_time.as_written == "5 Menit"
        assert sekretaris.member_id is not None
        (item,) = demo.parts.services.procedures.inbox(sekretaris.member_id)

        _, status = await demo.admin.say("/status", expect=2)  # the chart, then the text
        assert "0 menit dari baku 5 menit" in (status.text or "")
        _, detail = await demo.admin.say("/status 1", expect=2)
        assert "0 menit / baku 5 menit" in (detail.text or "")

        clock.advance(minutes=5)  # the reminder is owed
        await look_at_alerts(demo, item.step_run_id)
        reminder = sekretaris.user.last_bot_message()
        assert "sudah melewati waktu baku 5 menit" in (reminder.text or "")

        clock.advance(minutes=5)  # twice the standard: the escalation, to the admins too
        await look_at_alerts(demo, item.step_run_id)
        escalation = demo.admin.user.last_bot_message()
        assert (escalation.text or "").startswith("🚨 Terlambat")
        assert "(waktu baku 5 menit)" in (escalation.text or "")


async def look_at_alerts(demo: World, step_run_id: uuid.UUID) -> None:
    """What the step run's alert job does when it comes due, then the delivery."""
    await asyncio.to_thread(demo.parts.reminders.alerts.fire_many, [step_run_id])
    await settle(demo.emulator, demo.parts)


async def test_help_names_the_admin_commands_to_admins_only(pengolahan: World) -> None:
    (for_admin,) = await pengolahan.admin.say("/bantuan")
    assert "Untuk admin instansi" in (for_admin.text or "")
    assert "/impor_pegawai" in (for_admin.text or "")
    assert "Untuk operator" not in (for_admin.text or "")
    official = pengolahan.everyone()[0]
    (for_official,) = await official.say("/bantuan")
    assert "Panduan sopbot" in (for_official.text or "")
    assert "Untuk admin instansi" not in (for_official.text or "")
    assert "/impor_pegawai" not in (for_official.text or "")
    assert "/batal" in (for_official.text or "")  # a starter cancels their own
