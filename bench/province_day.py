"""A province-day: 40 agencies, 4,000 officials and the seed SOPs, played through Telegram by
simulated officials against `sopbot run` workers in webhook mode on PostgreSQL, with Telegram's
flood limits kept and reminders and escalations falling due during the run.

Processes (each its own, so each one's CPU is its own):
  * Telegram: the emulator with Telegram's flood limits on, and the officials who use it
    (`bench.province_driver`): people are cheapest where their phones are;
  * the TLS proxy's stand-in: a round-robin reverse proxy (`bench.province_proxy`), in this
    process, forwarding each webhook POST and its secret header to the next worker's
    WEBHOOK_PORT and the worker's status back;
  * N workers: `python -m sopbot run`, each with its own WEBHOOK_PORT, WEBHOOK_URL at the proxy,
    DATABASE_URL on a PostgreSQL database made for the run (`--database`, dropped after it),
    one document folder, one audit key (made for the run, never printed);
  * PostgreSQL, whose backends serving the run's database are measured too.

Before the clock starts (not measured; `bench.province_setup`): the agencies, their positions,
role mappings, members (joined), round-the-clock working hours, set up through the services in
this process (much faster than onboarding 4,000 people through Telegram); the backlog started
in the past so that its reminders and escalations fall due during the run (the workers'
schedulers rebuild them from the database at start-up); the workers started and the backlog's
messages delivered.

The day (`bench.province_model`): the peak hour at its real rate, then the day's profile
compressed as far as Telegram's pace allows. Each start is /mulai by the official who holds the
SOP's first step; each disposition is then acted on by its holder after a moment's thought.

Measured per window (the workers idle before the day, the peak hour, the compressed day, its
busiest half hour, after the last start, and the whole run from the first start until nothing
is owed): updates and Telegram's messages a second,
update-to-reply latency (the POST of the update to the webhook -> the bot's first answer: the
press's answerCallbackQuery, else its first message or edit in that chat), the workers' CPU
(utime + stime from /proc) per update, per transition (audit rows of procedures, step runs and
dispositions) and per command (idempotency keys), the database backends' CPU and commits per
update, outbox lag (sent_at - created_at), Telegram's 429s; per worker: its CPU, the updates
the proxy gave it, its memory (VmHWM, VmRSS). Then every check of `bench.province_checks`
(nothing lost, nothing doubled: assertions that stop the run), and the projection to a national
deployment (`province_model.projection`).

    python -m bench.province_day [--quick] [--workers N] [--postgres-url URL] [--json FILE]
                                 [--whole-day] [--keep-database] [--logs DIR [--profile]]

The full size takes about 20 minutes on two cores, `--quick` (4 agencies, 100 officials) about
two. `--logs` keeps the workers' logs and Telegram's report; `--profile` runs the workers under
cProfile (`bench.profiled_worker`, every thread, CPU time).

Several workers share the database as a deployment runs them (chat leases, one leader for the
timed jobs, the flood pace shared): the suite runs three (`python -m bench`), its quick size
two. With several, the per-worker table shows the updates the proxy gave each worker; the
worker that handles an update is the one holding its chat's lease.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.province_checks import DayFailed, alerts_sent, check_day, updates_of
from bench.province_figures import (
    WINDOWS,
    day_figures,
    national,
    per_procedure,
    per_worker,
    quantile,
    read_stored,
    table_growth,
    window,
)
from bench.province_model import plan_day
from bench.province_processes import (
    REPO,
    Monitor,
    Run,
    Telegram,
    Worker,
    calibration_ms,
    free_port,
    fresh_database,
    memory_mb,
    start_worker,
    stop_workers,
    tail,
    telegram_process,
    unreachable,
)
from bench.province_proxy import Upstreams, start_proxy
from bench.province_setup import (
    NEGLECTED,
    ROLES,
    SEEDS,
    Agency,
    open_catalog,
    set_up_agencies,
    start_backlog,
    write_sop_folder,
)
from sopbot.engine.library import load_library
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
READY_WAIT = 180.0  # for the workers to start and the backlog's messages to go
DRAIN_WAIT = 600.0  # after the last start, for the officials to finish and the bot to settle
QUIET_CHECKS = 3  # polls a second apart with nothing owed: the run has ended
# The sizes: agencies, members of each, neglected procedures, the peak hour's seconds, the
# compressed day's seconds, the officials' thinking (seconds, uniform), the seconds from the
# backlog's set-up to the day's first start (the workers start meanwhile).
FULL = {"agencies": 40, "members": 100, "backlog": 80, "peak": 300.0, "day": 600.0}
QUICK = {"agencies": 4, "members": 25, "backlog": 8, "peak": 20.0, "day": 40.0}
FULL_THINK, QUICK_THINK = (1.0, 4.0), (0.3, 1.0)
FULL_LEAD, QUICK_LEAD = 60.0, 30.0


def backlog_moments(
    begin: dt.datetime, seconds: float, count: int
) -> list[tuple[dt.datetime, str]]:
    """When the backlog's alerts fall due: half reminders, half escalations, spread over the
    run's first 90%."""
    moments = []
    for index in range(count):
        offset = seconds * (0.05 + 0.85 * (index + 0.5) / max(count, 1))
        moments.append(
            (begin + dt.timedelta(seconds=offset), "reminder" if index % 2 else "escalation")
        )
    return moments


