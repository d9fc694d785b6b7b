"""An SOP whose document states no name, number, dates or signer runs in Telegram like any
other, and officials see it by the title the table gives it."""

from __future__ import annotations

from pathlib import Path

from sopbot.demo.scenario import play, start_procedure, world
from sopbot.engine.library import load_library
from tests.helpers.definitions import definition_text, write_definition

HEADERLESS = """\
sop:
  instansi: tidak_tercantum
  nomor: tidak_tercantum
  nama: tidak_tercantum
  judul_tabel: PROSEDUR PENERIMAAN SURAT MASUK
  tanggal_pembuatan: tidak_tercantum
  tanggal_efektif: tidak_tercantum
  disahkan_oleh: tidak_tercantum
"""
SOP_ID = "kesbangpol-pekalongan/surat-masuk"


async def test_an_sop_without_a_header_is_started_and_shown_by_its_table_title(
    tmp_path: Path,
) -> None:
    write_definition(tmp_path / "sop_defs", SOP_ID, definition_text(header=HEADERLESS))
    library = load_library(tmp_path / "sop_defs")
    async with world(library, SOP_ID, documents_dir=tmp_path / "docs") as demo:
        await start_procedure(demo)
        await play(demo, {})
        (status,) = demo.parts.services.views.status(demo.agency_id, 1)
        assert status.state == "finished"
        texts = [
            message.text or ""
            for official in demo.officials.values()
            for message in official.user.bot_messages()
        ]
    dispositions = [t for t in texts if t.startswith("📨")]
    assert dispositions
    assert all("PROSEDUR PENERIMAAN SURAT MASUK" in t for t in dispositions)
    assert not any("None" in t or "tidak_tercantum" in t for t in texts)
    # The document names no agency: the demo's agency goes by its folder's name.
    assert any("Anda terdaftar di kesbangpol-pekalongan" in t for t in texts)
