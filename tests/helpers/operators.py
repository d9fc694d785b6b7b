"""An empty deployment's operator at the phone (tests/e2e/test_operators.py and
test_new_agency.py): what they see, and how they create an agency and name its first admin in
/instansi. The `deployment` fixture that makes them is in tests/e2e/conftest.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import select

from sopbot.bot.app import BotParts
from sopbot.demo.officials import Official
from sopbot.emulator import BotApiEmulator, SeenMessage
from sopbot.storage.models import AgencyRow

HOME = "diskominfo-samarinda"
NEW_AGENCY = "Dinas Perhubungan Kota Samarinda"
NEW_KEY = "dinas-perhubungan-kota-samarinda"
TOKEN = re.compile(r"\?start=([A-Za-z0-9_-]+)")
FORGED = "Tombol ini tidak berlaku lagi"
NOT_OPERATOR = "Perintah ini hanya untuk operator"


@dataclass
class Deployment:
    emulator: BotApiEmulator
    parts: BotParts
    operator: Official
    screens: list[str]  # what the chats showed, for docs/panduan.md

    def rows(self, model: type) -> list:  # type: ignore[type-arg]
        with self.parts.database.transaction() as session:
            return list(session.exec(select(model)).all())

    def show(self, who: str, said: str | None, messages: list[SeenMessage]) -> None:
        if said is not None:
            self.screens.append(f"[{who}] {said}")
        for message in messages:
            buttons = "".join(f" [{b}]" for b in message.button_list)
            self.screens.append(f"[Bot] {message.text}{buttons}")


async def last(official: Official, check: str) -> SeenMessage:
    """The newest bot message once it shows `check` (waiting for it, never a fixed sleep)."""
    user = official.user
    await user.wait_until(lambda: check in (user.last_bot_message().text or ""), 15.0, check)
    return user.last_bot_message()


async def create_the_agency(deployment: Deployment) -> int:
    """/instansi -> Buat instansi -> name -> key -> WITA -> Hari kerja -> Buat; the agency's id."""
    operator, show = deployment.operator, deployment.show
    (listing,) = await operator.say("/instansi")
    show("Operator", "/instansi", [listing])
    assert "Dinas Komunikasi dan Informatika Kota Samarinda" in (listing.text or "")
    await operator.press_text(listing, "➕ Buat instansi")
    asked = await last(operator, "Instansi baru")
    show("Operator", "➕ Buat instansi", [asked])
    (key,) = await operator.say(NEW_AGENCY)
    show("Operator", NEW_AGENCY, [key])
    assert (
        f"Kunci instansi (awal kode setiap SOP-nya, misalnya {NEW_KEY}/surat-masuk): {NEW_KEY}"
        in (key.text or "")
    )
    await operator.press_text(key, f"✅ Pakai {NEW_KEY}")
    zone = operator.user.message(key.message_id)  # the same message, edited
    show("Operator", f"✅ Pakai {NEW_KEY}", [zone])
    assert zone.button_list[:3] == ["WIB", "WITA", "WIT"]
    wita = dict(operator.user.button_data(zone))["WITA"]
    await operator.press_text(zone, "WITA")
    day = operator.user.message(key.message_id)
    show("Operator", "WITA", [day])
    # A second tap on WITA (its message no longer has it): refused, nothing changes.
    assert wita is not None
    answer = await operator.user.wait_for_answer(
        operator.user.press_raw(key.message_id, wita), 15.0
    )
    assert FORGED in (answer.text or "")
    assert operator.user.message(key.message_id).text == day.text
    await operator.press_text(day, "Hari kerja")
    summary = operator.user.message(key.message_id)
    show("Operator", "Hari kerja", [summary])
    assert "Zona waktu: WITA (Asia/Makassar)" in (summary.text or "")
    create = dict(operator.user.button_data(summary))["✅ Buat"]
    assert create is not None
    await operator.press_text(summary, "✅ Buat")
    detail = await wait_for_button(operator, "👤 Tunjuk admin")
    show("Operator", "✅ Buat", [operator.user.message(key.message_id), detail])
    # "Buat" again (a double tap, or the old button): refused, one agency.
    answer = await operator.user.wait_for_answer(
        operator.user.press_raw(key.message_id, create), 15.0
    )
    assert FORGED in (answer.text or "")
    (agency,) = [a for a in deployment.rows(AgencyRow) if a.key == NEW_KEY]
    assert (agency.name, agency.timezone, agency.day_rule) == (
        NEW_AGENCY,
        "Asia/Makassar",
        "kerja",
    )
    return int(agency.id)


async def wait_for_button(official: Official, label: str) -> SeenMessage:
    user = official.user
    await user.wait_until(
        lambda: label in user.last_bot_message().button_list, 15.0, f"the button {label}"
    )
    return user.last_bot_message()


async def name_admin(deployment: Deployment, name: str) -> str:
    """ "Tunjuk admin" on the agency shown last, the name typed: the link's token."""
    operator = deployment.operator
    detail = operator.user.last_bot_message()
    if "👤 Tunjuk admin" not in detail.button_list:
        detail = await open_agency(deployment)
    await operator.press_text(detail, "👤 Tunjuk admin")
    asked = await last(operator, "Ketik nama admin")
    (named,) = await operator.say(name)
    deployment.show("Operator", "👤 Tunjuk admin", [asked])
    deployment.show("Operator", name, [named])
    assert f"{name} ditunjuk sebagai admin {NEW_AGENCY}." in (named.text or "")
    assert "WITA" in (named.text or "")  # valid until ..., in the agency's time
    token = TOKEN.search(named.text or "")
    assert token is not None
    return token.group(1)


async def open_agency(deployment: Deployment) -> SeenMessage:
    """/instansi, then the new agency's button: its message, edited into the agency."""
    operator = deployment.operator
    (listing,) = await operator.say("/instansi")
    await operator.press_text(listing, f"🏛️ {NEW_AGENCY}")
    deployment.show("Operator", "/instansi", [listing])
    detail = operator.user.message(listing.message_id)
    deployment.show("Operator", f"🏛️ {NEW_AGENCY}", [detail])
    return detail
