"""What monitoring measures: each step's real time against its Mutu Baku over a period.

These values are what the monitoring form, the evaluation form and the compliance report of
Permenpan RB 35/2012 are filled from (sopbot.documents renders them, sopbot.services computes
them from the stored runs). They hold figures only: the renderers choose the words.

Times are working seconds (the agency's working clock, as the standard is), except where a
name says otherwise. A period's procedures are those started in it; a step run of theirs is
*measured* when it finished (done) inside the period and has a due time; it is *on time* when it
finished no later than its due time. sopbot.engine.compliance says how each figure is counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sopbot.engine.instance import InstanceState
from sopbot.engine.letters import Letter


@dataclass(frozen=True, slots=True)
class TimeFigures:
    """Finished step runs (or procedures) measured against their standard time."""

    measured: int  # finished runs with a standard, measured
    on_time: int  # of those, finished no later than due
    median_seconds: float | None  # real working time, median (None when nothing was measured;
    # of an even count, the mean of the two middle values)
    p90_seconds: float | None  # real working time, 90th percentile (nearest rank)
    median_standard_seconds: float | None  # their standard, in working seconds, median

    @property
    def late(self) -> int:
        """Measured runs that finished after their due time."""
        return self.measured - self.on_time

    @property
    def on_time_share(self) -> float | None:
        """The share (0..1) finished on time; None when nothing was measured."""
        return self.on_time / self.measured if self.measured else None


@dataclass(frozen=True, slots=True)
class StepFigures:
    """One step of an SOP over the period."""

    step_number: int
    step_label: str  # the number as the SOP prints it
    activity: str
    executors: tuple[str, ...]  # the role names that do it, as the SOP names them
    standard: str  # the Mutu Baku time as written ("1 Hari")
    time: TimeFigures
    repeated_runs: int  # runs in a round after the first (the step was done again)
    open_late: int  # runs still open at the period's end and past their due time by then (in a
    # period not over yet: by now)


@dataclass(frozen=True, slots=True)
class ProcedureCounts:
    """Procedures of the period: started in it, and how those stand at its end."""

    started: int
    finished: int
    cancelled: int
    running: int


@dataclass(frozen=True, slots=True)
class ProcedureLine:
    """One procedure of the period as the reports list it: its number, title and letter, how
    it stood at the period's end, and what it took.

    It stands as `ProcedureCounts` counts it: finished or cancelled when that happened before
    the period's end, running otherwise (even if it ended later). Its SOP's name is that of the
    `SopFigures` that holds it."""

    number: int
    title: str
    sop_id: str
    letter: Letter | None  # the letter it is about, as it stands now (None: none was given)
    state: InstanceState  # as at the period's end
    started_at: dt.datetime  # UTC
    finished_at: dt.datetime | None  # when it finished or was cancelled (UTC); None while it
    # was running at the period's end
    working_seconds: float | None  # start to finish in working time, when it finished (not
    # cancelled) within the period; None otherwise
    standard_seconds: float | None  # the sum of the standards of the runs along its path that
    # opened before the period's end (each round, a run sent back included), as
    # `SopFigures.duration` compares with; so far, for one still running; None when a run of
    # it has no due time
    late_steps: int  # its measured step runs (done within the period) that finished after due
    highest_round: int  # its highest round by the period's end (1: nothing was done again)

    @property
    def within_standard(self) -> bool | None:
        """True when it finished within the sum of its standards, False when it took longer;
        None when it did not finish in the period (or a run had no due time)."""
        if self.working_seconds is None or self.standard_seconds is None:
            return None
        return self.working_seconds <= self.standard_seconds


@dataclass(frozen=True, slots=True)
class SopFigures:
    """One SOP over the period."""

    sop_id: str
    name: str
    sop_number: str | None  # the SOP's own number (Nomor SOP), when its header has one
    unit: str | None  # the organisation unit responsible, when its header names one
    procedures: ProcedureCounts
    rounds_per_procedure: float | None  # mean of each procedure's highest round
    max_rounds: int
    duration: TimeFigures  # procedures finished in the period, start to end, against the sum
    # of the standards of the runs along the path each took (rounds included)
    time: TimeFigures  # all of its measured step runs
    steps: tuple[StepFigures, ...]  # in table order; then any step only an older version had
    procedure_lines: tuple[ProcedureLine, ...] = ()  # each procedure of the period (those
    # counted in `procedures`), by number: the list the reports print with each letter


@dataclass(frozen=True, slots=True)
class PositionFigures:
    """The step runs one position (jabatan) finished over the period: each measured from when
    the step opened to when the post delivered its part (a step handed over keeps its post)."""

    position_name: str
    time: TimeFigures


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """One calendar month of the period (in the agency's zone), for month against month.

    The months share out the period's figures: a procedure counts in the month it started
    (standing as at the period's end), a run in the month it was completed. The first and the
    last month hold only the days of the period."""

    month: dt.date  # the first day of the month
    procedures: ProcedureCounts
    time: TimeFigures


@dataclass(frozen=True, slots=True)
class SlowStep:
    """A step among the slowest of the agency: by how much its median exceeds its standard."""

    sop_name: str
    step: StepFigures


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """Whose report it is and for when: printed at the top of every form and report."""

    agency_name: str
    timezone: str
    period_start: dt.date  # first day, inclusive, in the agency's zone
    period_end: dt.date  # last day, inclusive
    generated_at: dt.datetime  # UTC
    # One working day in working seconds (WorkingHours.day_length), so that a long working
    # time reads "1 hari 3 jam" (working days) as the SOP's "1 Hari" does; None: in hours.
    working_day_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """Mutu Baku compliance of an agency (or of one SOP) over a period."""

    header: ReportHeader
    procedures: ProcedureCounts
    time: TimeFigures  # every measured step run of the agency
    sops: tuple[SopFigures, ...]  # by name: those that can be started, and any started then
    positions: tuple[PositionFigures, ...]  # by name
    months: tuple[MonthFigures, ...]  # every month of the period, in order
    slowest: tuple[SlowStep, ...]  # at most 10, slowest first: steps measured at least 5 times
    # whose median exceeds their standard's


@dataclass(frozen=True, slots=True)
class MonitoringForm:
    """The monitoring form (Permenpan RB 35/2012) of one SOP over a period: its steps with
    what was measured; the assessor's columns are left for the assessor."""

    header: ReportHeader
    sop: SopFigures


@dataclass(frozen=True, slots=True)
class HandlingCounts:
    """How the runs of an SOP were handled over the period, for the evaluation form."""

    reassigned_runs: int  # runs an admin (or the operator) moved to another official
    handed_over_runs: int  # runs whose holder handed them to someone else ("Alihkan")
    returned_runs: int  # runs that sent the work back (a rejecting answer, or "Kembalikan")
    documents: int  # documents uploaded to the SOP's procedures


@dataclass(frozen=True, slots=True)
class EvaluationFigures:
    """What supports each criterion of the evaluation form for one SOP over a period."""

    header: ReportHeader
    sop: SopFigures
    previous: SopFigures | None  # the same SOP over the period just before (`previous_start`
    # to `previous_end`), for the trend (None when no procedure of it started then)
    reassigned_runs: int  # steps an admin (or the operator) moved to another official (/pindah)
    handed_over_runs: int  # steps their holder handed to someone else ("Alihkan"; not a step
    # released when a teammate took it)
    returned_runs: int  # steps that sent the work back: answered "no" (a branch that rejects),
    # or returned with "Kembalikan"
    documents: int  # documents uploaded to the period's procedures by its end
    previous_start: dt.date | None = None  # the previous period's first day (Period.previous:
    # the same calendar months before, or the same number of days), inclusive
    previous_end: dt.date | None = None  # its last day, inclusive
    previous_handling: HandlingCounts | None = None  # how the runs of the previous period's
    # procedures were handled, as the four counts above (None when `previous` is None)
