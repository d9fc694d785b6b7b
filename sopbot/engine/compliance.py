"""Mutu Baku compliance: the figures of sopbot.engine.monitoring computed from what the runs
recorded, on the agency's working clock.

The storage reads the procedures of a period as the records below (`ProcedureRecord`, with its
`StepRunRecord`s and their `DispositionRecord`s); `PeriodMeasure` turns them into figures.

How a period is measured (the reports and the forms say the same):

* The period is a span of local dates [start, end], both inclusive, in the agency's zone; its
  window is [start 00:00, the day after end 00:00) in that zone. Its procedures are those
  *started* in the window; everything else is what became of them by the window's end ("at the
  period's end"; for a period not over yet, its due times are compared with now).
* A step run is *measured* when it was completed (done) before the period's end and has a due
  time. Its real time is the working time (the agency's `WorkingCalendar`, as /status counts
  it) from when it opened to when it was completed; its standard is the working time from when
  it opened to its due time; it is *on time* when it was completed no later than its due time.
  A run sent back with "Kembalikan", cancelled or still open is not measured; a completed run
  without a due time (rows from before due times were kept) is not measured either, but it
  counts, like every run, in the rounds, the repeated runs and the evaluation's counts.
* A median is the usual median (the mean of the two middle values of an even count); the 90th
  percentile is the nearest-rank one: the smallest value that at least 90% of the values do
  not exceed (the ceil(0.9 n)-th of the n values in order).
* A finished procedure's duration is the working time from its start to its end, against the
  sum of the standards of every run along the path it took (each round, a run sent back
  included); it is on time when the duration does not exceed that sum. A procedure with a run
  without a due time is not measured.
* Steps are told apart by their number (the definition's internal id), across the versions of
  an SOP: a step of the SOP's current definition is described by it, a step only an older
  version had is described by the version that ran it, after the current steps.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sopbot.engine.definition import SopDefinition, Step
from sopbot.engine.errors import DomainError
from sopbot.engine.instance import DispositionState, InstanceState, StepRunState
from sopbot.engine.letters import Letter
from sopbot.engine.monitoring import (
    ComplianceReport,
    HandlingCounts,
    MonthFigures,
    PositionFigures,
    ProcedureCounts,
    ProcedureLine,
    ReportHeader,
    SlowStep,
    SopFigures,
    StepFigures,
    TimeFigures,
)
from sopbot.engine.working_calendar import WorkingCalendar

# A report covers at most three years: what an evaluation compares, and a bound on what one
# request reads.
MAX_PERIOD_YEARS = 3

# The slowest steps of an agency: how many are listed, and how often a step must have been
# measured to be among them (a median of fewer runs says more about one case than the step).
SLOWEST_LISTED = 10
SLOWEST_MIN_MEASURED = 5

_P90 = 0.9

# The stored states the figures compare with, as the records carry them.
_COMPLETED = StepRunState.COMPLETED.value
_RETURNED = StepRunState.RETURNED.value
_CANCELLED = StepRunState.CANCELLED.value
_DONE = DispositionState.DONE.value
_SENT_BACK = DispositionState.RETURNED.value
_FINISHED = InstanceState.FINISHED.value
_CALLED_OFF = InstanceState.CANCELLED.value


class InvalidPeriod(DomainError):
    """A report's period ends before it starts, or is longer than `MAX_PERIOD_YEARS`."""

    code = "invalid_period"


