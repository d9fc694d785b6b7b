"""Plt/Plh through the real bot: /plt appoints and ends with buttons and typed dates, a term
ends (and starts) on time by itself, and forged or stale /plt buttons change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from sopbot.bot.acting_sweep import TERMS_JOB_ID
from sopbot.bot.app import build_bot
from sopbot.bot.lifecycle import running
from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, start_procedure, world
from sopbot.emulator import BotApiEmulator
from sopbot.engine.library import SopLibrary
from sopbot.engine.organization import ActingKind
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.organization import OrganizationService
from sopbot.storage import agencies
from sopbot.storage.database import Database
from sopbot.storage.models import ActingRow, AuditRow
from tests.e2e.conftest import KESBANGPOL
from tests.helpers.clock import ManualClock

T = default_catalog().text
WIB = ZoneInfo("Asia/Jakarta")
# A Tuesday afternoon, far ahead of real time: no reminder fires by itself.
AFTERNOON = dt.datetime(2030, 7, 2, 15, 58, tzinfo=WIB)
SWEEP = 0.5  # seconds between term sweeps, so a test waits for one without a long pause


def plain(text: str) -> str:
    """A catalog text as the person's app shows it (the HTML tags rendered away)."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


@pytest.fixture
async def office(
    library: SopLibrary, database: Database, tmp_path: Path
) -> AsyncIterator[tuple[World, ManualClock]]:
    """Kesbangpol with one official per role on a clock the test moves; a procedure started
    (step 2 waits for the Sekretaris), terms swept every SWEEP seconds."""
    clock = ManualClock(AFTERNOON.astimezone(dt.UTC))
    async with world(
        library,
        KESBANGPOL,
        database=database,
        documents_dir=tmp_path / "documents",
        clock=clock,
        acting_sweep_seconds=SWEEP,
    ) as running:
        await start_procedure(running)
        yield running, clock


async def join(demo: World, first: str, last: str) -> Official:
    """A member with no post yet, joining by an invitation the admin made."""
    services = demo.parts.services
    token, _ = await asyncio.to_thread(services.onboarding.invite, agency_id=demo.agency_id)
    official = Official(demo.emulator.add_user(first, last), "-")
    await official.say(f"/start {token}")
    member = await asyncio.to_thread(services.onboarding.member_for, official.user.id)
    assert member is not None
    official.member_id = member.id
    return official


async def tasks(official: Official) -> str:
    (answer,) = await official.say("/tugas")
    return answer.text or ""


def audit_of(database: Database, acting_id: int) -> list[tuple[str, int | None]]:
    with database.transaction() as session:
        rows = session.exec(
            select(AuditRow)
            .where(AuditRow.entity == "acting", AuditRow.entity_id == str(acting_id))
            .order_by(col(AuditRow.id))
        ).all()
        return [(row.action, row.actor_id) for row in rows]


def actings(database: Database) -> list[tuple[int, dt.datetime | None]]:
    with database.transaction() as session:
        rows = session.exec(select(ActingRow).order_by(col(ActingRow.id))).all()
        return [(row.id or 0, row.valid_to) for row in rows]


async def press(admin: Official, text: str) -> None:
    """Press a button of the admin's newest bot message and read the next question."""
    await admin.press_text(admin.user.last_bot_message(), text)


