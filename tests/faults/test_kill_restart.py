"""kill -9 at 20 random points during 1,000 step transitions, restarting each time.

The bot runs as its own process (`python -m sopbot run`, the production entry point) against
the emulator in this process, on a shared SQLite file. Officials keep pressing "Selesai" on
whatever disposition their phone shows; the bot is killed (SIGKILL) at random moments and started
again. Afterwards: no update was lost, no transition was applied twice, no message was lost, and
duplicates are no more than the kills that could have caused them.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import random
import sys
from pathlib import Path

from sqlmodel import select

from sopbot.delivery.sender import MAX_UNRECORDED
from sopbot.demo.staffing import linear_sop
from sopbot.emulator import BotApiEmulator, SimulatedUser
from sopbot.engine.library import load_library
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import OutboxRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.fault_runs import assert_every_step_completed_once, work_owed

AGENCIES = 50  # x 2 procedures x 10 transitions = 1,000 transitions
KILLS = 20
STEPS = 11
# Seconds without any progress (procedures finishing, messages sent, updates handled)
# after which the bot counts as stuck.
STALL_LIMIT = 60.0
# Longest a message Telegram took may wait for its record (a commit queued behind others).
RECORD_WINDOW = 5.0
# A request the bot wrote just before it died is still read and taken by the emulator moments
# after the kill was noted.
IN_FLIGHT = 1.0
REPO = Path(__file__).resolve().parents[2]
DONE = default_catalog().text(Language.ID, "button.complete")


async def test_kill_nine_twenty_times_during_a_thousand_transitions(tmp_path: Path) -> None:
    sop_dir = tmp_path / "sop_defs"
    for index in range(AGENCIES):
        folder = sop_dir / f"dinas-{index:02d}"
        folder.mkdir(parents=True)
        (folder / "uji.yaml").write_text(linear_sop(STEPS, "SOP Uji Ketahanan"), encoding="utf-8")
        (folder / "instansi.yaml").write_text("zona_waktu: WIB\n", encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'sopbot.db'}"
    database = Database(database_url, audit_key=TEST_AUDIT_KEY)
    upgrade(database)
    library = load_library(sop_dir)
    procedures = ProcedureService(database, library, observer=NoticeWriter(Notifier()))
    organization = OrganizationService(procedures)
    rng = random.Random(20261121)  # noqa: S311 - reproducible kill points, not security

    async with BotApiEmulator() as emulator:
        users: list[SimulatedUser] = []
        for index in range(AGENCIES):
            agency = organization.create_agency(
                key=f"dinas-{index:02d}", name=f"Dinas {index}", timezone="Asia/Jakarta"
            )
            holders = {}
            for role in ("a", "b"):
                user = emulator.add_user(f"{role.upper()}{index}", started=True)
                users.append(user)
                position = organization.add_position(agency_id=agency, key=role, name=role)
                organization.map_role(agency_id=agency, role_key=role, position_id=position)
                member = organization.add_member(
                    agency_id=agency, name=f"{role}{index}", telegram_user_id=user.id
                )
                organization.appoint(None, member_id=member, position_id=position)
                holders[role] = member
            for number in range(2):
                procedures.start(
                    None,
                    agency_id=agency,
                    sop_id=f"dinas-{index:02d}/uji",
                    title=f"Uji {index}-{number}",
                    starter_id=holders["a"],
                )

        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": emulator.token,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{emulator.port}",
            "DATABASE_URL": database_url,
            "SOPBOT_SOP_DIR": str(sop_dir),
            "SOPBOT_DOCUMENTS_DIR": str(tmp_path / "documents"),
            "SOPBOT_AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchors.jsonl"),
            "SOPBOT_LOG_LEVEL": "WARNING",
            "SOPBOT_HEALTH_PORT": "0",  # no health server: 9180 may be another's
            # Telegram's pace would make this test take half an hour; the limits are tested
            # elsewhere.
            "SOPBOT_FLOOD_PER_SECOND": "500",
            "SOPBOT_FLOOD_PER_CHAT_PER_SECOND": "50",
        }
        log_file = (tmp_path / "bot.log").open("ab")

        async def start_bot() -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sopbot",
                "run",
                cwd=REPO,
                env=environment,
                stdout=log_file,
                stderr=log_file,
            )

        def polling_since(moment: float) -> bool:
            return any(c.at > moment for c in emulator.calls_to("deleteWebhook"))

        started = emulator.state.monotonic()
        bot = await start_bot()
        kills_done = 0
        kill_times: list[float] = []  # on the emulator's clock
        finished = asyncio.Event()

        async def press_what_is_shown() -> None:
            # (person, message) -> (query id, when) of the last tap
            last_tap: dict[tuple[int, int], tuple[str, float]] = {}
            loop = asyncio.get_running_loop()
            while not finished.is_set():
                for user in users:
                    answered = {p.query_id for p in user.presses() if p.answer is not None}
                    for message in user.bot_messages():
                        if DONE not in message.button_list:
                            continue
                        key = (user.id, message.message_id)
                        tap = last_tap.get(key)
                        # A person taps once, and again when the button keeps spinning (the
                        # bot never answered the tap) for ten seconds.
                        if tap is None or (tap[0] not in answered and loop.time() - tap[1] > 10):
                            last_tap[key] = (user.press(message, DONE), loop.time())
                await asyncio.sleep(0.1)

        presser = asyncio.create_task(press_what_is_shown())
        try:
            for _ in range(KILLS):
                # Once the bot is up (its poller starts with deleteWebhook), let it work for a
                # random moment.
                await emulator.wait_until(functools.partial(polling_since, started), timeout=60)
                await asyncio.sleep(rng.uniform(0.0, 2.0))
                bot.kill()  # SIGKILL: no clean-up of any kind
                kill_times.append(emulator.state.monotonic())
                await bot.wait()
                kills_done += 1
                await asyncio.sleep(rng.uniform(0.0, 0.5))
                started = emulator.state.monotonic()
                bot = await start_bot()
            # A loaded machine may take long; a stuck bot makes no progress at all. So the test
            # fails only when nothing moved for STALL_LIMIT seconds, however long it took.
            loop = asyncio.get_running_loop()
            last_state: dict[str, int] = {}
            moved_at = loop.time()
            while any((state := work_owed(database, emulator)).values()):
                if state != last_state:
                    last_state, moved_at = state, loop.time()
                elif loop.time() - moved_at > STALL_LIMIT:
                    log_file.flush()
                    tail = (tmp_path / "bot.log").read_text(errors="replace")[-3000:]
                    raise AssertionError(
                        f"no progress for {STALL_LIMIT} s after the kills: {state}\n{tail}"
                    )
                await asyncio.sleep(0.5)
        finally:
            finished.set()
            await presser
            if bot.returncode is None:
                bot.terminate()
                await bot.wait()
            log_file.close()

        # Zero lost updates: every press the emulator generated was stored and handled.
        pressed = {p.query_id for user in users for p in user.presses()}
        with database.transaction() as session:
            stored = session.exec(select(InboxRow)).all()
        handled = {
            r.payload["callback_query"]["id"]
            for r in stored
            if "callback_query" in r.payload and r.processed_at is not None
        }
        assert pressed <= handled
        assert all(r.processed_at is not None for r in stored)

        # Zero transitions applied twice: each step run completed once, every step once
        # (100 at the start, 1,000 pressed).
        assert_every_step_completed_once(database, AGENCIES * 2, STEPS)

        # Zero lost messages: every outbox message was delivered (Telegram took it).
        with database.transaction() as session:
            rows = session.exec(select(OutboxRow)).all()
        assert {r.state for r in rows} == {"sent"}
        accepted: dict[tuple[str, str], list[float]] = {}
        for call in emulator.calls_to("sendMessage"):
            if call.status == 200:
                key = (str(call.params["chat_id"]), call.params["text"])
                accepted.setdefault(key, []).append(call.at)
        messages = [row for row in rows if row.kind == "message"]
        for row in messages:
            assert accepted.get((str(row.chat_id), row.payload["text"])), row.id

        # Duplicates only from a kill between Telegram taking a message and the commit that
        # records it: a kill came after the first copy was taken (within the moments a send
        # takes to be recorded) and before the next copy; and the sender logged each one.
        log_text = (tmp_path / "bot.log").read_text(errors="replace")
        duplicates = 0
        for row in messages:
            times = accepted[(str(row.chat_id), row.payload["text"])]
            for taken, again in itertools.pairwise(times):
                duplicates += 1
                explained = [
                    kill
                    for kill in kill_times
                    if -IN_FLIGHT <= kill - taken < RECORD_WINDOW and kill <= again
                ]
                assert explained, (row.id, taken, again, kill_times)
                assert f"outbox {row.id}: left by a sender that stopped" in log_text, row.id
        # One crash repeats at most the messages Telegram took and the sender had not recorded.
        assert duplicates <= kills_done * MAX_UNRECORDED
        print(f"{kills_done} kills, {duplicates} duplicate message(s), all explained and logged")
