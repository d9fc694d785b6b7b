"""`sopbot demo` plays an SOP that uses every step construct: an outside party recorded by the
agency, a hand-over in turn, a labelled question with an answer that sends the work back,
printed sub-step numbers, an any-one step with a rework time, and an initialling chain whose
last role decides. What officials read is asserted on the chats the demo prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.demo.officials import settle
from sopbot.demo.scenario import act, start_procedure, world
from sopbot.engine.library import load_library
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from tests.e2e.test_refusals import counts

T = default_catalog().text

DEFS = Path(__file__).parent / "defs"
SOP = "dinas-surat-samarinda/surat-masuk"


def _demo(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["demo", "--dir", str(DEFS), "--sop", SOP, *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_the_demo_plays_every_construct_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    out = _demo(capsys, "--tolak", "3:1", "--tolak", "5.2:1")
    narrative = out.split("══")[0]
    # The hand-over: the Pengadministrasi Umum first, then the Sekretaris, who uploads.
    assert (
        "👥 Dikerjakan berurutan: Pengadministrasi Umum → Sekretaris. Anda yang ke-1 dari 2." in out
    )
    assert "Output: lembar agenda, diserahkan oleh Sekretaris." in out
    assert "Anda yang ke-2 dari 2." in out
    # The labelled question: its own buttons; the answer that sends work back asks a reason.
    assert "❓ Surat penting?" in out
    assert "» Siti pressed [ ↩️ Berkas kurang ]" in out
    assert "Jawaban Anda: Berkas kurang." in out
    assert "☑️ Siti Rahmawati (Sekretaris), langkah 3: Penting" in narrative
    assert "✅ Jawaban: Penting" in out
    # Printed numbers: the table's row count with the SOP's own number beside it.
    assert "Langkah 5 dari 6 (No. 5.1 pada SOP): Menyiapkan konsep balasan" in out
    # Any one of two roles: the other is released; the rework round has its own standard.
    assert "👥 Dapat dikerjakan oleh salah satu dari Kepala Seksi, Kepala Bidang" in out
    assert "☑️ Sudah diambil oleh Agus Prasetyo" in out
    assert "Waktu baku: 2 jam" in out  # waktu_ulang, round 2 of 5.1
    # The chain: Kasi and Kabid initial, the Kepala Dinas answers the approval.
    assert "Anda yang ke-3 dari 3." in out
    assert "❓ Konsep sudah benar?" in out
    assert (
        "❌ Rudi Hartono (Kepala Dinas), langkah 5.2: tidak sesuai: Masih terdapat selisih"
        in narrative
    )
    assert narrative.count("✅ Dewi Lestari (Kepala Bidang) menyelesaikan langkah 5.2.") == 2
    assert "✅ Rudi Hartono (Kepala Dinas), langkah 5.2: sesuai" in narrative
    assert "🏁 Prosedur Pengolahan Data Kinerja Triwulan III 2026 (No. 1) telah selesai." in out
    # The outside party holds no post: nobody is enrolled as the Instansi Pengirim.
    assert "sebagai Instansi Pengirim" not in out
    # /status names each step by its printed number.
    assert "5.1. Menyiapkan konsep balasan (putaran 2)" in out


def test_without_refusals_the_first_onward_answer_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _demo(capsys)
    assert "Penting" in out
    assert "Berkas kurang ·" not in out
    assert "🔁 Putaran ke-2" not in out
    assert "telah selesai" in out


def test_tolak_names_a_step_by_its_printed_number(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["demo", "--dir", str(DEFS), "--sop", SOP, "--tolak", "5.1:1"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == (
        f"--tolak 5.1:1: step 5.1 of {SOP} is not a decision step; only a decision (ya/tidak) "
        "can be answered 'tidak' (its decision steps: 3, 5.2)"
    )


def test_the_json_says_what_each_construct_says(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "show", "--dir", str(DEFS), "--json", SOP]) == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    outside, handover, question, disposition, draft, chain = steps
    assert outside["recorded_by"] == ["Pengadministrasi Umum"]
    assert outside["roles"] == ["Instansi Pengirim"]
    assert (handover["roles"], handover["together"], handover["output_by"]) == (
        ["Pengadministrasi Umum", "Sekretaris"],
        "berurutan",
        "Sekretaris",
    )
    assert handover["time_text"] == "1 (satu) jam"
    assert handover["minutes"] == 60
    assert question["decision"]["labelled"] is True
    assert [(b["answer"], b["to"], b["sends_back"]) for b in question["decision"]["branches"]] == [
        ("Penting", {"id": 4, "no": "4"}, False),
        ("Biasa", {"id": draft["id"], "no": "5.1"}, False),
        ("Berkas kurang", {"id": 2, "no": "2"}, True),
    ]
    assert disposition["next"] == {"id": draft["id"], "no": "5.1"}
    assert (draft["no"], draft["position"], draft["together"]) == ("5.1", 5, "salah_satu")
    assert draft["rework"]["time_text"] == "2 jam"
    assert (chain["no"], chain["together"], chain["output_by"]) == (
        "5.2",
        "berurutan",
        "Kepala Dinas",
    )
    assert chain["decision"]["branches"][1]["to"] == {"id": draft["id"], "no": "5.1"}


async def test_forged_and_misplaced_answers_change_nothing(tmp_path: Path) -> None:
    async with world(load_library(DEFS), SOP, documents_dir=tmp_path / "docs") as demo:
        await start_procedure(demo)
        procedures = demo.parts.services.procedures
        # Step 2 is done in turn: the Pengadministrasi Umum, then the Sekretaris.
        for role in ("tata_usaha", "sekretaris"):
            official = demo.officials[role]
            assert official.member_id is not None
            (item,) = procedures.inbox(official.member_id)
            await act(demo, official, item.step_number, item.round, {})
        sekretaris = demo.officials["sekretaris"]
        assert sekretaris.member_id is not None
        (item,) = procedures.inbox(sekretaris.member_id)
        assert demo.definition.step(item.step_number).label == "3"  # the labelled question
        message = sekretaris.disposition()
        before = counts(demo)
        d = item.disposition_id
        refusals = [
            (callback(Action.ANSWER, d, "9"), "answer.not_a_decision"),  # no such answer
            (f"j:{d.hex}", "answer.invalid_button"),  # no answer at all
            (callback(Action.YES, d), "answer.not_a_decision"),  # "Sesuai" is no answer here
            (callback(Action.COMPLETE, d), "answer.not_a_decision"),  # a question, not Selesai
            # An answer that goes on, pressed as one that sends back, and the other way round.
            (callback(Action.ANSWER_BACK, d, "1"), "answer.not_a_decision"),
            (callback(Action.ANSWER, d, "3"), "answer.reason_required"),
        ]
        for data, key in refusals:
            query = sekretaris.user.press_raw(message.message_id, data)
            answer = await sekretaris.user.wait_for_answer(query)
            assert answer.text == T(Language.ID, key), data
        # Another official presses a real answer of the Sekretaris's question.
        other = demo.officials["kepala_dinas"]
        own_message = other.user.bot_messages()[-1].message_id  # a message in their own chat
        query = other.user.press_raw(own_message, callback(Action.ANSWER, d, "1"))
        assert (await other.user.wait_for_answer(query)).text == T(Language.ID, "answer.not_yours")
        await settle(demo.emulator, demo.parts)
        assert counts(demo) == before
        assert [i.disposition_id for i in procedures.inbox(sekretaris.member_id)] == [d]
