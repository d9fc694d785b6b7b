"""The processes of a province-day and what is measured of them: the run's PostgreSQL
database, the Telegram process (`bench.province_driver`), the `sopbot run` workers, and the
samples of CPU (utime + stime from /proc), memory and the database's counters taken at the
edges of each window of the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int, *, thread: int | None = None) -> float:
    """CPU seconds (user + system) a process has used so far, all its threads or the one
    given (0 once it is gone)."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5), counted after the command's ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (the peak resident set) and VmRSS of a process, in MB."""
    found: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = int(value.split()[0]) / 1024
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the database of the run ----------------------------------------------------------------


def unreachable(base: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or None."""
    try:
        engine = create_engine(base, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL unreachable ({type(exc).__name__})"
    return None


@contextmanager
def fresh_database(base: str, name: str, *, keep: bool) -> Iterator[str]:
    """A new database on the server of `base` (an old one of that name dropped first); its
    URL. Dropped afterwards unless `keep`."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Sample:
    """Everything counted at one moment: CPU of each process, the database's counters."""

    at: float  # monotonic
    wall: dt.datetime
    workers: list[float]
    workers_loop: list[float]  # of which the event loop's thread (the rest: worker threads)
    telegram: float
    proxy: float  # this process: the proxy (and the sampling)
    backends: dict[int, float]
    commits: int
    rows_written: int
    database_bytes: int


class Monitor:
    """One connection to the run's database for the sampling and for what is still owed (its
    own backend is left out of the database's CPU)."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection = psycopg.connect(libpq, autocommit=True)
        self.pid = int(self._one("SELECT pg_backend_pid()"))

    def _one(self, query: str, *args: Any) -> Any:
        row = self.connection.execute(query, args).fetchone()
        assert row is not None
        return row[0]

    def owed(self) -> int:
        """Outbox rows to send and stored updates to handle."""
        return int(
            self._one(
                "SELECT (SELECT count(*) FROM outbox_message WHERE state IN "
                "('pending', 'sending')) + (SELECT count(*) FROM inbox_update "
                "WHERE processed_at IS NULL)"
            )
        )

    def sample(self, workers: list[int], telegram: int) -> Sample:
        """CPU of every process now, and the database's counters."""
        pids = [
            int(row[0])
            for row in self.connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
                (self.name, self.pid),
            )
        ]
        stats = self.connection.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, "
            "pg_database_size(datname) FROM pg_stat_database WHERE datname = %s",
            (self.name,),
        ).fetchone()
        assert stats is not None
        return Sample(
            at=time.monotonic(),
            wall=dt.datetime.now(dt.UTC),
            workers=[cpu_seconds(pid) for pid in workers],
            workers_loop=[cpu_seconds(pid, thread=pid) for pid in workers],
            telegram=cpu_seconds(telegram),
            proxy=cpu_seconds(os.getpid()),
            backends={pid: cpu_seconds(pid) for pid in pids},
            commits=int(stats[0]),
            rows_written=int(stats[1]),
            database_bytes=int(stats[2]),
        )

    def table_sizes(self) -> dict[str, int]:
        """Bytes of each table of the run's database (with its indexes and TOAST)."""
        rows = self.connection.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
        )
        return {str(name): int(size) for name, size in rows}

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


# --- the processes --------------------------------------------------------------------------


@dataclass
class Telegram:
    """The driver process: the emulator and the officials."""

    process: asyncio.subprocess.Process
    port: int
    token: str
    users: list[int]

    async def ask(self, command: str) -> dict[str, Any]:
        """One command, one JSON answer."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer


@asynccontextmanager
async def telegram_process(users: int) -> AsyncIterator[Telegram]:
    """Start the driver (the emulator with its people); stopped when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.province_driver",
        "--users",
        str(users),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=256 * 1024 * 1024,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    info = json.loads(await process.stdout.readline())
    try:
        yield Telegram(process, int(info["port"]), str(info["token"]), list(info["users"]))
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.write(b"stop\n")
            await process.stdin.drain()
            process.stdin.close()
        await process.wait()


@dataclass
class Worker:
    """A `sopbot run` process and where it listens."""

    number: int
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        """Its process id."""
        return int(self.process.pid)


async def start_worker(
    number: int, port: int, environment: dict[str, str], logs: Path, profile: bool = False
) -> Worker:
    """`python -m sopbot run` listening for the webhook on `port`, logging to a file of its
    own (`profile`: under cProfile, its profile written beside the log as it stops)."""
    log = logs / f"worker-{number}.log"
    profiled = ["-m", "bench.profiled_worker", str(logs / f"worker-{number}.prof")]
    command = profiled if profile else ["-m", "sopbot", "run"]
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            cwd=REPO,
            # Each its own health and metrics port too (several on one machine; a setting
            # the workers of issue 22 read, ignored before them).
            env={**environment, "WEBHOOK_PORT": str(port), "SOPBOT_HEALTH_PORT": str(free_port())},
            stdout=output,
            stderr=output,
        )
    return Worker(number, port, process, log)


async def stop_workers(workers: list[Worker]) -> list[int | None]:
    """SIGTERM each (an orderly stop), then their exit codes."""
    for worker in workers:
        if worker.process.returncode is None:
            worker.process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for worker in workers:
        try:
            codes.append(await asyncio.wait_for(worker.process.wait(), 60))
        except TimeoutError:
            worker.process.kill()
            codes.append(await worker.process.wait())
    return codes


def tail(path: Path, characters: int = 3000) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-characters:]
    return ""


@dataclass
class Run:
    """What a run collected: samples at the edges of its windows (and the windows, on the
    monotonic clock), the workers' memory and exit codes, what the proxy gave each, Telegram's
    report, and how the day was sized."""

    audit_key: str  # this run's, never printed
    samples: dict[str, Sample] = field(default_factory=dict)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    memory: dict[int, dict[str, float]] = field(default_factory=dict)
    forwarded: dict[int, int] = field(default_factory=dict)
    exit_codes: list[int | None] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    sizing: dict[str, Any] = field(default_factory=dict)
    procedures_planned: int = 0
    setup_s: float = 0.0
    ready_s: float = 0.0
    calibration_ms: float = 0.0
    tables_before: dict[str, int] = field(default_factory=dict)  # bytes as the day began
    tables_after: dict[str, int] = field(default_factory=dict)  # and once it ended


def calibration_ms() -> float:
    """CPU milliseconds this machine takes for a fixed piece of pure Python now: the runs of a
    shared machine differ in speed, and CPU per update is read beside this."""
    started = time.process_time()
    payload = {"text": "Disposisi " * 40, "numbers": list(range(200))}
    for _ in range(4000):
        json.loads(json.dumps(payload))
    return 1000 * (time.process_time() - started)
