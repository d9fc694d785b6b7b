"""Two admin levels, through the real bot on an empty database: one CLI command makes the
operator (and their home agency); in Telegram the operator creates an agency with /instansi
and names its first admin, who joins with the link as that agency's admin and no operator.
An agency created so, with no SOP folder, runs: its admin installs an SOP from Telegram, /mulai
starts it, and its due times are in the agency's zone. A non-operator's /instansi and forged
buttons are refused, stale and repeated buttons change nothing."""

from __future__ import annotations

import asyncio

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import give_title
from sopbot.services.organization import OrganizationService
from sopbot.storage.models import AgencyRow, AuditRow, InvitationRow, MemberRow, PendingInputRow
from tests.helpers.definitions import definition_text
from tests.helpers.operators import (
    FORGED,
    HOME,
    NEW_AGENCY,
    NEW_KEY,
    NOT_OPERATOR,
    TOKEN,
    Deployment,
    create_the_agency,
    last,
    name_admin,
    open_agency,
)
from tests.helpers.sop_import import PASANG, preview_of, send_sop, tap, to_preview


async def test_an_operator_creates_an_agency_and_names_its_first_admin(
    deployment: Deployment,
) -> None:
    operator = deployment.operator
    agency_id = await create_the_agency(deployment)
    token = await name_admin(deployment, "Budi Santoso")

    budi = Official(deployment.emulator.add_user("Budi", "Santoso"), "Admin")
    welcome = await budi.say(f"/start {token}")
    deployment.show("Budi", "/start …", welcome)
    assert NEW_AGENCY in (welcome[0].text or "")
    assert "Anda operator" not in (welcome[0].text or "")
    member = await asyncio.to_thread(deployment.parts.services.onboarding.member_for, budi.user.id)
    assert member is not None
    assert (member.agency_id, member.is_admin, member.is_operator) == (agency_id, True, False)

    # The agency as the operator sees it now: Budi joined, no invitation open.
    detail = await open_agency(deployment)
    assert "Admin: Budi Santoso" in (detail.text or "")
    assert "Tidak ada undangan admin yang masih berlaku." in (detail.text or "")

    # The operator's own audit rows: the agency, the admin, the invitation.
    audited = {
        (a.entity, a.action)
        for a in deployment.rows(AuditRow)
        if a.agency_id == agency_id and a.actor_id == member_of(deployment, operator)
    }
    assert {("agency", "create"), ("member", "create"), ("invitation", "create")} <= audited
    print("\n".join(deployment.screens))  # the screens docs/panduan.md shows


def member_of(deployment: Deployment, official: Official) -> int:
    (row,) = [m for m in deployment.rows(MemberRow) if m.telegram_user_id == official.user.id]
    return int(row.id)


