"""/pegawai through the real bot: the list, a mutasi that moves an open step to the new holder,
a deactivated holder whose work moves and who becomes a stranger, a revoked invitation, and
forged, stale and doubled presses that change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, start_procedure
from sopbot.emulator import SeenMessage
from sopbot.engine.organization import ActingKind
from sopbot.handlers.people_screens import BUTTON_LIMIT, PAGE_SIZE
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import MESSAGE_LIMIT, local_date, plain_text, utf16_length
from sopbot.services.organization import OrganizationService
from sopbot.services.people import PeopleService
from sopbot.storage.models import AuditRow, InvitationRow
from tests.helpers.row_counts import rows_per_table

T = default_catalog().text
WIB = ZoneInfo("Asia/Jakarta")


def said(key: str, **params: object) -> str:
    """A catalog text as the phone shows it (no tags)."""
    return plain_text(T(Language.ID, key, **params))


def label(key: str, **params: object) -> str:
    return T(Language.ID, key, **params)


def now_shows(official: Official, message: SeenMessage) -> SeenMessage:
    """The message as it looks now (after the bot edited it)."""
    return official.user.message(message.message_id)


def counts(demo: World) -> dict[str, int]:
    """Rows per table (the stored updates, replies, command keys and workers' state left
    out)."""
    return rows_per_table(demo.parts.database)


def audit_actions(demo: World, action: str) -> int:
    with demo.parts.database.transaction() as session:
        return len(session.exec(select(AuditRow).where(col(AuditRow.action) == action)).all())


async def press(official: Official, message: SeenMessage, text: str) -> SeenMessage:
    """Press a button and read the message it edits, once the bot answered."""
    answer = await official.press_text(message, text)
    assert answer.text in (None, ""), answer.text
    return now_shows(official, message)


async def test_mutasi_and_deactivation_move_open_work(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    siti = demo.officials["sekretaris"]  # Siti Rahmawati, Sekretaris
    agus = demo.officials["kepala_bidang"]  # Agus Prasetyo, Kepala Bidang
    procedures = demo.parts.services.procedures
    await asyncio.to_thread(
        OrganizationService(procedures).add_position,
        agency_id=demo.agency_id,
        key="staf_ahli",
        name="Staf Ahli",
    )
    await start_procedure(demo)
    assert siti.member_id is not None
    assert agus.member_id is not None
    assert [i.step_number for i in procedures.inbox(siti.member_id)] == [2]
    # Dewi (Kassubag Renval) is Plh. Kepala Dinas while Budi is away, to midnight in 10 days.
    dewi, budi = demo.officials["kassubag_renval"], demo.officials["kepala_dinas"]
    until = dt.datetime.combine(dt.datetime.now(WIB).date() + dt.timedelta(days=10), dt.time(), WIB)
    positions = PeopleService(procedures).positions(demo.agency_id)
    kaban = next(p.id for p in positions if p.name == "Kepala Dinas")
    await asyncio.to_thread(
        OrganizationService(procedures).appoint_acting,
        None,
        member_id=dewi.member_id or 0,
        position_id=kaban,
        kind=ActingKind.PLH,
        for_member_id=budi.member_id,
        valid_to=until,
        decree="800/25/2026",
    )
    last_day = local_date(until - dt.timedelta(days=1), "Asia/Jakarta", Language.ID)

    (listing,) = await admin.say("/pegawai")
    text = listing.text or ""
    assert text.startswith("👥 Pegawai BADAN KESATUAN BANGSA DAN POLITIK (6)")
    assert (
        "1. Nur Aini (Admin)\n   belum memegang jabatan\n   ✅ sudah bergabung · ⭐ admin" in text
    )
    assert "3. Siti Rahmawati\n   Sekretaris\n   ✅ sudah bergabung" in text
    assert f"5. Dewi Lestari\n   Kassubag Renval; Plh. Kepala Dinas s.d. {last_day}\n" in text
    card = await press(admin, listing, "5. Dewi Lestari")
    assert (card.text or "").splitlines()[:3] == [
        "👤 Dewi Lestari",
        "Jabatan: Kassubag Renval",
        f"Bertindak: Plh. Kepala Dinas (untuk Budi Santoso) s.d. {last_day} · SP 800/25/2026",
    ]
    listing = await press(admin, card, label("people.button_back"))

    # Mutasi: Siti moves to Staf Ahli; step 2 waits for the next Sekretaris.
    card = await press(admin, listing, "3. Siti Rahmawati")
    assert (card.text or "").startswith("👤 Siti Rahmawati\nJabatan: Sekretaris")
    picker = await press(admin, card, label("people.button_move"))
    assert "Staf Ahli" in picker.button_list
    assert "Sekretaris" not in picker.button_list  # held already
    moved = await press(admin, picker, "Staf Ahli")
    assert (moved.text or "").startswith(
        said(
            "people.moved",
            name="Siti Rahmawati",
            position="Staf Ahli",
            left=said("people.moved_left", positions="Sekretaris"),
            rerouted=said("people.rerouted", count=1),
        )
    )
    await settle(demo.emulator, demo.parts)
    (tasks,) = await siti.say("/tugas")
    assert tasks.text == said("tasks.none")
    assert not any(siti.label("button.complete") in m.button_list for m in siti.user.bot_messages())

    # Agus becomes Sekretaris: step 2 reaches him, in a disposition and in /tugas.
    listing = await press(admin, moved, label("people.button_back"))
    card = await press(admin, listing, "4. Agus Prasetyo")
    picker = await press(admin, card, label("people.button_move"))
    await press(admin, picker, "Sekretaris")
    await settle(demo.emulator, demo.parts)
    assert [i.step_number for i in procedures.inbox(agus.member_id)] == [2]
    (tasks,) = await agus.say("/tugas")
    assert "langkah 2" in (tasks.text or "")
    step_2 = agus.disposition()

    # Agus is deactivated while he holds step 2: he is told once, his work waits for the next
    # Sekretaris, and the bot no longer knows him.
    card = now_shows(admin, picker)
    asked = await press(admin, card, label("people.button_deactivate"))
    assert (asked.text or "").splitlines() == [
        said("people.deactivate_ask", name="Agus Prasetyo").split("\n")[0],
        said("people.deactivate_ask", name="Agus Prasetyo").split("\n")[1],
        said("people.deactivate_positions", positions="Sekretaris"),
        said("people.deactivate_steps", count=1),
        said("people.deactivate_told"),
        said("people.deactivate_record"),
    ]
    done = await press(admin, asked, label("people.button_confirm_deactivate"))
    assert (done.text or "").startswith(
        said("people.deactivated", name="Agus Prasetyo", rerouted=said("people.rerouted", count=1))
    )
    assert "Agus Prasetyo" not in "".join(done.button_list)
    await settle(demo.emulator, demo.parts)
    farewell = said("people.farewell", agency="BADAN KESATUAN BANGSA DAN POLITIK")
    assert [m.text for m in agus.user.bot_messages()].count(farewell) == 1
    assert not any(agus.label("button.complete") in m.button_list for m in agus.user.bot_messages())
    # His disposition says where the work went: to nobody yet (no "kepada -").
    closed = agus.user.message(step_2.message_id).text or ""
    assert "jabatannya belum ada pejabat" in closed
    assert "kepada -" not in closed
    assert procedures.inbox(agus.member_id) == []
    (stranger,) = await agus.say("/tugas")
    assert stranger.text == said("onboarding.stranger")
    _, status = await admin.say("/status", expect=2)  # the chart, then the text
    assert said("status_report.vacant") in (status.text or "")
    assert audit_actions(demo, "deactivate") == 1


async def test_a_revoked_invitation_link_is_refused(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    (menu,) = await admin.say("/undang")
    await admin.press_text(menu, "Sekretaris")
    (link,) = await admin.user.wait_for_bot_messages(1)
    token = (link.text or "").rsplit("start=", 1)[1].strip()
    (listing,) = await admin.say("/pegawai")
    invitations = await press(admin, listing, label("people.button_invitations"))
    assert "1. jabatan Sekretaris · dibuat oleh Nur Aini (Admin) · berlaku sampai" in (
        invitations.text or ""
    )
    revoked = await press(admin, invitations, label("people.button_revoke", index=1))
    assert (revoked.text or "").startswith(
        said("people.revoked", target=said("people.invitation_position", position="Sekretaris"))
    )
    assert said("people.invitations_none") in (revoked.text or "")
    newcomer = Official(demo.emulator.add_user("Tamu", "Baru"), "-")
    (refused,) = await newcomer.say(f"/start {token}")
    assert refused.text == said("onboarding.invite_invalid")


async def test_forged_stale_and_doubled_presses_change_nothing(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    # A second agency in the same database, with a member, a position and an invitation.
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    theirs = await asyncio.to_thread(organization.add_member, agency_id=other, name="Orang Lain")
    their_position = await asyncio.to_thread(
        organization.add_position, agency_id=other, key="kaban", name="Kepala"
    )
    await asyncio.to_thread(services.onboarding.invite, agency_id=other, member_id=theirs)
    with demo.parts.database.transaction() as session:
        their_invitations = session.exec(
            select(InvitationRow.id).where(InvitationRow.agency_id == other)
        ).all()
    ours = demo.officials["sekretaris"].member_id
    await settle(demo.emulator, demo.parts)
    (listing,) = await admin.say("/pegawai")
    (stale,) = await admin.say("/pegawai")
    before = counts(demo)
    unknown = said("people.refused_unknown")
    invalid = said("answer.invalid_button")
    for data, expected in (
        (f"Mc:{theirs}", unknown),
        (f"Mx:{theirs}", unknown),
        (f"Mx:{theirs}:y", unknown),
        (f"Md:{theirs}:1", unknown),
        (f"Ma:{theirs}:{their_position}", unknown),
        (f"Mm:{ours}:{their_position}", unknown),
        (f"Ma:{ours}:{their_position}", unknown),
        *((f"Mr:{invitation}", unknown) for invitation in their_invitations),
        ("Mr:99999", unknown),
        ("Mc:abc", invalid),
        ("Mx:2:z", invalid),
        ("Md:2:7", invalid),
        ("Mm", invalid),
    ):
        query = admin.user.press_raw(listing.message_id, data)
        answer = await admin.user.wait_for_answer(query)
        assert answer.text == expected, data
    # An official who is not an admin gets the admins' answer, whatever the data.
    siti = demo.officials["sekretaris"]
    query = siti.user.press_raw(siti.user.last_bot_message().message_id, f"Md:{siti.member_id}:1")
    assert (await siti.user.wait_for_answer(query)).text == said("status_report.not_admin")
    await settle(demo.emulator, demo.parts)
    assert counts(demo) == before

    # The last admin cannot lose the right, and is never offered to deactivate themselves.
    card = await press(admin, listing, "1. Nur Aini (Admin)")
    assert label("people.button_deactivate") not in card.button_list
    answer = await admin.press_text(card, label("people.button_admin_off"))
    assert answer.text == said("people.refused_last_admin")
    query = admin.user.press_raw(card.message_id, f"Mx:{admin.member_id}:y")
    assert (await admin.user.wait_for_answer(query)).text == said("people.refused_own_deactivation")
    assert counts(demo) == before

    # A double tap: two presses of "Jadikan admin" make one admin.
    listing = await press(admin, card, label("people.button_back"))
    card = await press(admin, listing, "3. Siti Rahmawati")
    first = admin.user.press(card, label("people.button_admin_on"))
    second = admin.user.press(card, label("people.button_admin_on"))
    assert (await admin.user.wait_for_answer(first)).text in (None, "")
    assert (await admin.user.wait_for_answer(second)).text in (None, "")
    assert now_shows(admin, card).text.startswith(  # type: ignore[union-attr]
        said("people.admin_was_on", name="Siti Rahmawati")
    )
    assert audit_actions(demo, "admin_on") == 1
    # Two presses of "Ya, nonaktifkan": one deactivation; the other is told it is done.
    card = now_shows(admin, card)
    asked = await press(admin, card, label("people.button_deactivate"))
    first = admin.user.press(asked, label("people.button_confirm_deactivate"))
    second = admin.user.press(asked, label("people.button_confirm_deactivate"))
    answers = [
        (await admin.user.wait_for_answer(first)).text,
        (await admin.user.wait_for_answer(second)).text,
    ]
    assert sorted(a or "" for a in answers) == ["", said("people.refused_inactive")]
    assert audit_actions(demo, "deactivate") == 1
    # A stale list: Siti's name there leads nowhere now.
    answer = await admin.press_text(stale, "3. Siti Rahmawati")
    assert answer.text == said("people.refused_inactive")


async def test_a_long_list_is_paged_and_fits_its_message(pengolahan: World) -> None:
    demo, admin = pengolahan, pengolahan.admin
    organization = OrganizationService(demo.parts.services.procedures)
    for number in range(12):
        await asyncio.to_thread(
            organization.add_member,
            agency_id=demo.agency_id,
            name=f"Pegawai {number:02d} " + "Nama Panjang " * 14,
            nip="19800101200501" + f"{number:04d}",
        )
    people = 1 + len(demo.everyone()) + 12
    pages = -(-people // PAGE_SIZE)
    (listing,) = await admin.say("/pegawai")
    text = listing.text or ""
    assert utf16_length(text) <= MESSAGE_LIMIT
    assert said("people.page", page=1, pages=pages) in text
    names = [b for b in listing.button_list if b[0].isdigit()]
    assert len(names) == PAGE_SIZE
    assert names[0] == "1. Nur Aini (Admin)"
    assert label("button.page_next") in listing.button_list
    assert label("button.page_previous") not in listing.button_list
    second = await press(admin, listing, label("button.page_next"))
    assert said("people.page", page=2, pages=pages) in (second.text or "")
    assert label("button.page_previous") in second.button_list
    # A long name is cut on its button and in the list.
    assert all(len(b) <= BUTTON_LIMIT for b in second.button_list if b[0].isdigit())
    assert "Pegawai" in (second.text or "")
    assert "NIP 198001012005010" in (second.text or "")
    # An official who is not an admin is told the command is for admins.
    (refused,) = await demo.everyone()[0].say("/pegawai")
    assert refused.text == said("status_report.not_admin")
