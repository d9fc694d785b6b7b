"""Names for files: the sender's name made safe to show, and the name a file is delivered under.

A sender's file name is never trusted: "laporan\\u202efdp.bat" shows as "laporantab.pdf" on
screen, because U+202E (RIGHT-TO-LEFT OVERRIDE) turns the rest of the line around. Names are
cleaned once, where the file arrives, and a delivered file always ends in the extension of the
type its content was detected as, whatever the sender called it.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 200
"""The longest cleaned sender name kept and shown (the database column holds 255)."""

MAX_STEM_CHARS = 100
"""The longest stem of a delivered file name, in characters..."""

MAX_STEM_BYTES = 150
"""...and in UTF-8 bytes, so the whole name fits the 255 bytes file systems allow."""

FALLBACK_STEM = "dokumen"
"""The stem of a delivered file whose sender gave no usable name."""

# Control (Cc), format (Cf: the bidi overrides and isolates, zero-width characters), surrogate,
# private-use and unassigned characters, and the line and paragraph separators: none belongs in
# a name, and several change how the rest of a name is displayed.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Path separators, and what Windows refuses in a name: a name is never a path, and a person
# must be able to save the file under it.
_REPLACED = str.maketrans(dict.fromkeys('/\\:*?"<>|', "_"))
_SPACES = re.compile(r"\s+")
# Names Windows keeps for devices, with any extension: "CON.pdf" cannot be saved there.
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"{port}{number}" for port in ("com", "lpt") for number in range(1, 10)}
)


def clean_name(name: str | None) -> str:
    """A sender's file name fit to store and show: no control, bidi or other invisible
    formatting characters, no path separators, spaces collapsed, at most MAX_NAME_CHARS.

    Returns "" when nothing usable is left.
    """
    text = unicodedata.normalize("NFC", name or "")
    # Whitespace first (tab and newline are control characters, but separate words).
    kept = (
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character) not in _DROPPED_CATEGORIES
    )
    cleaned = _SPACES.sub(" ", "".join(kept).translate(_REPLACED)).strip()
    return cleaned[:MAX_NAME_CHARS].rstrip()


def delivery_name(name: str | None, extension: str) -> str:
    """The name a file is handed on under: the cleaned stem of the sender's ``name`` and the
    ``extension`` (no dot) of the type detected from its content, never the sender's own."""
    cleaned = clean_name(name)
    stem, dot, _ = cleaned.rpartition(".")
    if not dot:
        stem = cleaned
    stem = _capped(stem.strip(" .-_"))
    # Windows drops trailing dots and spaces when saving, which could join stem and extension
    # in unexpected ways; a device name cannot be saved at all.
    stem = stem.rstrip(" .")
    if not stem or stem.split(".", 1)[0].strip().casefold() in _WINDOWS_DEVICES:
        stem = f"{FALLBACK_STEM}-{stem}" if stem else FALLBACK_STEM
    return f"{stem}.{extension}"


def _capped(stem: str) -> str:
    """``stem`` cut to MAX_STEM_CHARS characters and MAX_STEM_BYTES bytes of UTF-8."""
    stem = stem[:MAX_STEM_CHARS]
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = stem[:-1]
    return stem
