"""/riwayat through the real bot: who may see a procedure's history, and how it reads."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, play, start_procedure, world
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.organization import OrganizationService
from tests.e2e.conftest import KESBANGPOL
from tests.e2e.test_seed_scenarios import REJECTIONS_004

T = default_catalog().text


def plain(text: str) -> str:
    """A catalog text as the person's app shows it (the HTML tags rendered away)."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


async def join(demo: World, first: str, last: str, *, agency_id: int | None = None) -> Official:
    """A new member with no post, joining by an invitation the admin made."""
    services = demo.parts.services
    token, _ = await asyncio.to_thread(
        services.onboarding.invite, agency_id=agency_id or demo.agency_id
    )
    official = Official(demo.emulator.add_user(first, last), "-")
    await official.say(f"/start {token}")
    return official


async def test_a_namesake_of_an_involved_official_may_not_see_the_history(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)  # step 2 is now with the sekretaris
    sekretaris = kesbangpol.officials["sekretaris"]
    first, _, last = sekretaris.name.partition(" ")
    namesake = await join(kesbangpol, first, last)
    assert namesake.name == sekretaris.name

    (answer,) = await namesake.say("/riwayat 1")
    assert answer.text == plain(T(Language.ID, "history.not_allowed", number=1))
    (history,) = await sekretaris.say("/riwayat 1")
    assert "Riwayat Pengolahan Data Kinerja Triwulan III 2026" in (history.text or "")


async def test_the_history_answers_say_what_is_true(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    guest = await join(kesbangpol, "Tamu", "Satu")
    # No. 1 exists, but the guest had no part in it.
    (refused,) = await guest.say("/riwayat 1")
    assert refused.text == plain(T(Language.ID, "history.not_allowed", number=1))
    # No. 2 does not exist.
    (missing,) = await guest.say("/riwayat 2")
    assert missing.text == plain(T(Language.ID, "history.not_found", number=2))
    # Another agency's admin: No. 1 of our agency is not theirs to know of.
    organization = OrganizationService(kesbangpol.parts.services.procedures)
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    services = kesbangpol.parts.services
    token, _ = await asyncio.to_thread(services.onboarding.invite, agency_id=other, is_admin=True)
    outsider = Official(kesbangpol.emulator.add_user("Orang", "Luar"), "-")
    await outsider.say(f"/start {token}")
    (hidden,) = await outsider.say("/riwayat 1")
    assert hidden.text == plain(T(Language.ID, "history.not_found", number=1))
    # The agency's own admin sees it.
    (history,) = await kesbangpol.admin.say("/riwayat 1")
    assert "Riwayat Pengolahan Data Kinerja Triwulan III 2026" in (history.text or "")


# The longest seed run played end to end through the bot: the slow stage.
@pytest.mark.slow
async def test_a_seed_run_history_fits_one_message_under_a_heading_per_day(
    library: SopLibrary, tmp_path: Path
) -> None:
    async with world(library, KESBANGPOL, documents_dir=tmp_path / "docs") as demo:
        await start_procedure(demo)
        await play(demo, REJECTIONS_004)  # three steps sent back: the longest seed run
        before = len(demo.admin.user.bot_messages())
        (history,) = await demo.admin.say("/riwayat 1")
        await settle(demo.emulator, demo.parts)
        assert len(demo.admin.user.bot_messages()) == before + 1

    header, *lines = (history.text or "").splitlines()
    assert header.startswith("🗂 Riwayat Pengolahan Data Kinerja Triwulan III 2026 (No. 1)")
    days = [line for line in lines if line.startswith("📅 ")]
    # A heading per local day (the run may cross midnight), the full date never on a line.
    assert lines[0] == days[0]
    assert len(days) == len(set(days))
    assert all(day.endswith(" (WIB)") for day in days)
    entries = [line for line in lines if line not in days]
    assert all(re.match(r"\d\d\.\d\d · \S", line) for line in entries), entries
    assert entries[-1].endswith(" · Prosedur selesai")
    assert any("Langkah 12: tidak sesuai (Angka capaian tidak konsisten)" in e for e in entries)


async def test_status_of_a_number_the_agency_does_not_have_reads_as_not_found(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    (missing,) = await admin.say("/status 2")
    assert missing.text == plain(T(Language.ID, "history.not_found", number=2))
    _, detail = await admin.say("/status 1", expect=2)  # its timeline, then the text
    assert "Pengolahan Data Kinerja Triwulan III 2026" in (detail.text or "")
    # Another agency's admin, in English: No. 1 of our agency is not theirs to know of.
    organization = OrganizationService(kesbangpol.parts.services.procedures)
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    services = kesbangpol.parts.services
    token, _ = await asyncio.to_thread(services.onboarding.invite, agency_id=other, is_admin=True)
    outsider = Official(
        kesbangpol.emulator.add_user("Orang", "Luar", language_code="en"), "-", language=Language.EN
    )
    await outsider.say(f"/start {token}")
    for command in ("/status 1", "/riwayat 1"):
        (hidden,) = await outsider.say(command)
        assert hidden.text == plain(T(Language.EN, "history.not_found", number=1))
