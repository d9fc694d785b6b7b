"""End to end: updates a second, and latency from update to reply, through the real bot.

Both bots run as processes of their own against the same fake Bot API (`sopbot.emulator.process`,
itself a separate process), talking HTTP:
  * sopbot: `sopbot run` (long polling, the durable inbox, a reply to /tugas read from the
    database); its concurrency: CHAT_WORKERS chats at once (`bot/inbox.py`), PTB's
    concurrent_updates and a pool of HTTP_CONNECTIONS connections (`bot/app.py`);
  * the baseline: python-telegram-bot's echo bot with PTB's defaults (`bench/echo_bot.py`):
    one update at a time, each reply awaited.

Each is measured twice: on loopback, and with `--latency` (50 ms) added to every Bot API call,
about what a round trip to Telegram's servers costs from Indonesia. Per bot and network:
  * throughput: `--burst` messages written at once by `--users` people; updates a second =
    messages / (last answer - first message);
  * latency: messages written at `--rate` a second for `--seconds`; p50 and p99 of the time
    from each message to the bot's answer in that chat (as the fake server saw both);
  * CPU: the bot process's CPU time (all its threads, from /proc) per update of the burst,
    which says where the throughput ratio comes from.
Goals: on loopback >= 70% of the echo bot's throughput and p99 < 100 ms at 50 updates/s; with
the 50 ms round trip >= 10x the echo bot's throughput.

    python -m bench.end_to_end [--runs 5] [--users 200] [--burst 1000] [--rate 50] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import spread
from sopbot.bot.app import CONCURRENT_UPDATES, HTTP_CONNECTIONS
from sopbot.bot.inbox import CHAT_WORKERS
from sopbot.emulator.process import EmulatorProcess, emulator_process

REPO = Path(__file__).resolve().parents[1]
BOTS = ("echo", "sopbot")
COMMAND = "/tugas"  # sopbot answers it from the database; the echo bot echoes it
READY_WAIT = 60.0
ANSWER_WAIT = 300.0


FIGURES = ("updates_per_s", "p50_ms", "p99_ms", "cpu_ms_per_update")


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _prepare_sopbot(folder: Path, users: list[int]) -> dict[str, str]:
    """A fresh database where each simulated person is a member; the bot's environment."""
    from sopbot.engine.library import load_library
    from sopbot.services.organization import OrganizationService
    from sopbot.services.procedures import ProcedureService
    from sopbot.storage.audit_key import AuditKey
    from sopbot.storage.database import Database
    from sopbot.storage.migrate import upgrade

    url = f"sqlite:///{folder / 'sopbot.db'}"
    audit_key = secrets.token_hex(32)  # the bot's, for this run only
    database = Database(url, audit_key=AuditKey.from_text(audit_key))
    upgrade(database)
    organization = OrganizationService(ProcedureService(database, load_library(REPO / "sop_defs")))
    agency = organization.create_agency(
        key="kesbangpol-pekalongan", name="Badan Kesbangpol", timezone="Asia/Jakarta"
    )
    for index, user_id in enumerate(users):
        organization.add_member(agency_id=agency, name=f"Pegawai {index}", telegram_user_id=user_id)
    database.dispose()
    return {
        "DATABASE_URL": url,
        "SOPBOT_SOP_DIR": str(REPO / "sop_defs"),
        "SOPBOT_DOCUMENTS_DIR": str(folder / "documents"),
        "SOPBOT_AUDIT_KEY": audit_key,
        "SOPBOT_AUDIT_ANCHOR_FILE": str(folder / "audit-anchors.jsonl"),
        "SOPBOT_LOG_LEVEL": "WARNING",
        # This fake keeps no flood limits, and the echo bot keeps none: the comparison is of
        # the bots' own work, so sopbot's pacing of replies is opened up here too.
        "SOPBOT_FLOOD_PER_SECOND": "100000",
        "SOPBOT_FLOOD_PER_CHAT_PER_SECOND": "100000",
    }


