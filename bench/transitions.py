"""Engine + storage throughput: step transitions a second, against bare commits (the limit).

A transition is one real `ProcedureService.complete` command: one transaction that loads the
instance, asks the engine, and writes the changed step runs and dispositions, the audit rows
(hash-chained), the outbox rows the notifier renders and the command's idempotency key. The
limit is the same number of bare single-row commits (one small INSERT, then COMMIT) on a fresh
file with the same durability settings (WAL, synchronous=FULL), or on the same PostgreSQL
server. The two sides take turns in batches within each run, so a noisy machine slows both
alike and the ratio holds. Goal on SQLite: transitions/s >= 50% of bare commits/s.

On SQLite a third side runs the transitions' own SQL with no Python around it: every
statement each command sent to the driver (reads included) is recorded as it runs, and replayed
with sqlite3 on a copy of the database taken before the first batch, one transaction a command
(BEGIN IMMEDIATE ... COMMIT). The same rows are written to the same tables and indexes, so its
rate is what any program storing what a transition stores would reach at best: the figure that
says how much of the gap to bare commits is sopbot's code and how much the data it keeps.

The SOP is a linear one whose steps alternate between two officials; many instances run at
once, and each round completes the open step of every instance. Finding the dispositions to
complete happens between the timed batches; only the commands themselves are timed.

    python -m bench.transitions [--transitions N] [--runs 5] [--postgres-url URL]

`--postgres-url ''` leaves PostgreSQL out; an unreachable server is reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, func, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import col, select

from bench.figures import spread
from sopbot.demo.staffing import linear_sop
from sopbot.engine.library import SopLibrary, load_library
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AuditRow, CommandRow, DispositionRow, OutboxRow
from sopbot.storage.notice_writer import NoticeWriter

GOAL_RATIO = 0.5
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STEPS = 11  # as the kill test's SOP: a real SOP's length
AGENCY = "dinas-bench"
SOP_ID = f"{AGENCY}/linear"


def build_library(root: Path) -> SopLibrary:
    """The benchmark's one-SOP library, written under `root`."""
    folder = root / "sop_defs" / AGENCY
    folder.mkdir(parents=True)
    (folder / "linear.yaml").write_text(linear_sop(STEPS, "SOP Uji Throughput"), encoding="utf-8")
    (folder / "instansi.yaml").write_text("zona_waktu: WIB\n", encoding="utf-8")
    library = load_library(root / "sop_defs")
    if library.errors:
        raise RuntimeError(f"benchmark SOP did not load: {library.errors}")
    return library


# -- the sopbot side --------------------------------------------------------------------------


class SopbotSide:
    """An agency with two officials and enough running instances for `transitions` completes."""

    def __init__(self, database: Database, library: SopLibrary, transitions: int) -> None:
        upgrade(database)
        self.database = database
        self.procedures = ProcedureService(database, library, observer=NoticeWriter(Notifier()))
        organization = OrganizationService(self.procedures)
        agency = organization.create_agency(key=AGENCY, name="Dinas Uji", timezone="Asia/Jakarta")
        holders: dict[str, int] = {}
        for index, role in enumerate(("a", "b")):
            position = organization.add_position(agency_id=agency, key=role, name=f"Pejabat {role}")
            organization.map_role(agency_id=agency, role_key=role, position_id=position)
            # Bound to Telegram, so that every change really writes its outbox rows.
            member = organization.add_member(
                agency_id=agency, name=f"Pejabat {role}", telegram_user_id=1_000 + index
            )
            organization.appoint(None, member_id=member, position_id=position)
            holders[role] = member
        # The starter holds step 1, so starting completes it: each instance then has STEPS - 1
        # steps left to complete, one a round.
        self.instances = math.ceil(transitions / (STEPS - 1))
        for number in range(self.instances):
            self.procedures.start(
                None,
                agency_id=agency,
                sop_id=SOP_ID,
                title=f"Uji {number}",
                starter_id=holders["a"],
            )
        self.completed = 0

    def open_dispositions(self) -> list[tuple[uuid.UUID, int]]:
        """(disposition, holder) of every open step: one per running instance (not timed)."""
        with self.database.reading() as session:
            rows = session.exec(
                select(DispositionRow.id, DispositionRow.assignee_id)
                .where(DispositionRow.state == "pending")
                .order_by(col(DispositionRow.created_at))
            ).all()
        return [(disposition, member) for disposition, member in rows]

    def complete(self, work: list[tuple[uuid.UUID, int]]) -> None:
        """The timed part: one real command per disposition, each with a fresh key."""
        complete = self.procedures.complete
        for disposition_id, member_id in work:
            complete(
                f"bench:{uuid.uuid4().hex}", member_id=member_id, disposition_id=disposition_id
            )
        self.completed += len(work)

    def check(self) -> dict[str, int]:
        """What is in the database afterwards: the commands and their audit and outbox rows."""
        return stored_counts(self.database, self.instances)


