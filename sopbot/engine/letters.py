"""The letter a procedure is about: its number (nomor surat / nomor agenda), date and sender.

Government dispositions revolve around a letter: the agenda number the agency's e-office
(SRIKANDI or its own) gave it, the date it bears and who sent it. A procedure may have one;
only the number is needed, the date and the sender are optional. This module holds the value
and reads each part as officials type it, refusing what cannot be right with a reason the
catalog words (`LetterProblem`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from sopbot.engine.errors import DomainError
from sopbot.engine.written_dates import WrittenDateError, parse_day

MAX_NUMBER_LENGTH: Final = 100
"""Characters of a letter number (the column's size, migration 0016); agenda numbers are short
("005/123/Disdik/2026")."""

MAX_SENDER_LENGTH: Final = 200
"""Characters of a sender's name (the column's size): a ministry or an agency with its unit."""

EARLIEST_YEAR: Final = 1945
"""No letter a procedure runs on is older than the Republic: an earlier year is a typo."""

NONE_WORDS: Final = frozenset({"-", "–", "—"})
"""What an official types for "there is none" (as a blank cell of an SOP header)."""

# Said instead of a date: today, or the day before, in the agency's zone.
_TODAY = frozenset({"hari ini", "hr ini", "today", "sekarang"})
_YESTERDAY = frozenset({"kemarin", "yesterday"})
# English month names the Indonesian reader does not know (it knows "mei", "agustus", ...).
_ENGLISH_MONTHS = {
    "january": "januari",
    "february": "februari",
    "march": "maret",
    "may": "mei",
    "june": "juni",
    "july": "juli",
    "august": "agustus",
    "aug": "agustus",
    "october": "oktober",
    "oct": "oktober",
    "december": "desember",
    "dec": "desember",
}
# A date written with a two-digit year ("03/12/26", "3 Des 26"): the year of this century.
_SHORT_YEAR = re.compile(r"^(?P<head>.*\d{1,2}[/.\- ]\s*[a-z.]*\s*[/.\- ]?)(?P<year>\d{2})$")
# What may come before the date itself: "tgl.", "tanggal", a day's name ("Rabu, 3 Desember").
_PREFIX = re.compile(
    r"^(?:(?:tgl\.?|tanggal)\s*)?"
    r"(?:(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad),?\s+)?"
)
_FULL_YEAR = re.compile(r"\d{4}")
_DIGIT = re.compile(r"\d")


class LetterProblem(StrEnum):
    """Why a typed part of a letter is refused (the catalog has a text for each)."""

    NUMBER_EMPTY = "number_empty"
    NUMBER_WITHOUT_DIGIT = "number_without_digit"
    NUMBER_TOO_LONG = "number_too_long"
    DATE_UNREADABLE = "date_unreadable"
    DATE_NO_SUCH_DAY = "date_no_such_day"
    DATE_AFTER_TODAY = "date_after_today"
    DATE_TOO_EARLY = "date_too_early"
    SENDER_EMPTY = "sender_empty"
    SENDER_TOO_LONG = "sender_too_long"
    NUMBER_FIRST = "number_first"  # a date or a sender for a procedure with no letter number


class LetterError(DomainError):
    """A part of a letter that cannot be taken (typed, or given to a procedure); the `problem`
    param says why. Nothing changes when one is raised."""

    code = "letter_refused"

    @property
    def problem(self) -> LetterProblem:
        """Why the letter was refused."""
        return LetterProblem(str(self.params.get("problem", LetterProblem.NUMBER_EMPTY.value)))


def _refused(problem: LetterProblem, message: str) -> LetterError:
    return LetterError(message, problem=problem.value)


@dataclass(frozen=True, slots=True)
class Letter:
    """The letter a procedure is about: its number, and its date and sender when known."""

    number: str
    date: dt.date | None = None
    sender: str | None = None

    def __post_init__(self) -> None:
        # The stored columns' sizes hold whatever path a letter takes (Telegram, the CLI).
        if not self.number.strip():
            raise _refused(LetterProblem.NUMBER_EMPTY, "a letter needs its number")
        if len(self.number) > MAX_NUMBER_LENGTH:
            raise _refused(LetterProblem.NUMBER_TOO_LONG, "the letter number is too long")
        if self.sender is not None and len(self.sender) > MAX_SENDER_LENGTH:
            raise _refused(LetterProblem.SENDER_TOO_LONG, "the sender's name is too long")


class LetterPart(StrEnum):
    """A part of a letter that is changed on its own (/surat's buttons, the CLI's options)."""

    NUMBER = "n"
    DATE = "d"
    SENDER = "s"


@dataclass(frozen=True, slots=True)
class LetterEdit:
    """One change to a procedure's letter: a part set to a value, a date or a sender cleared
    (`value` None), or, with `part` None, the whole letter removed."""

    part: LetterPart | None
    value: str | dt.date | None = None

    def applied_to(self, letter: Letter | None) -> Letter | None:
        """The letter after this change; LetterError when a date or a sender is given to a
        procedure that has no letter number yet (the number comes first)."""
        if self.part is None:
            return None
        if self.part is LetterPart.NUMBER:
            if not isinstance(self.value, str):
                raise _refused(LetterProblem.NUMBER_EMPTY, "a letter needs its number")
            return Letter(self.value) if letter is None else replace(letter, number=self.value)
        if letter is None:
            raise _refused(
                LetterProblem.NUMBER_FIRST, "the procedure has no letter number: give it first"
            )
        if self.part is LetterPart.DATE:
            date = self.value if isinstance(self.value, dt.date) else None
            return replace(letter, date=date)
        return replace(letter, sender=self.value if isinstance(self.value, str) else None)


def letter_after(letter: Letter | None, edits: tuple[LetterEdit, ...]) -> Letter | None:
    """The letter after the edits, in order (the number first when several are given)."""
    ordered = sorted(edits, key=lambda e: e.part is not LetterPart.NUMBER)
    for edit in ordered:
        letter = edit.applied_to(letter)
    return letter


def means_none(text: str) -> bool:
    """True when the official typed "-": there is none (no letter, no date, no sender)."""
    return text.strip() in NONE_WORDS


def read_number(text: str) -> str:
    """A letter number as typed, its spaces tidied: "005/123/Disdik/2026", "B-12/KB/2026".

    It must hold a digit: an agenda number always does, and a sentence without one (a note
    typed one question too early) is not taken for a number."""
    number = " ".join(text.split())
    if not number:
        raise _refused(LetterProblem.NUMBER_EMPTY, "write the letter number")
    if len(number) > MAX_NUMBER_LENGTH:
        raise _refused(
            LetterProblem.NUMBER_TOO_LONG,
            f"a letter number has at most {MAX_NUMBER_LENGTH} characters",
        )
    if _DIGIT.search(number) is None:
        raise _refused(
            LetterProblem.NUMBER_WITHOUT_DIGIT,
            f"'{number}' has no digit; a letter number such as 005/123/Disdik/2026 has",
        )
    return number


def read_sender(text: str) -> str:
    """Who sent the letter, as typed, its spaces tidied ("Kementerian Dalam Negeri")."""
    sender = " ".join(text.split())
    if not sender:
        raise _refused(LetterProblem.SENDER_EMPTY, "write who sent the letter")
    if len(sender) > MAX_SENDER_LENGTH:
        raise _refused(
            LetterProblem.SENDER_TOO_LONG,
            f"a sender's name has at most {MAX_SENDER_LENGTH} characters",
        )
    return sender


def read_date(text: str, *, today: dt.date) -> dt.date:
    """A letter's date as officials write it: "03/12/2026", "3-12-2026", "3 Desember 2026",
    "3 Des 2026", "Rabu, 3 Desember 2026", "tgl. 3/12/2026", "2026-12-03", a two-digit year
    ("03/12/26"), "hari ini" or "kemarin" (`today`: the date in the agency's zone). A date
    after today, or before 1945, is refused."""
    normalised = _PREFIX.sub("", " ".join(text.strip().lower().split())).rstrip(".")
    if normalised in _TODAY:
        return today
    if normalised in _YESTERDAY:
        return today - dt.timedelta(days=1)
    words = " ".join(_ENGLISH_MONTHS.get(word.rstrip(","), word) for word in normalised.split())
    short = None if _FULL_YEAR.search(words) else _SHORT_YEAR.match(words)
    if short is not None:
        words = f"{short['head']}{today.year // 100}{short['year']}"
    try:
        date = parse_day(words)
    except WrittenDateError as exc:
        if "does not exist" in str(exc):
            raise _refused(
                LetterProblem.DATE_NO_SUCH_DAY, f"the date '{text}' does not exist"
            ) from exc
        raise _refused(
            LetterProblem.DATE_UNREADABLE,
            f"cannot read the date '{text}'; write e.g. 3 Desember 2026 or 03/12/2026",
        ) from exc
    if date > today:
        raise _refused(LetterProblem.DATE_AFTER_TODAY, f"{date} is after today ({today})")
    if date.year < EARLIEST_YEAR:
        raise _refused(LetterProblem.DATE_TOO_EARLY, f"{date} is before {EARLIEST_YEAR}")
    return date