async def _answered(telegram: EmulatorProcess, count: int) -> dict[str, Any]:
    """Wait until the bot has answered the last load's `count` messages."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_WAIT
    while True:
        replies = await telegram.replies()
        if replies["answered"] >= count:
            return replies
        if loop.time() > deadline:
            raise TimeoutError(f"{replies['answered']} of {count} messages answered")
        await asyncio.sleep(0.05)


async def _load(telegram: EmulatorProcess, count: int, rate: float) -> dict[str, Any]:
    await telegram.load(count, rate, COMMAND)
    return await _answered(telegram, count)


async def measure(bot: str, latency: float, args: argparse.Namespace) -> dict[str, float]:
    """One bot on one network: throughput of a burst, and latency at a steady rate."""
    with tempfile.TemporaryDirectory(prefix="sopbot-e2e-") as scratch:
        folder = Path(scratch)
        async with emulator_process(args.users, latency=latency) as telegram:
            environment = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram.port}",
                "SOPBOT_HEALTH_PORT": "0",  # no health server: 9180 may be another's
            }
            if bot == "sopbot":
                environment |= _prepare_sopbot(folder, telegram.users)
                command = [sys.executable, "-m", "sopbot", "run"]
            else:
                command = [sys.executable, "-m", "bench.echo_bot"]
            with (folder / "bot.log").open("ab") as log:
                process = await asyncio.create_subprocess_exec(
                    *command, cwd=REPO, env=environment, stdout=log, stderr=log
                )
                try:
                    loop = asyncio.get_running_loop()
                    ready_by = loop.time() + READY_WAIT
                    while await telegram.waiting_polls() == 0:
                        if process.returncode is not None or loop.time() > ready_by:
                            raise RuntimeError(f"the {bot} bot did not start")
                        await asyncio.sleep(0.05)
                    await _load(telegram, args.users, 0)  # warm up: one message each
                    cpu_before = _cpu_seconds(process.pid)
                    burst = await _load(telegram, args.burst, 0)
                    cpu_after = _cpu_seconds(process.pid)
                    steady = await _load(telegram, int(args.rate * args.seconds), args.rate)
                finally:
                    if process.returncode is None:
                        process.terminate()
                        await process.wait()
    latencies = steady["latencies"]
    figures = {
        "updates_per_s": burst["written"] / burst["span"],
        "p50_ms": 1000 * _quantile(latencies, 0.50),
        "p99_ms": 1000 * _quantile(latencies, 0.99),
    }
    if cpu_before is not None and cpu_after is not None:
        figures["cpu_ms_per_update"] = 1000 * (cpu_after - cpu_before) / burst["written"]
    return figures


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a process has used so far; None where /proc is
    not there to tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5), counted after the command's ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    networks = {"loopback": 0.0, "round_trip_50ms": args.latency}
    runs: list[dict[str, dict[str, dict[str, float]]]] = []
    for number in range(args.runs):
        run: dict[str, dict[str, dict[str, float]]] = {}
        for network, latency in networks.items():
            # Alternate which bot goes first, so a slow spell of the machine does not always
            # land on the same side.
            order = BOTS if number % 2 == 0 else tuple(reversed(BOTS))
            run[network] = {bot: await measure(bot, latency, args) for bot in order}
        runs.append(run)
    summary: dict[str, Any] = {}
    for network in networks:
        figures: dict[str, Any] = {}
        for bot in BOTS:
            figures[bot] = {
                name: spread([run[network][bot][name] for run in runs])
                for name in FIGURES
                if all(name in run[network][bot] for run in runs)
            }
        figures["throughput_ratio"] = spread(
            [
                run[network]["sopbot"]["updates_per_s"] / run[network]["echo"]["updates_per_s"]
                for run in runs
            ]
        )
        summary[network] = figures
    ratio_loopback = summary["loopback"]["throughput_ratio"]["median"]
    ratio_far = summary["round_trip_50ms"]["throughput_ratio"]["median"]
    p99 = summary["loopback"]["sopbot"]["p99_ms"]["median"]
    return {
        "runs": args.runs,
        "users": args.users,
        "burst": args.burst,
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "latency_ms": 1000 * args.latency,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "settings": {
            "sopbot": {
                "chat_workers": CHAT_WORKERS,
                "concurrent_updates": CONCURRENT_UPDATES,
                "http_connections": HTTP_CONNECTIONS,
                "database": "SQLite (WAL, synchronous=FULL)",
            },
            "echo": {"concurrent_updates": 1, "http_connections": "PTB default"},
        },
        **summary,
        "goals": {
            "loopback_throughput_ratio_at_least_0.7": ratio_loopback >= 0.7,
            "loopback_p99_under_100ms_at_rate": p99 < 100.0,
            "round_trip_throughput_ratio_at_least_10": ratio_far >= 10.0,
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args(argv)
    summary = asyncio.run(_run(args))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
