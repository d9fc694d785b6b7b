"""The words an SOP document uses around its flowchart, in one place for every reader: the
answers written beside a diamond, and the words of the start and end terminators.

A reader compares them after `procedure_table.normal` (lower case, punctuation off).
"""

from __future__ import annotations

from typing import Final

YES_WORDS: Final = frozenset(
    {"ya", "y", "yes", "sesuai", "setuju", "lengkap", "benar", "valid", "ok"}
)
"""The answers that go on ("ya" and its usual variants)."""

NO_WORDS: Final = frozenset(
    {"tidak", "t", "tdk", "no", "tidak sesuai", "tidak setuju", "tidak lengkap", "belum"}
)
"""The answers that send the work back ("tidak" and its usual variants)."""

START_WORDS: Final = frozenset({"mulai", "start", "awal"})
END_WORDS: Final = frozenset({"selesai", "end", "finish", "akhir"})
TERMINAL_WORDS: Final = START_WORDS | END_WORDS
"""The words written in (or instead of) a terminator."""

FLOWCHART_WORDS: Final = TERMINAL_WORDS | {"ya", "tidak", "y", "t", "tdk"}
"""Words that belong to the flowchart when they stand alone in a text table."""
