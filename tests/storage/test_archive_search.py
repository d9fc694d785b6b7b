"""The archive's search in the database (SQLite and PostgreSQL): each filter, their
combinations, LIKE's wildcards taken literally, paging, who may see what, and never another
agency's procedure."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from sopbot.storage.archive_reading import ProcedureSearch, SearchResult, search_procedures
from sopbot.storage.database import Database
from tests.helpers.archive import OLDER, PELAPORAN, PENGOLAHAN, ArchiveOffice, archive_office, wita


@pytest.fixture
def office(database: Database) -> ArchiveOffice:
    return archive_office(database)


def found(office: ArchiveOffice, search: ProcedureSearch, **paging: int) -> SearchResult:
    with office.database.unit_of_work(read_only=True) as uow:
        return search_procedures(uow, search, **paging)


def names(office: ArchiveOffice, search: ProcedureSearch) -> list[str]:
    """What the search finds, by the tests' names, in the order found."""
    by_number = {number: name for name, number in office.numbers.items()}
    return [by_number[p.number] for p in found(office, search).procedures]


def ours(office: ArchiveOffice, **parts: object) -> ProcedureSearch:
    return ProcedureSearch(agency_id=office.agency.agency_id, **parts)  # type: ignore[arg-type]


def test_a_word_is_found_in_the_title_or_the_letter_number_whatever_its_case(
    office: ArchiveOffice,
) -> None:
    assert names(office, ours(office, words=("koordinasi",))) == ["rapat"]
    assert names(office, ours(office, words=("RAPAT", "triwulan"))) == ["rapat"]
    assert names(office, ours(office, words=("rapat", "tahunan"))) == []  # every word must hold
    assert names(office, ours(office, words=("005/und",))) == ["rapat"]  # in the letter number
    assert names(office, ours(office, words=("kukmp_2026",))) == ["persen"]


def test_a_whole_number_word_also_finds_the_procedure_of_that_number(
    office: ArchiveOffice,
) -> None:
    rapat = office.numbers["rapat"]
    assert rapat == OLDER + 1
    # "13" is No. 13 and in no title or letter; "1" is No. 1 and in several titles.
    assert names(office, ours(office, words=(str(rapat),))) == ["rapat"]
    assert set(names(office, ours(office, words=("1",)))) == {
        "persen",  # "100%", and its letter "B-12/..."
        "lama12",
        "lama11",
        "lama10",
        "lama1",  # "Arsip lama 1" and No. 1
    }


def test_the_number_and_the_letter_filters(office: ArchiveOffice) -> None:
    assert names(office, ours(office, number=office.numbers["garis"])) == ["garis"]
    assert names(office, ours(office, letter="b-12")) == ["persen"]
    # The letter filter reads the letter number only, not the title.
    assert names(office, ours(office, letter="rapat")) == []


def test_like_wildcards_in_the_words_match_only_themselves(office: ArchiveOffice) -> None:
    # Unescaped, "0%" would be "anything with a 0" and "data_kinerja" would match
    # "data-kinerja" too.
    assert names(office, ours(office, words=("0%",))) == ["persen"]
    assert names(office, ours(office, words=("data_kinerja",))) == ["garis"]
    assert names(office, ours(office, words=("data-kinerja",))) == ["strip"]
    assert names(office, ours(office, words=("%",))) == ["persen"]
    assert names(office, ours(office, words=("_",))) == ["garis", "persen"]
    # The escape character itself, and a backslash, are plain characters too.
    assert names(office, ours(office, words=("/",))) == ["persen", "rapat"]
    assert names(office, ours(office, words=("\\",))) == []
    assert names(office, ours(office, letter="%")) == []


def test_the_sop_filter_and_none_of_the_sops(office: ArchiveOffice) -> None:
    assert names(office, ours(office, sop_ids=(PENGOLAHAN.id,))) == ["strip", "garis", "rapat"]
    assert len(names(office, ours(office, sop_ids=(PELAPORAN.id,)))) == OLDER + 1
    assert names(office, ours(office, sop_ids=())) == []


def test_the_official_filter_finds_who_started_acted_or_was_given_a_step(
    office: ArchiveOffice,
) -> None:
    agency = office.agency
    # The Kepala Bidang were given steps of the finished procedure only.
    assert names(office, ours(office, officials=(agency.person("kepala_bidang", 1),))) == ["rapat"]
    # The Kepala Dinas started three and acted in them.
    assert names(office, ours(office, officials=(agency.person("kepala_dinas"),))) == [
        "strip",
        "garis",
        "rapat",
    ]
    # Any of several; nobody matched: nothing.
    both = (agency.person("kepala_bidang"), office.reporters["kadis"])
    assert len(names(office, ours(office, officials=both))) == OLDER + 2
    assert names(office, ours(office, officials=())) == []


