"""Formatting for Telegram: HTML escaping, Telegram's length limits, local times and durations.

Telegram measures a message after parsing its HTML (a tag counts nothing, `&amp;` counts one)
in UTF-16 code units (an emoji outside the BMP counts two); so do the limits here.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sopbot.engine.durations import StandardTime
from sopbot.messaging.catalog import Language
from sopbot.messaging.numbers import quantity

MESSAGE_LIMIT = 4096  # UTF-16 code units of text per message, after entity parsing
CAPTION_LIMIT = 1024  # UTF-16 code units of a document's caption

# What a person may type, in the units Telegram counts (`&` is one, an emoji two). The longest
# message that carries what they type is a disposition as it is closed: one message, since an
# edit cannot be split, with the title, a note (or a reason) as its instruction and a reason on
# its closing line, all at once. Kept for everything around them (the catalog's text, the SOP's
# own fields, the names of people and positions, the letter's line): DISPOSITION_FRAME. A test
# plays every seed SOP with the longest inputs, names and letter to check that this is enough.
DISPOSITION_FRAME = 1846
TITLE_LIMIT = 250
NOTE_LIMIT = REASON_LIMIT = (MESSAGE_LIMIT - DISPOSITION_FRAME - TITLE_LIMIT) // 2  # 1000

# Indonesia writes its three zones by name; elsewhere the UTC offset is shown.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_DAYS = {
    Language.ID: ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    Language.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    Language.ID: (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    Language.EN: (
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ),
}


def escape(text: object) -> str:
    """Text from people or documents, safe inside an HTML-formatted message."""
    return html.escape(str(text), quote=False)


def zone_name(timezone: str) -> str:
    """WIB, WITA or WIT for Indonesia's zones, else the zone's name."""
    return _ZONE_NAMES.get(timezone, timezone)


def local_time(
    moment: dt.datetime, timezone: str, language: Language, *, seconds: bool = False
) -> str:
    """A moment as officials read it: "Senin, 6 Juli 2026 09.30 WITA" (with `seconds`:
    "09.30.15")."""
    date = local_date(moment, timezone, language)
    clock = local_clock(moment, timezone, language, seconds=seconds)
    if language is Language.ID:
        return f"{date} {clock} {zone_name(timezone)}"
    return f"{date}, {clock} {zone_name(timezone)}"


def local_date(moment: dt.datetime, timezone: str, language: Language) -> str:
    """The local day of a moment: "Senin, 6 Juli 2026" / "Mon 6 Jul 2026"."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = _DAYS[language][local.weekday()]
    month = _MONTHS[language][local.month - 1]
    separator = "," if language is Language.ID else ""
    return f"{day}{separator} {local.day} {month} {local.year}"


def month_name(month: int, language: Language) -> str:
    """A month (1 = January) as the language writes it in dates: "Februari" / "Feb"."""
    return _MONTHS[language][month - 1]


def local_clock(
    moment: dt.datetime, timezone: str, language: Language, *, seconds: bool = False
) -> str:
    """The local time of day of a moment, without its zone: "09.30" / "09:30", with `seconds`
    "09.30.15" / "09:30:15"."""
    local = moment.astimezone(ZoneInfo(timezone))
    mark = "." if language is Language.ID else ":"
    clock = f"{local.hour:02d}{mark}{local.minute:02d}"
    return f"{clock}{mark}{local.second:02d}" if seconds else clock


def due_time(moment: dt.datetime, timezone: str, language: Language, standard: StandardTime) -> str:
    """A step run's due time, to the second where its standard is counted in seconds ("30
    detik": "Senin, 6 Juli 2026 09.30.45 WITA"), else to the minute. Every due time shown
    goes through here, so the choice is made once, from the standard."""
    return local_time(moment, timezone, language, seconds=standard.shows_seconds)


