"""Several workers behind a webhook on one PostgreSQL database (issue 22).

Three `sopbot run` workers (child processes: the production entry point) receive Telegram's
webhook posts through a round-robin proxy, the emulator posting in parallel as Telegram does
(a chat's updates one at a time). Newcomers join with their invitation links, officials start
procedures with /mulai (a conversation of several updates, each of which may reach another
worker), send files and press Selesai.

First all three run: every update is stored once and handled once, every reply comes once
("Selamat datang" once, "Berkas ... diterima" once per file, each button answered once), each
transition happens once, and one worker leads. Then the leader is killed (SIGKILL) in the
middle of the work: nothing is lost, every procedure finishes, another worker leads, and a
duplicate can only be a reply to an update the killed worker held.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from sopbot.demo.samples import sample_pdf
from sopbot.demo.staffing import linear_sop
from sopbot.emulator import BotApiEmulator, SimulatedUser
from sopbot.emulator.round_robin import RoundRobinProxy
from sopbot.engine.library import load_library
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.notices import Notifier
from sopbot.services.onboarding import OnboardingService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import InstanceRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.audit import TEST_AUDIT_KEY_TEXT
from tests.helpers.databases import empty_postgres, postgres_url
from tests.helpers.fault_runs import assert_every_step_completed_once, work_owed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_url() is None, reason="several workers need PostgreSQL"),
]

WORKERS = 3
AGENCIES = 6
STEPS = 6
SOP_NAME = "SOP Uji Pekerja"
SECRET = "uji-" + "w" * 40
REPO = Path(__file__).resolve().parents[2]
STALL_LIMIT = 90.0  # seconds without progress before the run counts as stuck
CATALOG = default_catalog()
DONE = CATALOG.text(Language.ID, "button.complete")
SKIP = CATALOG.text(Language.ID, "button.skip")
PDF_BYTES = sample_pdf("Nota dinas uji")


@dataclass
class Office:
    """One agency's people in the emulator."""

    starter: SimulatedUser  # holds role a, starts with /mulai
    other: SimulatedUser  # holds role b
    newcomer: SimulatedUser  # joins with an invitation link during the run
    token: str


@dataclass
class Officials:
    """What the simulated people did, for the checks afterwards."""

    offices: list[Office]
    uploads: Counter[int] = field(default_factory=Counter)  # files sent, by user id
    pressed: dict[tuple[int, int], str] = field(default_factory=dict)  # (user, message) -> query

    def everyone(self) -> Iterator[SimulatedUser]:
        """Every person who acts on dispositions."""
        for office in self.offices:
            yield office.starter
            yield office.other


def _prepare(database: Database, sop_dir: Path, emulator: BotApiEmulator) -> Officials:
    """Agencies, positions and members through the services (the bot is not running yet);
    one procedure per agency already running; one newcomer invitation per agency."""
    upgrade(database)
    library = load_library(sop_dir)
    procedures = ProcedureService(database, library, observer=NoticeWriter(Notifier()))
    organization = OrganizationService(procedures)
    onboarding = OnboardingService(procedures)
    offices = []
    for index in range(AGENCIES):
        agency = organization.create_agency(
            key=f"dinas-{index:02d}", name=f"Dinas {index}", timezone="Asia/Jakarta"
        )
        people = {}
        for role in ("a", "b"):
            user = emulator.add_user(f"{role.upper()}{index}", started=True)
            position = organization.add_position(agency_id=agency, key=role, name=role)
            organization.map_role(agency_id=agency, role_key=role, position_id=position)
            member = organization.add_member(
                agency_id=agency, name=f"{role}{index}", telegram_user_id=user.id
            )
            organization.appoint(None, member_id=member, position_id=position)
            people[role] = (user, member)
        staff = organization.add_position(agency_id=agency, key="staf", name="Staf Umum")
        token, _ = onboarding.invite(agency_id=agency, position_id=staff)
        newcomer = emulator.add_user(f"Baru{index}")
        procedures.start(
            None,
            agency_id=agency,
            sop_id=f"dinas-{index:02d}/uji",
            title=f"Uji {index}",
            starter_id=people["a"][1],
        )
        offices.append(Office(people["a"][0], people["b"][0], newcomer, token))
    return Officials(offices)


def _write_sops(sop_dir: Path) -> None:
    for index in range(AGENCIES):
        folder = sop_dir / f"dinas-{index:02d}"
        folder.mkdir(parents=True)
        (folder / "uji.yaml").write_text(linear_sop(STEPS, SOP_NAME), encoding="utf-8")
        (folder / "instansi.yaml").write_text("zona_waktu: WIB\n", encoding="utf-8")


