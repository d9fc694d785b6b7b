"""The corpus: each document, the SOP it shows and its layout."""

from __future__ import annotations

from tests.documents.corpus import sops_persuratan as surat
from tests.documents.corpus.model import CorpusDocument, DocxLayout

DOCUMENTS: tuple[CorpusDocument, ...] = (
    CorpusDocument(
        "surat-masuk-kecamatan.docx",
        surat.SURAT_MASUK_KECAMATAN,
        DocxLayout("drawingml", note_style="none"),
        "DrawingML flowchart shapes; the decision's targets are not written",
    ),
)
