"""An SOP definition as JSON, for other programs (`sopbot sop show ID --json`).

The shape is versioned by its "format" number and documented in docs/sop-format.md ("Reading a
definition from another program"); a change that could break a reader raises the number, an
addition of keys does not. Texts are as the document writes them. In short:

    {"format": 1, "id", "agency", "version", "digest", "title",
     "header": {KEY: {"label", "stated", "value", ...}, ...},
     "table_title", "roles": [{"id", "name", "assignment"}],
     "steps": [{"id", "no", "activity", "roles", "time_text", "minutes", ...}]}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from sopbot.engine.definition import END, SopDefinition, SopIdentity, Step
from sopbot.engine.durations import StandardTime
from sopbot.engine.limits import HEADER_LISTS
from sopbot.engine.working_calendar import WorkingHours

FORMAT: Final = 1
"""The version of the JSON shape."""

_DATES = ("tanggal_pembuatan", "tanggal_revisi", "tanggal_efektif")


def definition_as_json(
    definition: SopDefinition, *, hours: WorkingHours | None = None
) -> dict[str, Any]:
    """The definition as a JSON-ready dict (see the module docstring and docs/sop-format.md).

    `hours` give a working day's length for the `minutes` of times in working days and weeks;
    by default the usual office hours (7.5 hours a day).
    """
    day_minutes = (hours or WorkingHours.indonesian_office()).day_length / 60
    ident = definition.identity
    return {
        "format": FORMAT,
        "id": definition.id,
        "agency": definition.agency_key,
        "version": definition.version,
        "digest": definition.digest,
        "title": ident.name,
        "table_title": ident.table_title,
        "header": _header(ident),
        "roles": [
            {
                "id": role.key,
                "name": role.name,
                "assignment": role.assignment.value,
                "outside": role.external,
                "recorded_by": role.recorded_by,
            }
            for role in definition.roles
        ],
        "steps": [_step(definition, step, day_minutes) for step in definition.steps],
    }


def _header(ident: SopIdentity) -> dict[str, Any]:
    """Each header field: its label as the document writes it, whether the document states it,
    and its value (null when not stated or left out)."""

    def field(key: str, value: Any) -> dict[str, Any]:
        stated = ident.is_stated(key)
        return {"label": ident.label(key), "stated": stated, "value": value if stated else None}

    header = {
        "pemerintah": field("pemerintah", ident.government),
        "instansi": field("instansi", ident.agency),
        "unit": field("unit", ident.unit),
        "nomor": field("nomor", ident.number),
        "nama": field("nama", ident.name),
        "revisi": field("revisi", ident.revision),
    }
    for key, written in zip(
        _DATES, (ident.created_on, ident.revised_on, ident.effective_on), strict=True
    ):
        header[key] = field(key, written.as_written or None)
        value = written.value if ident.is_stated(key) else None
        header[key]["date"] = value.isoformat() if value else None
    approver = ident.approved_by
    header["disahkan_oleh"] = field(
        "disahkan_oleh",
        {
            "jabatan": approver.position if ident.is_stated("disahkan_oleh.jabatan") else None,
            "nama": approver.name if ident.is_stated("disahkan_oleh.nama") else None,
            "pangkat": approver.rank,
            "nip": approver.nip,
        },
    )
    for key in HEADER_LISTS:
        style = ident.list_style(key)
        header[key] = {
            "label": ident.label(key),
            "intro": style.intro,
            "numbering": style.numbering.value,
            "items": [
                {"marker": style.marker(n), "text": text}
                for n, text in enumerate(ident.header_list(key), start=1)
            ],
        }
    return header


def _step(definition: SopDefinition, step: Step, day_minutes: float) -> dict[str, Any]:
    """One row of the procedure table with its place in the flow."""
    standard = step.standard_time
    decision = step.decision
    return {
        "id": step.number,
        "no": step.label,
        "position": definition.position_of(step),
        "activity": step.activity,
        "roles": [role.name for role in definition.roles_of(step)],
        "role_ids": list(step.roles),
        "together": step.together.value if step.shared else None,
        "output_by": definition.role(step.output_role).name if step.shared else None,
        "recorded_by": [
            definition.role(role.recorded_by).name
            for role in definition.roles_of(step)
            if role.external and role.recorded_by
        ],
        "assignment": step.assignment.value,
        "inputs": step.inputs,
        **_time(standard, day_minutes),
        "rework": None if step.rework_time is None else _time(step.rework_time, day_minutes),
        "output": step.output,
        "output_kind": step.output_kind.value,
        "remarks": step.remarks,
        "next": None if decision is not None else _target(definition, step.next),
        "decision": None
        if decision is None
        else {
            "question": decision.question,
            "labelled": decision.labelled,
            "branches": [
                {
                    "answer": branch.label or branch.key,
                    "key": branch.key,
                    "to": _target(definition, branch.target),
                    "sends_back": branch.rejects,
                    "output": branch.output,
                    "output_kind": step.output_kind_on(branch).value,
                }
                for branch in decision.branches
            ],
        },
    }


def _time(standard: StandardTime, day_minutes: float) -> dict[str, Any]:
    """A standard time: as written, as counted, and its length in minutes where it has one
    (working minutes of the usual day for days and weeks; none for a calendar month)."""
    minutes: Decimal | float | None
    if standard.working_days is not None:
        minutes = float(standard.working_days) * day_minutes
    elif standard.seconds is not None:
        minutes = Decimal(standard.seconds) / 60
    else:
        minutes = None
    return {
        "time_text": standard.as_written,
        "time_counted": standard.counted_as,
        "time_per": standard.per,
        "minutes": None if minutes is None else _number(minutes),
        "working_time": standard.working_time,
    }


def _target(definition: SopDefinition, number: int) -> dict[str, Any] | None:
    """Where the flow goes: the step's id and its number as printed, or null at the end."""
    if number == END:
        return None
    return {"id": number, "no": definition.step(number).label}


def _number(value: Decimal | float) -> int | float:
    """A whole number as an int, else a float rounded to two places."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded == int(rounded) else rounded
