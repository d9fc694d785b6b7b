"""How sopbot.engine.compliance counts what the services cannot easily play: a run without a due
time, a step sent back with "Kembalikan", a step several posts deliver, a step moved by hand;
and its periods and percentiles."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from sopbot.engine.compliance import (
    DispositionRecord,
    InvalidPeriod,
    Period,
    PeriodMeasure,
    ProcedureRecord,
    StepRunRecord,
    nearest_rank,
    time_figures,
)
from sopbot.engine.definition import SopDefinition
from sopbot.engine.loader import parse_definition
from sopbot.engine.monitoring import (
    PositionFigures,
    ProcedureCounts,
    ReportHeader,
    TimeFigures,
)
from sopbot.engine.working_calendar import calendar_for
from tests.helpers.definitions import definition_text

WITA = ZoneInfo("Asia/Makassar")
CALENDAR = calendar_for("Asia/Makassar")  # 07.30-16.00 with a break at 12.00; no holidays
MONDAY = Period(dt.date(2026, 7, 6), dt.date(2026, 7, 6))
STEPS = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menyusun konsep\n    pelaksana: sekretaris\n"
    "    waktu: 1 Jam\n    jenis_output: catatan\n"
    "  - no: 3\n    kegiatan: Memeriksa\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: catatan\n"
)


def definition() -> SopDefinition:
    """An SOP of three steps: 5 minutes, 1 hour, 10 minutes."""
    result = parse_definition(
        definition_text(steps=STEPS), source="test", sop_id="dinas/uji", agency_key="dinas"
    )
    assert result.definition is not None, result.errors
    return result.definition


def monday(hour: int, minute: int = 0) -> dt.datetime:
    """A moment of Monday 6 July 2026 in Samarinda, in UTC."""
    return dt.datetime(2026, 7, 6, hour, minute, tzinfo=WITA).astimezone(dt.UTC)


def done(post: str, at: dt.datetime, **changes: object) -> DispositionRecord:
    """A disposition its holder delivered at `at`."""
    fields: dict[str, object] = {
        "assignee_id": 1,
        "position_name": post,
        "state": "done",
        "acted_at": at,
        "manual": False,
        "sender_id": None,
        "acting": None,
    }
    fields.update(changes)
    return DispositionRecord(**fields)  # type: ignore[arg-type]


def test_the_percentiles_are_the_nearest_rank_and_the_median_the_usual_one() -> None:
    assert nearest_rank([float(v) for v in range(1, 11)], 0.9) == 9.0
    assert nearest_rank([5.0], 0.9) == 5.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.9) == 10.0
    figures = time_figures(
        [(10.0, 5.0, False), (2.0, 5.0, True), (4.0, 9.0, True), (6.0, 5.0, False)]
    )
    assert figures == TimeFigures(4, 2, 5.0, 10.0, 5.0)
    assert (figures.late, figures.on_time_share) == (2, 0.5)
    assert time_figures([]) == TimeFigures(0, 0, None, None, None)
    assert time_figures([]).on_time_share is None


def test_a_period_is_a_span_of_local_days() -> None:
    period = Period.checked(dt.date(2026, 7, 20), dt.date(2026, 8, 14))
    assert period.days == 26
    # Not whole months: the same number of days before.
    assert period.previous() == Period(dt.date(2026, 6, 24), dt.date(2026, 7, 19))
    assert period.months() == [dt.date(2026, 7, 1), dt.date(2026, 8, 1)]
    # Midnight in Samarinda is 16.00 UTC the day before.
    assert period.window(CALENDAR) == (
        dt.datetime(2026, 7, 19, 16, tzinfo=dt.UTC),
        dt.datetime(2026, 8, 14, 16, tzinfo=dt.UTC),
    )
    assert Period.checked(dt.date(2026, 7, 1), dt.date(2026, 7, 1)).days == 1
    with pytest.raises(InvalidPeriod) as refused:
        Period.checked(dt.date(2026, 7, 2), dt.date(2026, 7, 1))
    assert refused.value.code == "invalid_period"
    with pytest.raises(InvalidPeriod):
        Period.checked(dt.date(2026, 1, 1), dt.date(2029, 1, 1))


def test_runs_are_counted_as_they_went() -> None:
    sop = definition()
    # No. 1: step 1 from before due times were kept (not measured, and the procedure's
    # duration cannot be); step 2 sent back with "Kembalikan" at 09.00; step 1 again, done at
    # 09.10 against 09.05 by the Sekretariat's post.
    first = ProcedureRecord(
        uuid.uuid4(),
        1,
        sop.id,
        1,
        "finished",
        monday(8),
        monday(9, 10),
        (
            StepRunRecord(
                1,
                1,
                "completed",
                monday(8),
                monday(8, 3),
                None,
                None,
                (done("Kadis", monday(8, 3)),),
            ),
            StepRunRecord(
                2,
                1,
                "returned",
                monday(8, 3),
                None,
                monday(9, 3),
                None,
                (done("Sekretaris", monday(9), state="returned"),),
            ),
            StepRunRecord(
                1,
                2,
                "completed",
                monday(9),
                monday(9, 10),
                monday(9, 5),
                None,
                (done("Kadis", monday(9, 10)),),
            ),
        ),
    )
    # No. 2: step 2 delivered by two posts, the second's part moved to another official by
    # the admin (member 99): one at 08.30, the other at 10.00, against 09.00; step 3 opened at
    # 10.00, due at 10.10 and still open at midnight.
    second = ProcedureRecord(
        uuid.uuid4(),
        2,
        sop.id,
        1,
        "running",
        monday(8),
        None,
        (
            StepRunRecord(
                2,
                1,
                "completed",
                monday(8),
                monday(10),
                monday(9),
                None,
                (
                    done("Kabid A", monday(8, 30)),
                    done("Kabid B", monday(9, 30), assignee_id=5, state="handed_over"),
                    done(
                        "Kabid B",
                        monday(10),
                        assignee_id=7,
                        manual=True,
                        sender_id=99,
                        handed_from_assignee_id=5,
                    ),
                ),
            ),
            StepRunRecord(3, 1, "open", monday(10), None, monday(10, 10), None),
        ),
    )
    measure = PeriodMeasure(CALENDAR, MONDAY, now=monday(8) + dt.timedelta(days=2))

    figures, handling = measure.sop(sop, {1: sop}, [first, second])

    assert figures.procedures == ProcedureCounts(2, 1, 0, 1)
    assert (figures.rounds_per_procedure, figures.max_rounds) == (1.5, 2)
    assert figures.duration == TimeFigures(0, 0, None, None, None)
    one, two, three = figures.steps
    assert one.time == TimeFigures(1, 0, 600.0, 600.0, 300.0)
    assert (one.repeated_runs, two.open_late, three.open_late) == (1, 0, 1)
    assert two.time == TimeFigures(1, 0, 7200.0, 7200.0, 3600.0)
    assert (handling.returned_runs, handling.reassigned_runs, handling.handed_over_runs) == (
        1,
        1,
        0,
    )

    header = ReportHeader("Dinas", "Asia/Makassar", MONDAY.start, MONDAY.end, monday(8))
    report = measure.report(header, [sop], {1: sop}, [first, second])
    # Each post from when the step opened to when it delivered its own part.
    assert report.positions == (
        PositionFigures("Kabid A", TimeFigures(1, 1, 1800.0, 1800.0, 3600.0)),
        PositionFigures("Kabid B", TimeFigures(1, 0, 7200.0, 7200.0, 3600.0)),
        PositionFigures("Kadis", TimeFigures(1, 0, 600.0, 600.0, 300.0)),
    )


@pytest.mark.parametrize(
    ("start", "end", "before"),
    [
        # a semester: the one before, not the 181 days before (4 July to 31 December)
        ((2026, 1, 1), (2026, 6, 30), ((2025, 7, 1), (2025, 12, 31))),
        ((2026, 7, 1), (2026, 12, 31), ((2026, 1, 1), (2026, 6, 30))),
        # a month: the month before, however long
        ((2026, 3, 1), (2026, 3, 31), ((2026, 2, 1), (2026, 2, 28))),
        ((2024, 3, 1), (2024, 3, 31), ((2024, 2, 1), (2024, 2, 29))),
        ((2026, 1, 1), (2026, 1, 31), ((2025, 12, 1), (2025, 12, 31))),
        # a quarter, a year, and any run of whole months
        ((2026, 4, 1), (2026, 6, 30), ((2026, 1, 1), (2026, 3, 31))),
        ((2025, 1, 1), (2025, 12, 31), ((2024, 1, 1), (2024, 12, 31))),
        ((2026, 2, 1), (2026, 3, 31), ((2025, 12, 1), (2026, 1, 31))),
        # not whole months: the same number of days
        ((2026, 3, 2), (2026, 3, 31), ((2026, 1, 31), (2026, 3, 1))),
        ((2026, 3, 1), (2026, 3, 30), ((2026, 1, 30), (2026, 2, 28))),
    ],
)
def test_the_previous_period_of_whole_months_is_the_same_calendar_months_before(
    start: tuple[int, int, int],
    end: tuple[int, int, int],
    before: tuple[tuple[int, int, int], tuple[int, int, int]],
) -> None:
    period = Period.checked(dt.date(*start), dt.date(*end))
    assert period.previous() == Period(dt.date(*before[0]), dt.date(*before[1]))