@dataclass(frozen=True, slots=True)
class Period:
    """A span of local dates in the agency's zone, both ends inclusive."""

    start: dt.date
    end: dt.date

    @classmethod
    def checked(cls, start: dt.date, end: dt.date) -> Period:
        """The period from `start` to `end`; `InvalidPeriod` when it ends before it starts
        or is longer than `MAX_PERIOD_YEARS` years (it must end before the same date that many
        years on: 1 January 2025 to 31 December 2027 at the most)."""
        if end < start:
            raise InvalidPeriod(
                "the period ends before it starts", start=start.isoformat(), end=end.isoformat()
            )
        if end >= _years_after(start, MAX_PERIOD_YEARS):
            raise InvalidPeriod(
                "the period is too long",
                start=start.isoformat(),
                end=end.isoformat(),
                max_years=MAX_PERIOD_YEARS,
            )
        return cls(start, end)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before this one, to compare with: for whole calendar months (a
        month, a quarter, a semester, a year) the same number of whole months before it (the
        first semester of 2026: the second of 2025; March: February); else the same number
        of days before it."""
        months = self._whole_months()
        if months is not None:
            start = _months_before(self.start, months)
            return Period(start, self.start - dt.timedelta(days=1))
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def _whole_months(self) -> int | None:
        """How many calendar months the period is, when it is whole months (from a first day
        to a last day); None otherwise."""
        after = self.end + dt.timedelta(days=1)
        if self.start.day != 1 or after.day != 1:
            return None
        return (after.year - self.start.year) * 12 + after.month - self.start.month

    def window(self, calendar: WorkingCalendar) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC moments: from its first day's midnight in the agency's zone to the
        midnight after its last day (exclusive)."""
        zone = calendar.zone
        start = dt.datetime.combine(self.start, dt.time(), zone).astimezone(dt.UTC)
        after = self.end + dt.timedelta(days=1)
        return start, dt.datetime.combine(after, dt.time(), zone).astimezone(dt.UTC)

    def months(self) -> list[dt.date]:
        """The first day of every calendar month the period touches, in order."""
        found = []
        month = self.start.replace(day=1)
        while month <= self.end:
            found.append(month)
            month = _next_month(month)
        return found


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same date `years` later (29 February: 1 March when that year has none)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def _months_before(first: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `first`."""
    index = first.year * 12 + first.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class DispositionRecord:
    """A step run as it reached one person, as far as the figures need it."""

    assignee_id: int
    position_name: str  # the post it was addressed to (a hand-over keeps the post)
    state: str  # a DispositionState value
    acted_at: dt.datetime | None  # when its holder (or someone for them) last changed it
    manual: bool  # handed over by a person (the holder's "Alihkan", or an admin's /pindah)
    sender_id: int | None  # who sent it (for a hand-over: who handed it; None: the operator)
    acting: str | None  # "plt" / "plh" when its holder acted for the post
    handed_from_assignee_id: int | None = None  # whose disposition it took over, if any


@dataclass(frozen=True, slots=True)
class StepRunRecord:
    """One pass through a step, with the dispositions that tell who did what with it: those
    delivered, sent back, or handed on (and the ones that took over by hand), oldest first."""

    step_number: int
    round: int
    state: str  # a StepRunState value
    opened_at: dt.datetime
    completed_at: dt.datetime | None
    due_at: dt.datetime | None
    answer: str | None  # the branch a question was answered with
    dispositions: tuple[DispositionRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ProcedureRecord:
    """A procedure started in the period: its runs opened before the period's end (in the
    order they opened), how many documents were uploaded to it by then, its title and the
    letter it is about."""

    id: uuid.UUID
    number: int
    sop_id: str
    sop_version_id: int
    state: str  # an InstanceState value, as it is now
    started_at: dt.datetime
    finished_at: dt.datetime | None  # when it finished or was cancelled
    runs: tuple[StepRunRecord, ...] = ()
    documents: int = 0
    title: str = ""
    letter: Letter | None = None


Sample = tuple[float, float, bool]
"""A measured run (or procedure): real working seconds, standard working seconds, on time."""


def time_figures(samples: Sequence[Sample]) -> TimeFigures:
    """Measured runs (or procedures) summed up: counts, the median and the nearest-rank 90th
    percentile of their real time, and the median of their standard."""
    if not samples:
        return TimeFigures(0, 0, None, None, None)
    real = sorted(sample[0] for sample in samples)
    return TimeFigures(
        measured=len(samples),
        on_time=sum(1 for sample in samples if sample[2]),
        median_seconds=statistics.median(real),
        p90_seconds=nearest_rank(real, _P90),
        median_standard_seconds=statistics.median(sample[1] for sample in samples),
    )


def nearest_rank(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of values in ascending order: the ceil(share * n)-th."""
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return ordered[rank - 1]


