"""The running bot anchors the audit trail daily: a job on the reminders' scheduler, the admins'
messages through the outbox and Telegram, the anchor appended to the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sopbot.bot.audit_anchor import ANCHOR_JOB_ID
from sopbot.demo.officials import settle
from sopbot.demo.scenario import world
from sopbot.engine.library import SopLibrary
from sopbot.services.audit_verify import verify_audit_trail
from sopbot.storage.audit_anchor import read_anchor_file
from sopbot.storage.audit_chain import chain_of
from sopbot.storage.database import Database
from tests.e2e.conftest import KESBANGPOL
from tests.helpers.audit import TEST_AUDIT_KEY


async def test_the_admin_gets_the_daily_anchor_and_the_file_keeps_it(
    library: SopLibrary, database: Database, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit-anchors.jsonl"
    async with world(
        library,
        KESBANGPOL,
        database=database,
        documents_dir=tmp_path / "documents",
        audit_anchor_file=anchors,
    ) as demo:
        job = demo.parts.reminders.scheduler.get_job(ANCHOR_JOB_ID)
        assert job is not None  # on the one scheduler, with its fixed id
        # Daily at midnight UTC (07.00 WIB), next within the day.
        next_run = job.next_run_time.astimezone(dt.UTC)
        assert next_run.time() == dt.time(0, 0)
        assert dt.timedelta(0) < next_run - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
        seen_before = len(demo.admin.user.bot_messages())
        assert demo.parts.audit_anchor is not None
        await job.func()  # what the scheduler runs at midnight UTC
        await settle(demo.emulator, demo.parts)
        (message,) = demo.admin.user.bot_messages()[seen_before:]
        (line,) = list(read_anchor_file(TEST_AUDIT_KEY, anchors))
        assert line.anchor is not None
        head = line.anchor.head(chain_of(demo.agency_id))
        assert head is not None
        assert message.text is not None
        assert message.text.startswith("🔏 Jangkar jejak audit · ")
        assert f"berisi {head.seq} catatan" in message.text
        assert f"Sidik: {head.digest}" in message.text
        # Run again the same day (a restart): nothing more is sent or written.
        await job.func()
        await settle(demo.emulator, demo.parts)
        assert len(demo.admin.user.bot_messages()) == seen_before + 1
        assert len(anchors.read_text(encoding="utf-8").splitlines()) == 1
    result = verify_audit_trail(database, read_anchor_file(TEST_AUDIT_KEY, anchors))
    assert (result.intact, result.anchors) == (True, 1)
