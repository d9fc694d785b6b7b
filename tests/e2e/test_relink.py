"""A new link for a member who has not joined, and /undang paged, through the real bot: the
admin taps "🔗 Tautan baru" on the card of a person whose link was lost; the old link opens
nothing, a double tap leaves one link that opens, and the person joins with it as the member
the admin made (no second one), with their open work. Forged and stale presses change nothing;
/undang with many positions shows them a page at a time."""

from __future__ import annotations

import asyncio
import hashlib
import re

from sqlmodel import col, select

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, start_procedure
from sopbot.emulator import SeenMessage
from sopbot.handlers.onboarding import INVITE_PAGE
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import local_time, plain_text
from sopbot.services.organization import OrganizationService
from sopbot.services.people import PeopleService
from sopbot.storage.models import AuditRow, InvitationRow, MemberRow
from tests.helpers.row_counts import rows_per_table

T = default_catalog().text
LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


def said(key: str, **params: object) -> str:
    """A catalog text as the phone shows it (no tags)."""
    return plain_text(T(Language.ID, key, **params))


def label(key: str, **params: object) -> str:
    return T(Language.ID, key, **params)


def counts(demo: World) -> dict[str, int]:
    """Rows per table (the stored updates, replies, command keys and workers' state left
    out)."""
    return rows_per_table(demo.parts.database)


def open_links(demo: World, member_id: int) -> list[InvitationRow]:
    with demo.parts.database.transaction() as session:
        return list(
            session.exec(
                select(InvitationRow)
                .where(InvitationRow.member_id == member_id)
                .where(col(InvitationRow.used_at).is_(None))
                .where(col(InvitationRow.revoked_at).is_(None))
            ).all()
        )


async def press(official: Official, message: SeenMessage, text: str) -> SeenMessage:
    """Press a button and read the message it edits, once the bot answered."""
    answer = await official.user.wait_for_answer(official.user.press(message, text))
    assert answer.text in (None, ""), answer.text
    return official.user.message(message.message_id)


async def listed_member(demo: World, name: str, username: str) -> int:
    """A person the agency made before they had Telegram (as a roster does), whose first link
    was lost: their id."""
    services = demo.parts.services
    member_id = await asyncio.to_thread(
        OrganizationService(services.procedures).add_member, agency_id=demo.agency_id, name=name
    )
    with demo.parts.database.transaction() as session:
        row = session.get(MemberRow, member_id)
        assert row is not None
        row.telegram_username = username
        session.add(row)
    return member_id