@dataclass
class _StepTally:
    """What one step of one SOP collected over the period."""

    samples: list[Sample] = field(default_factory=list)
    repeated_runs: int = 0
    open_late: int = 0


@dataclass
class _SopTally:
    """What one SOP collected over the period."""

    procedures: list[ProcedureRecord] = field(default_factory=list)
    lines: list[ProcedureLine] = field(default_factory=list)  # in the procedures' order
    samples: list[Sample] = field(default_factory=list)
    durations: list[Sample] = field(default_factory=list)
    steps: dict[int, _StepTally] = field(default_factory=lambda: defaultdict(_StepTally))
    highest_rounds: list[int] = field(default_factory=list)
    reassigned: int = 0
    handed_over: int = 0
    returned: int = 0
    documents: int = 0


_MICROSECOND = dt.timedelta(microseconds=1)


class _Timeline:
    """The agency's working time as a running total from an origin day, so that the working
    time between two moments is a subtraction: `WorkingCalendar.working_seconds_between` for
    the hundred thousand moments of a year's report, each day's intervals summed once (in
    whole microseconds, so that whole seconds come out exact)."""

    def __init__(self, calendar: WorkingCalendar, origin: dt.date) -> None:
        self.calendar = calendar
        self._first = self._last = origin
        self._before: dict[dt.date, int] = {origin: 0}  # working microseconds before each day

    def at(self, moment: dt.datetime) -> int:
        """Working microseconds from the origin day's midnight to `moment` (negative before)."""
        day = self.calendar.local_date(moment)
        total = self._before.get(day)
        if total is None:
            total = self._reach(day)
        for opening, closing in self.calendar.intervals(day):
            if moment <= opening:
                break
            total += (min(moment, closing) - opening) // _MICROSECOND
        return total

    def since(self, start: int, end: dt.datetime) -> float:
        """Working seconds from `start` (a value of `at`) to `end`; 0 when `end` is earlier."""
        return max(0, self.at(end) - start) / 1e6

    def _reach(self, day: dt.date) -> int:
        """The running total at the start of `day`, extending the known days to it."""
        one = dt.timedelta(days=1)
        while day > self._last:
            self._before[self._last + one] = self._before[self._last] + self._length(self._last)
            self._last += one
        while day < self._first:
            self._first -= one
            self._before[self._first] = self._before[self._first + one] - self._length(self._first)
        return self._before[day]

    def _length(self, day: dt.date) -> int:
        return sum(
            (closing - opening) // _MICROSECOND for opening, closing in self.calendar.intervals(day)
        )


