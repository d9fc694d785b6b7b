"""The notices rendered from facts built by hand: who hears what, with no database at all."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid

import pytest

from sopbot.engine.definition import SopDefinition
from sopbot.engine.instance import Disposition, DispositionState
from sopbot.engine.loader import parse_definition
from sopbot.engine.procedure import Procedure
from sopbot.messaging.keyboards import Action, callback
from sopbot.messaging.notices import HandedOnDocument, NoticeFacts, Notifier, Person
from sopbot.messaging.outgoing import MessageKind, OutboxMessage
from tests.helpers.definitions import definition_text
from tests.helpers.org import Org

ROLES = (
    "  - id: kepala_dinas\n    nama: Kepala Dinas\n"
    "  - id: sekretaris\n    nama: Sekretaris\n"
    "  - id: kepala_bidang\n    nama: Kepala Bidang\n    pemegang: semua\n"
)
STEPS = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menyusun laporan\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n    output: Laporan\n"
    "  - no: 3\n    kegiatan: Memeriksa laporan\n    pelaksana: kepala_bidang\n"
    "    waktu: 1 Hari\n    jenis_output: catatan\n"
)
DEFINITION = parse_definition(
    definition_text(roles=ROLES, steps=STEPS),
    source="contoh.yaml",
    sop_id="dinas-contoh/laporan",
    agency_key="dinas-contoh",
).definition
KADIS, SEKRETARIS, KABID_1, KABID_2 = 1, 2, 11, 12
PEOPLE = {
    KADIS: Person(KADIS, "Budi", None),
    SEKRETARIS: Person(SEKRETARIS, "Sari & <Rekan>", None),
    KABID_1: Person(KABID_1, "Ani", "en"),
    KABID_2: Person(KABID_2, "Dodi", None),
}
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)  # 08.00 in Jakarta
NOTIFIER = Notifier()


@pytest.fixture
def org() -> Org:
    org = Org()
    org.appoint(KADIS, org.position("kepala_dinas"))
    org.appoint(SEKRETARIS, org.position("sekretaris"))
    org.appoint(KABID_1, org.position("kepala_bidang"))
    org.appoint(KABID_2, org.position("kepala_bidang"))
    return org


def definition() -> SopDefinition:
    assert DEFINITION is not None
    return DEFINITION


def facts_of(procedure: Procedure, org: Org, **given: object) -> NoticeFacts:
    """The facts as the loader would read them: everyone, every position by its role's name."""
    names = {"kepala_dinas": "Kepala Dinas", "sekretaris": "Sekretaris", "kepala_bidang": "Kabid"}
    positions = {
        position: f"{names[role]} {index + 1}" if role == "kepala_bidang" else names[role]
        for role, ids in org.positions.items()
        for index, position in enumerate(ids)
    }
    values: dict[str, object] = {
        "procedure": procedure,
        "number": 7,
        "timezone": "Asia/Jakarta",
        "people": PEOPLE,
        "positions": positions,
    }
    values.update(given)
    return NoticeFacts(**values)  # type: ignore[arg-type]


def started(org: Org) -> Procedure:
    """Started by the Kepala Dinas, whose own first step is done at once."""
    procedure = Procedure.start(
        definition(),
        agency_id=1,
        title="Laporan <Triwulan> III",
        starter_id=KADIS,
        note=None,
        at=T0,
        routing=org.routing(T0),
    )
    first = procedure.first_disposition_of(KADIS)
    assert first is not None
    procedure.complete(first.id, KADIS, at=T0, routing=org.routing(T0), note="Segera & teliti")
    return procedure


def live_of(procedure: Procedure, member_id: int) -> Disposition:
    (disposition,) = list(procedure.instance.live_dispositions(member_id))
    return disposition


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def texts(messages: list[OutboxMessage]) -> list[tuple[int, MessageKind, str]]:
    return [(m.member_id, m.kind, str(m.payload.get("text", ""))) for m in messages]


