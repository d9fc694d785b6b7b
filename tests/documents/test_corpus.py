"""The importer's corpus itself: its documents open as what they claim to be and show what
their truth says, the truth files agree with the specs, generation is deterministic, and the
corpus covers the layouts and the hard cases issue 19 names."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import docx
import pdfplumber
import pytest

from tests.documents.corpus import (
    DOCUMENTS,
    TRUTH_FOLDER,
    Generated,
    generate,
    truth_of,
    truth_text,
)
from tests.documents.corpus.model import LAYOUT_KINDS, DocxLayout, PdfLayout, TextLayout
from tests.documents.corpus.truth import readable


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_corpus_is_large_and_spread_over_every_layout() -> None:
    kinds = Counter(document.kind for document in DOCUMENTS)
    assert len(DOCUMENTS) >= 24
    assert set(kinds) == set(LAYOUT_KINDS)
    assert len({document.filename for document in DOCUMENTS}) == len(DOCUMENTS)
    sops = {id(document.sop) for document in DOCUMENTS}
    assert len(sops) >= 20
    steps = [step for document in DOCUMENTS for step in document.sop.steps]
    assert len(steps) >= 250


def test_the_corpus_holds_the_hard_cases() -> None:
    steps = [(d, s) for d in DOCUMENTS for s in d.sop.steps]
    assert any(not readable(s.waktu) for _, s in steps)  # "1-2 Hari"
    assert any(len(s.by) == 2 for _, s in steps)
    assert any(len(s.by) == 3 for _, s in steps)
    assert any("." in s.no for _, s in steps)  # 5.1, 5.2
    assert any(r.luar for d in DOCUMENTS for r in d.sop.roles)
    assert all(3 <= len(d.sop.roles) <= 8 and 5 <= len(d.sop.steps) <= 25 for d in DOCUMENTS)
    truths = [truth_of(d) for d in DOCUMENTS]
    assert sum(t["refused"] for t in truths) >= 1
    assert any(s["pelaksana"] is None for t in truths for s in t["steps"])
    decisions = [s for t in truths for s in t["steps"] if "keputusan" in s]
    assert len(decisions) >= 30
    # Decisions whose targets the document does not write: the truth says why.
    assert any("usual reading" in s.get("catatan", "") for s in decisions)
    assert any("drawn" in s.get("catatan", "") for s in decisions)
    times = {s["waktu"] for t in truths for s in t["steps"]}
    assert {
        "5 Menit",
        "1 Hari",
        "15 mnt",
        "2 jam",
        "1 (satu) hari",
        "± 10 menit",
        "3 hari kerja",
        "1-2 Hari",
    } <= times


def test_the_truth_files_are_those_of_the_specs() -> None:
    kept = {path.name for path in TRUTH_FOLDER.glob("*.yaml")}
    assert kept == {d.truth_name for d in DOCUMENTS}
    for document in DOCUMENTS:
        path = TRUTH_FOLDER / document.truth_name
        assert path.read_text(encoding="utf-8") == truth_text(document), (
            f"{path.name} is stale: run python -m tests.documents.corpus --truth"
        )


def test_generation_gives_the_same_bytes_each_time(tmp_path: Path, corpus: list[Generated]) -> None:
    again = generate(tmp_path / "again")
    for first, second in zip(corpus, again, strict=True):
        assert first.path.read_bytes() == second.path.read_bytes(), first.path.name


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return _words(" ".join(cells))


@pytest.mark.parametrize("name", [d.filename for d in DOCUMENTS])
def test_each_document_shows_its_steps(name: str, corpus: list[Generated]) -> None:
    item = next(g for g in corpus if g.document.filename == name)
    document, layout = item.document, item.document.layout
    if isinstance(layout, PdfLayout) and layout.symbols == "scanned":
        with pdfplumber.open(item.path) as pdf:
            assert all(not page.chars for page in pdf.pages)
            assert all(page.images for page in pdf.pages)
        return
    if isinstance(layout, DocxLayout):
        text = _docx_text(item.path)
    elif isinstance(layout, PdfLayout):
        with pdfplumber.open(item.path) as pdf:
            text = _words(" ".join(page.extract_text() or "" for page in pdf.pages))
            if layout.symbols == "vector":
                assert sum(len(page.rects) + len(page.curves) for page in pdf.pages) > 0
    else:
        text = _words(item.path.read_text(encoding="utf-8"))
    for role in document.sop.roles:
        assert role.nama.split()[0] in text
    for step in document.sop.steps:
        # A PDF cell wraps a long time ("14 hari / kalender") between other cells' words.
        shown = step.waktu.split() if isinstance(layout, PdfLayout) else [step.waktu]
        assert all(part in text for part in shown), (name, step.no)
        # Wrapped cells break long activities over lines: their first words stay together.
        head = " ".join(step.kegiatan.split()[:2])
        assert head in text, (name, step.no)


def test_word_documents_draw_their_symbols_as_their_layout_says(
    corpus: list[Generated],
) -> None:
    markers = {
        "drawingml": "wps:wsp",
        "drawingml_fallback": "mc:AlternateContent",
        "vml": "v:rect",
        "picture": "pic:pic",
    }
    for item in corpus:
        layout = item.document.layout
        if not isinstance(layout, DocxLayout):
            continue
        with zipfile.ZipFile(item.path) as archive:
            body = archive.read("word/document.xml").decode("utf-8")
        if layout.symbols == "mark":
            assert "wps:wsp" not in body
            assert "v:rect" not in body
            assert body.count(f">{layout.mark}<") >= len(item.document.sop.steps)
        else:
            assert markers[layout.symbols] in body, item.path.name


def test_text_files_are_plain_text_in_their_style(corpus: list[Generated]) -> None:
    for item in corpus:
        layout = item.document.layout
        if not isinstance(layout, TextLayout):
            continue
        text = item.path.read_text(encoding="utf-8")
        if layout.style == "layout":
            assert "\f" in text
            assert "\t" not in text
        else:
            assert "\t" in text
            assert "<b>" in text
