"""/kalender in Telegram: what an admin reads when a change cannot be made."""

from __future__ import annotations

from sopbot.demo.scenario import World
from sopbot.messaging.catalog import Language, default_catalog

T = default_catalog().text


async def test_a_refused_calendar_change_reads_in_indonesian(pengolahan: World) -> None:
    admin = pengolahan.admin
    # The agency never changed this day, so there is nothing to undo.
    (refused,) = await admin.say("/kalender hapus 2026-12-03")
    assert refused.text == T(Language.ID, "calendar.not_changed")
    # Changed and undone, the day is refused again in the same words.
    (changed,) = await admin.say("/kalender masuk 2026-12-03 Apel bersama")
    assert (changed.text or "").startswith("📅 2026-12-03: hari kerja.")
    (undone,) = await admin.say("/kalender hapus 2026-12-03")
    assert (undone.text or "").startswith("📅 2026-12-03: kembali seperti kalender nasional.")
    (again,) = await admin.say("/kalender hapus 2026-12-03")
    assert again.text == T(Language.ID, "calendar.not_changed")