async def appoint_through_plt(
    demo: World,
    plh: Official,
    *,
    start: str | None,
    end: str,
    decree: str | None,
    confirm: bool = True,
) -> list[str]:
    """The admin appoints `plh` Plh of the Sekretaris, for the Sekretaris, with /plt; the
    texts of every question and answer the admin saw, in order."""
    admin = demo.admin
    sekretaris = demo.officials["sekretaris"]
    seen: list[str] = []
    (overview,) = await admin.say("/plt")
    seen.append(overview.text or "")
    buttons: list[list[str]] = [overview.button_list]
    steps: list[tuple[str, str | None]] = [
        (plain(T(Language.ID, "plt.button_new")), None),
        ("Sekretaris", None),
        (plh.name, None),
        ("Plh", None),
        (sekretaris.name, None),
    ]
    for button, _ in steps:
        await press(admin, button)
        (question,) = await admin.user.wait_for_bot_messages(1)
        seen.append(question.text or "")
        buttons.append(question.button_list)
    if start is None:
        await press(admin, plain(T(Language.ID, "plt.button_now")))
        (question,) = await admin.user.wait_for_bot_messages(1)
    else:
        (question,) = await admin.say(start)
    seen.append(question.text or "")
    (question,) = await admin.say(end)
    seen.append(question.text or "")
    if decree is None:
        await press(admin, plain(T(Language.ID, "plt.button_skip")))
        (summary,) = await admin.user.wait_for_bot_messages(1)
    else:
        (summary,) = await admin.say(decree)
    seen.append(summary.text or "")
    buttons.append(summary.button_list)
    if not confirm:
        return seen
    await press(admin, plain(T(Language.ID, "plt.button_appoint")))
    (done,) = await admin.user.wait_for_bot_messages(1)
    seen.append(done.text or "")
    await settle(demo.emulator, demo.parts)
    # The buttons each question showed: a list to pick from, then its own, then Batal.
    assert buttons[0] == ["➕ Tunjuk Plt/Plh"]
    assert buttons[1][-1] == "Batal"
    assert "Sekretaris" in buttons[1]
    assert plh.name in buttons[2]
    assert sekretaris.name not in buttons[2]  # the holder does not stand in for themselves
    assert len(buttons[2]) == len(demo.everyone()) + 2  # everyone else, the admin, Batal
    assert buttons[3:6] == [["Plt", "Plh", "Batal"], [sekretaris.name, "Jabatan kosong", "Batal"],
                            ["▶️ Sekarang", "Batal"]]  # fmt: skip
    assert buttons[-1] == ["✅ Tunjuk", "Batal"]
    return seen


async def test_a_plh_for_one_afternoon_hands_the_work_back_at_its_end(
    office: tuple[World, ManualClock], database: Database
) -> None:
    demo, clock = office
    sekretaris = demo.officials["sekretaris"]
    plh = await join(demo, "Rina", "Kusuma")
    first = sekretaris.disposition()
    seen = await appoint_through_plt(
        demo, plh, start=None, end="2 Juli 2030 16.00", decree="800/45/Kesbangpol/2030"
    )
    assert seen[-2].splitlines() == [
        "Periksa penunjukan ini:",
        f"Plh. Sekretaris untuk {sekretaris.name}",
        f"Pejabat: {plh.name}",
        "Masa tugas: sekarang s.d. 2 Juli 2030 16.00 (WIB)",
        "Surat Perintah: 800/45/Kesbangpol/2030",
        "Ketuk Tunjuk untuk menyimpan.",
    ]
    assert seen[-1] == (
        f"✅ Plh. Sekretaris untuk {sekretaris.name}: {plh.name}, 2 Juli 2030 15.58 s.d. 2 Juli "
        "2030 16.00 (WIB). Tugas terbuka di 1 prosedur berjalan kini dialihkan kepadanya."
    )
    # The work moved to the Plh now; the Sekretaris's message says where it went.
    assert "Langkah 2" in (plh.disposition().text or "")
    assert sekretaris.user.message(first.message_id).buttons == ()
    assert "Tidak ada tugas" in await tasks(sekretaris)

    clock.set(AFTERNOON + dt.timedelta(minutes=2, seconds=5))  # 16.00.05 WIB: the term is over
    await sekretaris.user.wait_until(
        lambda: bool(sekretaris.live_buttons()), what="the step back with the Sekretaris"
    )
    await settle(demo.emulator, demo.parts)
    assert "langkah 2" in await tasks(sekretaris)
    assert "Tidak ada tugas" in await tasks(plh)
    assert plh.live_buttons() == []  # the Plh's disposition lost its buttons
    told = [m.text or "" for m in plh.user.bot_messages() if (m.text or "").startswith("⏹️")]
    assert told == [
        f"⏹️ Masa tugas Anda sebagai Plh. Sekretaris untuk {sekretaris.name} telah berakhir "
        "(2 Juli 2030 15.58 s.d. 2 Juli 2030 16.00 (WIB)).\n"
        f"↩️ 1 tugas terbuka kembali kepada {sekretaris.name}."
    ]
    ((acting_id, _),) = actings(database)
    assert audit_of(database, acting_id) == [("appoint", demo.admin.member_id), ("term_end", None)]