async def test_a_revoked_link_opens_nothing_and_a_non_operator_is_refused(
    deployment: Deployment,
) -> None:
    operator = deployment.operator
    agency_id = await create_the_agency(deployment)
    budi_token = await name_admin(deployment, "Budi Santoso")
    budi = Official(deployment.emulator.add_user("Budi", "Santoso"), "Admin")
    await budi.say(f"/start {budi_token}")
    await name_admin(deployment, "Siti Rahma")
    siti_token = TOKEN.search(operator.user.last_bot_message().text or "")
    assert siti_token is not None

    # Cabut: the agency shown again without Siti's invitation; her link opens nothing.
    detail = await open_agency(deployment)
    assert "• Siti Rahma, berlaku sampai" in (detail.text or "")
    revoke = dict(operator.user.button_data(detail))["✖️ Cabut: Siti Rahma"]
    assert revoke is not None
    answer = await operator.press_text(detail, "✖️ Cabut: Siti Rahma")
    assert "Undangan admin untuk Siti Rahma dicabut" in (answer.text or "")
    after = operator.user.message(detail.message_id)
    deployment.show("Operator", "✖️ Cabut: Siti Rahma", [after])
    assert "Siti Rahma" not in (after.text or "")
    again = await operator.user.wait_for_answer(
        operator.user.press_raw(detail.message_id, revoke), 15.0
    )
    assert FORGED in (again.text or "")  # a second tap: nothing left to revoke
    siti = Official(deployment.emulator.add_user("Siti", "Rahma"), "Admin")
    (refused,) = await siti.say(f"/start {siti_token.group(1)}")
    assert "tidak berlaku" in (refused.text or "")
    assert (
        await asyncio.to_thread(deployment.parts.services.onboarding.member_for, siti.user.id)
        is None
    )

    # A key that is no key is asked again; Batal ends the flow, and nothing was created.
    (listing,) = await operator.say("/instansi")
    await operator.press_text(listing, "➕ Buat instansi")
    await last(operator, "Instansi baru")
    await operator.say("Kecamatan Palaran")
    (asked,) = await operator.say("Kecamatan/Palaran")
    assert "Kunci Kecamatan/Palaran tidak dapat dipakai" in (asked.text or "")
    assert "✅ Pakai kecamatan-palaran" in asked.button_list
    await operator.press_text(asked, "Batal")
    assert deployment.rows(PendingInputRow) == []
    assert [a.key for a in deployment.rows(AgencyRow)] == [HOME, NEW_KEY]

    # An agency admin who is no operator: /instansi and every operator button refused.
    (no,) = await budi.say("/instansi")
    assert NOT_OPERATOR in (no.text or "")
    before = (
        len(deployment.rows(AgencyRow)),
        len(deployment.rows(MemberRow)),
        len(deployment.rows(InvitationRow)),
        len(deployment.rows(AuditRow)),
    )
    target = budi.user.last_bot_message().message_id
    for data in (
        "On",
        "O:0",
        f"Oi:{agency_id}",
        f"Oa:{agency_id}",
        f"Or:{agency_id}:1",
        "Os:abcd1234:zone:WIB",
        "Oc:abcd1234",
    ):
        answer = await budi.user.wait_for_answer(budi.user.press_raw(target, data), 15.0)
        assert NOT_OPERATOR in (answer.text or ""), data
    # The operator's own forged buttons: ids that name nothing.
    target = operator.user.last_bot_message().message_id
    for data in ("Oi:99999", f"Or:{agency_id}:99999", "Oa:99999", "Os:x:zone:WIB", "Oc:zz", "Oi"):
        answer = await operator.user.wait_for_answer(operator.user.press_raw(target, data), 15.0)
        assert FORGED in (answer.text or ""), data
    await settle(deployment.emulator, deployment.parts)
    assert before == (
        len(deployment.rows(AgencyRow)),
        len(deployment.rows(MemberRow)),
        len(deployment.rows(InvitationRow)),
        len(deployment.rows(AuditRow)),
    )
    assert deployment.rows(PendingInputRow) == []
    print("\n".join(deployment.screens))  # the screens docs/panduan.md shows


async def test_an_agency_made_without_a_folder_installs_and_runs_its_sop_in_its_zone(
    deployment: Deployment,
) -> None:
    agency_id = await create_the_agency(deployment)
    token = await name_admin(deployment, "Budi Santoso")
    admin = Official(deployment.emulator.add_user("Budi", "Santoso"), "Admin")
    await admin.say(f"/start {token}")
    # Its posts (as `sopbot position add` makes them: the CLI twin of the positions' chapter).
    organization = OrganizationService(deployment.parts.services.procedures)
    for key, name in (("kadis", "Kepala Dinas"), ("sekdis", "Sekretaris")):
        await asyncio.to_thread(organization.add_position, agency_id=agency_id, key=key, name=name)

    # The admin installs the agency's first SOP from Telegram: no folder, no restart.
    await send_sop(admin, definition_text().encode(), "surat.yaml", caption="/sop")
    for role in ("Kepala Dinas", "Sekretaris"):
        await tap(admin, role)
        await tap(admin, "▶️ Lanjut")
    await to_preview(admin)
    await admin.press_text(preview_of(admin), PASANG)
    assert "terpasang" in (admin.user.last_bot_message().text or "")

    # The Kepala Dinas joins through /undang, and the admin starts the SOP with /mulai.
    (menu,) = await admin.say("/undang")
    await admin.press_text(menu, "Kepala Dinas")
    link = TOKEN.search((await last(admin, "?start=")).text or "")
    assert link is not None
    kepala = Official(deployment.emulator.add_user("Agus", "Prasetyo"), "Kepala Dinas")
    await kepala.say(f"/start {link.group(1)}")
    (menu,) = await admin.say("/mulai")
    await admin.press_text(menu, "Contoh")
    await admin.user.wait_for_bot_messages(1)
    await give_title(admin, "Surat dari Gubernur")
    await admin.say("Segera")
    await settle(deployment.emulator, deployment.parts)
    disposition = kepala.disposition().text or ""
    assert "Memberi disposisi" in disposition
    (deadline,) = [line for line in disposition.splitlines() if "Batas waktu" in line]
    assert deadline.endswith("WITA")  # the agency's zone, from its row: it has no instansi.yaml
