"""/cari's words: what a person types on a phone, read into a query, and written back to words
that read to the same query (a page of results keeps its search so)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopbot.engine.archive_query import (
    ENDED_STATES,
    MAX_QUERY_CHARS,
    ArchiveQuery,
    QueryError,
    QueryProblem,
    parse_query,
    query_text,
)
from sopbot.engine.instance import InstanceState


def test_bare_words_are_searched_in_the_title_and_letter_number() -> None:
    assert parse_query("rapat  koordinasi") == ArchiveQuery(words=("rapat", "koordinasi"))


def test_every_filter_of_the_brief_reads_as_it_says() -> None:
    query = parse_query("sop:surat-masuk dari:1/11/2026 sampai:30/11/2026 oleh:Budi selesai")
    assert query == ArchiveQuery(
        sop="surat-masuk",
        official="Budi",
        date_from=dt.date(2026, 11, 1),
        date_to=dt.date(2026, 11, 30),
        states=frozenset({InstanceState.FINISHED}),
    )
    assert query.only_ended


def test_number_letter_and_english_forms() -> None:
    assert parse_query("#12").number == 12
    assert parse_query("No:12").number == 12
    query = parse_query("letter:005/UND/2026 by:siti from:2026-11-01 to:2026-11-30 cancelled")
    assert query.letter == "005/UND/2026"
    assert query.official == "siti"
    assert (query.date_from, query.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert query.states == frozenset({InstanceState.CANCELLED})


def test_dates_as_officials_write_them_with_or_without_quotes() -> None:
    november = dt.date(2026, 11, 1)
    for typed in (
        "dari:1/11/2026",
        "dari:01-11-2026",
        "dari:2026-11-01",
        'dari:"1 November 2026"',
        "dari:1 November 2026",
        "dari:1 Nov 2026",
        "dari: 1/11/2026",  # a phone's space after the colon
    ):
        assert parse_query(typed) == ArchiveQuery(date_from=november), typed
    # Unquoted words after a date stay words.
    assert parse_query("dari:1 November 2026 rapat") == ArchiveQuery(
        words=("rapat",), date_from=november
    )


def test_quotes_keep_words_together_and_make_a_state_a_word() -> None:
    query = parse_query('oleh:"Budi Santoso" “rapat koordinasi” "selesai"')
    assert query.official == "Budi Santoso"
    assert query.words == ("rapat koordinasi", "selesai")
    assert query.states == frozenset()


def test_arsip_is_the_ended_states_and_ended_keeps_a_narrower_state() -> None:
    assert parse_query("arsip").states == ENDED_STATES
    assert ArchiveQuery(words=("x",)).ended().states == ENDED_STATES
    assert parse_query("batal").ended().states == frozenset({InstanceState.CANCELLED})
    assert parse_query("berjalan").ended().states == ENDED_STATES


def test_a_word_shaped_like_an_unknown_filter_is_a_word_unless_it_is_a_typo() -> None:
    assert parse_query("B-12/UND:2026").words == ("B-12/UND:2026",)
    assert parse_query("09:30").words == ("09:30",)
    with pytest.raises(QueryError) as typo:
        parse_query("dri:1/11/2026")
    assert typo.value.problem is QueryProblem.UNKNOWN_FILTER
    assert typo.value.params == {"written": "dri:", "meant": "dari:"}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("dari:31/2/2026", QueryProblem.BAD_DATE),
        ("dari:kemarin", QueryProblem.BAD_DATE),
        ("no:dua", QueryProblem.BAD_NUMBER),
        ("sop:", QueryProblem.EMPTY_FILTER),
        ("status:hilang", QueryProblem.BAD_STATE),
        ("dari:30/11/2026 sampai:1/11/2026", QueryProblem.BACKWARDS),
        ("sop:a sop:b", QueryProblem.TWICE),
        ("#1 no:2", QueryProblem.TWICE),
        ("x" * (MAX_QUERY_CHARS + 1), QueryProblem.TOO_LONG),
        (" ".join(["kata"] * 11), QueryProblem.TOO_LONG),
    ],
)
def test_what_cannot_be_read_is_named(typed: str, problem: QueryProblem) -> None:
    with pytest.raises(QueryError) as refused:
        parse_query(typed)
    assert refused.value.problem is problem


def test_the_canonical_words_of_a_full_query() -> None:
    query = parse_query('"rapat: koordinasi" #7 surat:005/UND oleh:"Budi S" dari:1/11/2026 arsip')
    assert query_text(query) == (
        '"rapat: koordinasi" no:7 surat:005/UND oleh:"Budi S" dari:1/11/2026 arsip'
    )
    assert parse_query(query_text(query)) == query


_WORD = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters='"“”„'
        ),
        min_size=1,
        max_size=12,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)
_DAY = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


@given(
    words=st.lists(_WORD, max_size=4),
    number=st.none() | st.integers(0, 10**9 - 1),
    letter=st.none() | _WORD,
    sop=st.none() | _WORD,
    official=st.none() | _WORD,
    days=st.lists(_DAY, min_size=0, max_size=2).map(sorted),
    states=st.sets(st.sampled_from(list(InstanceState))),
)
def test_any_query_written_back_reads_back_the_same(
    words: list[str],
    number: int | None,
    letter: str | None,
    sop: str | None,
    official: str | None,
    days: list[dt.date],
    states: set[InstanceState],
) -> None:
    query = ArchiveQuery(
        words=tuple(words),
        number=number,
        letter=letter,
        sop=sop,
        official=official,
        date_from=days[0] if days else None,
        date_to=days[-1] if len(days) == 2 else None,
        states=frozenset(states),
    )
    assert parse_query(query_text(query)) == query