def stored_counts(database: Database, instances: int) -> dict[str, int]:
    """The complete commands, their audit rows and the outbox rows in a benchmark database."""
    with database.reading() as session:
        commands = session.exec(
            select(func.count()).select_from(CommandRow).where(CommandRow.kind == "complete")
        ).one()
        # Starting completed each instance's first step too (with no command of its own).
        audit = session.exec(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.entity == "disposition", AuditRow.action == "complete")
        ).one()
        outbox = session.exec(select(func.count()).select_from(OutboxRow)).one()
    return {
        "complete_commands": commands,
        "complete_audit_rows": audit - instances,
        "outbox_rows": outbox,
    }


def run_sopbot_rounds(
    side: SopbotSide,
    bare: Callable[[int], None],
    transitions: int,
    replay: SqlReplay | None = None,
) -> tuple[Timing, Timing]:
    """Complete `transitions` steps round by round, with as many bare commits after (or before)
    each batch; returns the time each side spent in its timed batches. With a `replay`, each
    batch's SQL is recorded and replayed after it (timed in the replay)."""
    sopbot_time, bare_time = Timing(), Timing()
    remaining = transitions
    batch = 0
    while remaining > 0:
        work = side.open_dispositions()[:remaining]
        if not work:
            raise RuntimeError("no open step left to complete")

        def timed_sopbot(work: list[tuple[uuid.UUID, int]] = work) -> None:
            if replay is None:
                with sopbot_time.measuring():
                    side.complete(work)
                return
            with replay.recording(side.database), sopbot_time.measuring():
                side.complete(work)
            replay.replay_recorded()

        def timed_bare(count: int = len(work)) -> None:
            with bare_time.measuring():
                bare(count)

        # Alternate who goes first, so neither side always meets a warm (or cold) machine.
        if batch % 2 == 0:
            timed_sopbot()
            timed_bare()
        else:
            timed_bare()
            timed_sopbot()
        remaining -= len(work)
        batch += 1
    return sopbot_time, bare_time


@dataclass
class Timing:
    """Wall-clock and CPU seconds of one side's timed batches (both sides run in this thread,
    so the process's CPU time while a batch runs is that side's)."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @contextmanager
    def measuring(self) -> Iterator[None]:
        """Add the time of the enclosed work."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - wall
            self.cpu_seconds += time.process_time() - cpu


# -- the transitions' own SQL, replayed --------------------------------------------------------

Statement = tuple[str, Any, bool]  # SQL, the driver's parameters, executemany


