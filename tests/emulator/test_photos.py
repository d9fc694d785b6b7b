"""Photos: a picture the bot sends as a photo, its size, and the limits Telegram keeps."""

from __future__ import annotations

import io

import pytest
import telegram
from PIL import Image
from telegram.error import BadRequest

from sopbot.emulator import BotApiEmulator, SimulatedUser


def picture(width: int, height: int, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format=kind)
    return out.getvalue()


@pytest.fixture
def budi(emulator: BotApiEmulator) -> SimulatedUser:
    """A person the bot may write to."""
    return emulator.add_user("Budi", "Santoso", started=True)


async def test_a_photo_arrives_with_its_size_caption_and_buttons(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    content = picture(1800, 480)
    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("📥 Pasang", callback_data="v:1:0:install")]]
    )
    sent = await bot.send_photo(budi.id, content, caption="Tabel prosedur", reply_markup=keyboard)
    (size,) = sent.photo
    assert (size.width, size.height) == (1800, 480)
    seen = budi.last_bot_message()
    assert seen.photo
    assert seen.text == "Tabel prosedur"
    assert seen.button_list == ["📥 Pasang"]
    assert budi.photo_content(seen) == content
    assert "🖼️ (foto)" in budi.transcript()
    jpeg = await bot.send_photo(budi.id, picture(300, 200, "JPEG"))
    assert (jpeg.photo[0].width, jpeg.photo[0].height) == (300, 200)


async def test_telegram_refuses_what_is_not_a_photo_it_can_show(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(budi.id, picture(2100, 100))  # sides' ratio over 20
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(budi.id, picture(6000, 4100))  # width + height over 10,000
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(budi.id, b"%PDF-1.4 not a picture")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(budi.id, picture(100, 100), caption="x" * 1025)
    assert budi.bot_messages() == []