def test_a_member_who_is_not_an_admin_sees_only_what_involves_them(
    office: ArchiveOffice,
) -> None:
    agency = office.agency
    assert names(office, ours(office, involving=agency.person("kepala_bidang", 2))) == ["rapat"]
    assert names(office, ours(office, involving=agency.admin_id)) == []
    # The sekretaris of the running procedures: given step 2 of "strip" (open now) too.
    sekretaris = agency.person("sekretaris")
    assert names(office, ours(office, involving=sekretaris)) == ["strip", "garis", "rapat"]
    assert names(office, ours(office, words=("rapat",), involving=sekretaris)) == ["rapat"]


def test_the_day_range_finds_what_started_or_finished_in_it(office: ArchiveOffice) -> None:
    # 3 November (WITA): "rapat" started the day before but finished in it.
    assert names(office, ours(office, since=wita(11, 3, 0), before=wita(11, 4, 0))) == ["rapat"]
    # From 10 November on: "garis" started and was cancelled, "strip" started.
    assert names(office, ours(office, since=wita(11, 10, 0))) == ["strip", "garis"]
    # Until the end of 2 October: only the first old one.
    assert names(office, ours(office, before=wita(10, 3, 0))) == ["lama1"]
    # An instant is in the range from its first moment; the end is not.
    assert names(office, ours(office, since=wita(12, 1), before=wita(12, 1, 9, 1))) == ["strip"]
    assert names(office, ours(office, since=wita(12, 1, 9, 1))) == []


def test_states_and_the_newest_ended_first(office: ArchiveOffice) -> None:
    ended = frozenset({"finished", "cancelled"})
    assert names(office, ours(office, states=ended, by_end=True)) == ["garis", "rapat"]
    assert names(office, ours(office, states=frozenset({"finished"}))) == ["rapat"]
    office.set_times(office.numbers["rapat"], wita(11, 2), finished=wita(11, 20))
    assert names(office, ours(office, states=ended, by_end=True)) == ["rapat", "garis"]
    assert names(office, ours(office, states=ended)) == ["garis", "rapat"]  # by start


def test_filters_combine(office: ArchiveOffice) -> None:
    search = ours(
        office,
        words=("evaluasi",),
        sop_ids=(PENGOLAHAN.id,),
        officials=(office.agency.person("kepala_dinas"),),
        since=wita(11, 1, 0),
        before=wita(11, 30, 0),
        states=frozenset({"cancelled"}),
    )
    assert names(office, search) == ["garis"]
    assert names(office, replace(search, states=frozenset({"running"}))) == []
    assert names(office, replace(search, before=wita(12, 31, 0), states=frozenset())) == [
        "strip",
        "garis",
    ]


def test_pages_of_eight_newest_first_with_the_total(office: ArchiveOffice) -> None:
    everything = ours(office)
    total = OLDER + 4
    first = found(office, everything, offset=0, limit=8)
    second = found(office, everything, offset=8, limit=8)
    assert (first.total, second.total) == (total, total)
    assert len(first.procedures) == 8
    assert len(second.procedures) == total - 8
    started = [p.started_at for p in first.procedures + second.procedures]
    assert started == sorted(started, reverse=True)
    assert {p.number for p in first.procedures} & {p.number for p in second.procedures} == set()
    assert found(office, everything, offset=40, limit=8).procedures == []


def test_another_agency_s_procedure_is_never_found(office: ArchiveOffice) -> None:
    theirs = ProcedureSearch(agency_id=office.other.agency_id)
    (their_only,) = found(office, theirs).procedures
    for search in (
        ours(office),
        ours(office, words=("100%",)),
        ours(office, words=("data_kinerja", "koordinasi")),
        ours(office, letter="005/UND"),
        ours(office, number=their_only.number),
        ours(office, officials=(office.other.person("kepala_dinas"),)),
        ours(office, involving=office.other.person("kepala_dinas")),
    ):
        assert their_only.id not in {p.id for p in found(office, search).procedures}
    # And ours are never theirs: their search finds only their one procedure.
    assert found(office, replace(theirs, words=("rapat",))).total == 1
    assert found(office, replace(theirs, letter="b-12")).total == 0


def test_the_letter_columns_come_back_with_each_procedure(office: ArchiveOffice) -> None:
    (rapat,) = found(office, ours(office, number=office.numbers["rapat"])).procedures
    assert (rapat.letter_number, rapat.letter_date, rapat.letter_sender) == (
        "005/UND/XI/2026",
        dt.date(2026, 10, 30),
        "Bappeda Kota Samarinda",
    )
    assert rapat.state == "finished"
    assert rapat.finished_at is not None
