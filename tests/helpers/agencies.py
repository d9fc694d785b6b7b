"""The seed library, and the staffing and player of `sopbot.demo.staffing` for the tests."""

from __future__ import annotations

from pathlib import Path

from sopbot.demo.staffing import (
    Player,
    SeedAgency,
    fake_upload,
    next_key,
    staff_agency,
)
from sopbot.engine.library import SopLibrary, load_library

__all__ = ["Player", "SeedAgency", "fake_upload", "next_key", "seed_library", "staff_agency"]

REPO = Path(__file__).resolve().parents[2]


def seed_library() -> SopLibrary:
    """The four seed SOPs."""
    return load_library(REPO / "sop_defs")
