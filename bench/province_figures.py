"""The province-day's figures, from a finished run: each window's rates, latencies and costs,
each worker's, the backlog's alerts, the checks' counts, and the projection; and how
docs/BENCHMARKS.md shows them (`render_section`, `goals`).

Window figures: updates (caused by the officials, pushed at Telegram in the window) and
Telegram's messages a second (sends and edits it took); update-to-reply (the POST of the update
to the webhook -> the bot's first answer: a press's answerCallbackQuery, else its first
message or edit in that chat), all and by kind; the workers' CPU per update, per transition
(audit rows of procedures, step runs and dispositions written in the window) and per command
(idempotency keys kept in the window), and per second; the database backends' CPU and commits
per update; outbox lag (sent_at - created_at of the rows created in the window); 429s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from bench.province_checks import UpdateRow, sent_of
from bench.province_model import (
    BOT_PACE,
    CIVIL_SERVANTS,
    DAY_OFFICIALS,
    DAY_PROCEDURES,
    HEADROOM,
    PROVINCES,
    WORKING_DAY_S,
    PerProcedure,
    peak_hour_share,
    projection,
    real_peak_start_rate,
)
from bench.province_processes import Run
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, CommandRow, OutboxRow

ONCE_ENTITIES = ("instance", "step_run", "disposition")
TRANSIENT_TABLES = ("inbox_update", "outbox_message", "processed_command")
WINDOWS = {
    "idle": "idle, before the day",
    "peak_hour": "the peak hour at its real rate",
    "compressed_day": "the day compressed",
    "compressed_peak": "its busiest half hour",
    "drain": "after the last start",
    "run": "the whole run",
}
CPU_GOAL_MS = 2.0
P99_GOAL_MS = 200.0


@dataclass
class Stored:
    """The database's timestamps the windows are counted from."""

    transitions: list[dt.datetime]
    commands: list[dt.datetime]
    outbox: list[tuple[dt.datetime, dt.datetime | None]]


def read_stored(database: Database) -> Stored:
    """The times of every transition, command and outbox row."""
    with database.reading() as session:
        transitions = list(
            session.exec(select(AuditRow.at).where(col(AuditRow.entity).in_(ONCE_ENTITIES)))
        )
        commands = list(session.exec(select(CommandRow.at)))
        outbox = [
            (created, sent)
            for created, sent in session.exec(select(OutboxRow.created_at, OutboxRow.sent_at))
        ]
    return Stored(transitions, commands, outbox)