async def test_an_end_that_passed_while_the_summary_was_read_is_asked_for_again(
    office: tuple[World, ManualClock], database: Database
) -> None:
    demo, clock = office
    admin = demo.admin
    plh = await join(demo, "Rina", "Kusuma")
    await appoint_through_plt(
        demo, plh, start=None, end="2 Juli 2030 16.00", decree=None, confirm=False
    )
    clock.set(AFTERNOON + dt.timedelta(minutes=5))  # 16.03: the end has passed
    await press(admin, plain(T(Language.ID, "plt.button_appoint")))
    refused, question = await admin.user.wait_for_bot_messages(2)
    assert refused.text == plain(T(Language.ID, "plt.problem_end_passed"))
    assert (question.text or "").startswith("(6/7) Sampai kapan?")
    assert actings(database) == []
    (question,) = await admin.say("2 Juli 2030 17.00")
    assert (question.text or "").startswith("(7/7)")
    await press(admin, plain(T(Language.ID, "plt.button_skip")))
    (summary,) = await admin.user.wait_for_bot_messages(1)
    assert "Masa tugas: sekarang s.d. 2 Juli 2030 17.00 (WIB)" in (summary.text or "")
    await press(admin, plain(T(Language.ID, "plt.button_appoint")))
    (done,) = await admin.user.wait_for_bot_messages(1)
    assert (done.text or "").startswith("✅ Plh. Sekretaris untuk")
    assert len(actings(database)) == 1


async def test_a_term_set_in_advance_starts_on_time(
    office: tuple[World, ManualClock], database: Database
) -> None:
    demo, clock = office
    sekretaris = demo.officials["sekretaris"]
    plh = await join(demo, "Rina", "Kusuma")
    seen = await appoint_through_plt(
        demo, plh, start="2 Juli 2030 16.00", end="3 Juli 2030", decree=None
    )
    assert seen[-1] == (
        f"✅ Plh. Sekretaris untuk {sekretaris.name}: {plh.name}, 2 Juli 2030 16.00 s.d. 3 Juli "
        "2030 (WIB). Masa tugas dimulai 2 Juli 2030 16.00; sampai saat itu tidak ada tugas yang "
        "berpindah."
    )
    # Nothing moves before the start.
    assert sekretaris.live_buttons() != []
    assert "Tidak ada tugas" in await tasks(plh)
    clock.set(AFTERNOON + dt.timedelta(minutes=2, seconds=1))
    await plh.user.wait_until(lambda: bool(plh.live_buttons()), what="the step with the Plh")
    await settle(demo.emulator, demo.parts)
    assert sekretaris.live_buttons() == []
    started = [m.text or "" for m in plh.user.bot_messages() if (m.text or "").startswith("▶️")]
    assert len(started) == 1
    assert started[0].splitlines()[0] == (
        f"▶️ Masa tugas Anda sebagai Plh. Sekretaris untuk {sekretaris.name} dimulai "
        "(2 Juli 2030 16.00 s.d. 3 Juli 2030 (WIB))."
    )
    ((acting_id, _),) = actings(database)
    assert audit_of(database, acting_id) == [
        ("appoint", demo.admin.member_id),
        ("term_start", None),
    ]


