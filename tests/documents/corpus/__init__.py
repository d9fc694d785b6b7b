"""The importer's test corpus: SOP documents in the layouts Indonesian agencies use (Word files
from the Permenpan RB 35/2012 template and its local variants, digitally made and scanned PDFs,
text as `pdftotext -layout` and the seeds' extraction give it), each with its truth file.

    from tests.documents.corpus import generate
    documents = generate(folder)        # writes every document into `folder`

    python -m tests.documents.corpus OUT_FOLDER   # the documents, to look at
    python -m tests.documents.corpus --truth      # rewrite the truth files from the specs

The specs are Python data (`sops_*.py`: what each SOP says; `documents.py`: how each document
lays it out); the truth (`truth/*.yaml`) is derived from them and kept for people to read. The
corpus is written independently of the importer: nothing here reads sopbot.documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.documents.corpus.documents import DOCUMENTS
from tests.documents.corpus.docx_builder import build_docx
from tests.documents.corpus.model import CorpusDocument, DocxLayout, PdfLayout
from tests.documents.corpus.pdf_builder import build_pdf
from tests.documents.corpus.text_builder import build_text
from tests.documents.corpus.truth import TRUTH_FOLDER, truth_of, truth_text

__all__ = ["DOCUMENTS", "TRUTH_FOLDER", "Generated", "generate", "truth_of", "truth_text"]


@dataclass(frozen=True)
class Generated:
    """A document written to disk, with its spec."""

    document: CorpusDocument
    path: Path


def build(document: CorpusDocument, path: Path) -> None:
    """Write one document to `path`."""
    if isinstance(document.layout, DocxLayout):
        build_docx(document, path)
    elif isinstance(document.layout, PdfLayout):
        build_pdf(document, path)
    else:
        build_text(document, path)


def generate(folder: Path, documents: tuple[CorpusDocument, ...] = DOCUMENTS) -> list[Generated]:
    """Write `documents` (default: the whole corpus) into `folder` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for document in documents:
        path = folder / document.filename
        build(document, path)
        written.append(Generated(document, path))
    return written
