"""The corpus: each document, the SOP it shows and its layout, spread over the layouts that
agencies publish (see model.LAYOUT_KINDS). Several SOPs appear twice, as agencies publish the
same SOP as a Word file and as its PDF (or the text extracted from it)."""

from __future__ import annotations

from dataclasses import replace

from tests.documents.corpus import sops_kepegawaian as pegawai
from tests.documents.corpus import sops_pelayanan as layanan
from tests.documents.corpus import sops_perencanaan as rencana
from tests.documents.corpus import sops_persuratan as surat
from tests.documents.corpus.model import CorpusDocument, DocxLayout, PdfLayout, TextLayout


def short_labels(layout: DocxLayout) -> DocxLayout:
    """The layout with the short header labels some agencies use."""
    return replace(
        layout,
        nomor_label="No. SOP",
        pembuatan_label="Tgl Pembuatan",
        revisi_label="Tgl Revisi",
        efektif_label="Tgl Efektif",
        nama_label="Judul SOP",
    )


WORD: tuple[CorpusDocument, ...] = (
    CorpusDocument(
        "surat-masuk-kecamatan.docx",
        surat.SURAT_MASUK_KECAMATAN,
        DocxLayout("drawingml", note_style="none"),
        "DrawingML flowchart shapes; the decision's targets are not written (usual reading)",
    ),
    CorpusDocument(
        "surat-keluar-dinas.docx",
        surat.SURAT_KELUAR_DINAS,
        short_labels(DocxLayout("vml", blocks_in_identity_table=False)),
        "VML shapes; one shape over two merged role cells (paraf berjenjang); a 'tidak' back "
        "three steps written in Keterangan; short labels, blocks in a table of their own",
    ),
    CorpusDocument(
        "cuti-pegawai.docx",
        pegawai.CUTI_PEGAWAI,
        DocxLayout(
            "picture",
            note_style="no",
            kegiatan_label="Uraian Kegiatan",
            kelengkapan_label="Persyaratan/Kelengkapan",
            output_label="Keluaran",
            efektif_label="Tanggal Pengesahan",
        ),
        "symbols pasted as pictures (and the emblem is a picture too); 'Tidak: kembali ke "
        "no. 1'; '1 (satu) hari'",
    ),
    CorpusDocument(
        "pelayanan-ktp-el.docx",
        layanan.PELAYANAN_KTP,
        DocxLayout("mark", mark="√", note_style="langkah"),
        "√ marks instead of symbols; Pemohon as an outside party; '± 10 menit', '15 mnt'",
    ),
    CorpusDocument(
        "izin-usaha-mikro.docx",
        layanan.IZIN_USAHA_MIKRO,
        DocxLayout("drawingml_fallback", split_after=6, yes_no_words=True),
        "shapes in mc:AlternateContent with a VML fallback (one symbol, two drawings); a 'ya' "
        "that skips two rows; 'Ya'/'Tidak' words in role cells; table split with the header "
        "repeated",
    ),
    CorpusDocument(
        "perjalanan-dinas.docx",
        pegawai.PERJALANAN_DINAS,
        DocxLayout(
            "vml",
            split_after=7,
            repeat_header=False,
            offpage_row=True,
            kegiatan_label="Uraian Prosedur",
            output_label="Hasil",
        ),
        "sub-numbered steps 5.1, 5.2 and a 'tidak' back to 5.1; the table goes on in a second "
        "table without its header; unnumbered off-page connector rows; a joint approval",
    ),
    CorpusDocument(
        "penyusunan-renja.docx",
        rencana.PENYUSUNAN_RENJA,
        DocxLayout(
            "drawingml",
            header_row_flag=True,
            numbered_header_row=True,
            connectors=True,
            note_style="none",
            efektif_label="Tanggal Efektif",
        ),
        "6 roles; a meeting drawn over three merged role cells; a column-number row '1 2 3 "
        "...' under the header; arrow connectors, some anchored in cells of other roles",
    ),
    CorpusDocument(
        "penyusunan-lkjip.docx",
        rencana.PENYUSUNAN_LKJIP,
        DocxLayout(
            "picture",
            note_style="none",
            kegiatan_label="Uraian Prosedur",
            mutu_label="Mutu Buku",
            split_after=7,
            nomor_label="No. SOP",
        ),
        "pictures; three decisions with nothing written (usual reading); 'Mutu Buku' as "
        "printed; split table, header repeated; nomor '-'",
    ),
    CorpusDocument(
        "rapat-koordinasi.docx",
        surat.RAPAT_KOORDINASI,
        DocxLayout("mark", mark="V", note_style="no", landscape=False, keterangan=True),
        "'V' marks, a meeting marked in three role cells; portrait page; no unit line",
    ),
    CorpusDocument(
        "arsip-inaktif.docx",
        surat.ARSIP_INAKTIF,
        DocxLayout("vml", note_style="needed", terminators=False, nama_label="Judul SOP"),
        "VML; a joint signing by two roles that are not neighbours (a shape in each); "
        "'1-2 Hari' (unreadable); outside party first",
    ),
    CorpusDocument(
        "layanan-informasi-publik.docx",
        surat.LAYANAN_INFORMASI_PUBLIK,
        DocxLayout("mark", mark="✓", note_style="no", blocks_in_identity_table=False),
        "'✓' marks; decisions written 'Tidak: kembali ke no. 1'; '3 hari kerja'",
    ),
    CorpusDocument(
        "kenaikan-pangkat.docx",
        pegawai.KENAIKAN_PANGKAT,
        DocxLayout(
            "drawingml",
            note_style="none",
            connectors=True,
            yes_no_words=True,
            keterangan=False,
        ),
        "no Keterangan column; connector lines in cells of other roles; 'Ya'/'Tidak' words; "
        "an outside party (BKPSDM); '1 bulan'",
    ),
    CorpusDocument(
        "penyusunan-rka.docx",
        rencana.PENYUSUNAN_RKA,
        short_labels(
            DocxLayout(
                "drawingml_fallback",
                note_style="plain",
                split_after=8,
                repeat_header=False,
                offpage_row=True,
            )
        ),
        "7 roles; sub-steps 4.1, 4.2; 'tidak' back past them to 4; a 'ya' that skips a row; "
        "sopbot's own note form; split without a repeated header",
    ),
)