async def _join_and_start(office: Office) -> None:
    """The newcomer opens the link; the starter starts a procedure with /mulai."""
    office.newcomer.send_text(f"/start {office.token}")
    starter = office.starter
    starter.send_text("/mulai")
    (menu,) = await starter.wait_for_bot_messages(1, timeout=60)
    await starter.wait_for_answer(starter.press(menu, SOP_NAME), timeout=60)
    await starter.wait_for_bot_messages(1, timeout=60)  # the title's question
    starter.send_text("Surat masuk dari Bappeda")
    (letter,) = await starter.wait_for_bot_messages(1, timeout=60)  # the letter's question
    await starter.wait_for_answer(starter.press(letter, SKIP), timeout=60)
    await starter.wait_for_bot_messages(1, timeout=60)  # the note's question
    starter.send_text("Mohon segera ditindaklanjuti")


async def _work(officials: Officials, finished: asyncio.Event) -> None:
    """Everyone acts on what their phone shows: a file for every other disposition, then
    one tap on Selesai."""
    while not finished.is_set():
        for user in officials.everyone():
            for message in user.bot_messages():
                key = (user.id, message.message_id)
                if DONE not in message.button_list or key in officials.pressed:
                    continue
                if message.message_id % 2 == 0:
                    user.send_document(PDF_BYTES, "nota.pdf", "application/pdf", reply_to=message)
                    officials.uploads[user.id] += 1
                officials.pressed[key] = user.press(message, DONE)
        await asyncio.sleep(0.1)


async def _until_done(database: Database, emulator: BotApiEmulator, logs: list[Path]) -> None:
    """Wait until nothing is owed; fail when nothing moved for STALL_LIMIT seconds."""
    loop = asyncio.get_running_loop()
    last: dict[str, int] = {}
    moved_at = loop.time()
    while any((state := work_owed(database, emulator)).values()):
        if state != last:
            last, moved_at = state, loop.time()
        elif loop.time() - moved_at > STALL_LIMIT:
            tails = "\n".join(p.read_text(errors="replace")[-1500:] for p in logs)
            raise AssertionError(f"no progress for {STALL_LIMIT} s: {state}\n{tails}")
        await asyncio.sleep(0.5)


