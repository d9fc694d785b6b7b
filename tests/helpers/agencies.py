"""The seed library, and the staffing and player of `sopbot.demo.staffing` for the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sopbot.demo.staffing import (
    Player,
    SeedAgency,
    fake_upload,
    next_key,
    staff_agency,
)
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import SopLibrary, load_library
from sopbot.services.commands import Outcome
from sopbot.services.procedures import ProcedureService

__all__ = [
    "Player",
    "SeedAgency",
    "fake_upload",
    "next_key",
    "seed_library",
    "staff_agency",
    "start_as",
]

REPO = Path(__file__).resolve().parents[2]


def seed_library() -> SopLibrary:
    """The four seed SOPs."""
    return load_library(REPO / "sop_defs")


def start_as(
    procedures: ProcedureService,
    agency: SeedAgency,
    definition: SopDefinition,
    title: str,
    *,
    starter_role: str = "kepala_dinas",
    note: str | None = None,
) -> Outcome[Any]:
    """Start `definition` in the staffed agency, by the first holder of `starter_role`."""
    return procedures.start(
        next_key(),
        agency_id=agency.agency_id,
        sop_id=definition.id,
        title=title,
        starter_id=agency.person(starter_role),
        note=note,
    )