PDF: tuple[CorpusDocument, ...] = (
    CorpusDocument(
        "pelayanan-kk.pdf",
        layanan.PELAYANAN_KK,
        PdfLayout("vector", header_page=True, rows_per_page=6),
        "vector flowchart; header alone on page 1, the table on pages 2-3 with off-page "
        "connectors; targets only drawn",
    ),
    CorpusDocument(
        "pengaduan-masyarakat.pdf",
        layanan.PENGADUAN_MASYARAKAT,
        PdfLayout("vector", first_page_rows=4, rows_per_page=8),
        "vector; two outside parties; '14 hari kalender', '10 hari kerja'",
    ),
    CorpusDocument(
        "pengadaan-langsung.pdf",
        pegawai.PENGADAAN_LANGSUNG,
        PdfLayout("vector", header_page=True, rows_per_page=7, page="f4"),
        "F4 paper; 'tidak' lines going back two steps, drawn only; joint step of an official "
        "and the outside Penyedia",
    ),
    CorpusDocument(
        "legalisir-ijazah.pdf",
        layanan.LEGALISIR_IJAZAH,
        PdfLayout("vector", first_page_rows=3, rows_per_page=8, note_style="langkah"),
        "a short SOP; targets drawn and written",
    ),
    CorpusDocument(
        "rekomendasi-penelitian.pdf",
        layanan.REKOMENDASI_PENELITIAN,
        PdfLayout(
            "vector",
            first_page_rows=3,
            rows_per_page=8,
            nama_label="Judul SOP",
            efektif_label="Tgl. Efektif",
        ),
        "a 'tidak' that skips forward (no coordination needed), drawn only",
    ),
    CorpusDocument(
        "verifikasi-spj.pdf",
        pegawai.VERIFIKASI_SPJ,
        PdfLayout("mark", mark="√", note_style="langkah", first_page_rows=4, rows_per_page=8),
        "text-only PDF: √ marks, no shapes; decisions written only; '1-2 Hari'",
    ),
    CorpusDocument(
        "monev-sop.pdf",
        rencana.MONEV_SOP,
        PdfLayout("vector", header_page=True, rows_per_page=9, page="f4"),
        "25 steps over 3 pages, 8 roles; joint steps over two and three roles",
    ),
    CorpusDocument(
        "surat-masuk-scan.pdf",
        surat.SURAT_MASUK_KECAMATAN,
        PdfLayout("scanned"),
        "a scanned page (an image only): must be refused",
    ),
)

TEXT: tuple[CorpusDocument, ...] = (
    CorpusDocument(
        "penyusunan-renja.txt",
        rencana.PENYUSUNAN_RENJA,
        TextLayout("layout", note_style="langkah"),
        "pdftotext -layout of a vector PDF: the shapes are gone (executors unknown: flag them); "
        "wrapped cells; form feeds",
    ),
    CorpusDocument(
        "verifikasi-spj.txt",
        pegawai.VERIFIKASI_SPJ,
        TextLayout("layout", mark="√", note_style="langkah"),
        "pdftotext -layout of the text-only PDF: √ marks at the row's middle line",
    ),
    CorpusDocument(
        "rapat-koordinasi.txt",
        surat.RAPAT_KOORDINASI,
        TextLayout("layout", mark="V", note_style="plain"),
        "pdftotext -layout with 'V' marks; a meeting marked in three columns",
    ),
    CorpusDocument(
        "penyusunan-lkjip-seed.txt",
        rencana.PENYUSUNAN_LKJIP,
        TextLayout("seed", note_style="langkah"),
        "the seeds' extraction style: tab-separated, numbers '1.', flowchart words left over; "
        "executors unknown",
    ),
)

DOCUMENTS: tuple[CorpusDocument, ...] = WORD + PDF + TEXT