def test_a_new_disposition_goes_to_its_holder_with_its_buttons(org: Org) -> None:
    procedure = started(org)
    messages = NOTIFIER.render(facts_of(procedure, org), procedure.transitions, T0)
    (own,) = procedure.instance.dispositions_of(procedure.instance.step_runs[0])
    sent = live_of(procedure, SEKRETARIS)
    assert [(m.member_id, m.kind, m.disposition_id) for m in messages] == [
        # The starter's own first step, done as it started, was never shown: the writer
        # finds no message to edit and drops this (tests/storage/test_outbox_writer.py).
        (KADIS, MessageKind.EDIT, own.id),
        (SEKRETARIS, MessageKind.MESSAGE, sent.id),
    ]
    message = messages[1]
    assert message.created_at == T0
    assert message.payload["text"].splitlines() == [
        "📨 <b>Disposisi</b> · Contoh",
        "<b>Laporan &lt;Triwulan&gt; III</b> (No. 7)",
        "",
        "<b>Langkah 2 dari 3:</b> Menyusun laporan",
        "Dari: Budi (Kepala Dinas)",
        "Catatan: <i>Segera &amp; teliti</i>",
        "",
        "<b>Kelengkapan:</b> -",
        "<b>Output:</b> Laporan (unggah dokumennya)",
        "<b>Waktu baku:</b> 1 Hari",
        "",
        "Balas pesan ini dengan dokumen output, lalu ketuk <b>Selesai</b>.",
    ]
    buttons = [button["data"] for row in message.payload["keyboard"] for button in row]
    assert callback(Action.COMPLETE, sent.id) in buttons


def test_a_finished_step_hands_its_documents_on_and_closes_its_message(org: Org) -> None:
    procedure = started(org)
    step_two = live_of(procedure, SEKRETARIS)
    document = uuid.uuid4()
    procedure.attach_document(step_two.id, SEKRETARIS, document, T0)
    procedure.transitions.clear()
    procedure.complete(step_two.id, SEKRETARIS, at=T0, routing=org.routing(T0))
    handed_on = HandedOnDocument(
        id=document,
        storage_key="ab/cdef",
        filename="laporan.pdf",
        telegram_file_id="AgAD-file",
        uploaded_by_id=SEKRETARIS,
        uploaded_by_name="Sari & <Rekan>",
    )
    messages = NOTIFIER.render(
        facts_of(procedure, org, documents=(handed_on,)), procedure.transitions, T0
    )
    kabid_1, kabid_2 = live_of(procedure, KABID_1), live_of(procedure, KABID_2)
    assert [(m.member_id, m.kind, m.disposition_id) for m in messages] == [
        (SEKRETARIS, MessageKind.EDIT, step_two.id),
        (KADIS, MessageKind.MESSAGE, None),
        (KABID_1, MessageKind.DOCUMENT, kabid_1.id),
        (KABID_1, MessageKind.MESSAGE, kabid_1.id),
        (KABID_2, MessageKind.DOCUMENT, kabid_2.id),
        (KABID_2, MessageKind.MESSAGE, kabid_2.id),
    ]
    closed, moved_on, english_file, english, _, _ = messages
    assert closed.payload["keyboard"] is None
    assert closed.payload["text"].endswith("\n✅ <b>Selesai</b> · Rabu, 1 Juli 2026 08.00 WIB")
    # A caption is sent as plain text: names as they are, in the holder's language.
    assert english_file.payload == {
        "document_id": str(document),
        "storage_key": "ab/cdef",
        "filename": "laporan.pdf",
        "caption": "📎 Step 2 · Sari & <Rekan> · laporan.pdf",
    }
    assert "<b>Step 3 of 3:</b> Memeriksa laporan" in english.payload["text"]
    assert "You receive this" not in english.payload["text"]
    assert moved_on.payload["text"].splitlines() == [
        "✅ Sari &amp; &lt;Rekan&gt; telah menyelesaikan langkah 2 (Menyusun laporan) pada "
        "<b>Laporan &lt;Triwulan&gt; III</b> (No. 7).",
        "Berikutnya: langkah 3, pada Ani, Dodi.",
    ]


def test_a_file_goes_to_each_person_once_and_never_back_to_its_uploader(org: Org) -> None:
    procedure = started(org)
    step_two = live_of(procedure, SEKRETARIS)
    document = uuid.uuid4()
    procedure.attach_document(step_two.id, SEKRETARIS, document, T0)
    procedure.transitions.clear()
    procedure.complete(step_two.id, SEKRETARIS, at=T0, routing=org.routing(T0))
    own = HandedOnDocument(document, "ab/cdef", "laporan.pdf", "AgAD-file", KABID_2, "Dodi")
    facts = facts_of(
        procedure,
        org,
        documents=(own,),
        # Ani was sent it before, in a row that names its Telegram file id.
        files_sent={KABID_1: frozenset({"AgAD-file"})},
    )
    messages = NOTIFIER.render(facts, procedure.transitions, T0)
    assert MessageKind.DOCUMENT not in {m.kind for m in messages}


