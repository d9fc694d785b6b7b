"""The benchmark suite's table of contents, and docs/BENCHMARKS.md rendered from its figures.

Every figure a benchmark returns as {"median", "min", "max"} becomes a row; each benchmark
also says which goals of the issues it measures and whether they were met. The explanations of
how the figures were reached (profiles, fixes) are kept by hand in `bench/findings.md` and
copied in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import platform
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FINDINGS = Path(__file__).with_name("findings.md")
Summary = dict[str, Any]
Goal = tuple[str, str, bool | None]  # what, measured, met (None: not measured)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: how to run it at full size or quickly, and how to read its goals."""

    name: str
    title: str
    command: str
    run_it: Callable[[list[str]], Summary]
    full: tuple[str, ...]
    quick: tuple[str, ...]
    goals: Callable[[Summary], list[Goal]]
    # Its own tables in place of the table of every figure (a benchmark whose figures read
    # better side by side, or with the words that say how they were reached).
    section: Callable[[Summary], list[str]] | None = None

    def run(self, runs: int, quick: bool) -> Summary:
        """Run it with `runs` runs (at tiny sizes when `quick`)."""
        sizes = self.quick if quick else self.full
        return self.run_it([*sizes, "--runs", str(runs)])


@dataclass(frozen=True)
class Measured:
    """A benchmark's figures from this run of the suite."""

    benchmark: Benchmark
    summary: Summary
    seconds: float


def _median(summary: Summary, *path: str) -> float | None:
    node: Any = summary
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, dict) and "median" in node:
        return float(node["median"])
    return None


def _goal(what: str, value: float | None, fmt: str, met: Callable[[float], bool]) -> Goal:
    if value is None:
        return (what, "not measured", None)
    return (what, fmt.format(value), met(value))


def _transitions_goals(summary: Summary) -> list[Goal]:
    return [
        _goal(
            "SQLite: step transitions >= 50% of bare single-row commits",
            _median(summary, "sqlite", "ratio"),
            "{:.0%}",
            lambda r: r >= 0.5,
        )
    ]


def _engines_goals(summary: Summary) -> list[Goal]:
    ratio = _median(summary, "ratio_sopbot_over_spiff")
    return [_goal("sopbot >= 10x SpiffWorkflow", ratio, "{:.2f}x", lambda r: r >= 10)]


def _end_to_end_goals(summary: Summary) -> list[Goal]:
    return [
        _goal(
            "loopback: >= 70% of the echo bot's updates/s",
            _median(summary, "loopback", "throughput_ratio"),
            "{:.0%}",
            lambda r: r >= 0.7,
        ),
        _goal(
            f"loopback: p99 < 100 ms at {summary.get('rate_per_s', 50):g} updates/s",
            _median(summary, "loopback", "sopbot", "p99_ms"),
            "{:.1f} ms",
            lambda v: v < 100,
        ),
        _goal(
            "50 ms round trip: >= 10x the echo bot's updates/s",
            _median(summary, "round_trip_50ms", "throughput_ratio"),
            "{:.1f}x",
            lambda r: r >= 10,
        ),
    ]


def _reminder_goals(summary: Summary) -> list[Goal]:
    return [
        _goal("start-up rebuild < 5 s", _median(summary, "rebuild_s"), "{:.2f} s", lambda v: v < 5),
        _goal("memory < 300 MB", _median(summary, "rss_mb"), "{:.0f} MB", lambda v: v < 300),
        _goal(
            "reminder lateness p99 < 2 s",
            _median(summary, "lateness_p99_s"),
            "{:.3f} s",
            lambda v: v < 2,
        ),
    ]


def _flood_goals(summary: Summary) -> list[Goal]:
    refusals = summary.get("refusals_429_total")
    return [
        _goal(
            "sustained rate >= 95% of Telegram's 30 msg/s",
            summary.get("share_of_limit_median"),
            "{:.1%}",
            lambda v: v >= 0.95,
        ),
        ("no 429 from the flood-enforcing fake", f"{refusals} in all runs", refusals == 0),
    ]


def _at_least(goal: float) -> Callable[[float], bool]:
    return lambda value: value >= goal


def _import_goals(summary: Summary) -> list[Goal]:
    goals = [
        _goal(what, _median(summary, key), "{:.1%}", _at_least(goal))
        for key, what, goal in (
            ("steps", "steps found with their activity >= 95%", 0.95),
            ("executors", "executors right >= 90%", 0.90),
            ("times", "every time as written (100%)", 1.0),
            ("decisions", "every decision's branches right (100%)", 1.0),
            ("refusals", "the scanned PDF refused, no other (100%)", 1.0),
        )
    ]
    goals.append(
        _goal(
            "under 2 s a document (the slowest, median of runs)",
            _median(summary, "document_s_slowest"),
            "{:.2f} s",
            lambda v: v < 2,
        )
    )
    return goals


def _monitoring_goals(summary: Summary) -> list[Goal]:
    return [
        _goal(
            f"{database}: the three reports over a year (data and files) < 10 s",
            _median(summary, database, "reports_total_s"),
            "{:.2f} s",
            lambda v: v < 10,
        )
        for database in ("sqlite", "postgresql")
    ]


def _province_goals(summary: Summary) -> list[Goal]:
    from bench.province_figures import goals

    return goals(summary)


def _province_section(summary: Summary) -> list[str]:
    from bench.province_figures import render_section

    return render_section(summary)


