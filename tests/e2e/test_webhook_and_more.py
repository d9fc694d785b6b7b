"""Webhook mode with Telegram's secret header, /undang, files without a reply, and notices."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.inbox import InboxProcessor, UpdateInbox
from sopbot.bot.lifecycle import WebhookConfig, running
from sopbot.bot.webhook_server import webhook_server
from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import World, give_title, start_procedure
from sopbot.emulator import BotApiEmulator
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow

T = default_catalog().text
SECRET = "s3cret-token_for-tests-0123456789abcdef"  # Telegram's form, 32 characters or more
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def bot_with_webhook(
    emulator: BotApiEmulator, database: Database, library: SopLibrary, tmp_path: Path
) -> tuple[BotParts, WebhookConfig]:
    """A bot against the emulator, and a webhook on a free port of 127.0.0.1 for it."""
    parts = build_bot(
        token=emulator.token,
        database=database,
        library=library,
        documents_dir=tmp_path / "docs",
        base_url=f"http://127.0.0.1:{emulator.port}",
    )
    port = free_port()
    webhook = WebhookConfig(
        url=f"http://127.0.0.1:{port}/hook", path="hook", secret=SECRET, port=port
    )
    return parts, webhook


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    library: SopLibrary, database: Database, tmp_path: Path
) -> AsyncIterator[tuple[BotApiEmulator, BotParts]]:
    """The bot built against the emulator, not started: each test starts it its own way."""
    async with BotApiEmulator() as emulator:
        yield (
            emulator,
            build_bot(
                token=emulator.token,
                database=database,
                library=library,
                documents_dir=tmp_path / "docs",
                base_url=f"http://127.0.0.1:{emulator.port}",
            ),
        )


def stored_updates(database: Database) -> list[InboxRow]:
    with database.transaction() as session:
        return list(session.exec(select(InboxRow)).all())


async def test_webhook_mode_stores_updates_and_checks_the_secret_header(
    library: SopLibrary, database: Database, tmp_path: Path
) -> None:
    async with BotApiEmulator() as emulator:
        parts, webhook = bot_with_webhook(emulator, database, library, tmp_path)
        async with running(parts, webhook=webhook):
            stranger = Official(emulator.add_user("Orang", "Asing"), "-")
            (answer,) = await stranger.say("halo")
            assert answer.text == T(Language.ID, "onboarding.stranger")
            assert emulator.webhook_deliveries  # it came by webhook, not by polling
            with database.transaction() as session:
                stored = session.exec(select(InboxRow)).all()
            assert [r.payload["message"]["text"] for r in stored] == ["halo"]
            # An update without the secret (or with a wrong one) is refused and not handled.
            body = {
                "update_id": 999_999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "text": "halo",
                    "chat": {"id": stranger.user.id, "type": "private"},
                    "from": {"id": stranger.user.id, "is_bot": False, "first_name": "X"},
                },
            }
            async with httpx.AsyncClient() as client:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    response = await client.post(
                        f"http://127.0.0.1:{webhook.port}/hook", json=body, headers=headers
                    )
                    assert response.status_code == 403
                garbage = await client.post(
                    f"http://127.0.0.1:{webhook.port}/hook",
                    content=b"{",
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert garbage.status_code == 400
            assert len(stranger.user.bot_messages()) == 1
            with database.transaction() as session:
                assert len(session.exec(select(InboxRow)).all()) == 1


async def test_an_admin_invites_with_undang(kesbangpol: World) -> None:
    admin = kesbangpol.admin
    (menu,) = await admin.say("/undang")
    assert menu.text == T(Language.ID, "onboarding.invite_pick_position")
    await admin.press_text(menu, "Sekretaris")
    (link,) = await admin.user.wait_for_bot_messages(1)
    token = (link.text or "").rsplit("start=", 1)[1].strip()
    newcomer = Official(kesbangpol.emulator.add_user("Fajar", "Nugroho"), "Sekretaris")
    (welcome,) = await newcomer.say(f"/start {token}")
    assert "sebagai Sekretaris" in (welcome.text or "")
    # An official who is not an admin cannot invite.
    (refused,) = await kesbangpol.officials["sekretaris"].say("/undang")
    assert refused.text == T(Language.ID, "status_report.not_admin")


async def test_a_file_without_a_reply_asks_which_task(kesbangpol: World) -> None:
    await start_procedure(kesbangpol, title="Triwulan III")
    await start_procedure(kesbangpol, title="Triwulan IV")
    sekretaris = kesbangpol.officials["sekretaris"]
    sekretaris.user.send_document(sample_pdf("surat tugas"), "surat-tugas.pdf", "application/pdf")
    (question,) = await sekretaris.user.wait_for_bot_messages(1)
    assert (question.text or "").startswith("Berkas surat-tugas.pdf ini untuk tugas yang mana?")
    assert question.button_list[:2] == ["No. 1 · langkah 2", "No. 2 · langkah 2"]
    await sekretaris.press_text(question, "No. 2 · langkah 2")
    (received,) = await sekretaris.user.wait_for_bot_messages(1)
    assert "diterima untuk langkah 2 pada Triwulan IV" in (received.text or "")


async def test_the_sender_hears_that_the_step_moved_on(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    kadis, sekretaris = kesbangpol.officials["kepala_dinas"], kesbangpol.officials["sekretaris"]
    before = len(kadis.user.bot_messages())
    await sekretaris.press(sekretaris.disposition(), "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    (notice,) = kadis.user.bot_messages()[before:]
    assert (notice.text or "").startswith(f"✅ {sekretaris.name} telah menyelesaikan langkah 2")
    assert "Berikutnya: langkah 3, pada" in (notice.text or "")


async def test_the_incoming_letter_travels_with_the_first_disposition(kesbangpol: World) -> None:
    kadis, sekretaris = kesbangpol.officials["kepala_dinas"], kesbangpol.officials["sekretaris"]
    (menu,) = await kadis.say("/mulai")
    await kadis.press_text(menu, kesbangpol.definition.identity.name[:60])
    await kadis.user.wait_for_bot_messages(1)
    await give_title(kadis, "Data Kinerja Triwulan IV")
    letter = sample_pdf("Surat Sekda 000.8/123")
    reply = await kadis.upload(None, letter, "surat-sekda.pdf", "application/pdf")
    assert (reply.text or "").startswith("📎 Surat masuk surat-sekda.pdf diterima.")
    await kadis.press(reply, "button.skip")
    (started,) = await kadis.user.wait_for_bot_messages(1)
    assert (started.text or "").startswith("▶️ Prosedur Data Kinerja Triwulan IV dimulai")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    messages = sekretaris.user.bot_messages()
    documents = [m for m in messages if m.document == "surat-sekda.pdf"]
    assert len(documents) == 1
    assert sekretaris.user.document_content(documents[0]) == letter
    assert "Langkah 2 dari 13" in (messages[-1].text or "")


async def test_an_admin_changes_the_calendar_in_telegram(kesbangpol: World) -> None:
    admin = kesbangpol.admin
    (shown,) = await admin.say("/kalender")
    assert (shown.text or "").startswith("📅 Kalender kerja")
    (changed,) = await admin.say("/kalender libur 2026-12-01 HUT Kota Pekalongan")
    assert (changed.text or "").startswith("📅 2026-12-01: hari libur instansi.")
    (bad,) = await admin.say("/kalender libur kemarin sore")
    assert bad.text == T(Language.ID, "calendar.bad_date")
    (refused,) = await kesbangpol.officials["sekretaris"].say("/kalender libur 2026-12-02 x")
    assert refused.text == T(Language.ID, "status_report.not_admin")


@pytest.mark.parametrize("secret", ["", "short-secret", "x" * 31, "has spaces " * 4, "é" * 40])
async def test_a_webhook_secret_that_keeps_nobody_out_is_refused(
    webhook_bot: tuple[BotApiEmulator, BotParts], database: Database, secret: str
) -> None:
    """With an empty secret an update without the header matched it (compare_digest(b"", b""))."""
    _, parts = webhook_bot
    port = free_port()
    webhook = WebhookConfig(
        url=f"http://127.0.0.1:{port}/hook", path="hook", secret=secret, port=port
    )
    # The block shows what a bot started with this secret would let in.
    with pytest.raises(ValueError, match="the webhook secret cannot be used"):  # noqa: PT012
        async with running(parts, webhook=webhook):
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    f"http://127.0.0.1:{port}/hook", json={"update_id": 1, "message": None}
                )
            pytest.fail(f"the bot started and answered {response.status_code} without a secret")
    assert stored_updates(database) == []
    assert not parts.application.running


async def test_the_webhook_server_never_runs_with_an_empty_secret(
    webhook_bot: tuple[BotApiEmulator, BotParts], database: Database
) -> None:
    """An empty secret equals a missing header: anyone could post updates the bot acts on."""
    _, parts = webhook_bot
    inbox = UpdateInbox(database, parts.services.clock)
    processor = InboxProcessor(parts.application, inbox)
    port = free_port()
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "X"},
        },
    }
    # The block shows what a server built with this secret would let in.
    with pytest.raises(ValueError, match="it is empty"):  # noqa: PT012
        server = webhook_server("hook", inbox, processor, "")
        server.listen(port, address="127.0.0.1")
        try:
            async with httpx.AsyncClient() as client:
                response = await client.post(f"http://127.0.0.1:{port}/hook", json=update)
        finally:
            server.stop()
        pytest.fail(f"an update without the secret header was answered {response.status_code}")
    assert stored_updates(database) == []


MALFORMED = {
    "not JSON": b"{",
    "not UTF-8": b'{"update_id": 1, "x": "\xff"}',
    "a list": b"[1, 2]",
    "no update id": b'{"message": {}}',
    "a text update id": b'{"update_id": "12"}',
    "a boolean update id": b'{"update_id": true}',
    "a negative update id": b'{"update_id": -5}',
    "a NaN update id": b'{"update_id": NaN}',
    "an infinite update id": b'{"update_id": 1e400}',
    "an update id beyond BIGINT": b'{"update_id": 99999999999999999999999}',
    "a text chat id": b'{"update_id": 5, "message": {"chat": {"id": "abc"}}}',
    "a chat id beyond BIGINT": (
        b'{"update_id": 6, "message": {"message_id": 1, "date": 0,'
        b' "chat": {"id": 99999999999999999999999, "type": "private"}}}'
    ),
    "a message that is text": b'{"update_id": 7, "message": "hello"}',
    "a message without its date": b'{"update_id": 8, "message": {"message_id": 1,'
    b' "chat": {"id": 1, "type": "private"}}}',
    "deep nesting": b'{"update_id": 9, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


async def test_a_malformed_update_gets_400_and_is_not_stored(
    webhook_bot: tuple[BotApiEmulator, BotParts], database: Database
) -> None:
    """Telegram resends after a 5xx for ever; a body that is no update is answered 400."""
    emulator, parts = webhook_bot
    port = free_port()
    webhook = WebhookConfig(
        url=f"http://127.0.0.1:{port}/hook", path="hook", secret=SECRET, port=port
    )
    async with running(parts, webhook=webhook), httpx.AsyncClient() as client:
        answers = {
            name: (
                await client.post(
                    f"http://127.0.0.1:{port}/hook", content=body, headers={HEADER: SECRET}
                )
            ).status_code
            for name, body in MALFORMED.items()
        }
        assert answers == dict.fromkeys(MALFORMED, 400)
        assert stored_updates(database) == []
        # A good update still goes through.
        stranger = Official(emulator.add_user("Orang", "Asing"), "-")
        (answer,) = await stranger.say("halo")
        assert answer.text == T(Language.ID, "onboarding.stranger")
        assert len(stored_updates(database)) == 1
