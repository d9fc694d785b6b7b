"""Documents: uploads, getFile and downloads, resending by file_id, and the size limits."""

from __future__ import annotations

import httpx
import pytest
import telegram
from telegram.error import BadRequest

from sopbot.emulator import BotApiEmulator, SimulatedUser

PDF = b"%PDF-1.4\n% Nota Dinas 12/2026\n" + bytes(range(256)) * 40


@pytest.fixture
def budi(emulator: BotApiEmulator) -> SimulatedUser:
    """A person the bot may write to."""
    return emulator.add_user("Budi", "Santoso", username="budi", started=True)


async def test_an_upload_can_be_fetched_and_downloaded_byte_for_byte(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_document(
        budi.id, PDF, filename="nota_dinas.pdf", caption="Nota <b>dinas</b>", parse_mode="HTML"
    )
    document = sent.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "nota_dinas.pdf",
        "application/pdf",
        len(PDF),
    )
    assert sent.caption == "Nota dinas"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("bold", 5, 5)]
    file = await bot.get_file(document.file_id)
    assert file.file_unique_id == document.file_unique_id
    assert file.file_path is not None
    assert file.file_path.startswith(emulator.base_file_url)
    assert bytes(await file.download_as_bytearray()) == PDF
    seen = budi.last_bot_message()
    assert (seen.document, seen.text) == ("nota_dinas.pdf", "Nota dinas")
    assert budi.document_content(seen) == PDF
    assert "[Bot] 📎 nota_dinas.pdf" in budi.transcript()


async def test_a_file_id_sends_the_same_file_again(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    first = await bot.send_document(budi.id, PDF, filename="nota.pdf")
    siti = emulator.add_user("Siti", started=True)
    assert first.document is not None
    again = await bot.send_document(siti.id, first.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == first.document.file_unique_id
    assert again.document.file_name == "nota.pdf"
    assert siti.document_content(siti.last_bot_message()) == PDF
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.send_document(siti.id, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"^Failed to get http url content$"):
        await bot.send_document(siti.id, "https://contoh.go.id/nota.pdf")


async def test_a_document_from_a_person_reaches_the_bot(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    budi.send_document(PDF, "laporan.pdf", "application/pdf", caption="Laporan Mei")
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None
    assert message.document is not None
    assert (message.caption, message.document.file_name, message.document.mime_type) == (
        "Laporan Mei",
        "laporan.pdf",
        "application/pdf",
    )
    file = await message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == PDF


async def test_files_over_20_mb_cannot_be_fetched(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    budi.send_document(b"\0" * (20 * 1024 * 1024 + 1), "scan.tiff", "image/tiff")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.document is not None
    with pytest.raises(BadRequest, match=r"^File is too big$"):
        await bot.get_file(update.message.document.file_id)
    assert emulator.calls_to("getFile")[-1].description == "Bad Request: file is too big"


async def test_document_refusals(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_document(budi.id, PDF, filename="a.pdf", caption="x" * 1025)
    await bot.send_document(budi.id, PDF, filename="a.pdf", caption="x" * 1024)
    with pytest.raises(BadRequest, match=r"^File must be non-empty$"):
        await bot.send_document(budi.id, b"", filename="kosong.pdf")
    with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
        await bot.get_file("no-such-file-id")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_document(424242, PDF, filename="a.pdf")


async def test_a_download_needs_the_token_and_a_path_from_get_file(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_document(budi.id, PDF, filename="nota.pdf")
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    relative = file.file_path.removeprefix(f"{emulator.base_file_url}{emulator.token}/")
    async with httpx.AsyncClient() as client:
        wrong_token = await client.get(f"{emulator.base_file_url}654321:WRONG/{relative}")
        unknown = await client.get(f"{emulator.base_file_url}{emulator.token}/documents/nope")
    assert (wrong_token.status_code, unknown.status_code) == (401, 404)