async def play_day(args: argparse.Namespace, url: str, folder: Path) -> Run:
    """Set the province up, start everything, play the day, and collect what it did."""
    run = Run(audit_key=secrets.token_hex(32), calibration_ms=calibration_ms())
    sop_dir = folder / "sop_defs"
    write_sop_folder(sop_dir, args.agencies)
    async with telegram_process(args.agencies * args.members) as telegram:
        started = time.perf_counter()
        agencies, clock_start = await _set_up(args, run, url, sop_dir, telegram.users)
        run.setup_s = time.perf_counter() - started
        people = len(telegram.users)
        _say(f"set up in {run.setup_s:.0f} s: {args.agencies} agencies, {people} officials")
        upstreams = Upstreams([free_port() for _ in range(args.workers)])
        server, proxy_port = start_proxy(upstreams)
        environment = _environment(run, url, folder, telegram, proxy_port)
        workers: list[Worker] = []
        for number, port in enumerate(upstreams.ports, start=1):
            logs = args.logs or folder
            workers.append(await start_worker(number, port, environment, logs, args.profile))
        monitor = Monitor(url, args.database)
        try:
            await _ready(telegram, workers, monitor)
            run.ready_s = time.perf_counter() - started - run.setup_s
            _say(f"{len(workers)} worker(s) ready in {run.ready_s:.0f} s")
            pids = [w.pid for w in workers]
            run.samples["idle:begin"] = monitor.sample(pids, int(telegram.process.pid))
            # The backlog's alerts were placed from this moment: begin there (not sooner).
            # Meanwhile the workers idle: what they cost with nothing to do.
            await asyncio.sleep(max(0.0, (clock_start - dt.datetime.now(dt.UTC)).total_seconds()))
            run.tables_before = monitor.table_sizes()
            await _play(args, run, telegram, workers, monitor, agencies, sop_buttons())
        finally:
            run.memory = {w.number: memory_mb(w.pid) for w in workers}
            run.exit_codes = await stop_workers(workers)
            server.stop()
            monitor.close()
            run.forwarded = {
                number: upstreams.forwarded[port]
                for number, port in enumerate(upstreams.ports, start=1)
            }
        for worker in workers:
            if worker.process.returncode not in (0, None):
                code = worker.process.returncode
                _say(f"worker {worker.number} exited {code}:\n{tail(worker.log)}")
        run.report = await telegram.ask("report")
    if args.logs is not None:
        (args.logs / "telegram-report.json").write_text(json.dumps(run.report), encoding="utf-8")
    return run