async def test_a_member_who_lost_their_link_gets_a_new_one_and_joins(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    services = demo.parts.services
    people = PeopleService(services.procedures)
    await start_procedure(demo)
    siti = demo.officials["sekretaris"]
    assert siti.member_id is not None
    # Rina is made the Sekretaris before she has Telegram: step 2 waits for her.
    rina_id = await listed_member(demo, "Rina Wulandari", "rina_w")
    lost, _ = await asyncio.to_thread(
        services.onboarding.invite,
        agency_id=demo.agency_id,
        member_id=rina_id,
        created_by_id=admin.member_id,
    )
    sekretaris = next(p.id for p in people.positions(demo.agency_id) if p.name == "Sekretaris")
    await asyncio.to_thread(
        people.move,
        None,
        agency_id=demo.agency_id,
        member_id=siti.member_id,
        to_position_id=next(
            p.id for p in people.positions(demo.agency_id) if p.name == "Kassubag Renval"
        ),
    )
    await asyncio.to_thread(
        people.take_position,
        None,
        agency_id=demo.agency_id,
        member_id=rina_id,
        position_id=sekretaris,
    )
    await settle(demo.emulator, demo.parts)

    (listing,) = await admin.say("/pegawai")
    # A member who has joined is offered no link.
    card = await press(admin, listing, "3. Siti Rahmawati")
    assert label("relink.button") not in card.button_list
    listing = await press(admin, card, label("people.button_back"))
    card = await press(admin, listing, "7. Rina Wulandari")
    assert (card.text or "").startswith(
        "👤 Rina Wulandari\nJabatan: Sekretaris\n⏳ belum bergabung"
    )
    assert label("relink.button") in card.button_list

    # A double tap: two presses, one link that opens, shown in place of the card.
    first = admin.user.press(card, label("relink.button"))
    second = admin.user.press(card, label("relink.button"))
    assert (await admin.user.wait_for_answer(first)).text in (None, "")
    assert (await admin.user.wait_for_answer(second)).text in (None, "")
    shown = admin.user.message(card.message_id)
    text = shown.text or ""
    (found,) = LINK.findall(text)
    bot, token = found
    assert bot == "sopbot_demo_bot"
    (still_open,) = open_links(demo, rina_id)
    assert still_open.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert still_open.created_by_id == admin.member_id
    assert (still_open.position_id, still_open.is_admin) == (None, False)
    expires = local_time(still_open.expires_at, "Asia/Jakarta", Language.ID)
    assert text == "\n".join(
        [
            said(
                "relink.made",
                name="Rina Wulandari",
                only=said("roster.only_account", username="rina_w"),
                expires=expires,
                link=f"https://t.me/sopbot_demo_bot?start={token}",
            ),
            "",
            said("relink.revoked", count=1),  # the second press revoked the first's link
            said("relink.shown_once"),
        ]
    )
    assert shown.button_list == [label("people.button_back")]
    with demo.parts.database.transaction() as session:
        reasons = [
            (row.detail or {}).get("reason")
            for row in session.exec(
                select(AuditRow)
                .where(AuditRow.entity == "invitation")
                .where(AuditRow.action == "revoke")
            ).all()
        ]
    assert reasons == ["relinked", "relinked"]  # the lost link, then the first press's

    # The lost link opens nothing; the new one makes Rina the member the admin made.
    members_before = counts(demo)["member"]
    rina = Official(demo.emulator.add_user("Rina", "W", username="rina_w"), "Sekretaris")
    (refused,) = await rina.say(f"/start {lost}")
    assert refused.text == said("onboarding.invite_invalid")
    rina.user.send_text(f"/start {token}")
    # The welcome (a reply) and the open step (from the outbox) come in either order.
    await rina.user.wait_until(
        lambda: (
            any(label("button.complete") in m.button_list for m in rina.user.bot_messages())
            and any((m.text or "").startswith("Selamat datang") for m in rina.user.bot_messages())
        )
    )
    welcome = next(
        m for m in rina.user.bot_messages() if (m.text or "").startswith("Selamat datang")
    )
    assert "Selamat datang, Rina Wulandari" in (welcome.text or "")
    assert "sebagai Sekretaris" in (welcome.text or "")
    await settle(demo.emulator, demo.parts)
    assert counts(demo)["member"] == members_before
    with demo.parts.database.transaction() as session:
        row = session.get(MemberRow, rina_id)
        assert row is not None
        assert row.telegram_user_id == rina.user.account.id
    assert [i.step_number for i in services.procedures.inbox(rina_id)] == [2]
    # Back on her card: she has joined, no link is offered any more.
    card = await press(admin, shown, label("people.button_back"))
    assert "✅ sudah bergabung" in (card.text or "")
    assert label("relink.button") not in card.button_list


async def test_forged_and_stale_relink_presses_change_nothing(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    other = await asyncio.to_thread(
        organization.create_agency, key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta"
    )
    theirs = await asyncio.to_thread(organization.add_member, agency_id=other, name="Orang Lain")
    await asyncio.to_thread(services.onboarding.invite, agency_id=other, member_id=theirs)
    waiting = await listed_member(demo, "Rina Wulandari", "rina_w")
    siti = demo.officials["sekretaris"]
    (listing,) = await admin.say("/pegawai")
    card = await press(admin, listing, "7. Rina Wulandari")
    await settle(demo.emulator, demo.parts)
    before = counts(demo)
    for data, expected in (
        (f"Mn:{theirs}", said("people.refused_unknown")),  # another agency's member
        ("Mn:99999", said("people.refused_unknown")),
        (f"Mn:{siti.member_id}", said("relink.refused_joined")),
        ("Mn:abc", said("answer.invalid_button")),
        (f"Mn:{waiting}:1", said("answer.invalid_button")),
        ("Mn", said("answer.invalid_button")),
    ):
        answer = await admin.user.wait_for_answer(admin.user.press_raw(card.message_id, data))
        assert answer.text == expected, data
    # An official who is not an admin gets the admins' answer.
    query = siti.user.press_raw(siti.user.last_bot_message().message_id, f"Mn:{waiting}")
    assert (await siti.user.wait_for_answer(query)).text == said("status_report.not_admin")
    await settle(demo.emulator, demo.parts)
    assert counts(demo) == before
    assert open_links(demo, waiting) == []
    assert len(open_links(demo, theirs)) == 1
    # The card is as it was: nothing was shown in its place.
    assert admin.user.message(card.message_id).text == card.text


async def test_undang_shows_many_positions_a_page_at_a_time(kesbangpol: World) -> None:
    demo, admin = kesbangpol, kesbangpol.admin
    organization = OrganizationService(demo.parts.services.procedures)
    for number in range(1, 81):
        await asyncio.to_thread(
            organization.add_position,
            agency_id=demo.agency_id,
            key=f"staf_{number:02d}",
            name=f"Staf Pelaksana {number:02d}",
        )
    names = [
        p.name for p in PeopleService(demo.parts.services.procedures).positions(demo.agency_id)
    ]
    pages = -(-len(names) // INVITE_PAGE)
    assert pages > 10

    (menu,) = await admin.say("/undang")
    messages = len(admin.user.bot_messages())
    assert menu.text == "\n".join(
        [said("onboarding.invite_pick_position"), said("relink.invite_page", page=1, pages=pages)]
    )
    assert menu.button_list == [*names[:INVITE_PAGE], label("button.page_next")]
    second = await press(admin, menu, label("button.page_next"))  # edited in place
    assert said("relink.invite_page", page=2, pages=pages) in (second.text or "")
    assert second.button_list == [
        *names[INVITE_PAGE : 2 * INVITE_PAGE],
        label("button.page_previous"),
        label("button.page_next"),
    ]
    assert len(admin.user.bot_messages()) == messages  # no new message
    # The server checks the page: one past the last shows the last; what is not a page is
    # refused.
    answer = await admin.user.wait_for_answer(admin.user.press_raw(menu.message_id, "Ig:999"))
    assert answer.text in (None, "")
    last = admin.user.message(menu.message_id)
    assert said("relink.invite_page", page=pages, pages=pages) in (last.text or "")
    assert last.button_list == [*names[(pages - 1) * INVITE_PAGE :], label("button.page_previous")]
    for data in ("Ig:abc", "Ig", "Ig:1:2"):
        answer = await admin.user.wait_for_answer(admin.user.press_raw(menu.message_id, data))
        assert answer.text == said("answer.invalid_button"), data
    # A position on the last page gets its link.
    answer = await admin.user.wait_for_answer(admin.user.press(last, names[-1]))
    (link,) = await admin.user.wait_for_bot_messages(1)
    assert (link.text or "").startswith(f"🔗 Tautan undangan untuk {names[-1]}")
    # An official who is not an admin gets the admins' answer.
    siti = demo.officials["sekretaris"]
    query = siti.user.press_raw(siti.user.last_bot_message().message_id, "Ig:1")
    assert (await siti.user.wait_for_answer(query)).text == said("status_report.not_admin")