class PeriodMeasure:
    """Measures the procedures of one period on an agency's working clock.

    `now` bounds the period's end for due times: in a period not over yet, a step due later
    today is not late.
    """

    def __init__(self, calendar: WorkingCalendar, period: Period, *, now: dt.datetime) -> None:
        self.calendar = calendar
        self.period = period
        self.start, self.end = period.window(calendar)
        self.as_of = min(self.end, now)
        self._clock = _Timeline(calendar, period.start)

    # -- figures ---------------------------------------------------------------------------

    def sop(
        self,
        reference: SopDefinition,
        versions: Mapping[int, SopDefinition],
        procedures: Iterable[ProcedureRecord],
    ) -> tuple[SopFigures, HandlingCounts]:
        """One SOP's figures from its procedures of the period, and how its runs were handled.
        `reference` describes it (its current definition); `versions` are the definitions its
        procedures ran, by version id."""
        tally = _SopTally()
        for procedure in procedures:
            self._tally(tally, versions[procedure.sop_version_id], procedure)
        handling = HandlingCounts(
            tally.reassigned, tally.handed_over, tally.returned, tally.documents
        )
        return self._sop_figures(reference, versions, tally), handling

    def report(
        self,
        header: ReportHeader,
        references: Sequence[SopDefinition],
        versions: Mapping[int, SopDefinition],
        procedures: Iterable[ProcedureRecord],
    ) -> ComplianceReport:
        """The compliance report: every SOP of `references` (in that order), the agency's
        totals, its positions (by name), its months and its slowest steps.

        The months partition the period: a procedure counts in the month it started (standing
        as at the period's end), a run in the month it was completed.
        """
        tallies: dict[str, _SopTally] = {definition.id: _SopTally() for definition in references}
        positions: dict[str, list[Sample]] = defaultdict(list)
        months: dict[dt.date, list[Sample]] = {month: [] for month in self.period.months()}
        for procedure in procedures:
            tally = tallies.get(procedure.sop_id)
            if tally is None:
                continue  # not asked for
            definition = versions[procedure.sop_version_id]
            self._tally(tally, definition, procedure, positions, months)
        sops = tuple(
            self._sop_figures(definition, versions, tallies[definition.id])
            for definition in references
        )
        every = [p for tally in tallies.values() for p in tally.procedures]
        samples = [s for tally in tallies.values() for s in tally.samples]
        started_in: dict[dt.date, list[ProcedureRecord]] = {month: [] for month in months}
        for procedure in every:
            started_in[self._month(procedure.started_at)].append(procedure)
        return ComplianceReport(
            header=header,
            procedures=self._counts(every),
            time=time_figures(samples),
            sops=sops,
            positions=tuple(
                PositionFigures(name, time_figures(positions[name]))
                for name in sorted(positions, key=lambda n: (n.casefold(), n))
            ),
            months=tuple(
                MonthFigures(month, self._counts(started_in[month]), time_figures(months[month]))
                for month in sorted(months)
            ),
            slowest=slowest_steps(sops),
        )

    # -- one procedure ---------------------------------------------------------------------

    def _tally(
        self,
        tally: _SopTally,
        definition: SopDefinition,
        procedure: ProcedureRecord,
        positions: dict[str, list[Sample]] | None = None,
        months: dict[dt.date, list[Sample]] | None = None,
    ) -> None:
        """Add one procedure's runs to its SOP's tally (and, when given, to the agency's
        positions and months), and its line to the SOP's list."""
        clock = self._clock
        tally.procedures.append(procedure)
        tally.documents += procedure.documents
        highest = late = 0
        path_standard: float | None = 0.0  # the sum of the standards along its path
        for run in procedure.runs:
            if run.opened_at >= self.end:
                continue
            highest = max(highest, run.round)
            step = tally.steps[run.step_number]
            self._count(tally, step, definition, procedure, run)
            due = run.due_at
            if due is None:
                path_standard = None
                continue
            opened = clock.at(run.opened_at)
            standard = clock.since(opened, due)
            if path_standard is not None:
                path_standard += standard
            done = run.completed_at
            if run.state != _COMPLETED or done is None or done >= self.end:
                continue  # not measured
            sample = (clock.since(opened, done), standard, done <= due)
            if done > due:
                late += 1
            step.samples.append(sample)
            tally.samples.append(sample)
            if months is not None:
                months[self._month(done)].append(sample)
            if positions is not None:
                for name, delivered in self._deliveries(run).items():
                    positions[name].append(
                        (clock.since(opened, delivered), standard, delivered <= due)
                    )
        tally.highest_rounds.append(highest)
        self._close(tally, procedure, path_standard, late, highest)

    def _close(
        self,
        tally: _SopTally,
        procedure: ProcedureRecord,
        path_standard: float | None,
        late: int,
        highest: int,
    ) -> None:
        """Add what a procedure took as a whole, once its runs are counted: its duration when
        it finished in the period, and its line."""
        state = self._state(procedure)
        real: float | None = None
        if state is InstanceState.FINISHED:
            assert procedure.finished_at is not None  # noqa: S101 - _state checked it
            clock = self._clock
            real = clock.since(clock.at(procedure.started_at), procedure.finished_at)
            if path_standard is not None:
                tally.durations.append((real, path_standard, real <= path_standard))
        tally.lines.append(
            ProcedureLine(
                number=procedure.number,
                title=procedure.title,
                sop_id=procedure.sop_id,
                letter=procedure.letter,
                state=state,
                started_at=procedure.started_at,
                finished_at=None if state is InstanceState.RUNNING else procedure.finished_at,
                working_seconds=real,
                standard_seconds=path_standard,
                late_steps=late,
                highest_round=highest,
            )
        )

    def _count(
        self,
        tally: _SopTally,
        step: _StepTally,
        definition: SopDefinition,
        procedure: ProcedureRecord,
        run: StepRunRecord,
    ) -> None:
        """Count a run where it counts, measured or not: repeated, open and late at the end,
        handed on, sent back."""
        if run.round > 1:
            step.repeated_runs += 1
        if self._open_late(procedure, run):
            step.open_late += 1
        if any(d.manual for d in run.dispositions):
            tally.reassigned += self._moved(run, by_holder=False)
            tally.handed_over += self._moved(run, by_holder=True)
        tally.returned += self._sent_back(definition, run)

    @staticmethod
    def _deliveries(run: StepRunRecord) -> dict[str, dt.datetime]:
        """When each post delivered its part of a completed run (the latest of its holders)."""
        delivered: dict[str, dt.datetime] = {}
        for disposition in run.dispositions:
            if disposition.state != _DONE:
                continue
            at = disposition.acted_at or run.completed_at
            assert at is not None  # noqa: S101 - a completed run has its completion time
            known = delivered.get(disposition.position_name)
            if known is None or at > known:
                delivered[disposition.position_name] = at
        return delivered

    def _ended_at(self, procedure: ProcedureRecord, run: StepRunRecord) -> dt.datetime | None:
        """When the run stopped waiting: completed, sent back or cancelled (None: open)."""
        if run.state == _COMPLETED:
            return run.completed_at
        if run.state == _RETURNED:
            return _returned_at(run)
        if run.state == _CANCELLED:
            return procedure.finished_at or run.opened_at
        return None

    def _open_late(self, procedure: ProcedureRecord, run: StepRunRecord) -> bool:
        """Still open at the period's end, and past its due time by then."""
        ended = self._ended_at(procedure, run)
        still_open = ended is None or ended >= self.end
        return still_open and run.due_at is not None and run.due_at < self.as_of

    @staticmethod
    def _moved(run: StepRunRecord, *, by_holder: bool) -> int:
        """1 when a disposition of the run was handed on by its own holder ("Alihkan",
        `by_holder`), or by someone else: an admin's /pindah, the operator's `sopbot procedure
        reassign` (the records hold what was created before the period's end)."""
        for disposition in run.dispositions:
            before = disposition.handed_from_assignee_id
            if (
                disposition.manual
                and before is not None
                and (disposition.sender_id == before) == by_holder
            ):
                return 1
        return 0

    def _sent_back(self, definition: SopDefinition, run: StepRunRecord) -> int:
        """1 when the run sent the work back before the period's end: answered with a branch
        that rejects (a "tidak"), or returned with "Kembalikan"."""
        ended = None
        if run.state == _RETURNED:
            ended = _returned_at(run)
        elif run.state == _COMPLETED and _rejects(definition, run):
            ended = run.completed_at
        return 1 if ended is not None and ended < self.end else 0

    def _state(self, procedure: ProcedureRecord) -> InstanceState:
        """How the procedure stood at the period's end: finished or cancelled before it,
        running otherwise."""
        if procedure.finished_at is None or procedure.finished_at >= self.end:
            return InstanceState.RUNNING
        if procedure.state == _FINISHED:
            return InstanceState.FINISHED
        if procedure.state == _CALLED_OFF:
            return InstanceState.CANCELLED
        return InstanceState.RUNNING

    def _counts(self, procedures: Sequence[ProcedureRecord]) -> ProcedureCounts:
        """How the procedures stand at the period's end."""
        finished = cancelled = 0
        for procedure in procedures:
            state = self._state(procedure)
            if state is InstanceState.FINISHED:
                finished += 1
            elif state is InstanceState.CANCELLED:
                cancelled += 1
        started = len(procedures)
        return ProcedureCounts(started, finished, cancelled, started - finished - cancelled)

    def _month(self, moment: dt.datetime) -> dt.date:
        return self.calendar.local_date(moment).replace(day=1)

    # -- one SOP ---------------------------------------------------------------------------

    def _sop_figures(
        self, reference: SopDefinition, versions: Mapping[int, SopDefinition], tally: _SopTally
    ) -> SopFigures:
        identity = reference.identity
        rounds = tally.highest_rounds
        return SopFigures(
            sop_id=reference.id,
            name=identity.name,
            sop_number=identity.number or None,  # "" when the document does not state it
            unit=identity.unit or None,
            procedures=self._counts(tally.procedures),
            rounds_per_procedure=statistics.fmean(rounds) if rounds else None,
            max_rounds=max(rounds, default=0),
            duration=time_figures(tally.durations),
            time=time_figures(tally.samples),
            steps=tuple(
                _step_figures(reference, step, tally.steps.get(step.number, _StepTally()))
                for step in _steps_of(reference, versions, tally)
            ),
            procedure_lines=tuple(sorted(tally.lines, key=lambda line: line.number)),
        )


