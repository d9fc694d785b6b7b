"""Trouble that passes (an outage, a 500, a dropped connection, Telegram's flood limits) loses
no word: the update is handled again, the answer follows what was committed, replies keep the
chat's limits. Through the real bot, against the emulator with its faults and flood limits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sopbot.delivery.flood import FloodLimits
from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import World, world
from sopbot.emulator.faults import DropConnection, ServerError
from sopbot.engine.library import SopLibrary
from sopbot.handlers.inbound_limit import InboundLimits
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from sopbot.storage.database import Database
from tests.e2e.conftest import KESBANGPOL
from tests.e2e.test_refusals import at_step

T = default_catalog().text
DONE = T(Language.ID, "answer.done")
APOLOGY = T(Language.ID, "error.unexpected")
BUSY = T(Language.ID, "answer.busy")


def plain(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "")


# A fault test: a six-second outage, waited out in real time: the slow stage.
@pytest.mark.slow
async def test_a_document_sent_during_an_outage_is_taken_once_it_passes(
    kesbangpol: World,
) -> None:
    holder = await at_step(kesbangpol, 4)  # a step whose output is a document
    message = holder.disposition()
    # Every way to fetch the file fails for six seconds (Bad Gateway).
    kesbangpol.emulator.faults.fail_for(6, ServerError(502, "Bad Gateway"), method="getFile")
    holder.user.send_document(
        sample_pdf("data"), "data-kinerja.pdf", "application/pdf", reply_to=message
    )
    (received,) = await holder.user.wait_for_bot_messages(1, timeout=30)
    assert "data-kinerja.pdf" in (received.text or ""), received.text
    assert kesbangpol.emulator.faults.count(ServerError) >= 2  # it did meet the outage
    answer = await holder.press(message, "button.complete")
    assert answer.text == DONE


@pytest.fixture
async def kesbangpol_paced(
    library: SopLibrary, database: Database, tmp_path: Path
) -> AsyncIterator[World]:
    """Seed 004's agency with the bot keeping Telegram's own flood limits."""
    async with world(
        library,
        KESBANGPOL,
        database=database,
        documents_dir=tmp_path / "documents",
        flood=FloodLimits(),
    ) as running:
        yield running


# A fault test: replies paced at Telegram's own flood limits, in real time: the slow stage.
@pytest.mark.slow
async def test_answers_keep_the_chat_flood_limit_and_arrive(kesbangpol_paced: World) -> None:
    """An official who acts within seconds of a burst of messages still reads every answer."""
    kesbangpol = kesbangpol_paced
    reviewer = await at_step(kesbangpol, 5)  # a decision: "Tidak sesuai" asks for a reason
    kesbangpol.emulator.faults.enable_flood_limits()
    message = reviewer.disposition()
    for _ in range(4):  # /tugas four times: four replies within a second or two
        reviewer.user.send_text("/tugas")
    await reviewer.press(message, "button.no")
    reviewer.user.send_text("Format belum memuat kolom target")

    def texts() -> list[str]:
        return [m.text or "" for m in reviewer.user.bot_messages()]

    # A direct reply is paced, so it may come after the command's effects are settled.
    await kesbangpol.emulator.wait_until(lambda: DONE in texts(), timeout=60)
    await settle(kesbangpol.emulator, kesbangpol.parts, within=60)
    assert APOLOGY not in texts()
    tasks = [t for t in texts() if t.startswith("📋 Tugas Anda")]
    assert len(tasks) == 4, texts()[-8:]


async def test_a_press_answered_through_a_500_or_a_dropped_connection(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 2)
    faults = kesbangpol.emulator.faults
    faults.fail_next("answerCallbackQuery", ServerError(500))
    answer = await holder.press(holder.disposition(), "button.complete")
    assert answer.text == DONE  # not "Sistem sedang sibuk": the step was done
    await settle(kesbangpol.emulator, kesbangpol.parts)
    following = await at_step_after(kesbangpol)
    faults.fail_next("answerCallbackQuery", DropConnection())
    answer = await following.press(following.disposition(), "button.complete")
    assert answer.text == DONE


async def at_step_after(demo: World) -> Official:
    """The official whose turn it is now."""
    for official in demo.officials.values():
        assert official.member_id is not None
        if demo.parts.services.procedures.inbox(official.member_id):
            return official
    raise AssertionError("nobody has work")


async def test_a_second_tap_on_a_question_s_cancel_changes_nothing(
    kesbangpol: World, caplog: pytest.LogCaptureFixture
) -> None:
    reviewer = await at_step(kesbangpol, 5)
    await reviewer.press(reviewer.disposition(), "button.no")
    (question,) = await reviewer.user.wait_for_bot_messages(1)
    await reviewer.press(question, "button.cancel")
    # The same button again, from a stale screen: the message has no keyboard any more.
    query = reviewer.user.press_raw(question.message_id, callback(Action.CANCEL_INPUT))
    answer = await reviewer.user.wait_for_answer(query, timeout=10)
    assert answer.text == T(Language.ID, "ask.cancelled")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert APOLOGY not in [m.text for m in reviewer.user.bot_messages()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no unhandled 400


async def test_one_member_cannot_make_the_bot_flood_their_chat(
    library: SopLibrary, tmp_path: Path
) -> None:
    # Small, so the test is short; a token a hundred seconds, so a loaded machine that takes
    # long to send the 200 cannot refill the bucket in the meantime.
    small = InboundLimits(burst=5, per_second=0.01)
    async with world(
        library, KESBANGPOL, documents_dir=tmp_path / "docs", inbound=small, flood=FloodLimits()
    ) as demo:
        demo.emulator.faults.enable_flood_limits()
        official = demo.officials[demo.definition.first_step.role]
        before = len(official.user.bot_messages())
        for index in range(200):
            official.user.send_text(f"halo {index}")
        await asyncio.sleep(1)
        await settle(demo.emulator, demo.parts, within=60)
        replies = [m.text or "" for m in official.user.bot_messages()][before:]
        # At most the burst of hints (the bucket may have refilled a little, and /start took
        # a token), then one request to slow down; the other 190-odd messages are not answered.
        slow_down = T(Language.ID, "hint.slow_down")
        assert replies.count(slow_down) == 1, replies
        assert 1 <= len(replies) <= 7, replies
        assert demo.emulator.faults.flood_refusals == 0


async def test_a_duplicate_left_by_an_ambiguous_502_is_closed_with_the_original(
    kesbangpol: World,
) -> None:
    """Telegram took the disposition but answered 502; the retry sent it again. When the step
    moves on, both copies lose their buttons."""
    holder = await at_step(kesbangpol, 2)
    following = kesbangpol.officials[kesbangpol.definition.step(3).role]
    kesbangpol.emulator.faults.fail_next(
        "sendMessage",
        ServerError(502, "Bad Gateway", after_processing=True),
        chat_id=following.user.id,
    )
    await holder.press(holder.disposition(), "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    copies = [
        m for m in following.user.bot_messages() if "Langkah 3 dari" in (m.text or "") and m.buttons
    ]
    assert len(copies) == 2, "the ambiguous send left a duplicate"
    await following.press(copies[-1], "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    for message in following.user.bot_messages():
        if "Langkah 3 dari" in (message.text or ""):
            assert not message.buttons, message.text
            assert "Selesai" in (message.text or "")
