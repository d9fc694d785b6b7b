"""What a search of the archive asks for (/cari, `sopbot procedure search`), and the words a
person types for it on a phone.

`/cari` takes words and filters in any order:

- a word: found in the title or the letter number (every word must be found; a whole number
  also finds the procedure of that number); quote several words to keep them together;
- `#12` or `no:12`: the procedure No. 12;
- `surat:005/UND`: the letter number (nomor surat / nomor agenda) contains it;
- `sop:surat-masuk`: the SOP, by a part of its id or its name;
- `oleh:Budi`: an official who started the procedure, acted in it or was given a step of it;
- `dari:1/11/2026`, `sampai:30/11/2026`: started or finished on or between those days (as
  officials write dates: `1/11/2026`, `2026-11-01`, `"1 November 2026"` or unquoted
  `dari:1 November 2026`);
- `selesai`, `batal`, `berjalan`, or `arsip` (finished or cancelled): the state.

English forms are read too (`from:`, `to:`, `by:`, `letter:`, `finished`, ...). A value with
spaces is quoted (`oleh:"Budi Santoso"`); a word that would read as a filter is quoted to be
searched as a word (`"selesai"`). `query_text` writes a query back in this form, and
`parse_query` reads it back to the same query: the bot's result pages keep their search so.
Pure: no I/O; the services turn a query into a database search.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from sopbot.engine.instance import InstanceState
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.engine.yaml_nodes import closest

MAX_QUERY_CHARS = 300
"""The longest search text read (a phone's search is a line; a longer text is a mistake)."""

MAX_WORDS = 10
"""The most words one search takes."""

MAX_VALUE_CHARS = 100
"""The longest word or filter value (the letter number column holds 100)."""

ENDED_STATES = frozenset({InstanceState.FINISHED, InstanceState.CANCELLED})
"""The states of the archive proper: procedures that have ended."""


class Filter(enum.StrEnum):
    """The filters of a search, by the key written in the canonical form."""

    NUMBER = "no"
    LETTER = "surat"
    SOP = "sop"
    OFFICIAL = "oleh"
    FROM = "dari"
    TO = "sampai"
    STATE = "status"


# Every spelling of a filter's key a person may type (lower case), Indonesian and English.
_KEYS: dict[str, Filter] = {
    "no": Filter.NUMBER,
    "nomor": Filter.NUMBER,
    "number": Filter.NUMBER,
    "surat": Filter.LETTER,
    "agenda": Filter.LETTER,
    "letter": Filter.LETTER,
    "sop": Filter.SOP,
    "oleh": Filter.OFFICIAL,
    "pejabat": Filter.OFFICIAL,
    "by": Filter.OFFICIAL,
    "dari": Filter.FROM,
    "sejak": Filter.FROM,
    "from": Filter.FROM,
    "sampai": Filter.TO,
    "hingga": Filter.TO,
    "to": Filter.TO,
    "until": Filter.TO,
    "status": Filter.STATE,
    "state": Filter.STATE,
}

# The state words, bare or as `status:` values, and the states each stands for.
_STATES: dict[str, frozenset[InstanceState]] = {
    "selesai": frozenset({InstanceState.FINISHED}),
    "finished": frozenset({InstanceState.FINISHED}),
    "batal": frozenset({InstanceState.CANCELLED}),
    "dibatalkan": frozenset({InstanceState.CANCELLED}),
    "cancelled": frozenset({InstanceState.CANCELLED}),
    "canceled": frozenset({InstanceState.CANCELLED}),
    "berjalan": frozenset({InstanceState.RUNNING}),
    "running": frozenset({InstanceState.RUNNING}),
    "arsip": ENDED_STATES,
    "archive": ENDED_STATES,
}
# How a set of states is written back (the canonical form).
_STATE_WORDS: dict[frozenset[InstanceState], str] = {
    frozenset({InstanceState.FINISHED}): "selesai",
    frozenset({InstanceState.CANCELLED}): "batal",
    frozenset({InstanceState.RUNNING}): "berjalan",
    ENDED_STATES: "arsip",
}

# Quotes a phone may put in for a typed '"'.
_QUOTES = frozenset('"“”„')


class QueryProblem(enum.StrEnum):
    """Why a search text cannot be read (each has a text in the message catalog)."""

    TOO_LONG = "too_long"  # over MAX_QUERY_CHARS, MAX_WORDS or MAX_VALUE_CHARS
    UNKNOWN_FILTER = "unknown_filter"  # `dri:...`, close to a filter's key
    EMPTY_FILTER = "empty_filter"  # `sop:` with nothing after it
    BAD_NUMBER = "bad_number"  # `no:abc`
    BAD_DATE = "bad_date"  # `dari:31/2/2026`, `dari:kemarin`
    BAD_STATE = "bad_state"  # `status:hilang`
    BACKWARDS = "backwards"  # `dari:` after `sampai:`
    TWICE = "twice"  # the same filter given twice


class QueryError(ValueError):
    """A search text that cannot be read: what is wrong, and the words that say it."""

    def __init__(self, problem: QueryProblem, **params: str) -> None:
        super().__init__(f"{problem.value}: {params}")
        self.problem = problem
        self.params = params


@dataclass(frozen=True, slots=True)
class ArchiveQuery:
    """One search of an agency's procedures; every part given must hold (empty: any)."""

    words: tuple[str, ...] = ()
    number: int | None = None
    letter: str | None = None
    sop: str | None = None
    official: str | None = None
    date_from: dt.date | None = None  # started or finished on or after this day (local)
    date_to: dt.date | None = None  # started or finished on or before this day (local)
    states: frozenset[InstanceState] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        """True when the query asks for nothing in particular (every procedure)."""
        return self == ArchiveQuery()

    @property
    def only_ended(self) -> bool:
        """True when only ended procedures are asked for: they are listed by when they ended,
        newest first (else by when they started)."""
        return bool(self.states) and self.states <= ENDED_STATES

    def ended(self) -> ArchiveQuery:
        """The same query over ended procedures only (/arsip)."""
        return replace(self, states=self.states & ENDED_STATES or ENDED_STATES)


def parse_query(text: str) -> ArchiveQuery:
    """Read a search as typed; `QueryError` says what cannot be read."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(QueryProblem.TOO_LONG, limit=str(MAX_QUERY_CHARS))
    reader = _Reader(_tokens(text))
    while reader.has_more():
        reader.read_one()
    if len(reader.words) > MAX_WORDS:
        raise QueryError(QueryProblem.TOO_LONG, limit=str(MAX_WORDS))
    return _query(reader.words, reader.found, frozenset(reader.states))


def query_text(query: ArchiveQuery) -> str:
    """The query in its canonical words, which `parse_query` reads back to the same query."""
    parts = [_quoted(word) if _needs_quotes(word) else word for word in query.words]
    if query.number is not None:
        parts.append(f"no:{query.number}")
    for kind, value in (
        (Filter.LETTER, query.letter),
        (Filter.SOP, query.sop),
        (Filter.OFFICIAL, query.official),
    ):
        if value is not None:
            parts.append(f"{kind.value}:{_quoted(value) if _needs_quotes(value) else value}")
    if query.date_from is not None:
        parts.append(f"dari:{_date_text(query.date_from)}")
    if query.date_to is not None:
        parts.append(f"sampai:{_date_text(query.date_to)}")
    if query.states:
        parts.extend(_states_text(query.states))
    return " ".join(parts)


# -- reading -------------------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, bool]]:
    """The text split at spaces, a quoted stretch kept whole (also as a filter's value:
    `oleh:"Budi Santoso"`); each token with whether it was all quoted."""
    tokens: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted_whole = False
    in_quotes = False
    started = False
    for char in text:
        if char in _QUOTES:
            if not started:
                quoted_whole = True
            in_quotes = not in_quotes
            started = True
            continue
        if char.isspace() and not in_quotes:
            if started:
                tokens.append(("".join(current), quoted_whole and bool(current)))
            current, quoted_whole, started = [], False, False
            continue
        current.append(char)
        started = True
    if started:
        tokens.append(("".join(current), quoted_whole and bool(current)))
    # A word must have something in it: "" (two quotes) and lone quotes are dropped.
    return [(" ".join(token.split()), quoted) for token, quoted in tokens if token.strip()]


class _Reader:
    """Reads a search's tokens one at a time into words, filters and states."""

    def __init__(self, tokens: list[tuple[str, bool]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.words: list[str] = []
        self.found: dict[Filter, str] = {}
        self.states: set[InstanceState] = set()

    def has_more(self) -> bool:
        return self.index < len(self.tokens)

    def read_one(self) -> None:
        """The next token: a word, a state, `#12`, or a filter with its value."""
        token, quoted = self.tokens[self.index]
        self.index += 1
        if len(token) > MAX_VALUE_CHARS:
            raise QueryError(QueryProblem.TOO_LONG, limit=str(MAX_VALUE_CHARS))
        lowered = token.casefold()
        if quoted:
            self.words.append(token)
        elif lowered in _STATES:
            self.states |= _STATES[lowered]
        elif token.startswith("#") and token[1:].isdigit():
            _put(self.found, Filter.NUMBER, token[1:])
        else:
            self._filter_or_word(token)

    def _filter_or_word(self, token: str) -> None:
        key, colon, value = token.partition(":")
        kind = _KEYS.get(key.casefold()) if colon else None
        if kind is None:
            _refuse_near_miss(key, colon, value)
            self.words.append(token)
            return
        if not value and self.has_more():  # "dari: 1/11/2026": the value is the next word
            value = self.tokens[self.index][0]
            self.index += 1
        if kind in (Filter.FROM, Filter.TO):
            value, self.index = _joined_date(value, self.tokens, self.index)
        if not value:
            raise QueryError(QueryProblem.EMPTY_FILTER, filter=kind.value)
        if kind is Filter.STATE:
            self.states |= _state(value)
        else:
            _put(self.found, kind, value)


def _refuse_near_miss(key: str, colon: str, value: str) -> None:
    """A word shaped like a filter whose key is a typo of one (`dri:1/11/2026`): refused
    with the filter meant, rather than searched for as a word and never found."""
    if not colon or not value or not key.isalpha():
        return
    near = closest(key.casefold(), sorted(_KEYS))
    if near is not None:
        raise QueryError(QueryProblem.UNKNOWN_FILTER, written=f"{key}:", meant=f"{near}:")


def _joined_date(value: str, tokens: list[tuple[str, bool]], index: int) -> tuple[str, int]:
    """`dari:1 November 2026` typed without quotes: the day, the month and the year read as one
    value when the next two words are a month and a year."""
    if not (value.isdigit() and len(value) <= 2) or index + 1 >= len(tokens):
        return value, index
    month, year = tokens[index][0], tokens[index + 1][0]
    if month.isalpha() and year.isdigit() and len(year) == 4:
        return f"{value} {month} {year}", index + 2
    return value, index


def _state(value: str) -> frozenset[InstanceState]:
    states = _STATES.get(value.casefold())
    if states is None:
        raise QueryError(QueryProblem.BAD_STATE, value=value)
    return states


def _put(found: dict[Filter, str], kind: Filter, value: str) -> None:
    if kind in found:
        raise QueryError(QueryProblem.TWICE, filter=kind.value)
    found[kind] = value


def _query(
    words: list[str], found: dict[Filter, str], states: frozenset[InstanceState]
) -> ArchiveQuery:
    number = found.get(Filter.NUMBER)
    if number is not None and not (number.isdigit() and len(number) <= 9):
        raise QueryError(QueryProblem.BAD_NUMBER, value=number)
    date_from = _date(found.get(Filter.FROM))
    date_to = _date(found.get(Filter.TO))
    if date_from is not None and date_to is not None and date_from > date_to:
        raise QueryError(
            QueryProblem.BACKWARDS, start=_date_text(date_from), end=_date_text(date_to)
        )
    return ArchiveQuery(
        words=tuple(words),
        number=int(number) if number is not None else None,
        letter=found.get(Filter.LETTER),
        sop=found.get(Filter.SOP),
        official=found.get(Filter.OFFICIAL),
        date_from=date_from,
        date_to=date_to,
        states=states,
    )


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_day(value)
    except WrittenDateError:
        raise QueryError(QueryProblem.BAD_DATE, value=value) from None


# -- writing -------------------------------------------------------------------------------


def _needs_quotes(text: str) -> bool:
    """Whether a word or value must be quoted to read back as itself."""
    lowered = text.casefold()
    return (
        any(char.isspace() for char in text)
        or ":" in text
        or text.startswith("#")
        or lowered in _STATES
    )


def _quoted(text: str) -> str:
    return f'"{text}"'


def _date_text(day: dt.date) -> str:
    """A day as officials type it: 1/11/2026."""
    return f"{day.day}/{day.month}/{day.year}"


def _states_text(states: frozenset[InstanceState]) -> list[str]:
    """The state words that give exactly these states (one word where one says it)."""
    if states in _STATE_WORDS:
        return [_STATE_WORDS[states]]
    return [_STATE_WORDS[frozenset({state})] for state in sorted(states)]