def _steps_of(
    reference: SopDefinition, versions: Mapping[int, SopDefinition], tally: _SopTally
) -> list[Step]:
    """The reference's steps in table order, then the steps only older versions ran (by
    number, each as the newest version that has it describes it)."""
    steps = list(reference.steps)
    missing = sorted(n for n in tally.steps if not reference.has_step(n))
    if missing:
        ran = sorted({p.sop_version_id for p in tally.procedures}, reverse=True)
        for number in missing:
            described = next(
                (versions[v].step(number) for v in ran if versions[v].has_step(number)), None
            )
            if described is not None:
                steps.append(described)
    return steps


def _step_figures(reference: SopDefinition, step: Step, tally: _StepTally) -> StepFigures:
    names = {role.key: role.name for role in reference.roles}
    return StepFigures(
        step_number=step.number,
        step_label=step.label,
        activity=step.activity,
        executors=tuple(names.get(key, key) for key in step.roles),
        standard=step.standard_time.as_written,
        time=time_figures(tally.samples),
        repeated_runs=tally.repeated_runs,
        open_late=tally.open_late,
    )


def _returned_at(run: StepRunRecord) -> dt.datetime:
    """When a run was sent back ("Kembalikan"): its holder's move (the opening if unknown)."""
    returned = [
        d.acted_at for d in run.dispositions if d.state == _SENT_BACK and d.acted_at is not None
    ]
    return max(returned) if returned else run.opened_at


