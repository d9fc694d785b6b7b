"""The letter a procedure follows up: its parts read as officials type them, and the engine's
rule of who may give, change or remove it (an admin at any time, the starter while it runs)."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.errors import InstanceNotRunning, NotAllowed
from sopbot.engine.instance import EntityKind, InstanceState, TransitionAction
from sopbot.engine.letters import (
    Letter,
    LetterEdit,
    LetterError,
    LetterPart,
    LetterProblem,
    letter_after,
    means_none,
    read_date,
    read_number,
    read_sender,
)
from sopbot.engine.procedure import Procedure
from tests.engine.test_procedure import KADIS, PENGOLAHAN, SEKRETARIS, T0, samarinda_org

TODAY = dt.date(2026, 12, 7)
LETTER = Letter("005/123/Disdik/2026", dt.date(2026, 12, 3), "Kementerian Dalam Negeri")


def problem_of(call: object) -> LetterProblem:
    """The problem a reading refuses with."""
    assert callable(call)
    with pytest.raises(LetterError) as refused:
        call()
    return refused.value.problem


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("03/12/2026", dt.date(2026, 12, 3)),
        ("3/12/2026", dt.date(2026, 12, 3)),
        ("3-12-2026", dt.date(2026, 12, 3)),
        ("3.12.2026", dt.date(2026, 12, 3)),
        ("3 Desember 2026", dt.date(2026, 12, 3)),
        ("3 desember 2026", dt.date(2026, 12, 3)),
        ("3 Des 2026", dt.date(2026, 12, 3)),
        ("3 Des. 2026", dt.date(2026, 12, 3)),
        ("  3   Des  2026 ", dt.date(2026, 12, 3)),
        ("2026-12-03", dt.date(2026, 12, 3)),
        ("03/12/26", dt.date(2026, 12, 3)),
        ("3 Des 26", dt.date(2026, 12, 3)),
        ("17 Agustus 1945", dt.date(1945, 8, 17)),
        ("1 Nopember 2026", dt.date(2026, 11, 1)),
        ("3 December 2026", dt.date(2026, 12, 3)),
        ("3 Dec 2026", dt.date(2026, 12, 3)),
        ("hari ini", TODAY),
        ("Hari Ini", TODAY),
        ("today", TODAY),
        ("kemarin", dt.date(2026, 12, 6)),
        ("7/12/2026", TODAY),
        ("Kamis, 3 Desember 2026", dt.date(2026, 12, 3)),
        ("tgl. 3/12/2026", dt.date(2026, 12, 3)),
        ("tanggal 3 Des 2026.", dt.date(2026, 12, 3)),
    ],
)
def test_dates_as_officials_write_them(typed: str, day: dt.date) -> None:
    assert read_date(typed, today=TODAY) == day


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("31/02/2026", LetterProblem.DATE_NO_SUCH_DAY),
        ("32 Desember 2026", LetterProblem.DATE_NO_SUCH_DAY),
        ("3/13/2026", LetterProblem.DATE_NO_SUCH_DAY),
        ("besok", LetterProblem.DATE_UNREADABLE),
        ("3 Dessember 2026", LetterProblem.DATE_UNREADABLE),
        ("Desember 2026", LetterProblem.DATE_UNREADABLE),
        ("005/123/2026", LetterProblem.DATE_UNREADABLE),
        ("", LetterProblem.DATE_UNREADABLE),
        ("-", LetterProblem.DATE_UNREADABLE),
        ("8/12/2026", LetterProblem.DATE_AFTER_TODAY),
        ("3 Desember 2062", LetterProblem.DATE_AFTER_TODAY),
        ("3/12/1899", LetterProblem.DATE_TOO_EARLY),
        ("31 Desember 1944", LetterProblem.DATE_TOO_EARLY),
    ],
)
def test_a_date_that_cannot_be_right_is_refused_saying_why(
    typed: str, problem: LetterProblem
) -> None:
    assert problem_of(lambda: read_date(typed, today=TODAY)) is problem


def test_a_number_is_tidied_and_must_look_like_one() -> None:
    assert read_number("  005/123/Disdik/2026 ") == "005/123/Disdik/2026"
    assert read_number("B-12 /  KB/2026") == "B-12 / KB/2026"
    assert read_number("9" * 100) == "9" * 100
    assert problem_of(lambda: read_number("  ")) is LetterProblem.NUMBER_EMPTY
    # A note typed one question too early has no digit.
    assert problem_of(lambda: read_number("Untuk ditindaklanjuti")) is (
        LetterProblem.NUMBER_WITHOUT_DIGIT
    )
    assert problem_of(lambda: read_number("9" * 101)) is LetterProblem.NUMBER_TOO_LONG


def test_a_sender_is_tidied_and_bounded() -> None:
    assert read_sender(" Kementerian\n Dalam  Negeri ") == "Kementerian Dalam Negeri"
    assert problem_of(lambda: read_sender("")) is LetterProblem.SENDER_EMPTY
    assert problem_of(lambda: read_sender("x" * 201)) is LetterProblem.SENDER_TOO_LONG
    assert means_none(" - ")
    assert not means_none("-5")


def test_a_letter_keeps_to_its_columns_whatever_path_it_takes() -> None:
    assert problem_of(lambda: Letter(" ")) is LetterProblem.NUMBER_EMPTY
    assert problem_of(lambda: Letter("1" * 101)) is LetterProblem.NUMBER_TOO_LONG
    assert problem_of(lambda: Letter("1", None, "x" * 201)) is LetterProblem.SENDER_TOO_LONG


def test_edits_apply_to_the_letter_as_it_stands() -> None:
    number = LetterEdit(LetterPart.NUMBER, "B-7/2026")
    date = LetterEdit(LetterPart.DATE, dt.date(2026, 12, 1))
    assert letter_after(LETTER, (number,)) == Letter(
        "B-7/2026", LETTER.date, "Kementerian Dalam Negeri"
    )
    assert letter_after(LETTER, (LetterEdit(LetterPart.SENDER, None),)) == Letter(
        LETTER.number, LETTER.date
    )
    assert letter_after(LETTER, (LetterEdit(None),)) is None
    # Without a number, a date needs one given with it (it is applied first).
    assert letter_after(None, (date, number)) == Letter("B-7/2026", dt.date(2026, 12, 1))
    assert problem_of(lambda: letter_after(None, (date,))) is LetterProblem.NUMBER_FIRST


def started(letter: Letter | None = None) -> Procedure:
    org = samarinda_org()
    return Procedure.start(
        PENGOLAHAN,
        agency_id=1,
        title="Data Kinerja",
        starter_id=SEKRETARIS,
        note=None,
        at=T0,
        routing=org.routing(T0),
        letter=letter,
    )


def test_a_letter_given_at_the_start_is_in_the_start_transition() -> None:
    procedure = started(LETTER)
    assert procedure.instance.letter == LETTER
    start = procedure.transitions[0]
    assert (start.entity, start.action) == (EntityKind.INSTANCE, TransitionAction.START)
    assert {k: v for k, v in start.detail.items() if k.startswith("letter")} == {
        "letter_number": "005/123/Disdik/2026",
        "letter_date": "2026-12-03",
        "letter_sender": "Kementerian Dalam Negeri",
    }
    assert "letter_number" not in started().transitions[0].detail


def test_who_may_change_the_letter_and_what_each_change_records() -> None:
    procedure = started()
    procedure.transitions.clear()
    later = T0 + dt.timedelta(hours=1)
    # Neither its starter nor an admin: refused, nothing recorded.
    with pytest.raises(NotAllowed):
        procedure.set_letter(LETTER, KADIS, at=later, is_admin=False)
    assert (procedure.instance.letter, procedure.transitions) == (None, [])
    # The starter while it runs.
    assert procedure.set_letter(LETTER, SEKRETARIS, at=later, is_admin=False)
    # The same letter again: nothing to record.
    assert not procedure.set_letter(LETTER, SEKRETARIS, at=later, is_admin=False)
    (given,) = procedure.transitions
    assert (given.action, given.before, given.after, given.actor_id) == (
        TransitionAction.LETTER,
        "running",
        "running",
        SEKRETARIS,
    )
    assert "removed" not in given.detail
    assert not any(key.startswith("was_") for key in given.detail)
    procedure.cancel(SEKRETARIS, reason="Salah SOP", at=later, is_admin=False)
    procedure.transitions.clear()
    # Once it ended, the starter is told so; an admin (or the operator, None) still may.
    with pytest.raises(InstanceNotRunning):
        procedure.set_letter(None, SEKRETARIS, at=later, is_admin=False)
    assert procedure.set_letter(None, KADIS, at=later, is_admin=True)
    (removed,) = procedure.transitions
    assert (removed.before, removed.after) == ("cancelled", "cancelled")
    assert removed.detail == {
        "was_letter_number": "005/123/Disdik/2026",
        "was_letter_date": "2026-12-03",
        "was_letter_sender": "Kementerian Dalam Negeri",
        "removed": True,
    }
    assert procedure.set_letter(Letter("1/2026"), None, at=later, is_admin=True)
    assert procedure.instance.state is InstanceState.CANCELLED
    assert procedure.instance.letter == Letter("1/2026")