def quantile(values: list[float], share: float) -> float | None:
    """The value below which `share` of them lie (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _per(amount: float, count: float) -> float | None:
    return amount / count if count else None


def window(name: str, run: Run, updates: list[UpdateRow], stored: Stored) -> dict[str, Any]:
    """The figures of one window of the run."""
    begin_at, end_at = run.phases[name]
    first, last = run.samples[f"{name}:begin"], run.samples[f"{name}:end"]
    seconds = last.at - first.at
    inside = [u for u in updates if begin_at <= u.pushed_at < end_at]
    sent = [c for c in sent_of(run.report) if begin_at <= c.at < end_at]
    taken = [c.at for c in sent if c.status == 200]
    cpu = sum(b - a for a, b in zip(first.workers, last.workers, strict=True))
    loop = sum(b - a for a, b in zip(first.workers_loop, last.workers_loop, strict=True))
    backends = sum(t - first.backends.get(pid, 0.0) for pid, t in last.backends.items())
    transitions = sum(1 for at in stored.transitions if first.wall <= at < last.wall)
    commands = sum(1 for at in stored.commands if first.wall <= at < last.wall)
    lags = [
        (sent_at - created).total_seconds()
        for created, sent_at in stored.outbox
        if sent_at is not None and first.wall <= created < last.wall
    ]
    count = len(inside)
    figures: dict[str, Any] = {
        "seconds": seconds,
        "updates": count,
        "updates_per_s": count / seconds,
        "telegram_messages_per_s": len(taken) / seconds,
        "busiest_minute_messages_per_s": _busiest_minute(taken),
        "refusals_429": sum(1 for c in sent if c.status == 429),
        **_latencies(inside),
        "transitions": transitions,
        "commands": commands,
        "worker_cpu_s": cpu,
        "worker_cpu_ms_per_s": 1000 * cpu / seconds,
        "event_loop_share_of_cpu": _per(loop, cpu),
        "cpu_ms_per_update": _per(1000 * cpu, count),
        "cpu_ms_per_transition": _per(1000 * cpu, transitions),
        "cpu_ms_per_command": _per(1000 * cpu, commands),
        "database_cpu_ms_per_update": _per(1000 * backends, count),
        "commits_per_update": _per(last.commits - first.commits, count),
        "commits_per_s": (last.commits - first.commits) / seconds,
        "outbox_lag_p50_s": quantile(lags, 0.50),
        "outbox_lag_p99_s": quantile(lags, 0.99),
        "outbox_lag_max_s": max(lags, default=None),
        "telegram_cpu_s": last.telegram - first.telegram,
        "proxy_cpu_s": last.proxy - first.proxy,
    }
    return figures


def _latencies(updates: list[UpdateRow]) -> dict[str, float | None]:
    """Update-to-reply p50/p99 (all, and by kind of update), the webhook's answer (the worker
    storing the update) and the wait at Telegram before the POST (one at a time, in order)."""

    def ms(begin: float | None, end: float | None) -> float | None:
        return None if begin is None or end is None else 1000 * (end - begin)

    replies = [(u.kind, ms(u.delivered_at, u.replied_at)) for u in updates]
    found: dict[str, float | None] = {}
    for kind in (None, "press", "text", "document"):
        values = [v for k, v in replies if v is not None and kind in (None, k)]
        suffix = f"_{kind}" if kind else ""
        found[f"reply_p50_ms{suffix}"] = quantile(values, 0.50)
        found[f"reply_p99_ms{suffix}"] = quantile(values, 0.99)
    found["reply_max_ms"] = max((v for _, v in replies if v is not None), default=None)
    stored = [ms(u.delivered_at, u.answered_at) for u in updates]
    waited = [ms(u.pushed_at, u.delivered_at) for u in updates]
    found["webhook_answer_p99_ms"] = quantile([v for v in stored if v is not None], 0.99)
    found["queued_at_telegram_p99_ms"] = quantile([v for v in waited if v is not None], 0.99)
    return found


def _busiest_minute(moments: list[float]) -> float:
    """Messages a second in the busiest 60 seconds."""
    ordered = sorted(moments)
    best, low = 0, 0
    for high, moment in enumerate(ordered):
        while ordered[low] < moment - 60.0:
            low += 1
        best = max(best, high - low + 1)
    return best / 60.0


def per_procedure(run: Run, windows: dict[str, dict[str, Any]], played: int) -> PerProcedure:
    """What one procedure cost over the whole run (its start to the bot owing nothing): the
    backlog's alert messages are left out of its messages."""
    whole = windows["run"]
    first, last = run.samples["run:begin"], run.samples["run:end"]
    sent = [c for c in sent_of(run.report) if c.status == 200 and first.at <= c.at < last.at]
    alerts = sum(1 for c in sent if c.alert is not None)
    backends = (whole["database_cpu_ms_per_update"] or 0.0) * whole["updates"]
    return PerProcedure(
        updates=whole["updates"] / played,
        messages=(len(sent) - alerts) / played,
        worker_cpu_ms=1000 * whole["worker_cpu_s"] / played,
        database_cpu_ms=backends / played,
        commits=(last.commits - first.commits) / played,
        database_bytes=(last.database_bytes - first.database_bytes) / played,
        transient_bytes=sum(
            run.tables_after.get(name, 0) - run.tables_before.get(name, 0)
            for name in TRANSIENT_TABLES
        )
        / played,
    )