def short_duration(seconds: float, language: Language, *, working_day: float | None = None) -> str:
    """A length of time in the largest sensible units: "2 hari 3 jam", "45 menit".

    With `working_day` (the seconds of the agency's working day), `seconds` is working time
    and its days are working days ("4 hari kerja 2 jam"): 32 working hours are more than four
    days of work, not "1 hari 8 jam", and read beside a standard of "1 hari kerja".
    """
    total_minutes = max(0, int(seconds // 60))
    day_minutes = max(1, int(working_day // 60)) if working_day else 24 * 60
    days, rest = divmod(total_minutes, day_minutes)
    hours, minutes = divmod(rest, 60)
    if language is Language.ID:
        names = ("hari kerja" if working_day else "hari", "jam", "menit")
    else:
        names = ("working d" if working_day else "d", "h", "min")
    parts = [
        f"{quantity(value, language)} {name}"
        for value, name in zip((days, hours, minutes), names, strict=True)
        if value
    ]
    return " ".join(parts[:2]) if parts else f"0 {names[2]}"


def utf16_length(text: str) -> int:
    """The length of plain text as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` UTF-16 units, with an ellipsis when cut (never half an emoji)."""
    if utf16_length(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        if used + _units(char) > limit - 1:  # one unit is kept for the ellipsis
            break
        kept.append(char)
        used += _units(char)
    return "".join(kept) + "…"


def fit_caption(text: str, limit: int = CAPTION_LIMIT) -> str:
    """A (plain text) caption cut to Telegram's limit, with an ellipsis when cut."""
    return shorten(text, limit)


# -- Telegram HTML as pieces ----------------------------------------------------------------

# A tag, an escape, a run of text without spaces, or one character (a space, or a `<` or `&`
# that starts nothing). Telegram knows four named escapes and numeric ones; anything else
# after `&` is the character `&` itself.
_PIECES = re.compile(
    r"(?P<tag></?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?>)"
    r"|(?P<escape>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});)"
    r"|(?P<word>[^<&\s]+[ \t]*|[ \t]+)"
    r"|(?P<char>.)",
    re.DOTALL,
)
_NAMED_ESCAPES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TRIMMED = " \t\r\n"  # what Telegram trims around a message


class _Piece(NamedTuple):
    """A piece of an HTML text that is never cut, but a long word (between characters)."""

    raw: str
    visible: str  # what Telegram shows of it; "" for a tag
    units: int  # the length of `visible` in UTF-16 units
    tag: str = ""  # the tag's name, lower case
    closes: bool = False


def _text_piece(text: str) -> _Piece:
    return _Piece(text, text, len(text) if text.isascii() else utf16_length(text))


def _decoded(escape: str) -> str | None:
    """The character an escape stands for, as Telegram reads it; None if it is not one."""
    name = escape[1:-1]
    if name.startswith(("#x", "#X")):
        code = int(name[2:], 16)
    elif name.startswith("#"):
        code = int(name[1:])
    else:
        return _NAMED_ESCAPES.get(name)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _pieces(source: str) -> list[_Piece]:
    """Tags, escapes, words (with the spaces after them) and single characters."""
    pieces: list[_Piece] = []
    for match in _PIECES.finditer(source):
        raw = match.group()
        kind = match.lastgroup
        if kind == "tag":
            pieces.append(_Piece(raw, "", 0, match.group(2).lower(), raw[1] == "/"))
        elif kind == "escape":
            decoded = _decoded(raw)
            if decoded is None:  # a lone `&`, and the rest is text
                pieces.extend((_text_piece("&"), *_pieces(raw[1:])))
            else:
                pieces.append(_Piece(raw, decoded, utf16_length(decoded)))
        else:
            pieces.append(_text_piece(raw))
    return pieces


def visible_length(source: str) -> int:
    """How long Telegram will count an HTML text: its visible text, in UTF-16 units."""
    return sum(piece.units for piece in _pieces(source))


def plain_text(source: str) -> str:
    """An HTML text as plain text: tags dropped, escapes read (what the person would see)."""
    return "".join(piece.visible for piece in _pieces(source))


# -- splitting ----------------------------------------------------------------------------

# Where a part may end, best first: a line break outside any tag, a line break inside one, a
# space outside any tag, a space inside one. Failing all, inside a word, between characters.
_NEWLINE_OUTSIDE, _NEWLINE_INSIDE, _SPACE_OUTSIDE, _SPACE_INSIDE = range(4)


@dataclass(frozen=True, slots=True)
class _Cut:
    """A place to end a part: its pieces end before `end`; the next part starts at `resume`."""

    end: int
    resume: int
    open_tags: tuple[_Piece, ...]  # the tags open there, to be closed and opened again
    units: int  # visible units the part has by then


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split an HTML text into messages Telegram accepts, each at most `limit` units long.

    Lengths are counted as Telegram counts them (after parsing, in UTF-16 units). A part ends
    at a line break if it can, else at a space, else between two characters of a word; never
    inside a tag, an escape like `&amp;` or a character. Tags open at a cut are closed at the
    end of the part and opened again at the start of the next, so that every part is valid
    HTML on its own. Parts with nothing to show (Telegram refuses an empty text) are left out.
    """
    if utf16_length(text) <= limit:  # tags and escapes only ever shorten what is shown
        return [text]
    pieces = _pieces(text)
    parts: list[str] = []
    start = 0
    reopened: tuple[_Piece, ...] = ()
    while start < len(pieces):
        cut = _next_cut(pieces, start, reopened, limit)
        if any(piece.visible.strip(_TRIMMED) for piece in pieces[start : cut.end]):
            parts.append(
                "".join(piece.raw for piece in reopened)
                + "".join(piece.raw for piece in pieces[start : cut.end])
                + "".join(f"</{piece.tag}>" for piece in reversed(cut.open_tags))
            )
        start, reopened = cut.resume, cut.open_tags
    return parts


def _next_cut(pieces: list[_Piece], start: int, reopened: tuple[_Piece, ...], limit: int) -> _Cut:
    """Where the part starting at `start` (inside the `reopened` tags) should end.

    A word too long for what is left of the part is cut in two, in `pieces` itself.
    """
    open_tags = list(reopened)
    snapshot = reopened  # open_tags as a tuple, made again only when a tag opens or closes
    best: dict[int, _Cut] = {}  # the latest place of each kind
    used = 0
    for index in range(start, len(pieces)):
        piece = pieces[index]
        if piece.tag:
            _open_or_close(open_tags, piece)
            snapshot = tuple(open_tags)
            continue
        if used + piece.units > limit:
            chosen = _choose(best, limit)
            if chosen is not None:
                return chosen
            # A word is cut between characters; an escape or a character never is. A part
            # takes at least one character, even one wider than the limit (under 2 units).
            room = limit - used if used else max(limit, 2)
            word = piece.raw == piece.visible
            head, tail = _cut_word(piece, room) if word else (None, piece)
            if head is not None:
                pieces[index : index + 1] = [head, tail]
                return _Cut(index + 1, index + 1, snapshot, used + head.units)
            if used:
                return _Cut(index, index, snapshot, used)
        inside = bool(open_tags)
        if piece.visible == "\n" and used:
            kind = _NEWLINE_INSIDE if inside else _NEWLINE_OUTSIDE
            best[kind] = _Cut(index, index + 1, snapshot, used)  # the break is dropped
        used += piece.units
        if piece.visible.endswith((" ", "\t")):
            kind = _SPACE_INSIDE if inside else _SPACE_OUTSIDE
            best[kind] = _Cut(index + 1, index + 1, snapshot, used)
    return _Cut(len(pieces), len(pieces), snapshot, used)


def _open_or_close(open_tags: list[_Piece], tag: _Piece) -> None:
    """Add an opening tag to the tags open at this point, or take off the one a closing tag
    closes (a closing tag that matches none changes nothing)."""
    if not tag.closes:
        open_tags.append(tag)
    elif open_tags and open_tags[-1].tag == tag.tag:
        open_tags.pop()


def _choose(best: dict[int, _Cut], limit: int) -> _Cut | None:
    """The best kind of place that keeps the part at least half full, else any."""
    for enough in (limit // 2, 1):
        for kind in sorted(best):
            if best[kind].units >= enough:
                return best[kind]
    return None


def _cut_word(piece: _Piece, room: int) -> tuple[_Piece | None, _Piece]:
    """A word's start that fits in `room` units, and the rest (None: nothing fits).

    The start ends before a character, so an emoji's two UTF-16 units stay together."""
    used = 0
    for position, char in enumerate(piece.raw):
        used += _units(char)
        if used > room:
            if position == 0:
                return None, piece
            return _text_piece(piece.raw[:position]), _text_piece(piece.raw[position:])
    return piece, _text_piece("")  # (not reached: the word did not fit)