async def test_an_admin_ends_a_term_with_buttons_once_however_often_pressed(
    office: tuple[World, ManualClock], database: Database
) -> None:
    demo, _ = office
    admin = demo.admin
    sekretaris = demo.officials["sekretaris"]
    plh = await join(demo, "Rina", "Kusuma")
    services = demo.parts.services
    organization = OrganizationService(services.procedures, clock=services.clock)
    assert plh.member_id is not None
    await asyncio.to_thread(
        organization.appoint_acting,
        None,
        member_id=plh.member_id,
        position_id=_position(demo, "sekretaris"),
        kind=ActingKind.PLH,
        for_member_id=sekretaris.member_id,
        valid_to=AFTERNOON + dt.timedelta(days=3),
        decree="800/45/Kesbangpol/2030",
    )
    await settle(demo.emulator, demo.parts)
    assert sekretaris.live_buttons() == []
    (overview,) = await admin.say("/plt")
    assert (overview.text or "").splitlines() == [
        "👥 Plt/Plh · BADAN KESATUAN BANGSA DAN POLITIK",
        "Sedang menjabat:",
        f"1. Plh. Sekretaris untuk {sekretaris.name}: {plh.name}",
        "    2 Juli 2030 15.58 s.d. 5 Juli 2030 15.58 (WIB)",
        "    Surat Perintah: 800/45/Kesbangpol/2030",
        "Ketuk Akhiri untuk mengakhiri masa tugas sekarang, atau Tunjuk Plt/Plh.",
    ]
    assert overview.button_list == [f"⏹️ Akhiri 1: {plh.name}", "➕ Tunjuk Plt/Plh"]
    await admin.press_text(overview, f"⏹️ Akhiri 1: {plh.name}")
    (confirm,) = await admin.user.wait_for_bot_messages(1)
    assert confirm.button_list == ["⏹️ Ya, akhiri", "Tidak jadi"]
    yes = plain(T(Language.ID, "plt.button_end_yes"))
    # Two taps before the first is answered: one end, one answer.
    first = admin.user.press(confirm, yes)
    second = admin.user.press(confirm, yes)
    await admin.user.wait_for_answer(first)
    await admin.user.wait_for_answer(second)
    (ended,) = await admin.user.wait_for_bot_messages(1)
    await settle(demo.emulator, demo.parts)
    assert ended.text == (
        f"✅ Plh. Sekretaris untuk {sekretaris.name} ({plh.name}) diakhiri: 2 Juli 2030 15.58 "
        "s.d. 2 Juli 2030 15.58 (WIB). Tugas terbuka di 1 prosedur berjalan berpindah."
    )
    assert sum("diakhiri" in (m.text or "") for m in admin.user.bot_messages()) == 1
    assert confirm.message_id not in dict(admin.live_buttons())
    assert any((m.text or "").startswith("⏹️ Penunjukan Anda") for m in plh.user.bot_messages())
    assert sekretaris.live_buttons() != []
    ((acting_id, valid_to),) = actings(database)
    assert valid_to is not None
    assert audit_of(database, acting_id) == [("appoint", None), ("end", admin.member_id)]
    (after,) = await admin.say("/plt")
    assert plain(T(Language.ID, "plt.none")) in (after.text or "")