def table_growth(run: Run, played: int, tables: int = 8) -> dict[str, float]:
    """kB each procedure added to the tables that grew most (with indexes and TOAST)."""
    grown = {
        name: (size - run.tables_before.get(name, 0)) / 1024 / played
        for name, size in run.tables_after.items()
    }
    largest = sorted(grown.items(), key=lambda item: -item[1])[:tables]
    return {name: round(kb, 1) for name, kb in largest}


def day_figures(run: Run, per: PerProcedure) -> dict[str, Any]:
    """The real day against the run: its rates, and how the run was sized."""
    return {
        "day_procedures": DAY_PROCEDURES,
        "day_officials": DAY_OFFICIALS,
        "working_day_h": WORKING_DAY_S / 3600,
        **run.sizing,
        "real_day_average_updates_per_s": DAY_PROCEDURES * per.updates / WORKING_DAY_S,
        "real_peak_hour_updates_per_s": real_peak_start_rate() * per.updates,
        "real_peak_hour_messages_per_s": real_peak_start_rate() * per.messages,
        "real_peak_hour_share_of_bot_pace": real_peak_start_rate() * per.messages / BOT_PACE,
        "whole_day_at_bot_pace_min": DAY_PROCEDURES * per.messages / BOT_PACE / 60,
    }


def per_worker(run: Run, workers: int) -> dict[str, dict[str, Any]]:
    """Each worker's CPU over the run, the updates the proxy gave it, its memory."""
    first, last = run.samples["run:begin"], run.samples["run:end"]
    return {
        str(number): {
            "cpu_s": last.workers[number - 1] - first.workers[number - 1],
            "updates_given_by_proxy": run.forwarded.get(number, 0),
            "vm_hwm_mb": run.memory.get(number, {}).get("VmHWM"),
            "vm_rss_mb": run.memory.get(number, {}).get("VmRSS"),
        }
        for number in range(1, workers + 1)
    }


def national(per: PerProcedure) -> dict[str, Any]:
    """The projection, with what it assumed."""
    return {
        "assumed": {
            "civil_servants": CIVIL_SERVANTS,
            "provinces": PROVINCES,
            "procedures_per_official_per_day": DAY_PROCEDURES / DAY_OFFICIALS,
            "peak_hour_share": peak_hour_share(),
            "headroom": HEADROOM,
        },
        **projection(per),
    }


# --- docs/BENCHMARKS.md ---------------------------------------------------------------------


