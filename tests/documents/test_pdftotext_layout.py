"""Text as `pdftotext -layout` prints real SOP tables (kept in tests/documents/pdftotext, made
from a rendered seed and two corpus PDFs): titles centred over their columns, role names
wrapped over lines, cells wrapped over several lines, flowchart words ("Mulai", "tidak", "ya")
left in the rows, the header printed again on each page with the columns shifted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sopbot.documents.importing import import_bytes
from sopbot.engine.library import load_library
from tests.documents.corpus import DOCUMENTS, truth_of

HERE = Path(__file__).resolve().parent / "pdftotext"
ROOT = Path(__file__).resolve().parents[2]


def _draft(name: str) -> dict:  # type: ignore[type-arg]
    result = import_bytes((HERE / name).read_bytes(), name)
    assert result.refusal is None
    loaded: dict = yaml.load(result.draft, Loader=yaml.BaseLoader)  # type: ignore[type-arg]  # noqa: S506
    return loaded


def _time(step: dict) -> str:  # type: ignore[type-arg]
    waktu = step["waktu"]
    return waktu if isinstance(waktu, str) else waktu["tertulis"]


def test_a_rendered_seed_reads_back_step_for_step() -> None:
    definition = load_library(ROOT / "sop_defs").get(
        "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
    )
    assert definition is not None
    draft = _draft("kesbangpol-rendered.txt")
    assert [r["nama"] for r in draft["pelaksana"]] == [r.name for r in definition.roles]
    steps = draft["langkah"]
    assert [(s["no"], s["kegiatan"]) for s in steps] == [
        (s.label, s.activity) for s in definition.steps
    ]
    assert steps[0]["pelaksana"] == "kepala_dinas"  # "Mulai" stands in its column
    decided = {s["no"]: s["keputusan"] for s in steps if "keputusan" in s}
    assert decided["5"]["tidak"] == "4"  # from the flow note in Keterangan
    assert decided["11"]["tidak"] == "9"
    pairs = zip(steps, definition.steps, strict=True)
    right = sum(_time(s) == d.standard_time.as_written for s, d in pairs)
    assert right >= len(steps) - 2  # a time pdftotext sets one space from its output


@pytest.mark.parametrize("name", ["pelayanan-kk", "legalisir-ijazah"])
def test_a_corpus_pdf_as_text_keeps_its_steps_and_times(name: str) -> None:
    truth = truth_of(next(d for d in DOCUMENTS if d.filename == f"{name}.pdf"))
    draft = _draft(f"{name}.txt")
    assert [r["nama"] for r in draft["pelaksana"]] == truth["roles"]
    steps = draft["langkah"]
    assert [(s["no"], s["kegiatan"]) for s in steps] == [
        (t["no"], t["kegiatan"]) for t in truth["steps"]
    ]
    assert [_time(s) for s in steps] == [t["waktu"] for t in truth["steps"]]
    assert steps[0]["pelaksana"] == "pemohon"  # "Mulai"
    assert "keputusan" in steps[1]  # "ya" and "tidak" left beside the row
