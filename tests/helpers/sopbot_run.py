"""`sopbot run` as a child process (the production entry point), for tests that start it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.helpers.audit import TEST_AUDIT_KEY_TEXT

REPO = Path(__file__).resolve().parents[2]
# Every `sopbot run` started here, so that a test that fails half-way leaves none running
# (`stop_leftovers`, after each test of tests/bot).
_STARTED: list[asyncio.subprocess.Process] = []


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The process environment for `sopbot run`, with no setting from this machine's."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WEBHOOK_", "SOPBOT_", "DATABASE_URL"))
    }
    return {
        **kept,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sopbot.db'}",
        "SOPBOT_SOP_DIR": str(REPO / "sop_defs"),
        "SOPBOT_DOCUMENTS_DIR": str(tmp_path / "documents"),
        "SOPBOT_AUDIT_KEY": TEST_AUDIT_KEY_TEXT,
        "SOPBOT_HEALTH_PORT": "0",  # no health server unless a test asks: 9180 may be another's
        **settings,
    }


async def start_sopbot_run(tmp_path: Path, **settings: str) -> asyncio.subprocess.Process:
    """`sopbot run` in `tmp_path` with these settings (its output piped)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sopbot",
        "run",
        cwd=tmp_path,  # no .env of this checkout
        env=environment(tmp_path, **settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _STARTED.append(process)
    return process


async def stop_leftovers() -> None:
    """Kill every `sopbot run` started here that still runs (a test failed before it
    stopped it)."""
    while _STARTED:
        process = _STARTED.pop()
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until(process: asyncio.subprocess.Process, marker: str) -> str:
    """Its standard error up to and including the first line that contains `marker`."""
    assert process.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(60):  # a guard against hanging, not a timing assertion
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, f"sopbot exited before {marker!r}:\n{''.join(seen)}"
            seen.append(line)
            if marker in line:
                return "".join(seen)


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Its exit code and the rest of its output."""
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()
