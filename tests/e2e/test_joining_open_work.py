"""Joining a post that has open work, through the real bot: each open disposition reaches the
new holder once, with live buttons, whether the work waited for the post (a vacancy filled by
an invitation) or for the person (a member an admin made before they had Telegram)."""

from __future__ import annotations

import asyncio

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, act, start_procedure
from sopbot.services.organization import OrganizationService
from sopbot.storage import agencies

DISPOSITION = "📨 Disposisi"


def position_of(demo: World, key: str) -> int:
    with demo.parts.database.unit_of_work(read_only=True) as uow:
        found = agencies.position_by_key(uow, demo.agency_id, key)
        assert found is not None
        return found.id


def dispositions_seen(official: Official) -> list[str]:
    return [m.text or "" for m in official.user.bot_messages() if DISPOSITION in (m.text or "")]


async def vacate_the_sekretaris(demo: World, organization: OrganizationService) -> int:
    """The Sekretaris moves away (mutasi): step 2 waits for the post. The post's id."""
    sekretaris = demo.officials["sekretaris"]
    post = position_of(demo, "sekretaris")
    assert sekretaris.member_id is not None
    await asyncio.to_thread(
        organization.end_holding, None, member_id=sekretaris.member_id, position_id=post
    )
    await settle(demo.emulator, demo.parts)
    assert sekretaris.live_buttons() == []
    return post


async def do_the_step(demo: World, official: Official) -> None:
    """The official presses Selesai on their disposition; its message keeps no button."""
    message = official.disposition()
    await official.press(message, "button.complete")
    await settle(demo.emulator, demo.parts)
    assert official.live_buttons() == []
    assert "Langkah 3" in (demo.officials["kassubag_renval"].disposition().text or "")


async def test_a_new_holder_of_a_post_with_open_work_gets_it_once(kesbangpol: World) -> None:
    demo = kesbangpol
    await start_procedure(demo)  # step 2 waits for the Sekretaris
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    post = await vacate_the_sekretaris(demo, organization)
    token, _ = await asyncio.to_thread(
        services.onboarding.invite,
        agency_id=demo.agency_id,
        position_id=post,
        created_by_id=demo.admin.member_id,
    )
    newcomer = Official(demo.emulator.add_user("Hendra", "Gunawan"), "Sekretaris")
    await newcomer.say(f"/start {token}")
    await settle(demo.emulator, demo.parts)
    (disposition,) = dispositions_seen(newcomer)
    assert "Langkah 2 dari 13" in disposition
    assert len(newcomer.live_buttons()) == 1
    await do_the_step(demo, newcomer)


async def test_a_member_made_before_they_had_telegram_gets_their_work_once_on_joining(
    kesbangpol: World,
) -> None:
    demo = kesbangpol
    await start_procedure(demo)
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    post = await vacate_the_sekretaris(demo, organization)
    # The admin made the member (or a roster did) and gave them the post: step 2 went to them
    # while they had no Telegram account, and the sender could not deliver it.
    member = await asyncio.to_thread(
        organization.add_member, agency_id=demo.agency_id, name="Hendra Gunawan"
    )
    await asyncio.to_thread(organization.appoint, None, member_id=member, position_id=post)
    await settle(demo.emulator, demo.parts)
    token, _ = await asyncio.to_thread(
        services.onboarding.invite, agency_id=demo.agency_id, member_id=member
    )
    newcomer = Official(demo.emulator.add_user("Hendra", "Gunawan"), "Sekretaris")
    await newcomer.say(f"/start {token}")
    await settle(demo.emulator, demo.parts)
    (disposition,) = dispositions_seen(newcomer)
    assert "Langkah 2 dari 13" in disposition
    assert len(newcomer.live_buttons()) == 1
    # The message they got is the one closed when the step is done (not the one never sent).
    await do_the_step(demo, newcomer)


async def test_the_documents_of_earlier_steps_reach_a_member_who_joins_later(
    kesbangpol: World,
) -> None:
    demo = kesbangpol
    await start_procedure(demo)
    procedures = demo.parts.services.procedures
    for step in (2, 3, 4):  # the Petugas uploads the collection format at step 4
        for official in demo.everyone():
            assert official.member_id is not None
            items = await asyncio.to_thread(procedures.inbox, official.member_id)
            if items and items[0].step_number == step:
                await act(demo, official, step, items[0].round, {})
                break
    renval = demo.officials["kassubag_renval"]
    assert any(m.document for m in renval.user.bot_messages())  # step 5 came with the file
    organization = OrganizationService(procedures)
    post = position_of(demo, "kassubag_renval")
    assert renval.member_id is not None
    await asyncio.to_thread(
        organization.end_holding, None, member_id=renval.member_id, position_id=post
    )
    member = await asyncio.to_thread(
        organization.add_member, agency_id=demo.agency_id, name="Wulan Pratiwi"
    )
    await asyncio.to_thread(organization.appoint, None, member_id=member, position_id=post)
    await settle(demo.emulator, demo.parts)
    token, _ = await asyncio.to_thread(
        demo.parts.services.onboarding.invite, agency_id=demo.agency_id, member_id=member
    )
    newcomer = Official(demo.emulator.add_user("Wulan", "Pratiwi"), "Kassubag Renval")
    await newcomer.say(f"/start {token}")
    await settle(demo.emulator, demo.parts)
    documents = [m.document for m in newcomer.user.bot_messages() if m.document]
    assert len(documents) == 1
    (disposition,) = dispositions_seen(newcomer)
    assert "Langkah 5 dari 13" in disposition
    assert len(newcomer.live_buttons()) == 1
