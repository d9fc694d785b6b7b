"""The pictures that come with /status: what `Views.status` read, drawn.

`sopbot.documents.status_charts` draws from values of its own (documents do not know the
services' read models); this module turns the read model into them, and draws. It reads
nothing: the caller has the statuses already, read and authorised as for the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from sopbot.documents.status_charts import (
    ProcedureTimeline,
    RunningProcedure,
    RunningProcedures,
    TimelineRun,
    draw_running,
    draw_timeline,
)
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.messaging.catalog import Catalog, Language
from sopbot.services.views import InstanceStatus, StepTiming


def timeline_picture(status: InstanceStatus, language: Language, catalog: Catalog) -> bytes:
    """/status NO's picture: the procedure's step runs against their Mutu Baku, as a PNG."""
    return draw_timeline(timeline_of(status), language, catalog)


def running_picture(
    agency_name: str, statuses: Sequence[InstanceStatus], language: Language, catalog: Catalog
) -> bytes:
    """/status's picture: the agency's running procedures, most late first, as a PNG. There
    must be at least one (`ValueError` otherwise: an agency with none running has no chart)."""
    return draw_running(running_of(agency_name, statuses), language, catalog)


def timeline_of(status: InstanceStatus) -> ProcedureTimeline:
    """The timeline's values from the procedure's status."""
    return ProcedureTimeline(
        number=status.number,
        title=status.title,
        sop_name=status.sop_name,
        state=InstanceState(status.state),
        runs=tuple(_run(timing) for timing in status.steps),
        working_day_seconds=status.working_day.total_seconds(),
    )


def running_of(agency_name: str, statuses: Sequence[InstanceStatus]) -> RunningProcedures:
    """The agency chart's values from its running procedures' statuses."""
    working_day = statuses[0].working_day if statuses else None
    return RunningProcedures(
        agency_name=agency_name,
        procedures=tuple(_procedure(status) for status in statuses),
        working_day_seconds=working_day.total_seconds() if working_day else 0.0,
    )


def _run(timing: StepTiming) -> TimelineRun:
    return TimelineRun(
        step_label=timing.step_label,
        activity=timing.activity,
        executors=timing.executors,
        round=timing.round,
        state=StepRunState(timing.state),
        spent_seconds=timing.spent.total_seconds(),
        standard=timing.standard,
        allowed_seconds=timing.allowed.total_seconds() if timing.allowed is not None else None,
        late_seconds=timing.late_by.total_seconds() if timing.late_by is not None else 0.0,
    )


def _procedure(status: InstanceStatus) -> RunningProcedure:
    """A procedure with its latest open step (the first open one when none is late)."""
    current = max(
        status.open_steps,
        key=lambda t: t.late_by.total_seconds() if t.late_by is not None else 0.0,
        default=None,
    )
    late = current.late_by if current is not None and current.late_by is not None else None
    return RunningProcedure(
        number=status.number,
        title=status.title,
        running_seconds=status.running_for.total_seconds(),
        late_seconds=late.total_seconds() if late is not None else 0.0,
        current_step=current.step_label if current is not None else None,
    )