def test_a_holder_of_two_positions_gets_a_file_once_in_one_change() -> None:
    org = Org()
    org.appoint(KADIS, org.position("kepala_dinas"))
    org.appoint(SEKRETARIS, org.position("sekretaris"))
    org.appoint(KABID_1, org.position("kepala_bidang"))
    org.appoint(KABID_1, org.position("kepala_bidang"))
    procedure = started(org)
    step_two = live_of(procedure, SEKRETARIS)
    document = uuid.uuid4()
    procedure.attach_document(step_two.id, SEKRETARIS, document, T0)
    procedure.transitions.clear()
    procedure.complete(step_two.id, SEKRETARIS, at=T0, routing=org.routing(T0))
    assert len(list(procedure.instance.live_dispositions(KABID_1))) == 2
    handed_on = HandedOnDocument(document, "ab/cdef", "laporan.pdf", None, SEKRETARIS, "Sari")
    messages = NOTIFIER.render(
        facts_of(procedure, org, documents=(handed_on,)), procedure.transitions, T0
    )
    to_kabid = [m.kind for m in messages if m.member_id == KABID_1]
    assert to_kabid == [MessageKind.DOCUMENT, MessageKind.MESSAGE, MessageKind.MESSAGE]


def test_the_last_step_tells_its_deliverers_and_the_starter_once_each(org: Org) -> None:
    procedure = started(org)
    step_two = live_of(procedure, SEKRETARIS)
    procedure.attach_document(step_two.id, SEKRETARIS, uuid.uuid4(), minutes(1))
    procedure.complete(step_two.id, SEKRETARIS, at=minutes(2), routing=org.routing(minutes(2)))
    kabid_1 = live_of(procedure, KABID_1)
    procedure.complete(kabid_1.id, KABID_1, at=minutes(3), routing=org.routing(minutes(3)))
    procedure.transitions.clear()
    last = live_of(procedure, KABID_2)
    procedure.complete(last.id, KABID_2, at=minutes(4), routing=org.routing(minutes(4)))
    messages = NOTIFIER.render(facts_of(procedure, org), procedure.transitions, minutes(4))
    finished = [(m.member_id, m.payload["text"]) for m in messages if m.disposition_id is None]
    # The Sekretaris sent the work into the last step: told in the moved-on notice.
    assert finished == [
        (
            SEKRETARIS,
            "✅ Ani, Dodi telah menyelesaikan langkah 3 (Memeriksa laporan) pada "
            "<b>Laporan &lt;Triwulan&gt; III</b> (No. 7).\n🏁 Prosedur selesai.",
        ),
        (KABID_1, "🏁 The procedure <b>Laporan &lt;Triwulan&gt; III</b> (No. 7) is complete."),
        (KABID_2, "🏁 Prosedur <b>Laporan &lt;Triwulan&gt; III</b> (No. 7) telah selesai."),
        (KADIS, "🏁 Prosedur <b>Laporan &lt;Triwulan&gt; III</b> (No. 7) telah selesai."),
    ]
    assert [(m.member_id, m.kind) for m in messages if m.disposition_id == last.id] == [
        (KABID_2, MessageKind.EDIT)
    ]


def test_a_resend_shows_the_disposition_as_new(org: Org) -> None:
    procedure = started(org)
    sent = live_of(procedure, SEKRETARIS)
    facts = facts_of(procedure, org)
    first = NOTIFIER.render(facts, procedure.transitions, T0)
    later = T0 + dt.timedelta(hours=1)
    again = NOTIFIER.render_resend(facts, sent, later)
    assert [(m.kind, m.payload, m.disposition_id) for m in again] == [
        (m.kind, m.payload, m.disposition_id) for m in first if m.disposition_id == sent.id
    ]
    assert again[0].created_at == later


def test_an_ended_disposition_is_never_resent(org: Org) -> None:
    procedure = started(org)
    (first,) = [d for d in procedure.instance.dispositions if d.assignee_id == KADIS]
    assert first.state is DispositionState.DONE
    assert NOTIFIER.render_resend(facts_of(procedure, org), first, T0) == []


def test_importing_the_renderer_loads_no_sql_library() -> None:
    code = (
        "import sys\nimport sopbot.messaging.notices, sopbot.messaging.outgoing\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
