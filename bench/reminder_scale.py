"""Reminders at scale: 100,000 open steps.

Measures, each in a fresh process on a fresh copy of the database:
  * start-up rebuild: planning every open step's next alert from the database and scheduling
    one APScheduler job per step (goal < 5 s);
  * resident memory of the process after the rebuild (goal < 300 MB);
  * lateness: `fire_count` steps fall due a few seconds after start-up, spread over 20 s; each
    reminder's lateness is `sent_at - due_at` as recorded in `step_alert` (goal p99 < 2 s).

The agency works around the clock in this benchmark, so it runs at any hour.

    python -m bench.reminder_scale [--steps 100000] [--fire 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.figures import spread

REPO = Path(__file__).resolve().parents[1]
SOP_ID = "dinas-kukmp-samarinda/pengolahan-data-kinerja"


def build_database(path: Path, steps: int, fire: int, start_in: float) -> None:
    """A database with `steps` open steps: `fire` of them due soon, the rest next month."""
    from sqlalchemy import insert

    from sopbot.engine.library import load_library
    from sopbot.engine.national_holidays import national_days_off
    from sopbot.storage.database import Database
    from sopbot.storage.migrate import upgrade
    from sopbot.storage.models import (
        AgencyHoursRow,
        AgencyRow,
        CalendarDayRow,
        DispositionRow,
        InstanceRow,
        MemberRow,
        PositionRow,
        SopVersionRow,
        StepRunRow,
    )

    database = Database(f"sqlite:///{path}")
    upgrade(database)
    definition = load_library(REPO / "sop_defs").definitions[SOP_ID]
    now = dt.datetime.now(dt.UTC)
    with database.transaction() as session:
        agency = AgencyRow(
            key="dinas-kukmp-samarinda", name="Bench", timezone="Asia/Makassar", created_at=now
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        all_day = [["00:00", "23:59:59.999999"]]
        session.add(AgencyHoursRow(agency_id=agency.id, hours={str(w): all_day for w in range(7)}))
        for day in national_days_off(range(now.year, now.year + 2)):
            session.add(CalendarDayRow(agency_id=agency.id, day=day, kind="working", name="bench"))
        member = MemberRow(agency_id=agency.id, name="Pejabat", telegram_user_id=1, created_at=now)
        position = PositionRow(agency_id=agency.id, key="sekretaris", name="Sekretaris")
        session.add(member)
        session.add(position)
        version = SopVersionRow(
            sop_id=SOP_ID,
            version=definition.version,
            digest=definition.digest,
            source=definition.source_text,
            loaded_at=now,
        )
        session.add(version)
        session.flush()
        ids = (agency.id, member.id, position.id, version.id)
    agency_id, member_id, position_id, version_id = ids
    soon = now + dt.timedelta(seconds=start_in)
    instances, runs, dispositions = [], [], []
    for n in range(steps):
        instance_id, run_id = uuid.uuid4(), uuid.uuid4()
        due = (
            (soon + dt.timedelta(seconds=20 * n / fire))
            if n < fire
            else (now + dt.timedelta(days=30, seconds=n))
        )
        instances.append(
            {
                "id": instance_id,
                "agency_id": agency_id,
                "number": n + 1,
                "sop_version_id": version_id,
                "sop_id": SOP_ID,
                "title": f"B{n}",
                "state": "running",
                "started_by_id": member_id,
                "started_at": now,
                "version": 1,
            }
        )
        runs.append(
            {
                "id": run_id,
                "instance_id": instance_id,
                "step_number": 2,
                "round": 1,
                "state": "open",
                "assignment": "salah_satu",
                "opened_at": now,
                "due_at": due,
            }
        )
        dispositions.append(
            {
                "id": uuid.uuid4(),
                "instance_id": instance_id,
                "step_run_id": run_id,
                "assignee_id": member_id,
                "position_id": position_id,
                "state": "pending",
                "created_at": now,
                "manual": False,
            }
        )
    with database.engine.begin() as connection:
        for table, rows in (
            (InstanceRow, instances),
            (StepRunRow, runs),
            (DispositionRow, dispositions),
        ):
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(table), rows[start : start + 10_000])
    database.dispose()


def child(database_path: str, fire: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    from sqlmodel import col, select

    from sopbot.bot.reminders import ReminderScheduler
    from sopbot.engine.library import load_library
    from sopbot.services.alerts import AlertService
    from sopbot.services.procedures import ProcedureService
    from sopbot.storage.database import Database
    from sopbot.storage.models import StepAlertRow

    database = Database(f"sqlite:///{database_path}")
    procedures = ProcedureService(database, load_library(REPO / "sop_defs"))
    scheduler = ReminderScheduler(AlertService(procedures))

    async def run() -> dict[str, Any]:
        started = time.perf_counter()
        watched = await scheduler.start()
        rebuild = time.perf_counter() - started
        rss = _rss_mb()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with database.transaction() as session:
                sent = session.exec(select(StepAlertRow)).all()
            if len(sent) >= fire:
                break
            await asyncio.sleep(0.5)
        scheduler.stop()
        with database.transaction() as session:
            alerts = session.exec(
                select(StepAlertRow)
                .where(StepAlertRow.kind == "reminder")
                .order_by(col(StepAlertRow.id))
            ).all()
        lateness = sorted((a.sent_at - a.due_at).total_seconds() for a in alerts)
        return {
            "watched": watched,
            "rebuild_s": rebuild,
            "rss_mb": rss,
            "fired": len(lateness),
            "lateness_p50_s": _percentile(lateness, 50),
            "lateness_p99_s": _percentile(lateness, 99),
            "lateness_max_s": lateness[-1] if lateness else None,
        }

    return asyncio.run(run())


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(pct / 100 * len(values) + 0.5) - 1))
    return values[index]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--fire", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.fire)))
        return {}
    results = []
    with tempfile.TemporaryDirectory(prefix="sopbot-bench-") as scratch:
        template = Path(scratch) / "template.db"
        build_database(template, args.steps, args.fire, start_in=0)
        for _ in range(args.runs):
            copy = Path(scratch) / "run.db"
            shutil.copy(template, copy)
            # Re-date the soon-due steps so they fall due just after this run's start-up.
            _shift_soon(copy, args.fire)
            output = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.reminder_scale",
                    "--child",
                    str(copy),
                    "--fire",
                    str(args.fire),
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            ).stdout
            results.append(json.loads(output.strip().splitlines()[-1]))
            copy.unlink()
    summary = summarise(results, args)
    print(json.dumps(summary, indent=2))
    return summary


def _shift_soon(path: Path, fire: int) -> None:
    from sqlalchemy import text

    from sopbot.storage.database import Database

    database = Database(f"sqlite:///{path}")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
    with database.engine.begin() as connection:
        rows = connection.execute(
            text("SELECT id FROM step_run WHERE due_at < :cut ORDER BY due_at"),
            {"cut": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(tzinfo=None)},
        ).fetchall()
        for n, (run_id,) in enumerate(rows[:fire]):
            due = start + dt.timedelta(seconds=20 * n / fire)
            connection.execute(
                text("UPDATE step_run SET due_at = :due WHERE id = :id"),
                {"due": due.replace(tzinfo=None), "id": run_id},
            )
    database.dispose()


def summarise(results: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Median and min-max of each figure over the runs."""
    summary: dict[str, Any] = {
        "steps": args.steps,
        "fired_per_run": args.fire,
        "runs": len(results),
        "cores": os.cpu_count(),
    }
    for key in ("rebuild_s", "rss_mb", "lateness_p50_s", "lateness_p99_s", "lateness_max_s"):
        values = [r[key] for r in results if r[key] is not None]
        summary[key] = spread(values) if values else None
    summary["all_fired"] = all(r["fired"] >= args.fire for r in results)
    return summary


if __name__ == "__main__":
    main()