def goals(summary: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """The issue's goals against the run."""
    if "skipped" in summary:
        return [("the province-day", summary["skipped"], None)]
    workers = summary["workers"]
    cpu = summary["run"]["cpu_ms_per_transition"]
    p99 = summary.get("peak_hour", {}).get("reply_p99_ms")
    return [
        (
            f"PostgreSQL, {workers} worker(s): CPU per transition <= {CPU_GOAL_MS:g} ms",
            _ms(cpu),
            None if cpu is None else cpu <= CPU_GOAL_MS,
        ),
        (
            f"p99 update-to-reply < {P99_GOAL_MS:g} ms at the day's peak hour rate",
            _ms(p99),
            None if p99 is None else p99 < P99_GOAL_MS,
        ),
        (
            "nothing lost, nothing doubled (emulator's log, inbox, audit trail, outbox)",
            f"{summary['checks']['updates_handled']:,} updates, "
            f"{summary['checks']['outbox_rows']:,} outbox rows checked",
            summary["checks"]["passed"],
        ),
        (
            "reminders and escalations due in the run sent, once",
            f"{summary['alerts']['reminders_due_in_run']} + "
            f"{summary['alerts']['escalations_due_in_run']} of {summary['backlog_procedures']}",
            summary["alerts"]["reminders_due_in_run"] + summary["alerts"]["escalations_due_in_run"]
            == summary["backlog_procedures"],
        ),
    ]


def _ms(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.1f} ms"


def _n(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


_COLUMNS = (
    ("seconds", "s", 0),
    ("updates", "updates", 0),
    ("updates_per_s", "updates/s", 2),
    ("telegram_messages_per_s", "Telegram msgs/s", 1),
    ("reply_p50_ms", "reply p50 ms", 0),
    ("reply_p99_ms", "reply p99 ms", 0),
    ("reply_p99_ms_press", "p99 press", 0),
    ("reply_p99_ms_document", "p99 upload", 0),
    ("worker_cpu_ms_per_s", "CPU ms/s", 0),
    ("cpu_ms_per_update", "CPU ms/update", 1),
    ("cpu_ms_per_transition", "CPU ms/transition", 1),
    ("cpu_ms_per_command", "CPU ms/command", 1),
    ("database_cpu_ms_per_update", "DB CPU ms/update", 1),
    ("commits_per_update", "commits/update", 1),
    ("outbox_lag_p50_s", "outbox lag p50 s", 2),
    ("outbox_lag_p99_s", "outbox lag p99 s", 1),
    ("refusals_429", "429s", 0),
)


def render_section(summary: dict[str, Any]) -> list[str]:
    """The province-day's section of docs/BENCHMARKS.md, in tables of its own."""
    if "skipped" in summary:
        return [f"Skipped: {summary['skipped']}.", ""]
    day, per = summary["day"], summary["per_procedure"]
    lines = [
        f"**The day.** {day['day_procedures']:,} procedures a day for {day['day_officials']:,} "
        f"officials in {day['working_day_h']:g} working hours, {day['peak_hour_share']:.0%} of "
        f"them in the peak hour ({day['peak_factor']:.2f}x the average hour). A procedure cost "
        f"{_n(per['updates'])} updates and {_n(per['telegram_messages'])} Telegram messages, so "
        f"the real peak hour is {_n(day['real_peak_hour_updates_per_s'], 2)} updates/s and "
        f"{_n(day['real_peak_hour_messages_per_s'])} messages/s "
        f"({day['real_peak_hour_share_of_bot_pace']:.0%} of one bot token's pace), and the whole "
        f"day needs at least {_n(day['whole_day_at_bot_pace_min'])} minutes of one token's "
        f"sending. This run: {summary['procedures_played']} procedures through Telegram, "
        f"{day['peak_hour_procedures']} at the peak hour's real rate, then "
        f"{day['compressed_procedures']} ({day['day_sample_share']:.1%} of the day) on the "
        f"day's profile compressed {day['time_compression']:.0f}x, its busiest half hour "
        f"{day['compressed_peak_times_real_rate']:.1f}x the real peak rate; "
        f"{summary['workers']} worker(s), {summary['agencies']} agencies, "
        f"{summary['officials']:,} officials, {summary['backlog_procedures']} neglected "
        f"procedures whose alerts fell due in the run. Machine speed: "
        f"{summary['calibration_ms']:.0f} ms for the calibration loop (lower is faster).",
        "",
        "| window | " + " | ".join(title for _, title, _ in _COLUMNS) + " |",
        "|---|" + "---|" * len(_COLUMNS),
    ]
    for name, title in WINDOWS.items():
        if name not in summary:
            continue
        figures = summary[name]
        cells = [_n(figures.get(key), digits) for key, _, digits in _COLUMNS]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "| worker | CPU s | updates given by the proxy | VmHWM MB | VmRSS MB |"]
    lines.append("|---|---|---|---|---|")
    for number, worker in summary["per_worker"].items():
        lines.append(
            f"| {number} | {_n(worker['cpu_s'])} | {worker['updates_given_by_proxy']:,} | "
            f"{_n(worker['vm_hwm_mb'], 0)} | {_n(worker['vm_rss_mb'], 0)} |"
        )
    alerts, checks, flood = summary["alerts"], summary["checks"], summary["flood"]
    lines += [
        "",
        f"**Alerts.** {alerts['reminders_due_in_run']} reminders and "
        f"{alerts['escalations_due_in_run']} escalations fell due during the run and went "
        f"once each (lateness p50 {_n(alerts['lateness_p50_s'], 2)} s, max "
        f"{_n(alerts['lateness_max_s'], 2)} s); {alerts['reminders_before_run']} reminders were "
        "overdue at start-up and went as the workers started.",
        "",
        f"**Nothing lost, nothing doubled** (assertions; the run stops on the first that fails): "
        f"{checks['updates_sent_by_telegram']:,} updates sent by Telegram, each delivered once "
        f"and stored once ({checks['webhook_deliveries_refused']} deliveries refused and "
        f"retried), {checks['updates_handled']:,} handled; {checks['commands_of_updates']:,} "
        f"idempotency keys, each of one update; {checks['transitions_checked']:,} transitions, "
        f"none twice; {checks['outbox_rows']:,} outbox rows, each taken by Telegram as often as "
        f"the outbox says ({checks['outbox_copies']} copies); "
        f"{checks['direct_replies_checked']:,} direct answers naming their upload or "
        f"procedure, none twice, and no press answered twice; {checks['procedures_played']} "
        f"procedures started and finished; the audit trail verified "
        f"({checks['audit_rows_verified']:,} rows). Telegram refused {flood['refusals_429']} "
        f"sends with 429 ({', '.join(f'{m} {n}' for m, n in flood['refusals_by_method'].items())}"
        f"); {flood['early_retries']} retried before their retry_after.",
        "",
    ]
    lines += _projection_table(summary["projection"], per)
    return lines


_PROJECTION = (
    ("procedures a day", "procedures_per_day", "officials x procedures an official starts a day"),
    ("peak hour updates/s", "peak_hour_updates_per_s", "x peak-hour share / 3,600 x updates"),
    ("peak hour Telegram messages/s", "peak_hour_messages_per_s", "the same, x messages"),
    ("worker cores busy, peak hour", "worker_cores_busy_at_peak", "peak procedures/s x worker CPU"),
    ("worker cores at the headroom", "worker_cores_at_headroom", "the same / headroom"),
    ("database cores busy, peak hour", "database_cores_busy_at_peak", "the same with database CPU"),
    ("database cores at the headroom", "database_cores_at_headroom", "the same / headroom"),
    (
        "database commits/s, peak hour",
        "database_commits_per_s_at_peak",
        "peak procedures/s x commits",
    ),
    ("database growth, GB a year", "database_gb_per_year", "procedures a year x bytes (no files)"),
    (
        "the same, inbox/outbox/keys kept 30 days",
        "database_gb_per_year_transient_pruned",
        "their rows pruned after 30 days",
    ),
    ("bot tokens at Telegram's 30/s", "bot_tokens_at_telegram_limit", "peak messages/s / 30"),
    ("bot tokens at the headroom", "bot_tokens_at_headroom", "peak messages/s / (28.8 x headroom)"),
    ("officials one token carries", "officials_per_bot_token", "at that pace, in the peak hour"),
    ("tokens for an average province", "bot_tokens_per_average_province", "its officials / that"),
    (
        "an average province: worker cores",
        "province_worker_cores_at_headroom",
        "at the headroom, one deployment a province",
    ),
    (
        "an average province: database cores",
        "province_database_cores_at_headroom",
        "the same, for its own database",
    ),
    (
        "an average province: commits/s",
        "province_database_commits_per_s_at_peak",
        "at its peak hour",
    ),
)


def _projection_table(national_: dict[str, Any], per: dict[str, Any]) -> list[str]:
    assumed = national_["assumed"]
    lines = [
        f"**Projection to {assumed['civil_servants']:,} civil servants** in "
        f"{assumed['provinces']} provinces, computed from this run: a procedure cost "
        f"{_n(per['worker_cpu_ms'], 0)} ms of worker CPU, {_n(per['database_cpu_ms'], 0)} ms of "
        f"database CPU, {_n(per['commits'], 0)} commits and {_n(per['database_kb'], 0)} kB; "
        f"{assumed['procedures_per_official_per_day']:g} procedures an official a day, "
        f"{assumed['peak_hour_share']:.0%} of a day's in its peak hour, sized to use "
        f"{assumed['headroom']:.0%} of a core or of a token's pace at that hour.",
        "",
        "| figure | value | how |",
        "|---|---|---|",
    ]
    lines += [f"| {what} | {_n(float(national_[key]))} | {how} |" for what, key, how in _PROJECTION]
    lines.append("")
    return lines
