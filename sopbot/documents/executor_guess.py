"""A suggestion, from the wording alone, for who does a step whose row has no symbol.

Text extracted from a PDF loses the flowchart; the seeds were read this way by hand: "...
menyampaikan laporan kepada Kasubbag Renval" is followed by a step the Kasubbag does, and the
one who receives a disposition "dari Kadis" is not the Kadis. The guess is only ever a
suggestion: the draft marks it `??` for a person to decide.
"""

from __future__ import annotations

import re
from typing import Final

from sopbot.documents.procedure_table import StepRow, normal

# Abbreviations offices write in activities, and the words of the role they stand for.
_ABBREVIATIONS: Final = {
    "kadis": "kepala dinas",
    "kaban": "kepala badan",
    "kabid": "kepala bidang",
    "kasi": "kepala seksi",
    "kasie": "kepala seksi",
    "kasubag": "kepala sub",
    "kasubbag": "kepala sub",
    "kasubid": "kepala sub",
    "sekdis": "sekretaris",
    "sekban": "sekretaris",
    "sekcam": "sekretaris",
    "jafung": "jabatan fungsional",
    "jft": "fungsional",
    "jfu": "fungsional umum",
    "staf": "staf",
    "staff": "staf",
    "camat": "camat",
    "lurah": "lurah",
}
_HAND_OVER: Final = re.compile(
    r"(?:kepada|ke|untuk)\s+(?P<who>[\w /.]+?)(?:\s+(?:untuk|agar|guna|dan|yang)\b|[,.;]|$)"
)
_FROM: Final = re.compile(r"(?:dari|oleh)\s+(?P<who>[\w /.]+?)(?:\s+(?:untuk|dan|yang)\b|[,.;]|$)")


def guess_executor(
    row: StepRow, index: int, rows: list[StepRow], role_names: list[str]
) -> tuple[int | None, str]:
    """(the index of the likely role, why: "handover" or "previous") or (None, "") when the
    wording gives no hint."""
    if index > 0:
        previous = normal(rows[index - 1].activity)
        for match in _HAND_OVER.finditer(previous):
            role = _role_named(match["who"], role_names)
            if role is not None:
                return role, "handover"
    text = normal(row.activity)
    excluded = {
        role
        for match in list(_HAND_OVER.finditer(text)) + list(_FROM.finditer(text))
        if (role := _role_named(match["who"], role_names)) is not None
    }
    if index > 0 and rows[index - 1].executors:
        previous_role = rows[index - 1].executors[-1]
        if previous_role not in excluded:
            return previous_role, "previous"
    return None, ""


def _role_named(words: str, role_names: list[str]) -> int | None:
    """The role a phrase names, by its column title or a usual abbreviation."""
    phrase = normal(words)
    best: tuple[int, int] | None = None
    for index, name in enumerate(role_names):
        title = normal(name)
        aliases = {title}
        aliases |= {abbr for abbr, full in _ABBREVIATIONS.items() if full in title}
        for alias in aliases:
            if alias and re.search(rf"\b{re.escape(alias)}\b", phrase):
                score = len(alias)
                if best is None or score > best[1]:
                    best = (index, score)
    return best[0] if best is not None else None
