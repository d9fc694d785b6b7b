"""The letter a procedure is about, as people read it: "✉️ No. Surat: 005/123/Disdik/2026 tgl
3 Desember 2026 dari Kementerian X" (pure: a letter in, text out)."""

from __future__ import annotations

import datetime as dt

from sopbot.engine.letters import Letter
from sopbot.messaging.catalog import Catalog, Language
from sopbot.messaging.formatting import escape, month_name, shorten

SENDER_SHOWN = 120
"""Characters of the sender a disposition shows (the whole name is in /surat): the letter line
shares the disposition's one message with the title, the note and the SOP's own texts."""


def letter_date(day: dt.date, language: Language) -> str:
    """A letter's date as the language writes it: "3 Desember 2026" / "3 Dec 2026"."""
    return f"{day.day} {month_name(day.month, language)} {day.year}"


def letter_line(
    catalog: Catalog, language: Language, letter: Letter, *, sender_limit: int | None = None
) -> str:
    """One line naming the letter: "✉️ No. Surat: 005/123 tgl 3 Desember 2026 dari ...", its
    date and sender when known (the sender cut to `sender_limit` characters when given)."""
    return _written(catalog, language, letter, "letters.line", sender_limit)


def letter_summary(catalog: Catalog, language: Language, letter: Letter) -> str:
    """The letter in a sentence: "005/123 tgl 3 Desember 2026 dari ..." (/riwayat)."""
    return _written(catalog, language, letter, "letters.summary", None)


def _written(
    catalog: Catalog, language: Language, letter: Letter, key: str, sender_limit: int | None
) -> str:
    date = (
        catalog.text(language, "letters.line_date", date=letter_date(letter.date, language))
        if letter.date is not None
        else ""
    )
    sender = letter.sender
    if sender is not None and sender_limit is not None:
        sender = shorten(sender, sender_limit)
    return catalog.text(
        language,
        key,
        number=escape(letter.number),
        date=date,
        sender=catalog.text(language, "letters.line_sender", sender=escape(sender))
        if sender
        else "",
    )
