"""/batal and /pindah through the real bot (issue 20): a procedure cancelled with a reason and
every holder told; a stuck step moved by an admin to a colleague of its role or to an acting
official, who then acts on it; and everyone else refused, forged buttons included, with
nothing changed."""

from __future__ import annotations

import asyncio
import html
import re
import uuid

import pytest

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import TITLE, World, start_procedure
from sopbot.demo.staffing import SeedAgency, next_key, staff_agency
from sopbot.emulator import SeenMessage
from sopbot.engine.organization import ActingKind
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from sopbot.services.organization import OrganizationService
from sopbot.storage.models import ANY_SOP
from tests.e2e.test_refusals import counts

T = default_catalog().text
OTHER_SOP = "dinas-kukmp-samarinda/pengolahan-data-kinerja"
ADMIN = "Nur Aini (Admin)"  # the admin as a member of the agency (sopbot.demo.scenario)


def plain(text: str) -> str:
    """A catalog text as the person's app shows it (the HTML tags rendered away)."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


def t(key: str, **params: object) -> str:
    return plain(T(Language.ID, key, **params))


async def settled(demo: World) -> None:
    await settle(demo.emulator, demo.parts)


def data_of(official: Official, message: SeenMessage, label: str) -> str:
    """The callback data of a button on a message, as a tampered client reads it."""
    for text, data in official.user.button_data(message):
        if text == label and data is not None:
            return data
    raise LookupError(label)


async def forged(official: Official, message: SeenMessage, data: str) -> str:
    """A press of callback data the person's app never showed; the bot's answer."""
    query = official.user.press_raw(message.message_id, data)
    answer = await official.user.wait_for_answer(query)
    assert answer.show_alert
    return answer.text or ""


async def other_agency(demo: World, procedures: int) -> tuple[SeedAgency, list[uuid.UUID]]:
    """A second agency in the same database (Dinas KUKMP), with `procedures` running."""
    services = demo.parts.services.procedures
    definition = services.library.get(OTHER_SOP)
    assert definition is not None
    agency = await asyncio.to_thread(staff_agency, OrganizationService(services), definition)
    started = []
    for index in range(procedures):
        outcome = await asyncio.to_thread(
            services.start,
            next_key(),
            agency_id=agency.agency_id,
            sop_id=OTHER_SOP,
            title=f"Data Dinas {index + 1}",
            starter_id=agency.person("kepala_dinas"),
        )
        started.append(outcome.result.instance_id)
    return agency, started


async def test_the_starter_cancels_with_a_reason_and_every_holder_sees_it(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)
    starter = kesbangpol.officials["kepala_dinas"]
    sekretaris = kesbangpol.officials["sekretaris"]
    held = sekretaris.disposition()

    (listing,) = await starter.say("/batal")
    assert listing.text == t("procedure_admin.cancel_pick", count=1)
    assert listing.button_list == [f"No. 1 · {TITLE}"]
    await starter.press_text(listing, f"No. 1 · {TITLE}")
    (question,) = await starter.user.wait_for_bot_messages(1)
    assert (question.text or "").startswith(f"⛔ Membatalkan {TITLE} (No. 1)")
    assert question.button_list == ["Batal"]
    reason = "Salah memilih SOP; diganti prosedur baru"
    (confirmation,) = await starter.say(reason)
    assert (confirmation.text or "").startswith("⛔ Batalkan prosedur ini?")
    assert f"Alasan: {reason}" in (confirmation.text or "")
    assert confirmation.button_list == ["⛔ Ya, batalkan", "↩️ Tidak jadi"]
    confirm_data = data_of(starter, confirmation, "⛔ Ya, batalkan")
    # Two taps at once: one cancels, the other is told it is over.
    taps = [starter.user.press(confirmation, "⛔ Ya, batalkan") for _ in range(2)]
    answers = [await starter.user.wait_for_answer(tap) for tap in taps]
    assert sorted(str(a.text) for a in answers) == sorted(["None", t("answer.not_running")])
    (done,) = await starter.user.wait_for_bot_messages(1)
    assert done.text == t("procedure_admin.cancelled", title=TITLE, number=1, reason=reason)
    await settled(kesbangpol)

    # The holder: the disposition lost its buttons and says who cancelled it and why, and a
    # message of its own tells them.
    closed = sekretaris.user.message(held.message_id)
    assert closed.buttons == ()
    assert (
        (closed.text or "")
        .splitlines()[-1]
        .startswith(f"⛔ Prosedur dibatalkan oleh {starter.name} · ")
    )
    assert (closed.text or "").endswith(f": {reason}")
    notice = sekretaris.user.last_bot_message()
    assert notice.text == t(
        "procedure_admin.notice_cancelled_holder",
        title=TITLE,
        number=1,
        person=starter.name,
        reason=reason,
        step="2",
    )
    # The starter cancelled it: they are not told again.
    assert starter.user.last_bot_message().message_id == done.message_id

    # Kept, cancelled, with who and why: /status and /riwayat.
    _, status = await kesbangpol.admin.say("/status 1", expect=2)  # its timeline, then the text
    assert (status.text or "").splitlines()[0].endswith("· dibatalkan")
    # The step it stopped names whom it was waiting for.
    assert f" · {sekretaris.name} · " in (status.text or "").splitlines()[2]
    assert (status.text or "").splitlines()[-1].startswith(f"⛔ Dibatalkan oleh {starter.name} · ")
    assert status.buttons == ()
    (history,) = await starter.say("/riwayat 1")
    assert (history.text or "").endswith(f"Prosedur dibatalkan oleh {starter.name} ({reason})")

    # Another tap of the confirmation (an old client): a clear answer, nothing changes.
    before = counts(kesbangpol)
    assert await forged(starter, confirmation, confirm_data) == t("answer.not_running")
    (again,) = await starter.say("/batal 1")
    assert again.text == t("procedure_admin.not_running", number=1)
    await settled(kesbangpol)
    assert counts(kesbangpol) == before


async def test_an_admin_cancels_anothers_and_no_one_else_can(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    starter = kesbangpol.officials["kepala_dinas"]
    sekretaris = kesbangpol.officials["sekretaris"]
    admin = kesbangpol.admin
    _, theirs = await other_agency(kesbangpol, procedures=2)
    await settled(kesbangpol)
    before = counts(kesbangpol)

    # A member who did not start it.
    (none,) = await sekretaris.say("/batal")
    assert none.text == t("procedure_admin.cancel_none")
    (refused,) = await sekretaris.say("/batal 1")
    assert refused.text == t("procedure_admin.cancel_not_allowed", number=1)
    (listing,) = await admin.say("/batal")
    ours = data_of(admin, listing, f"No. 1 · {TITLE}")
    assert await forged(sekretaris, none, ours) == t("answer.not_allowed")
    # Someone the bot does not know.
    stranger = Official(kesbangpol.emulator.add_user("Orang", "Asing"), "-")
    (unknown,) = await stranger.say("/batal 1")
    assert unknown.text == t("onboarding.stranger")
    # Another agency's numbers and ids: not found, whatever the button says.
    (missing,) = await admin.say("/batal 2")
    assert missing.text == t("history.not_found", number=2)
    for action in (Action.CANCEL_PROCEDURE, Action.CANCEL_CONFIRM):
        answer = await forged(admin, listing, callback(action, theirs[0]))
        assert answer == t("answer.invalid_button")
    for data in ("C:not-a-uuid", "Cp:x", "Cy:" + "0" * 32):
        assert await forged(admin, listing, data) == t("answer.invalid_button")
    await settled(kesbangpol)
    assert counts(kesbangpol) == before

    # The admin cancels the starter's procedure, the reason given with the command.
    reason = "Dobel dengan surat lain"
    (confirmation,) = await admin.say(f"/batal 1 {reason}")
    assert f"Alasan: {reason}" in (confirmation.text or "")
    await admin.press_text(confirmation, "⛔ Ya, batalkan")
    await admin.user.wait_for_bot_messages(1)
    await settled(kesbangpol)
    told = starter.user.last_bot_message()
    assert told.text == t(
        "procedure_admin.notice_cancelled",
        title=TITLE,
        number=1,
        person=ADMIN,
        reason=reason,
    )
    assert sekretaris.user.last_bot_message().text == t(
        "procedure_admin.notice_cancelled_holder",
        title=TITLE,
        number=1,
        person=ADMIN,
        reason=reason,
        step="2",
    )
    # The other agency's procedures run on.
    procedures = kesbangpol.parts.services.procedures
    with procedures.database.unit_of_work(read_only=True) as uow:
        for instance_id in theirs:
            assert procedures.instances.load(uow, instance_id).instance.state.value == "running"


async def test_thinking_better_of_it_and_a_long_list(kesbangpol: World) -> None:
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    # "Batal" under the reason: the procedure is not cancelled, and says so.
    (question,) = await admin.say("/batal 1")
    answer = await admin.press_text(question, "Batal")
    assert answer.text == t("procedure_admin.kept")
    (hint,) = await admin.say("Salah judul")
    assert hint.text == t("hint.text")
    (first,) = await admin.say("/batal 1 Salah judul")
    # A text sent while the confirmation waits is the reason now.
    (confirmation,) = await admin.say("Judul tertukar dengan No. 2")
    assert "Alasan: Judul tertukar dengan No. 2" in (confirmation.text or "")
    await settled(kesbangpol)
    assert admin.user.message(first.message_id).buttons == ()
    answer = await admin.press_text(confirmation, "↩️ Tidak jadi")
    assert answer.text == t("procedure_admin.kept")
    await settled(kesbangpol)
    assert admin.user.message(confirmation.message_id).buttons == ()
    # Nine running: eight on the first page, the ninth behind the arrow.
    starter = kesbangpol.officials["kepala_dinas"]
    procedures = kesbangpol.parts.services.procedures
    for number in range(2, 10):
        await asyncio.to_thread(
            procedures.start,
            next_key(),
            agency_id=kesbangpol.agency_id,
            sop_id=kesbangpol.definition.id,
            title=f"Triwulan {number}",
            starter_id=starter.member_id or 0,
        )
    await settled(kesbangpol)
    (listing,) = await admin.say("/batal")
    assert listing.text == "\n".join(
        [t("procedure_admin.cancel_pick", count=9), t("procedure_admin.page", page=1, pages=2)]
    )
    assert len(listing.button_list) == 9  # eight procedures and ▶️
    assert listing.button_list[-1] == "▶️"
    await admin.press_text(listing, "▶️")
    await settled(kesbangpol)
    page_two = admin.user.message(listing.message_id)
    assert page_two.button_list == ["No. 9 · Triwulan 9", "◀️"]


async def test_an_admin_moves_a_stuck_step_and_the_work_goes_on(kesbangpol: World) -> None:
    colleague, plt = await serving_elsewhere(kesbangpol)
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    sekretaris = kesbangpol.officials["sekretaris"]
    held = sekretaris.disposition()

    # From /status NO: a button per live step, and one to cancel.
    _, status = await admin.say("/status 1", expect=2)  # its timeline, then the text
    move_label = f"🔀 Pindahkan langkah 2 · {sekretaris.name}"
    assert status.button_list == [move_label, "⛔ Batalkan prosedur"]
    await admin.press_text(status, move_label)
    (choices,) = await admin.user.wait_for_bot_messages(1)
    assert (choices.text or "").startswith("🔀 Langkah 2 (")
    assert choices.button_list == [
        f"{colleague.name} · Kasubbag Umum",
        f"{plt.name} · Plt. Kasubbag Keuangan",
        "Batal",
    ]
    # A forged button naming someone outside the role: refused, nothing changes.
    before = counts(kesbangpol)
    starter = kesbangpol.officials["kepala_dinas"]
    (item,) = kesbangpol.parts.services.procedures.inbox(sekretaris.member_id or 0)
    outsider = callback(Action.MOVE_TO, item.disposition_id, starter.member_id or 0)
    assert await forged(admin, choices, outsider) == t("procedure_admin.not_a_candidate")
    # Nor may a member who is no admin move it, button or no button.
    (not_admin,) = await sekretaris.say("/pindah 1")
    assert not_admin.text == t("status_report.not_admin")
    mine = data_of(admin, choices, f"{colleague.name} · Kasubbag Umum")
    assert await forged(sekretaris, not_admin, mine) == t("answer.not_allowed")
    await settled(kesbangpol)
    assert counts(kesbangpol) == before

    await admin.press_text(choices, f"{colleague.name} · Kasubbag Umum")
    (question,) = await admin.user.wait_for_bot_messages(1)
    assert (question.text or "").startswith("🔀 Tulis alasan pemindahan langkah 2")
    reason = "Sekretaris cuti sampai Jumat, Plh belum ditunjuk"
    (moved,) = await admin.say(reason)
    assert moved.text == t(
        "procedure_admin.moved",
        step="2",
        title=TITLE,
        number=1,
        holder=sekretaris.name,
        person=colleague.name,
    )
    await settled(kesbangpol)

    # The old holder: no buttons, moved by whom to whom and why, and a message.
    closed = sekretaris.user.message(held.message_id)
    assert closed.buttons == ()
    assert (
        (closed.text or "")
        .splitlines()[-1]
        .startswith(f"🔀 Dipindahkan oleh admin {ADMIN} kepada {colleague.name} · ")
    )
    assert sekretaris.user.last_bot_message().text == t(
        "procedure_admin.notice_moved_away",
        step="2",
        title=TITLE,
        number=1,
        person=ADMIN,
        to=colleague.name,
        reason=reason,
    )
    # The new holder reads the reason as the instruction, acts, and the work goes on.
    given = colleague.disposition()
    assert f"Catatan: {reason}" in (given.text or "")
    await colleague.press(given, "button.complete")
    await settled(kesbangpol)
    renval = kesbangpol.officials["kassubag_renval"]
    assert kesbangpol.parts.services.procedures.inbox(renval.member_id or 0)[0].step_number == 3
    (history,) = await admin.say("/riwayat 1")
    assert f"Tugas {sekretaris.name} dipindahkan oleh admin {ADMIN} ({reason})" in (
        history.text or ""
    )


async def test_a_stuck_step_goes_to_an_acting_official(kesbangpol: World) -> None:
    _, plt = await serving_elsewhere(kesbangpol)
    await start_procedure(kesbangpol)
    admin = kesbangpol.admin
    sekretaris = kesbangpol.officials["sekretaris"]
    (steps,) = await admin.say("/pindah 1")
    assert steps.button_list == [f"Langkah 2 · {sekretaris.name}"]
    await admin.press_text(steps, f"Langkah 2 · {sekretaris.name}")
    (choices,) = await admin.user.wait_for_bot_messages(1)
    await admin.press_text(choices, f"{plt.name} · Plt. Kasubbag Keuangan")
    await admin.user.wait_for_bot_messages(1)
    await admin.say("Sekretaris dinas luar")
    await settled(kesbangpol)
    # The old button to move it: the step has moved already.
    old_button = data_of(admin, steps, steps.button_list[0])
    assert await forged(admin, choices, old_button) == t("answer.moved", person=plt.name)
    given = plt.disposition()
    assert "Langkah 2 dari 13" in (given.text or "")
    await plt.press(given, "button.complete")
    await settled(kesbangpol)
    # Step 3 is the Kassubag Renval's own: the same person, now as themselves.
    (item,) = kesbangpol.parts.services.procedures.inbox(plt.member_id or 0)
    assert item.step_number == 3
    # Done now, the step cannot be moved from the old message either.
    (again,) = await admin.say("/pindah 1")
    assert again.button_list == [f"Langkah 3 · {plt.name}"]
    assert await forged(admin, again, old_button) == t("answer.already_done", person=plt.name)


async def serving_elsewhere(demo: World) -> tuple[Official, Official]:
    """Two more posts serving the Sekretaris' role for all the agency's SOPs (the SOP maps the
    role to the Sekretaris itself, so routing never sends work there): a Kasubbag Umum whose
    holder joins by invitation, and a vacant Kasubbag Keuangan with the Kassubag Renval as its
    Plt. The colleague, and the Plt."""
    services = demo.parts.services
    organization = OrganizationService(services.procedures)
    agency = demo.agency_id
    umum = await asyncio.to_thread(
        organization.add_position, agency_id=agency, key="umum", name="Kasubbag Umum"
    )
    keuangan = await asyncio.to_thread(
        organization.add_position, agency_id=agency, key="keuangan", name="Kasubbag Keuangan"
    )
    for position in (umum, keuangan):
        await asyncio.to_thread(
            organization.map_role,
            agency_id=agency,
            role_key="sekretaris",
            position_id=position,
            sop_id=ANY_SOP,
        )
    token, _ = await asyncio.to_thread(
        services.onboarding.invite, agency_id=agency, position_id=umum
    )
    colleague = Official(demo.emulator.add_user("Rina", "Kusuma"), "Kasubbag Umum")
    await colleague.say(f"/start {token}")
    member = await asyncio.to_thread(services.onboarding.member_for, colleague.user.id)
    assert member is not None
    colleague.member_id = member.id
    plt = demo.officials["kassubag_renval"]
    await asyncio.to_thread(
        organization.appoint_acting,
        None,
        member_id=plt.member_id or 0,
        position_id=keuangan,
        kind=ActingKind.PLT,
        for_member_id=None,
    )
    await settled(demo)
    return colleague, plt


@pytest.mark.parametrize(
    "kind",
    [
        "proc_cancel_reason",  # /batal waits for a reason
        "plt_flow",  # /plt waits for a date
        "operator_agency",  # /instansi waits for a name
    ],
)
async def test_a_reply_to_a_task_is_its_note_while_an_admin_question_waits(
    kesbangpol: World, kind: str
) -> None:
    """Every admin question gives way to a text that replies to a task: it is that task's
    note, and the question stays open."""
    demo = kesbangpol
    siti = demo.officials["sekretaris"]
    await start_procedure(demo)
    pending = demo.parts.services.pending
    assert siti.member_id is not None
    await asyncio.to_thread(pending.ask, siti.member_id, kind, {"flow": "x"})
    (answer,) = await siti.say("Data sudah lengkap", reply_to=siti.disposition())
    assert (answer.text or "").startswith("📝 Catatan disimpan untuk langkah 2.")
    still = await asyncio.to_thread(pending.peek, siti.member_id)
    assert still is not None
    assert still.kind == kind