def _rejects(definition: SopDefinition, run: StepRunRecord) -> bool:
    """Whether the run's answer took a branch that sends the work back."""
    if run.answer is None or not definition.has_step(run.step_number):
        return False
    decision = definition.step(run.step_number).decision
    return (
        decision is not None
        and decision.has_branch(run.answer)
        and decision.branch(run.answer).rejects
    )


def slowest_steps(sops: Iterable[SopFigures]) -> tuple[SlowStep, ...]:
    """The steps whose median real time most exceeds their median standard (the ratio of the
    two), among the steps measured at least `SLOWEST_MIN_MEASURED` times; at most
    `SLOWEST_LISTED`, the slowest first. A step within its standard is not among them."""
    found: list[tuple[float, int, int, SlowStep]] = []
    for sop_index, sop in enumerate(sops):
        for step_index, step in enumerate(sop.steps):
            time = step.time
            if (
                time.measured < SLOWEST_MIN_MEASURED
                or time.median_seconds is None
                or not time.median_standard_seconds
                or time.median_seconds <= time.median_standard_seconds
            ):
                continue
            ratio = time.median_seconds / time.median_standard_seconds
            found.append((ratio, sop_index, step_index, SlowStep(sop.name, step)))
    found.sort(key=lambda item: (-item[0], item[1], item[2]))
    return tuple(item[3] for item in found[:SLOWEST_LISTED])
