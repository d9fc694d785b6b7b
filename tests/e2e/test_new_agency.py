"""A new agency from nothing to its first procedure: one command on the server, everything else
in Telegram (issue 20's "done when").

On an empty deployment the server's operator runs `sopbot operator add` (the `deployment`
fixture). From then on, only phones: the operator joins with the printed link, creates the
agency in /instansi and names its first admin; the admin joins, sends the staff list
(/impor_pegawai) and passes each person their link; the people join; the admin sends the
agency's Word SOP (/sop), maps its roles to the positions the list created and installs it;
/mulai starts it, and the first disposition reaches the Kepala Dinas of the list."""

from __future__ import annotations

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import give_title
from sopbot.storage.models import (
    AgencyRow,
    AuditRow,
    HoldingRow,
    MemberRow,
    PositionRow,
    RoleMappingRow,
    SopInstallRow,
)
from tests.helpers.operators import (
    NEW_AGENCY,
    NEW_KEY,
    Deployment,
    create_the_agency,
    name_admin,
)
from tests.helpers.rosters import LINK, ask_and_fill, created, send_roster
from tests.helpers.sop_import import (
    PASANG,
    ROLES,
    preview_of,
    review_of,
    send_sop,
    tap,
    to_preview,
    word_file,
)

# The staff list as the admin fills in the bot's template.
STAFF: list[tuple[str | float, ...]] = [
    ("197001011995031001", "Drs. Agus Salim, M.Si.", "Kepala Dinas", "agus_salim"),
    ("198202022006042002", "Siti Aminah, S.E.", "Sekretaris", ""),
]
NEW_SOP = f"{NEW_KEY}/pengelolaan-surat-masuk"


async def test_a_new_agency_goes_from_nothing_to_its_first_procedure(
    deployment: Deployment,
) -> None:
    # The operator (joined by the fixture, from the one CLI command) creates the agency and
    # names its first admin, who joins with the link.
    agency_id = await create_the_agency(deployment)
    admin_token = await name_admin(deployment, "Nur Aini")
    admin = Official(deployment.emulator.add_user("Nur", "Aini"), "Admin")
    (welcome,) = await admin.say(f"/start {admin_token}")
    assert NEW_AGENCY in (welcome.text or "")
    assert "admin instansi" in (welcome.text or "")

    # The admin enrols the staff from a list: positions, people and their links.
    content, template = await ask_and_fill(admin, STAFF)
    preview = await send_roster(admin, content, reply_to=template)
    assert "Akan dibuat: 2 pegawai dan 2 jabatan baru" in (preview.text or "")
    await admin.press_text(preview, "✅ Buat 2 pegawai")
    links, _ = await created(admin)
    tokens = [token for _, token in LINK.findall(links.text or "")]
    assert len(tokens) == 2

    # Each passes on their link; the Kepala Dinas's is for his username only.
    kepala = Official(
        deployment.emulator.add_user("Agus", "Salim", username="agus_salim"), "Kepala Dinas"
    )
    (joined,) = await kepala.say(f"/start {tokens[0]}")
    assert "sebagai Kepala Dinas" in (joined.text or "")
    sekretaris = Official(deployment.emulator.add_user("Siti", "Aminah"), "Sekretaris")
    (joined,) = await sekretaris.say(f"/start {tokens[1]}")
    assert "sebagai Sekretaris" in (joined.text or "")

    # The admin sends the agency's Word SOP, settles what the document cannot say, maps its
    # roles to the positions of the list, and installs it.
    await send_sop(admin, word_file(), "SOP Surat Masuk.docx", caption="/sop")
    await tap(admin, "✅ Benar")  # step 1: Kepala Dinas, as read
    await tap(admin, "Sekretaris")  # step 2 has no symbol: the admin says who does it
    await tap(admin, "✅ Benar")  # step 3
    await tap(admin, "2 Hari")  # "1-2 Hari": the standard time
    for role in ROLES:
        question = review_of(admin)
        assert role in (question.text or "")
        await tap(admin, role)  # the position of the same name, made from the list
        await tap(admin, "▶️ Lanjut")
    await to_preview(admin)
    await admin.press_text(preview_of(admin), PASANG)
    assert "terpasang" in (admin.user.last_bot_message().text or "")

    # The first procedure: /mulai, and the first step reaches the list's Kepala Dinas.
    (menu,) = await admin.say("/mulai")
    await admin.press_text(menu, "Pengelolaan Surat Masuk")
    await admin.user.wait_for_bot_messages(1)
    await give_title(admin, "Surat dari Wali Kota")
    await admin.say("Segera")
    await settle(deployment.emulator, deployment.parts)
    disposition = kepala.disposition().text or ""
    assert "Memberi disposisi surat masuk" in disposition
    assert "Surat dari Wali Kota" in disposition
    (deadline,) = [line for line in disposition.splitlines() if "Batas waktu" in line]
    assert deadline.endswith("WITA")  # the zone the operator chose
    assert sekretaris.user.bot_messages()[-1].text == joined.text  # nothing for her yet

    # What the database holds: one agency made in Telegram, its people, positions, mapping,
    # the installed SOP; and the audit trail names who did each.
    (agency,) = [a for a in deployment.rows(AgencyRow) if a.key == NEW_KEY]
    assert agency.id == agency_id
    people = {m.name: m for m in deployment.rows(MemberRow) if m.agency_id == agency_id}
    assert set(people) == {"Nur Aini", "Drs. Agus Salim, M.Si.", "Siti Aminah, S.E."}
    assert all(m.telegram_user_id is not None for m in people.values())
    positions = {p.id: p.name for p in deployment.rows(PositionRow) if p.agency_id == agency_id}
    assert sorted(positions.values()) == ["Kepala Dinas", "Sekretaris"]
    held = {(h.member_id, positions[h.position_id]) for h in deployment.rows(HoldingRow)}
    assert (people["Drs. Agus Salim, M.Si."].id, "Kepala Dinas") in held
    mapped = {
        (m.role_key, positions[m.position_id])
        for m in deployment.rows(RoleMappingRow)
        if m.sop_id == NEW_SOP
    }
    assert mapped == {("kepala_dinas", "Kepala Dinas"), ("sekretaris", "Sekretaris")}
    (install,) = [i for i in deployment.rows(SopInstallRow) if i.sop_id == NEW_SOP]
    assert (install.origin, install.installed_by_id) == ("telegram", people["Nur Aini"].id)
    actors = {
        (a.entity, a.action): a.actor_id
        for a in deployment.rows(AuditRow)
        if a.agency_id == agency_id
    }
    admin_id = people["Nur Aini"].id
    assert actors[("sop_install", "install")] == admin_id
    assert actors[("instance", "start")] == admin_id