def _module_main(module: str) -> Callable[[list[str]], Summary]:
    def run(argv: list[str]) -> Summary:
        summary: Summary = importlib.import_module(f"bench.{module}").main(argv)
        return summary

    return run


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "transitions",
        "Engine + storage throughput",
        "python -m bench.transitions",
        _module_main("transitions"),
        (),
        ("--transitions", "40"),
        _transitions_goals,
    ),
    Benchmark(
        "workflow_engines",
        "Against SpiffWorkflow",
        "python -m bench.workflow_engines",
        _module_main("workflow_engines"),
        (),
        ("--instances", "2"),
        _engines_goals,
    ),
    Benchmark(
        "end_to_end",
        "End to end, against python-telegram-bot's echo bot",
        "python -m bench.end_to_end",
        _module_main("end_to_end"),
        (),
        ("--users", "5", "--burst", "10", "--rate", "10", "--seconds", "1"),
        _end_to_end_goals,
    ),
    Benchmark(
        "reminder_scale",
        "Reminders at scale",
        "python -m bench.reminder_scale --steps 100000 --fire 2000",
        _module_main("reminder_scale"),
        ("--steps", "100000", "--fire", "2000"),
        ("--steps", "300", "--fire", "20"),
        _reminder_goals,
    ),
    Benchmark(
        "flood_rate",
        "Flood limits: a burst of 1,000 reminders",
        "python -m bench.flood_rate --chats 1000",
        _module_main("flood_rate"),
        ("--chats", "1000"),
        ("--chats", "40"),
        _flood_goals,
    ),
    Benchmark(
        "import_accuracy",
        "Importing SOP documents (Word, PDF, text)",
        "python -m bench.import_accuracy",
        _module_main("import_accuracy"),
        (),
        ("--documents", "9"),
        _import_goals,
    ),
    Benchmark(
        "monitoring_reports",
        "Monitoring reports over a year: 50 SOPs, 5,000 procedures",
        "python -m bench.monitoring_reports",
        _module_main("monitoring_reports"),
        (),
        ("--procedures", "100", "--sops", "4"),
        _monitoring_goals,
    ),
    Benchmark(
        "province_day",
        "A province-day: 40 agencies, 4,000 officials, webhook workers on PostgreSQL",
        "python -m bench.province_day",
        _module_main("province_day"),
        ("--workers", "3"),  # the configuration
        ("--quick", "--workers", "2"),  # a deployment's smallest
        _province_goals,
        _province_section,
    ),
)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown CPU"
    memory = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(terse=True),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
    }


def _postgres_version() -> str:
    url = os.environ.get(
        "SOPBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return version
    except Exception as exc:
        return f"not reachable ({type(exc).__name__})"


def figure_text(value: float) -> str:
    """A measured figure as the report prints it: three significant digits or whole numbers."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _figures(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, float]]]:
    """Every {"median", "min", "max"} in a summary, with its path of keys."""
    if isinstance(node, dict):
        if {"median", "min", "max"} <= node.keys():
            yield " / ".join(path), node
            return
        for key, child in node.items():
            yield from _figures(child, (*path, str(key)))


def _settings(summary: Summary) -> list[str]:
    """The scalar settings of a run (sizes, versions), as `key=value`."""
    return [
        f"{key}={value}"
        for key, value in summary.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    ]


def render(
    measured: list[Measured],
    host: dict[str, str],
    when: dt.datetime,
    runs: int,
    quick: bool,
) -> str:
    """docs/BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (all benchmarks in one run); do not edit by hand: the",
        "explanations come from `bench/findings.md`. Every figure is the median of "
        f"**{runs} run{'s' if runs != 1 else ''}** with min-max; each comparison measures",
        "both sides within the same run, so the ratio holds on a noisy machine.",
        "",
        f"Measured {when:%Y-%m-%d %H:%M} UTC on **{host['cores']} cores** ({host['cpu']}, shared "
        f"and noisy), {host['memory']} RAM, {host['os']}; Python {host['python']}, SQLite "
        f"{host['sqlite']}, PostgreSQL {host['postgresql']}.",
        "",
    ]
    if quick:
        lines += ["**Quick run: tiny sizes, not figures to publish.**", ""]
    lines += ["## Goals", "", "| benchmark | goal | measured (median) | met |", "|---|---|---|---|"]
    for item in measured:
        for what, value, met in item.benchmark.goals(item.summary):
            verdict = {True: "yes", False: "**no**", None: "-"}[met]
            lines.append(f"| {item.benchmark.title} | {what} | {value} | {verdict} |")
    lines.append("")
    for item in measured:
        benchmark, summary = item.benchmark, item.summary
        lines += [
            f"## {benchmark.title}",
            "",
            f"`{benchmark.command}` ({item.seconds:.0f} s for all runs). Settings: "
            + ", ".join(f"`{s}`" for s in _settings(summary))
            + ".",
            "",
        ]
        if benchmark.section is not None:
            lines += benchmark.section(summary)
            continue
        lines += ["| figure | median | min-max |", "|---|---|---|"]
        for name, figure in _figures(summary):
            lines.append(
                f"| {name} | **{figure_text(figure['median'])}** | "
                f"{figure_text(figure['min'])}-{figure_text(figure['max'])} |"
            )
        lines.append("")
    if FINDINGS.exists():
        lines += [FINDINGS.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(lines)