class Workers:
    """The worker processes, each with its own port and log."""

    def __init__(self, environment: dict[str, str], folder: Path, ports: list[int]) -> None:
        self.environment = environment
        self.folder = folder
        self.ports = ports
        self.processes: dict[int, asyncio.subprocess.Process] = {}

    def log(self, number: int) -> Path:
        """The worker's log file."""
        return self.folder / f"worker-{number}.log"

    async def start(self, number: int) -> None:
        """Start worker `number` on its port."""
        with self.log(number).open("ab") as log:
            self.processes[number] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sopbot",
                "run",
                cwd=REPO,
                env={**self.environment, "WEBHOOK_PORT": str(self.ports[number])},
                stdout=log,
                stderr=log,
            )

    def leaders(self) -> list[int]:
        """The workers whose log says they took the lead."""
        return [n for n in self.processes if "this worker leads" in self.log(n).read_text()]

    async def wait_for_log(self, number: int, pattern: str) -> None:
        """Wait (a minute at most) until worker `number`'s log matches `pattern`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not re.search(pattern, self.log(number).read_text(errors="replace")):
            if loop.time() > deadline:
                raise AssertionError(f"worker {number} never logged {pattern!r}")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """SIGTERM every live worker and wait for it."""
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            await process.wait()


def _free_ports(count: int) -> list[int]:
    from tornado.netutil import bind_sockets

    sockets = [bind_sockets(0, address="127.0.0.1")[0] for _ in range(count)]
    ports = [int(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


async def test_three_workers_handle_each_update_once_and_survive_a_killed_leader(
    tmp_path: Path,
) -> None:
    base = postgres_url()
    assert base is not None
    sop_dir = tmp_path / "sop_defs"
    _write_sops(sop_dir)
    with empty_postgres(base) as database:
        async with BotApiEmulator(webhook_parallel=True) as emulator:
            officials = _prepare(database, sop_dir, emulator)
            ports = _free_ports(WORKERS)
            proxy = RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports])
            await proxy.start()
            environment = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": emulator.token,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{emulator.port}",
                "DATABASE_URL": database.url.render_as_string(hide_password=False),
                "SOPBOT_SOP_DIR": str(sop_dir),
                "SOPBOT_DOCUMENTS_DIR": str(tmp_path / "documents"),
                "SOPBOT_AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchors.jsonl"),
                "SOPBOT_AUDIT_KEY": TEST_AUDIT_KEY_TEXT,
                "SOPBOT_LOG_LEVEL": "INFO",
                "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "SOPBOT_HEALTH_PORT": "0",
                # Telegram's pace would make the run long; the flood limits and their share
                # among workers are tested elsewhere.
                "SOPBOT_FLOOD_PER_SECOND": "600",
                "SOPBOT_FLOOD_PER_CHAT_PER_SECOND": "50",
            }
            workers = Workers(environment, tmp_path, ports)
            finished = asyncio.Event()
            worker_task = asyncio.create_task(_work(officials, finished))
            try:
                await workers.start(0)
                await workers.wait_for_log(0, "this worker leads")
                for number in range(1, WORKERS):
                    await workers.start(number)
                for number in range(WORKERS):
                    await workers.wait_for_log(number, rf"{WORKERS} worker\(s\) live")
                await asyncio.gather(*(_join_and_start(o) for o in officials.offices))
                logs = [workers.log(n) for n in range(WORKERS)]
                await _until_done(database, emulator, logs)
                _check_once_each(database, emulator, officials)
                assert workers.leaders() == [0]
                assert all(proxy.forwarded[f"http://127.0.0.1:{p}"] for p in ports)

                # Second part: more work, and the leader dies in the middle of it.
                before_kill = _started_count(database)
                await asyncio.gather(*(_join_second(o) for o in officials.offices))
                await asyncio.sleep(1.0)
                killed_at = dt.datetime.now(dt.UTC)
                workers.processes[0].kill()
                await workers.processes[0].wait()
                await _until_done(database, emulator, logs)
                assert _started_count(database) == before_kill + AGENCIES
                _check_nothing_lost(database, emulator, officials, killed_at)
                assert len(workers.leaders()) == 2  # the killed one, and its successor
            finally:
                finished.set()
                await worker_task
                await workers.stop()
                await proxy.stop()


async def _join_second(office: Office) -> None:
    """The starter starts a second procedure with /mulai."""
    starter = office.starter
    starter.send_text("/mulai")
    (menu,) = await starter.wait_for_bot_messages(1, timeout=60)
    await starter.wait_for_answer(starter.press(menu, SOP_NAME), timeout=60)
    await starter.wait_for_bot_messages(1, timeout=60)
    starter.send_text("Surat kedua")
    (letter,) = await starter.wait_for_bot_messages(1, timeout=60)
    await starter.wait_for_answer(starter.press(letter, SKIP), timeout=60)
    await starter.wait_for_bot_messages(1, timeout=60)
    starter.send_text("Catatan kedua")


def _started_count(database: Database) -> int:
    with database.transaction() as session:
        return int(session.exec(select(func.count()).select_from(InstanceRow)).one())


def _inbox_once(database: Database, emulator: BotApiEmulator) -> list[InboxRow]:
    """Every update Telegram handed over was stored once and handled."""
    delivered = {d.update_id for d in emulator.webhook_deliveries if d.error is None}
    with database.transaction() as session:
        rows = list(session.exec(select(InboxRow)).all())
    update_ids = Counter(r.update_id for r in rows)
    assert update_ids
    assert max(update_ids.values()) == 1
    assert delivered <= set(update_ids)
    assert all(r.processed_at is not None for r in rows)
    return rows


def _check_once_each(database: Database, emulator: BotApiEmulator, officials: Officials) -> None:
    """Nothing lost, nothing doubled, with every worker alive."""
    _inbox_once(database, emulator)
    assert_every_step_completed_once(database, 2 * AGENCIES, STEPS)
    for office in officials.offices:
        texts = [m.text or "" for m in office.newcomer.bot_messages()]
        assert sum(t.startswith("Selamat datang") for t in texts) == 1, texts
    for user in officials.everyone():
        texts = [m.text or "" for m in user.bot_messages()]
        assert sum(t.startswith("📎 Berkas") for t in texts) == officials.uploads[user.id], texts
    answers = Counter(
        str(call.params["callback_query_id"])
        for call in emulator.calls_to("answerCallbackQuery")
        if call.status == 200
    )
    assert answers
    assert max(answers.values()) == 1
    sent = Counter(
        (str(call.params["chat_id"]), call.params["text"])
        for call in emulator.calls_to("sendMessage")
        if call.status == 200
    )
    assert max(sent.values()) == 1, [k for k, n in sent.items() if n > 1]


def _check_nothing_lost(
    database: Database, emulator: BotApiEmulator, officials: Officials, killed_at: dt.datetime
) -> None:
    """After the kill: every update handled, every procedure finished, each transition once;
    a reply twice only to an update received before the kill and handled after it."""
    rows = _inbox_once(database, emulator)
    assert_every_step_completed_once(database, 3 * AGENCIES, STEPS)
    assert all(i for i in officials.pressed.values())
    in_hand = [
        r for r in rows if r.received_at <= killed_at and (r.processed_at or killed_at) > killed_at
    ]
    answers = Counter(
        str(call.params["callback_query_id"])
        for call in emulator.calls_to("answerCallbackQuery")
        if call.status == 200
    )
    doubled = {query for query, count in answers.items() if count > 1}
    held = {r.payload["callback_query"]["id"] for r in in_hand if "callback_query" in r.payload}
    assert doubled <= held
