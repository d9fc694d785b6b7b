"""The identity header's vocabulary: its keys, their usual labels, "not stated", list numbering.

A paper SOP names its header fields in its own words (Tanggal Pengesahan for Tanggal Efektif,
Judul SOP for Nama SOP), leaves some of them blank, and numbers its lists in its own style
("1.", "a)", "-"). The definition keeps all of that so that `sop show` and other programs can show
the header as the document does. docs/sop-format.md documents the file side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from sopbot.engine.limits import HEADER_LISTS

NOT_STATED: Final = "tidak_tercantum"
"""The value a definition file gives a required header field that the document does not state."""

NOT_STATED_SHOWN: Final = "tidak tercantum"
"""How a field the document does not state is shown (in Indonesian, as on the paper form)."""

DEFAULT_LABELS: Final = MappingProxyType(
    {
        "pemerintah": "Pemerintah",
        "instansi": "Instansi",
        "unit": "Unit",
        "nomor": "Nomor SOP",
        "nama": "Nama SOP",
        "tanggal_pembuatan": "Tanggal Pembuatan",
        "tanggal_revisi": "Tanggal Revisi",
        "tanggal_efektif": "Tanggal Efektif",
        "revisi": "Revisi",
        "disahkan_oleh": "Disahkan Oleh",
        "dasar_hukum": "Dasar Hukum",
        "kualifikasi_pelaksana": "Kualifikasi Pelaksana",
        "keterkaitan": "Keterkaitan",
        "peralatan_perlengkapan": "Peralatan/Perlengkapan",
        "peringatan": "Peringatan",
        "pencatatan_pendataan": "Pencatatan dan Pendataan",
    }
)
"""Each header key's label on the Permenpan RB 35/2012 form; a document may use its own
(`label:` in the header). The keys are exactly the ones a `label:` may name."""

assert set(HEADER_LISTS) <= set(DEFAULT_LABELS)  # noqa: S101 - every list has a label


class Numbering(StrEnum):
    """How a header list numbers its items, written as its first marker."""

    NUMBER_DOT = "1."
    NUMBER_PAREN = "1)"
    NUMBER_BOTH = "(1)"
    LETTER_DOT = "a."
    LETTER_PAREN = "a)"
    LETTER_BOTH = "(a)"
    DASH = "-"
    BULLET = "•"

    def marker(self, position: int) -> str:
        """The marker of the item at a 1-based position: "3.", "c)", "-"."""
        if "1" in self.value:
            return self.value.replace("1", str(position))
        if "a" in self.value:
            return self.value.replace("a", _letters(position))
        return self.value  # "-" and "•" mark every item alike


def _letters(position: int) -> str:
    """a, b, ..., z, aa, ab, ...: letters as documents continue them past z."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


@dataclass(frozen=True, slots=True)
class ListStyle:
    """A header list as published: the intro line above its items and how they are numbered."""

    intro: str | None = None  # e.g. "Apabila SOP ini tidak dilaksanakan, maka:"
    numbering: Numbering = Numbering.NUMBER_DOT

    def marker(self, position: int) -> str:
        """The marker of the item at a 1-based position."""
        return self.numbering.marker(position)


PLAIN_LIST: Final = ListStyle()
"""The style of a list written as a plain YAML list: no intro line, numbered "1.", "2.", ..."""
