"""/status with its pictures, through the real bot and the emulator (issue 21): an admin's
/status NO brings the procedure's timeline as a photo and then the text with its buttons,
/status the agency's running procedures; a member who may not read the text gets no picture;
a picture Telegram refuses leaves the text to arrive alone."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from PIL import Image

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import TITLE, World, start_procedure
from sopbot.emulator import SeenMessage
from sopbot.emulator.faults import ServerError
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.organization import OrganizationService
from tests.e2e.test_cancel_and_move import plain

T = default_catalog().text
AGENCY = "BADAN KESATUAN BANGSA DAN POLITIK"  # as the seed SOP names its agency


def said(key: str, language: Language = Language.ID, **params: object) -> str:
    """A catalog text as the person's app shows it."""
    return plain(T(language, key, **params))


def a_phone_photo(official: Official, message: SeenMessage) -> tuple[int, int]:
    """The photo's size, decoded by Pillow: 1080 wide, within Telegram's photo limits."""
    assert message.photo
    with Image.open(io.BytesIO(official.user.photo_content(message))) as image:
        assert image.format == "PNG"
        image.load()
        width, height = image.size
    assert width == 1080
    assert width + height <= 10_000
    assert max(width, height) <= 20 * min(width, height)
    return width, height


async def answer_to(demo: World, official: Official, command: str, count: int) -> list[SeenMessage]:
    """Everything the bot answers to a command once it is quiet: `count` messages or more."""
    before = len(official.user.bot_messages())
    await official.say(command, expect=count)
    await settle(demo.emulator, demo.parts)
    return official.user.bot_messages()[before:]


async def test_an_admin_s_status_of_a_procedure_brings_its_timeline_then_the_text(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)
    admin, sekretaris = kesbangpol.admin, kesbangpol.officials["sekretaris"]

    picture, text = await admin.say("/status 1", expect=2)
    assert picture.text == f"📊 Linimasa No. 1 · {TITLE}"
    a_phone_photo(admin, picture)
    assert picture.buttons == ()
    # The text stays as it was, its buttons under it: they still move a step.
    assert not text.photo
    assert (text.text or "").startswith(f"📊 {TITLE} (No. 1)")
    move = f"🔀 Pindahkan langkah 2 · {sekretaris.name}"
    assert text.button_list == [move, "⛔ Batalkan prosedur"]
    await admin.press_text(text, move)
    # The button's own answer: here no colleague holds the role to move it to.
    (answer,) = await admin.user.wait_for_bot_messages(1)
    assert answer.text == said("procedure_admin.move_no_candidate", step=2)
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert admin.user.bot_messages()[-1] == answer  # nothing else came


async def test_status_brings_the_chart_of_the_running_procedures(kesbangpol: World) -> None:
    admin = kesbangpol.admin
    # An agency with nothing running: the text says so, and there is no chart.
    (none,) = await answer_to(kesbangpol, admin, "/status", 1)
    assert none.text == said("status_report.none")
    assert not none.photo

    await start_procedure(kesbangpol)
    await start_procedure(kesbangpol, title="Pengolahan Data Kinerja Triwulan IV 2026")
    chart, text = await answer_to(kesbangpol, admin, "/status", 2)
    assert chart.text == f"📊 Prosedur berjalan · {AGENCY}"
    a_phone_photo(admin, chart)
    assert (text.text or "").startswith(f"📊 Prosedur berjalan · {AGENCY} (2)")


async def test_the_picture_speaks_the_admin_s_language(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    (menu,) = await admin.say("/bahasa")
    await admin.press_text(menu, "🇬🇧 English")
    admin.language = Language.EN
    await settle(kesbangpol.emulator, kesbangpol.parts)
    picture, text = await admin.say("/status 1", expect=2)
    assert picture.text == f"📊 Timeline of No. 1 · {TITLE}"
    assert (text.text or "").splitlines()[0].endswith(" · running")
    chart, _ = await admin.say("/status", expect=2)
    assert chart.text == f"📊 Running procedures · {AGENCY}"


async def test_who_may_not_read_the_status_gets_no_picture(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    sekretaris = kesbangpol.officials["sekretaris"]  # holds step 2 of No. 1, no admin
    for command in ("/status 1", "/status"):
        (refused,) = await answer_to(kesbangpol, sekretaris, command, 1)
        assert refused.text == said("status_report.not_admin")
        assert not refused.photo
    # Another agency's admin: No. 1 is not theirs to know of, nor to see drawn.
    organization = OrganizationService(kesbangpol.parts.services.procedures)
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    services = kesbangpol.parts.services
    token, _ = await asyncio.to_thread(services.onboarding.invite, agency_id=other, is_admin=True)
    outsider = Official(kesbangpol.emulator.add_user("Orang", "Luar"), "-")
    await outsider.say(f"/start {token}")
    (hidden,) = await answer_to(kesbangpol, outsider, "/status 1", 1)
    assert hidden.text == said("history.not_found", number=1)
    (none,) = await answer_to(kesbangpol, outsider, "/status", 1)
    assert none.text == said("status_report.none")
    assert not any(m.photo for m in outsider.user.bot_messages())


async def test_a_picture_telegram_refuses_leaves_the_text_to_arrive(
    kesbangpol: World, caplog: pytest.LogCaptureFixture
) -> None:
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    refusal = ServerError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    kesbangpol.emulator.faults.fail_next("sendPhoto", refusal)
    with caplog.at_level(logging.ERROR, logger="sopbot.handlers.reports"):
        (text,) = await answer_to(kesbangpol, admin, "/status 1", 1)
    assert (text.text or "").startswith(f"📊 {TITLE} (No. 1)")
    assert text.button_list[-1] == "⛔ Batalkan prosedur"
    assert "the /status picture could not be sent" in caplog.text