async def _set_up(
    args: argparse.Namespace, run: Run, url: str, sop_dir: Path, telegram_ids: list[int]
) -> tuple[list[Agency], dt.datetime]:
    """The database migrated, the province set up, the backlog started; the agencies, and when
    the day is to begin (the backlog's alerts are placed from it)."""
    database = Database(url, audit_key=AuditKey.from_text(run.audit_key))
    try:
        await asyncio.to_thread(upgrade, database)
        definitions = await asyncio.to_thread(open_catalog, database, sop_dir)
        agencies = await asyncio.to_thread(
            set_up_agencies, database, definitions, telegram_ids, args.agencies, args.members
        )
        clock_start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=args.lead)
        run_seconds = args.peak_seconds + args.day_seconds
        moments = backlog_moments(clock_start, run_seconds, args.backlog)
        await asyncio.to_thread(start_backlog, database, definitions, agencies, moments)
    finally:
        database.dispose()
    return agencies, clock_start


def _environment(
    run: Run, url: str, folder: Path, telegram: Telegram, proxy_port: int
) -> dict[str, str]:
    """The workers' settings (each adds its WEBHOOK_PORT): Telegram at the emulator, updates
    through the proxy, one database, one document folder, the run's audit key."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram.port}",
        "DATABASE_URL": url,
        "SOPBOT_SOP_DIR": str(folder / "sop_defs"),
        "SOPBOT_DOCUMENTS_DIR": str(folder / "documents"),
        "SOPBOT_AUDIT_KEY": run.audit_key,
        "SOPBOT_AUDIT_ANCHOR_FILE": str(folder / "audit-anchors.jsonl"),
        "SOPBOT_LOG_LEVEL": "WARNING",
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}",
        "WEBHOOK_SECRET": secrets.token_urlsafe(48),
        "WEBHOOK_LISTEN": "127.0.0.1",
    }


def sop_buttons() -> dict[str, str]:
    """The /mulai button of each seed SOP: its name as the bot shows it."""
    library = load_library(REPO / "sop_defs")
    return {
        stem: library.definitions[f"{origin}/{stem}"].identity.name[:60]
        for stem, origin in SEEDS.items()
    }


async def _play(
    args: argparse.Namespace,
    run: Run,
    telegram: Telegram,
    workers: list[Worker],
    monitor: Monitor,
    agencies: list[Agency],
    buttons: dict[str, str],
) -> None:
    plan = plan_day(
        peak_seconds=args.peak_seconds,
        day_seconds=args.day_seconds,
        flood_share=args.flood_share,
        agencies=len(agencies),
        sops=sorted(ROLES),
        seed=args.seed,
        whole_day=args.whole_day,
    )
    run.sizing, run.procedures_planned = plan.sizing, len(plan.starts)
    starts = []
    for number, start in enumerate(plan.starts, start=1):
        agency = agencies[start.agency]
        starter = "sekretaris" if start.sop == "pengumpulan-data-kinerja" else "kepala"
        starts.append(
            [
                start.at,
                agency.telegram_of(starter),
                buttons[start.sop],
                f"Data Kinerja {agency.key} Nomor {number}",
                "Untuk ditindaklanjuti sesuai SOP",
            ]
        )
    t0 = time.monotonic() + 1.0
    await telegram.ask(
        "plan "
        + json.dumps(
            {
                "t0": t0,
                "starts": starts,
                "think": list(args.think),
                "refuse": args.refuse,
                "neglected": NEGLECTED,
                "seed": args.seed,
            }
        )
    )
    pids = [w.pid for w in workers]
    telegram_pid = int(telegram.process.pid)
    run.phases = {name: (t0 + a, t0 + b) for name, (a, b) in plan.phases.items()}
    labels: dict[float, list[str]] = {}
    for name, (a, b) in run.phases.items():
        labels.setdefault(a, []).append(f"{name}:begin")
        labels.setdefault(b, []).append(f"{name}:end")
    _say(f"the day begins: {len(plan.starts)} procedures, {max(labels) - t0:.0f} s of starts")
    for moment in sorted(labels):
        await _until(moment, telegram, monitor)
        sample = monitor.sample(pids, telegram_pid)
        for label in labels[moment]:
            run.samples[label] = sample
    await _drained(telegram, monitor, workers)
    end = time.monotonic()
    final = monitor.sample(pids, telegram_pid)
    run.tables_after = monitor.table_sizes()
    first, last = min(labels), max(labels)
    run.phases["idle"] = (run.samples["idle:begin"].at, first)
    run.samples["idle:end"] = run.samples[labels[first][0]]
    run.phases["drain"] = (last, end)
    run.phases["run"] = (first, end)
    run.samples |= {
        "drain:begin": run.samples[labels[last][0]],
        "drain:end": final,
        "run:begin": run.samples[labels[first][0]],
        "run:end": final,
    }


async def _ready(telegram: Telegram, workers: list[Worker], monitor: Monitor) -> None:
    """Every worker has set the webhook, and the backlog's messages (and the reminders owed at
    start-up) are delivered."""
    deadline = time.monotonic() + READY_WAIT
    quiet = 0
    while quiet < QUIET_CHECKS:
        for worker in workers:
            if worker.process.returncode is not None:
                raise RuntimeError(f"worker {worker.number} stopped:\n{tail(worker.log)}")
        status = await telegram.ask("status")
        owed = await asyncio.to_thread(monitor.owed)
        quiet = quiet + 1 if status["webhooks_set"] >= len(workers) and owed == 0 else 0
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers were not ready in {READY_WAIT:.0f} s: {status}")
        await asyncio.sleep(1.0)


async def _until(moment: float, telegram: Telegram, monitor: Monitor) -> None:
    """Sleep until `moment`, saying now and then how the day goes."""
    while (left := moment - time.monotonic()) > 0:
        await asyncio.sleep(min(left, 15.0))
        if moment - time.monotonic() > 1:
            status = await telegram.ask("status")
            owed = await asyncio.to_thread(monitor.owed)
            _say(_progress(status, owed))


async def _drained(telegram: Telegram, monitor: Monitor, workers: list[Worker]) -> None:
    """Until the officials have nothing left to do and the bot owes nothing."""
    deadline = time.monotonic() + DRAIN_WAIT
    quiet, said = 0, time.monotonic()
    while quiet < QUIET_CHECKS:
        status = await telegram.ask("status")
        owed = await asyncio.to_thread(monitor.owed)
        idle = not status["busy"] and not status["starts_left"] and not status["pending_updates"]
        quiet = quiet + 1 if idle and owed == 0 else 0
        if time.monotonic() > deadline:
            raise DayFailed(f"the day did not end in {DRAIN_WAIT:.0f} s: {status}, owed {owed}")
        if any(w.process.returncode is not None for w in workers):
            raise DayFailed("a worker stopped during the day")
        if time.monotonic() - said > 15:
            _say(_progress(status, owed))
            said = time.monotonic()
        await asyncio.sleep(1.0)


def _progress(status: dict[str, Any], owed: int) -> str:
    waiting = status["waiting"] if not status["starts_left"] else []
    return (
        f"  {status['pushed']} updates, {status['busy']} officials busy, "
        f"{status['starts_left']} starts to come, {owed} owed, "
        f"{status['flood_refusals']} 429s, {status['errors']} errors"
        + (f"; waiting: {waiting}" if waiting else "")
    )


def _say(text_: str) -> None:
    print(text_, file=sys.stderr, flush=True)


# --- the figures ----------------------------------------------------------------------------


def summarise(args: argparse.Namespace, run: Run, url: str) -> dict[str, Any]:
    """The checks (DayFailed when one fails), then the figures and the projection."""
    database = Database(url, audit_key=AuditKey.from_text(run.audit_key))
    try:
        counted = check_day(
            database, run.report, procedures_planned=run.procedures_planned, neglected=NEGLECTED
        )
        first, last = run.samples["run:begin"], run.samples["run:end"]
        problems: list[str] = []
        alerts = alerts_sent(database, first.wall, last.wall, problems)
        due = alerts["reminders_due_in_run"] + alerts["escalations_due_in_run"]
        if due != args.backlog or problems:
            raise DayFailed(
                f"{due} of the backlog's {args.backlog} alerts went out in the run; {problems}"
            )
        stored = read_stored(database)
    finally:
        database.dispose()
    updates = updates_of(run.report)
    windows = {
        name: window(name, run, updates, stored)
        for name in WINDOWS
        if name in run.phases and run.phases[name][1] - run.phases[name][0] >= 1.0
    }
    played = counted["procedures_played"]
    per = per_procedure(run, windows, played)
    lateness = alerts.pop("lateness_s")
    return {
        "workers": args.workers,
        "agencies": args.agencies,
        "officials": args.agencies * args.members,
        "database": "PostgreSQL",
        "runs": 1,
        "procedures_played": played,
        "backlog_procedures": counted["backlog_procedures"],
        "setup_s": round(run.setup_s, 1),
        "ready_s": round(run.ready_s, 1),
        "calibration_ms": round(run.calibration_ms, 1),
        "day": day_figures(run, per),
        **windows,
        "windows_utc": {
            name: [
                run.samples[f"{name}:begin"].wall.isoformat(),
                run.samples[f"{name}:end"].wall.isoformat(),
            ]
            for name in windows
        },
        "per_worker": per_worker(run, args.workers),
        "database_kb_per_procedure_by_table": table_growth(run, played),
        "per_procedure": {
            "updates": per.updates,
            "telegram_messages": per.messages,
            "worker_cpu_ms": per.worker_cpu_ms,
            "database_cpu_ms": per.database_cpu_ms,
            "commits": per.commits,
            "database_kb": per.database_bytes / 1024,
        },
        "alerts": {
            **alerts,
            "lateness_p50_s": quantile(lateness, 0.5),
            "lateness_max_s": max(lateness, default=None),
        },
        "checks": {**counted, "passed": True},
        "flood": {
            "refusals_429": run.report["flood_refusals"],
            "refusals_by_method": run.report["refusals_by_method"],
            "early_retries": run.report["early_retries"],
            "refused_actions": run.report["refused_actions"],
        },
        "projection": national(per),
        "exit_codes": run.exit_codes,
    }


# --- entry point ----------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with the sizes of --quick or the full day filled in."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small province, a minute or two")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--agencies", type=int)
    parser.add_argument("--members", type=int, help="members of each agency")
    parser.add_argument("--backlog", type=int, help="neglected procedures (their alerts)")
    parser.add_argument("--peak-seconds", type=float, help="the peak hour at its real rate")
    parser.add_argument("--day-seconds", type=float, help="the day compressed into")
    parser.add_argument("--whole-day", action="store_true", help="all 2,000 procedures (hours)")
    parser.add_argument("--flood-share", type=float, default=0.85)
    parser.add_argument("--refuse", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--lead", type=float, help="seconds from set-up to the day's start")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SOPBOT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
    )
    parser.add_argument("--database", default="bench_province")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    parser.add_argument(
        "--profile", action="store_true", help="run the workers under cProfile (into --logs)"
    )
    parser.add_argument("--runs", type=int, default=1, help="ignored: a day is run once")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    args.agencies = args.agencies or sizes["agencies"]
    args.members = args.members or sizes["members"]
    args.backlog = sizes["backlog"] if args.backlog is None else args.backlog
    args.peak_seconds = sizes["peak"] if args.peak_seconds is None else args.peak_seconds
    args.day_seconds = sizes["day"] if args.day_seconds is None else args.day_seconds
    args.think = QUICK_THINK if args.quick else FULL_THINK
    args.lead = args.lead or (QUICK_LEAD if args.quick else FULL_LEAD)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the province-day; print and return the figures."""
    args = arguments(argv)
    problem = unreachable(args.postgres_url)
    if problem is not None:
        summary: dict[str, Any] = {"skipped": problem}
    else:
        # A stop asked for (SIGTERM) unwinds like Ctrl-C: the workers are stopped, the
        # database dropped.
        before = signal.signal(signal.SIGTERM, _interrupt)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="sopbot-province-") as scratch,
                fresh_database(args.postgres_url, args.database, keep=args.keep_database) as url,
            ):
                run = asyncio.run(play_day(args, url, Path(scratch)))
                summary = summarise(args, run, url)
        finally:
            signal.signal(signal.SIGTERM, before)
    text_ = json.dumps(summary, indent=2)
    print(text_)
    if args.json is not None:
        args.json.write_text(text_, encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