async def test_forged_and_stale_plt_buttons_change_nothing(
    office: tuple[World, ManualClock], database: Database
) -> None:
    demo, _ = office
    admin = demo.admin
    services = demo.parts.services
    organization = OrganizationService(services.procedures, clock=services.clock)
    # Another agency, with a position, a member and a Plt of its own.
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    their_post = await asyncio.to_thread(
        organization.add_position, agency_id=other, key="kabid", name="Kepala Bidang Lain"
    )
    their_member = await asyncio.to_thread(organization.add_member, agency_id=other, name="Lain")
    theirs = await asyncio.to_thread(
        organization.appoint_acting,
        None,
        member_id=their_member,
        position_id=their_post,
        kind=ActingKind.PLT,
        for_member_id=None,
    )
    their_id = theirs.result.acting_id
    before = actings(database)

    (overview,) = await admin.say("/plt")
    await admin.press_text(overview, plain(T(Language.ID, "plt.button_new")))
    (positions,) = await admin.user.wait_for_bot_messages(1)
    data = {text: str(value) for text, value in admin.user.button_data(positions)}
    token = data["Sekretaris"].split(":")[1]  # Pp:<flow>:<turn>:<position>
    stale = plain(T(Language.ID, "plt.stale"))
    invalid = plain(T(Language.ID, "answer.invalid_button"))
    forged = {
        f"Pe:{their_id}": invalid,  # "Akhiri" of another agency's Plt
        f"Pk:{their_id}": invalid,  # and its confirmation
        f"Pp:{token}:0:{their_post}": invalid,  # another agency's position in our flow
        f"Pp:{token}:5:{their_post}": stale,  # a turn that is not this one
        f"Pp:beefbeef:0:{their_post}": stale,  # a flow that is not the admin's
        f"Pa:{token}:0": stale,  # "Tunjuk" before the questions are answered
        "Pq:1": invalid,  # no such /plt action
    }
    for data_, expected in forged.items():
        query = admin.user.press_raw(positions.message_id, data_)
        answer = await admin.user.wait_for_answer(query)
        assert (data_, answer.text, answer.show_alert) == (data_, expected, True)
    # The flow goes on where it was; nothing changed.
    await admin.press_text(positions, "Sekretaris")
    (people,) = await admin.user.wait_for_bot_messages(1)
    assert "(2/7)" in (people.text or "")
    # The position question's buttons are gone; pressed again by a tampered client: stale.
    query = admin.user.press_raw(positions.message_id, data["Sekretaris"])
    answer = await admin.user.wait_for_answer(query)
    assert answer.text is None or answer.text == stale  # a double tap is answered quietly
    assert actings(database) == before
    # An official who is no admin: /plt and its buttons are refused.
    official = demo.officials["sekretaris"]
    (refused,) = await official.say("/plt")
    assert refused.text == plain(T(Language.ID, "status_report.not_admin"))
    query = official.user.press_raw(official.user.last_bot_message().message_id, f"Pk:{their_id}")
    answer = await official.user.wait_for_answer(query)
    assert answer.text == plain(T(Language.ID, "status_report.not_admin"))
    assert actings(database) == before


def _position(demo: World, role: str) -> int:
    with demo.parts.database.unit_of_work(read_only=True) as uow:
        found = agencies.position_by_key(uow, demo.agency_id, role)
        assert found is not None
        return found.id


async def test_a_term_that_ended_while_the_bot_was_down_is_applied_at_start_up(
    library: SopLibrary, database: Database, tmp_path: Path
) -> None:
    clock = ManualClock(AFTERNOON.astimezone(dt.UTC))
    hour = 3600.0  # no sweep but the one at start-up
    async with world(
        library,
        KESBANGPOL,
        database=database,
        documents_dir=tmp_path / "documents",
        clock=clock,
        acting_sweep_seconds=hour,
    ) as demo:
        assert demo.parts.reminders.scheduler.get_job(TERMS_JOB_ID) is not None
        await start_procedure(demo)
        plh = await join(demo, "Rina", "Kusuma")
        sekretaris = demo.officials["sekretaris"]
        services = demo.parts.services
        organization = OrganizationService(services.procedures, clock=services.clock)
        assert plh.member_id is not None
        await asyncio.to_thread(
            organization.appoint_acting,
            None,
            member_id=plh.member_id,
            position_id=_position(demo, "sekretaris"),
            kind=ActingKind.PLH,
            for_member_id=sekretaris.member_id,
            valid_to=AFTERNOON + dt.timedelta(minutes=2),
        )
        await settle(demo.emulator, demo.parts)
        assert sekretaris.live_buttons() == []
    clock.set(AFTERNOON + dt.timedelta(minutes=30))  # the term ended while the bot was down
    assert sekretaris.member_id is not None
    async with BotApiEmulator() as emulator:
        parts = build_bot(
            token=emulator.token,
            database=database,
            library=library,
            documents_dir=tmp_path / "documents",
            base_url=f"http://127.0.0.1:{emulator.port}",
            clock=clock,
            sender_idle_wait=0.2,
            acting_sweep_seconds=hour,
        )
        async with running(parts):
            procedures = parts.services.procedures
            deadline = asyncio.get_running_loop().time() + 15
            while not await asyncio.to_thread(procedures.inbox, sekretaris.member_id):
                assert asyncio.get_running_loop().time() < deadline, "not applied at start-up"
                await asyncio.sleep(0.05)
    ((acting_id, _),) = actings(database)
    assert audit_of(database, acting_id) == [("appoint", None), ("term_end", None)]
