"""An agency's key: the first part of its SOP ids (`<key>/<sop>`) and the name of its folder
under sop_defs/, e.g. `kesbangpol-pekalongan`: lower-case letters and digits in words joined
by hyphens, so that it reads the same in an id, a path and a command."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

AGENCY_KEY_LIMIT = 64  # the column's length
PROPOSED_KEY_LIMIT = 48  # a key made from a name, before any "-2" that keeps it unique
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOT_A_LETTER = re.compile(r"[^a-z0-9]+")
FALLBACK_KEY = "instansi"  # a name with no letter or digit of the Latin alphabet


def is_agency_key(key: str) -> bool:
    """True for a key as agencies are named: `dinas-kominfo-samarinda`."""
    return len(key) <= AGENCY_KEY_LIMIT and _KEY.match(key) is not None


def key_from_name(name: str) -> str:
    """The key an agency's name suggests: "Dinas Komunikasi & Informatika Kota Samarinda"
    -> `dinas-komunikasi-informatika-kota-samarinda` (accents dropped, cut at a word)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = [w for w in _NOT_A_LETTER.split(plain.lower()) if w]
    key = ""
    for word in words:
        longer = f"{key}-{word}" if key else word
        if len(longer) > PROPOSED_KEY_LIMIT:
            break
        key = longer
    if not key and words:  # one very long word
        key = words[0][:PROPOSED_KEY_LIMIT]
    return key or FALLBACK_KEY


def unique_key(key: str, taken: Callable[[str], bool]) -> str:
    """`key`, or `key-2`, `key-3`, ... : the first one `taken` says is free."""
    if not taken(key):
        return key
    number = 2
    while taken(f"{key}-{number}"):
        number += 1
    return f"{key}-{number}"
