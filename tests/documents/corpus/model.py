"""What a corpus document is made of: the SOP as the agency wrote it (header, roles, steps) and
how the document lays it out. The builders draw a `CorpusDocument`; the truth is read from it.

Texts are kept exactly as an agency would write them (typos, capitals, "±"); a step names its
executors by the keys of its SOP's roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FINISH = "selesai"

NoteStyle = Literal["needed", "langkah", "no", "plain", "none"]
"""How a decision's targets are written in Keterangan:
- `needed`: only where the usual reading (ya: the next row; tidak: the nearest earlier step of
  another role) would be wrong;
- `langkah`: always, "Jika tidak sesuai, dikembalikan ke langkah 4";
- `no`: always, "Tidak: kembali ke no. 3";
- `plain`: always, in sopbot's own form ("Jika ya: lanjut ke langkah 6. Jika tidak: ...");
- `none`: never (only where the drawing or the usual reading says it)."""


@dataclass(frozen=True)
class Role:
    """A Pelaksana column: `nama` is the title as printed; `luar` marks an outside party."""

    key: str
    nama: str
    luar: bool = False


@dataclass(frozen=True)
class Step:
    """One row of the procedure table. `by` names the executing roles by key (several for a
    joint step); `ya`/`tidak` make it a decision (printed step numbers or FINISH)."""

    no: str
    kegiatan: str
    by: tuple[str, ...]
    waktu: str
    kelengkapan: str = "-"
    output: str = "-"
    keterangan: str = ""
    ya: str | None = None
    tidak: str | None = None

    @property
    def decision(self) -> bool:
        """True for a diamond."""
        return self.tidak is not None


@dataclass(frozen=True)
class Header:
    """The identity header (Identitas) and its two-column blocks."""

    pemerintah: str
    instansi: str
    unit: str
    nomor: str
    nama: str
    tanggal_pembuatan: str
    tanggal_revisi: str
    tanggal_efektif: str
    jabatan: str
    pejabat: str
    pangkat: str
    nip: str
    dasar_hukum: tuple[str, ...]
    kualifikasi: tuple[str, ...]
    keterkaitan: tuple[str, ...]
    peralatan: tuple[str, ...]
    peringatan: tuple[str, ...]
    pencatatan: tuple[str, ...]


@dataclass(frozen=True)
class Sop:
    """One SOP: its header, its Pelaksana columns in order, and its steps in table order."""

    header: Header
    roles: tuple[Role, ...]
    steps: tuple[Step, ...]

    def role(self, key: str) -> Role:
        """The role with this key."""
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    def step_by_no(self, no: str) -> Step:
        """The step printed with this number."""
        for step in self.steps:
            if step.no == no:
                return step
        raise KeyError(no)


@dataclass(frozen=True)
class DocxLayout:
    """How a Word document lays the SOP out."""

    symbols: Literal["drawingml", "drawingml_fallback", "vml", "picture", "mark"]
    mark: str = "√"
    nomor_label: str = "Nomor SOP"
    pembuatan_label: str = "Tanggal Pembuatan"
    revisi_label: str = "Tanggal Revisi"
    efektif_label: str = "Tanggal Efektif"
    nama_label: str = "Nama SOP"
    blocks_in_identity_table: bool = True
    kegiatan_label: str = "Kegiatan"
    kelengkapan_label: str = "Kelengkapan"
    output_label: str = "Output"
    mutu_label: str = "Mutu Baku"
    keterangan: bool = True
    split_after: int | None = None  # rows of the first table when the table is split
    repeat_header: bool = True  # the second table repeats the header rows
    header_row_flag: bool = False  # one table whose header rows Word repeats on each page
    note_style: NoteStyle = "needed"
    terminators: bool = True  # the first and last steps drawn as capsules
    yes_no_words: bool = False  # "Ya"/"Tidak" written in the role cells around a diamond
    connectors: bool = False  # connector lines, some anchored in neighbouring cells
    offpage_row: bool = False  # an unnumbered row holding an off-page connector at the split
    numbered_header_row: bool = False  # a row "1 2 3 ..." under the headers, as some templates
    landscape: bool = True


@dataclass(frozen=True)
class PdfLayout:
    """How a digitally made PDF lays the SOP out."""

    symbols: Literal["vector", "mark", "scanned"]
    mark: str = "√"
    header_page: bool = False  # the header alone on page 1, the table from page 2
    rows_per_page: int = 12
    note_style: NoteStyle = "none"
    flow_lines: bool = True
    kegiatan_label: str = "Kegiatan"
    output_label: str = "Output"
    keterangan: bool = True
    nama_label: str = "Nama SOP"
    efektif_label: str = "Tanggal Efektif"
    page: Literal["a4", "f4"] = "a4"
    first_page_rows: int = 5  # rows under the header on page 1 (when not header_page)

    def pages(self, steps: int) -> list[range]:
        """The step indexes on each page of the procedure table."""
        first = self.rows_per_page if self.header_page else self.first_page_rows
        chunks, start = [], 0
        size = first
        while start < steps:
            chunks.append(range(start, min(steps, start + size)))
            start += size
            size = self.rows_per_page
        return chunks


@dataclass(frozen=True)
class TextLayout:
    """A text file: as `pdftotext -layout` gives a PDF (columns aligned with spaces), or in the
    style of the seeds (tab-separated, bold markers, flowchart words left in the text)."""

    style: Literal["layout", "seed"]
    mark: str | None = None  # the executor's mark when the source PDF had one as text
    note_style: NoteStyle = "langkah"
    width: int = 200


Layout = DocxLayout | PdfLayout | TextLayout

LAYOUT_KINDS = (
    "docx-drawingml",
    "docx-vml",
    "docx-picture",
    "docx-marks",
    "pdf-vector",
    "pdf-text",
    "pdf-scanned",
    "text-layout",
    "text-seed",
)
"""The layouts the benchmark breaks its scores down by (the executor symbol and the medium)."""


@dataclass(frozen=True)
class CorpusDocument:
    """A document of the corpus: its file name, the SOP it shows and how it shows it.

    `hard` says in a few words what makes it hard (the corpus table in the report); `why`
    explains, per printed step number, a truth the document does not spell out."""

    filename: str
    sop: Sop
    layout: Layout
    hard: str
    why: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """One of LAYOUT_KINDS."""
        layout = self.layout
        if isinstance(layout, DocxLayout):
            return {
                "drawingml": "docx-drawingml",
                "drawingml_fallback": "docx-drawingml",
                "vml": "docx-vml",
                "picture": "docx-picture",
                "mark": "docx-marks",
            }[layout.symbols]
        if isinstance(layout, PdfLayout):
            return {"vector": "pdf-vector", "mark": "pdf-text", "scanned": "pdf-scanned"}[
                layout.symbols
            ]
        return "text-layout" if layout.style == "layout" else "text-seed"

    @property
    def truth_name(self) -> str:
        """The truth file's name: the document's with ".yaml" added (a Word file and a text
        file of the same SOP share a stem)."""
        return f"{self.filename}.yaml"
