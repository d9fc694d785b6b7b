"""Fixtures of the command-line and `sopbot run` tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.sopbot_run import stop_leftovers


@pytest.fixture(autouse=True)
async def _no_sopbot_run_left() -> AsyncIterator[None]:
    """A test that fails half-way leaves no `sopbot run` behind it."""
    yield
    await stop_leftovers()