class SqlReplay:
    """Records the SQL each command transaction sends to the driver, and runs it again with
    sqlite3 on a copy of the database, one transaction a command."""

    def __init__(self, source: Path, copy: Path) -> None:
        original, target = sqlite3.connect(source), sqlite3.connect(copy)
        try:
            original.backup(target)
        finally:
            original.close()
            target.close()
        self.path = copy
        self.connection = sqlite3.connect(copy, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.timing = Timing()
        self.transactions = 0
        self._recorded: list[list[Statement]] = []
        self._current: list[Statement] = []

    @contextmanager
    def recording(self, database: Database) -> Iterator[None]:
        """Record the statements of the transactions committed in the block."""
        engine = database.engine

        def statement(sql: str, parameters: Any, many: bool) -> None:
            # Copied: a caller may reuse its parameter list after the call.
            self._current.append((sql, list(parameters) if many else parameters, many))

        def commit(_conn: Any) -> None:
            if self._current:
                self._recorded.append(self._current)
            self._current = []

        def rollback(_conn: Any) -> None:
            self._current = []

        listeners: list[tuple[str, Callable[..., Any]]] = [
            ("commit", commit),
            ("rollback", rollback),
        ]
        database.observe_statements(statement)
        for name, listener in listeners:
            event.listen(engine, name, listener)
        try:
            yield
        finally:
            database.stop_observing(statement)
            for name, listener in listeners:
                event.remove(engine, name, listener)

    def replay_recorded(self) -> None:
        """Run what was recorded (timed), one transaction a command, reads fetched."""
        recorded, self._recorded = self._recorded, []
        connection = self.connection
        with self.timing.measuring():
            for statements in recorded:
                connection.execute("BEGIN IMMEDIATE")
                for sql, parameters, many in statements:
                    if many:
                        connection.executemany(sql, parameters)
                    else:
                        connection.execute(sql, parameters).fetchall()
                connection.execute("COMMIT")
        self.transactions += len(recorded)

    def check(self, instances: int) -> dict[str, int]:
        """The replayed database's counts, as `SopbotSide.check` takes them."""
        database = Database(f"sqlite:///{self.path}")
        try:
            return stored_counts(database, instances)
        finally:
            database.dispose()

    def close(self) -> None:
        """Close the copy's connection."""
        self.connection.close()


# -- the bare sides ---------------------------------------------------------------------------

BARE_TABLE = "CREATE TABLE bare_commit (id INTEGER PRIMARY KEY, at REAL NOT NULL, note TEXT)"


@contextmanager
def bare_sqlite(path: Path) -> Iterator[Callable[[int], None]]:
    """Single-row commits on a fresh SQLite file, with sopbot's durability settings."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(BARE_TABLE)
        connection.commit()

        def commits(count: int) -> None:
            for _ in range(count):
                connection.execute(
                    "INSERT INTO bare_commit (at, note) VALUES (?, ?)", (time.time(), "bare")
                )
                connection.commit()

        yield commits
    finally:
        connection.close()


@contextmanager
def bare_postgres(conninfo: str) -> Iterator[Callable[[int], None]]:
    """Single-row commits on the PostgreSQL server (its default durability: fsync, WAL)."""
    with psycopg.connect(conninfo) as connection:
        connection.execute(BARE_TABLE.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"))
        connection.commit()

        def commits(count: int) -> None:
            for _ in range(count):
                connection.execute(
                    "INSERT INTO bare_commit (at, note) VALUES (%s, %s)", (time.time(), "bare")
                )
                connection.commit()

        yield commits


# -- one run on each database -----------------------------------------------------------------


@dataclass
class RunResult:
    """One run's figures."""

    transitions_per_s: float
    bare_commits_per_s: float
    # This process's CPU per transition and per bare commit (the server's is not in it): what
    # a transition costs besides waiting for the disk, which both sides wait for alike.
    cpu_ms_per_transition: float
    cpu_ms_per_bare_commit: float
    check: dict[str, int]
    # The transitions' own SQL replayed (SQLite only), and what the replay stored.
    sql_alone_per_s: float | None = None
    cpu_ms_per_sql_alone: float | None = None
    sql_alone_check: dict[str, int] | None = None

    @classmethod
    def of(
        cls,
        transitions: int,
        sopbot: Timing,
        bare: Timing,
        check: dict[str, int],
        replay: SqlReplay | None = None,
        replay_check: dict[str, int] | None = None,
    ) -> RunResult:
        """The figures of `transitions` transitions and as many bare commits (and replays)."""
        return cls(
            transitions / sopbot.seconds,
            transitions / bare.seconds,
            1000 * sopbot.cpu_seconds / transitions,
            1000 * bare.cpu_seconds / transitions,
            check,
            replay.transactions / replay.timing.seconds if replay else None,
            1000 * replay.timing.cpu_seconds / replay.transactions if replay else None,
            replay_check,
        )

    @property
    def ratio(self) -> float:
        """Transitions a second over bare commits a second."""
        return self.transitions_per_s / self.bare_commits_per_s


def sqlite_run(library: SopLibrary, transitions: int) -> RunResult:
    """One run on fresh SQLite files (in one directory, so on the same disk)."""
    with tempfile.TemporaryDirectory(prefix="sopbot-transitions-") as scratch:
        database = Database(
            f"sqlite:///{Path(scratch) / 'sopbot.db'}", audit_key=AuditKey.generate()
        )
        try:
            side = SopbotSide(database, library, transitions)
            replay = SqlReplay(Path(scratch) / "sopbot.db", Path(scratch) / "replay.db")
            try:
                with bare_sqlite(Path(scratch) / "bare.db") as bare:
                    sopbot_time, bare_time = run_sopbot_rounds(side, bare, transitions, replay)
                replay_check = replay.check(side.instances)
            finally:
                replay.close()
            check = side.check()
        finally:
            database.dispose()
    return RunResult.of(transitions, sopbot_time, bare_time, check, replay, replay_check)


def postgres_conninfo(url: URL) -> str:
    """The libpq connection string of a SQLAlchemy URL (psycopg takes it as is)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_schema(base: URL) -> Iterator[URL]:
    """A new schema on the server (as the tests make one per test), dropped afterwards."""
    schema = f"sopbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield base.update_query_dict({"options": f"-csearch_path={schema}"})
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def postgres_run(library: SopLibrary, transitions: int, base: URL) -> RunResult:
    """One run on the server, in a fresh schema."""
    with fresh_schema(base) as url:
        database = Database(
            url.render_as_string(hide_password=False), audit_key=AuditKey.generate()
        )
        try:
            side = SopbotSide(database, library, transitions)
            with bare_postgres(postgres_conninfo(url)) as bare:
                sopbot_time, bare_time = run_sopbot_rounds(side, bare, transitions)
            check = side.check()
        finally:
            database.dispose()
    return RunResult.of(transitions, sopbot_time, bare_time, check)


def postgres_version(base: URL) -> str:
    """The server's version; raises when it cannot be reached."""
    with psycopg.connect(postgres_conninfo(base), connect_timeout=5) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# -- summary ----------------------------------------------------------------------------------


def summarise(results: list[RunResult], transitions: int, goal: float | None) -> dict[str, Any]:
    """One database's figures over the runs."""
    ratios = [r.ratio for r in results]
    summary: dict[str, Any] = {
        "transitions_per_s": spread([r.transitions_per_s for r in results]),
        "bare_commits_per_s": spread([r.bare_commits_per_s for r in results]),
        "ratio": spread(ratios),
        "cpu_ms_per_transition": spread([r.cpu_ms_per_transition for r in results]),
        "cpu_ms_per_bare_commit": spread([r.cpu_ms_per_bare_commit for r in results]),
        "ratio_per_run": ratios,
        # Every run really did its transitions: one command, one audit row each.
        "all_transitions_done": all(
            r.check["complete_commands"] == transitions
            and r.check["complete_audit_rows"] == transitions
            for r in results
        ),
        "checks_per_run": [r.check for r in results],
    }
    alone = [r for r in results if r.sql_alone_per_s is not None]
    if alone:
        rates = [r.sql_alone_per_s for r in alone if r.sql_alone_per_s is not None]
        summary["sql_alone"] = {
            "transactions_per_s": spread(rates),
            # The best any program storing the same rows could do against bare commits ...
            "ratio_to_bare_commits": spread(
                [rate / r.bare_commits_per_s for rate, r in zip(rates, alone, strict=True)]
            ),
            # ... and how much of that sopbot reaches.
            "sopbot_share": spread(
                [r.transitions_per_s / rate for rate, r in zip(rates, alone, strict=True)]
            ),
            "cpu_ms_per_transaction": spread(
                [r.cpu_ms_per_sql_alone for r in alone if r.cpu_ms_per_sql_alone is not None]
            ),
            # The replay stored what sopbot stored.
            "same_rows": all(r.sql_alone_check == r.check for r in alone),
        }
    if goal is not None:
        summary["goal_ratio"] = goal
        summary["goal_met"] = statistics.median(ratios) >= goal
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transitions", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sopbot-transitions-lib-") as scratch:
        library = build_library(Path(scratch))
    summary: dict[str, Any] = {
        "transitions": args.transitions,
        "runs": args.runs,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite_version": sqlite3.sqlite_version,
        "sop_steps": STEPS,
    }
    sqlite_results = [sqlite_run(library, args.transitions) for _ in range(args.runs)]
    summary["sqlite"] = summarise(sqlite_results, args.transitions, GOAL_RATIO)
    summary["postgresql"] = postgres_summary(library, args)
    print(json.dumps(summary, indent=2))
    return summary


def postgres_summary(library: SopLibrary, args: argparse.Namespace) -> dict[str, Any]:
    """The PostgreSQL figures, or why there are none."""
    if not args.postgres_url:
        return {"skipped": "no --postgres-url given"}
    base = make_url(args.postgres_url)
    try:
        version = postgres_version(base)
    except (psycopg.Error, OSError) as exc:
        return {"skipped": f"server unreachable: {type(exc).__name__}: {exc}".strip()}
    results = [postgres_run(library, args.transitions, base) for _ in range(args.runs)]
    return {"server_version": version, **summarise(results, args.transitions, None)}


if __name__ == "__main__":
    main()
