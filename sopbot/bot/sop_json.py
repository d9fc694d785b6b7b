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
            {"id": role.key, "name": role.name, "assignment": role.assignment.value}
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
    minutes: Decimal | float | None
    if standard.working_days is not None:
        minutes = float(standard.working_days) * day_minutes
    else:
        minutes = Decimal(standard.seconds or 0) / 60
    decision = step.decision
    return {
        "id": step.number,
        "no": str(step.number),
        "activity": step.activity,
        "roles": [definition.role_of(step).name],
        "assignment": step.assignment.value,
        "inputs": step.inputs,
        "time_text": standard.as_written,
        "minutes": _number(minutes),
        "working_time": standard.working_time,
        "output": step.output,
        "output_kind": step.output_kind.value,
        "remarks": step.remarks,
        "next": None if decision is not None else _target(step.next),
        "decision": None
        if decision is None
        else {
            "question": decision.question,
            "branches": [
                {"answer": "ya", "to": _target(decision.yes)},
                {"answer": "tidak", "to": _target(decision.no)},
            ],
        },
    }


def _target(number: int) -> int | None:
    """A step id, or null where the procedure ends."""
    return None if number == END else number


def _number(value: Decimal | float) -> int | float:
    """A whole number as an int, else a float rounded to two places."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded == int(rounded) else rounded
