"""What the SOP import's end-to-end tests share: the agency's Word file, and how an admin sends
it, reads the review and presses its buttons (tests/e2e/test_sop_import*.py)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from sopbot.demo.officials import Official
from sopbot.demo.scenario import (
    World,
)
from sopbot.emulator import CallbackAnswer, SeenMessage
from sopbot.messaging.catalog import Language, default_catalog
from tests.documents.docx_samples import Row, Sample, build
from tests.helpers.definitions import definition_text

T = default_catalog().text
SOP = "dinas-contoh/surat"
ROLES = ["Kepala Dinas", "Sekretaris"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ROWS = [
    Row("1", "Memberi disposisi surat masuk", [0], symbol="flowChartTerminator"),
    Row("2", "Mengagendakan surat", [], time="1-2 Hari"),  # no symbol: a guess to decide
    Row("3", "Menindaklanjuti surat", [1], output="Surat balasan"),
]
NEW_SOP = "dinas-contoh/pengelolaan-surat-masuk"
CANCEL = T(Language.ID, "button.cancel_import")
PASANG = T(Language.ID, "button.install")
YAML_SOP = definition_text(
    steps="  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Memeriksa konsep\n    pelaksana: sekretaris\n"
    '    waktu: {tertulis: segera, baku: "??"}\n    jenis_output: catatan\n'
    '    keputusan:\n      ya: 3\n      tidak: "??"\n'
    "  - no: 3\n    kegiatan: Menandatangani\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: tidak_ada\n"
).replace("  nama: Contoh\n", "  nama: Contoh\n  revisi: 2\n", 1)


def word_file(rows: list[Row] = ROWS) -> bytes:
    """The agency's SOP as Word writes it."""
    return build(Sample(ROLES, rows))


def review_of(admin: Official) -> SeenMessage:
    """The newest bot message that still shows the review's Batal."""
    for message in reversed(admin.user.bot_messages()):
        if CANCEL in message.button_list:
            return message
    raise LookupError("no review on the screen")


async def until(admin: Official, check: Callable[[], bool], what: str) -> None:
    """Wait for the chat to show something (never a fixed sleep)."""
    await admin.user.wait_until(check, 30.0, what)


async def tap(admin: Official, text: str) -> CallbackAnswer:
    """Press a button of the review as it is on the screen now."""
    return await admin.press_text(review_of(admin), text)


async def send_sop(admin: Official, content: bytes, name: str, caption: str | None = None) -> None:
    """Send a document, and wait for the bot to answer it with a review or a refusal."""
    seen = len(admin.user.bot_messages())
    admin.user.send_document(content, name, DOCX, caption=caption)
    await until(admin, lambda: len(admin.user.bot_messages()) > seen, "the answer")
    await until(
        admin,
        lambda: any(
            CANCEL in m.button_list or "tidak dapat diimpor" in (m.text or "")
            for m in admin.user.bot_messages()[seen:]
        ),
        "the review",
    )


async def to_preview(admin: Official) -> None:
    """Wait for the preview's pictures, the last one with Pasang."""
    await until(
        admin,
        lambda: any(m.photo and PASANG in m.button_list for m in admin.user.bot_messages()),
        "the preview",
    )


def preview_of(admin: Official) -> SeenMessage:
    return next(m for m in reversed(admin.user.bot_messages()) if m.photo)


async def review_word_file(demo: World) -> None:
    """The review of ROWS, every question answered, up to the preview."""
    admin = demo.admin
    first = review_of(admin)
    assert "Langkah 1 dari 3" in (first.text or "")
    assert "Pelaksana terbaca: Kepala Dinas" in (first.text or "")
    await tap(admin, "✅ Benar")
    second = review_of(admin)
    assert second.message_id == first.message_id  # one message, edited in place
    assert "Langkah 2 dari 3" in (second.text or "")
    assert "belum dapat dipastikan (dugaan: Kepala Dinas)" in (second.text or "")
    assert "✅ Benar" not in second.button_list  # an undecided executor has nothing to confirm
    await tap(admin, "Sekretaris")
    third = review_of(admin)
    assert "Langkah 3 dari 3" in (third.text or "")
    await tap(admin, "✅ Benar")
    time = review_of(admin)
    assert "1-2 Hari" in (time.text or "")
    assert {"1 Hari", "2 Hari"} <= set(time.button_list)
    await tap(admin, "2 Hari")
    for role in ROLES:
        question = review_of(admin)
        assert f": {role}</b>" in (question.text or "") or f": {role}" in (question.text or "")
        await tap(admin, role)  # the agency's position of the same name
        assert f"☑️ {role}" in review_of(admin).button_list
        await tap(admin, "▶️ Lanjut")
    await to_preview(admin)


def rows_of(demo: World, model: type) -> list:  # type: ignore[type-arg]
    with demo.parts.database.transaction() as session:
        return list(session.exec(select(model)).all())
