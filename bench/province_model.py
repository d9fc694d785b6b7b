"""The province-day's working day, the starts it gives the officials, and the projection of
what a run measured to a national deployment. Pure: no processes, no database.

The day (the issue's): 2,000 procedures of the seed SOPs started by a province of 4,000 officials
in a working day of 7.5 hours (07.30-16.00 with the midday break), following `PROFILE`.

One bot token can send about 30 messages a second (sopbot paces itself at 28.8), and a seed
procedure makes Telegram carry about 80 messages (dispositions, the documents handed on with
them, the edits that close them, the answers to uploads and to /mulai): a whole day of the
province is about 160,000 messages, at least 95 minutes of one token's sending even at an even
pace. So a run plays two windows of the day, each a stream of procedure starts that officials
then carry to their end:
  * the peak hour at its real rate, for `peak_seconds`;
  * the whole day's profile compressed into `day_seconds`, with as many procedures as keep its
    busiest half hour at `flood_share` of the bot's pace (a sample of the day's 2,000; the
    report says which share and how many times the real rate that is).
`python -m bench.province_day --whole-day` plays all 2,000 instead, compressed as far as the
pace allows (hours).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any

from sopbot.delivery.flood import FloodLimits

DAY_PROCEDURES = 2_000
DAY_OFFICIALS = 4_000
WORKING_DAY_S = 7.5 * 3600
SLOT_S = 1800.0
# Starts per working half hour (07.30 ... 11.30, 13.00 ... 15.30), in per cent of the day's:
# the morning's letters disposed at 09.00-10.00, a dip before the midday break, a smaller rise
# after it.
PROFILE = (3, 6, 9, 11, 11, 9, 8, 7, 5, 5, 7, 7, 6, 4, 2)
BOT_PACE = FloodLimits().overall_per_second  # what sopbot sends a second at most (28.8)
TELEGRAM_LIMIT = 30.0
# Messages Telegram carries per seed procedure (quick runs measured 90: a team's step is
# taken with Ambil first, a step of every Kepala Bidang reaches three), for planning only; a
# run measures its own.
PLANNED_MESSAGES_PER_PROCEDURE = 90.0
# The national deployment of the projection.
CIVIL_SERVANTS = 4_000_000
PROVINCES = 38
WORKING_DAYS_A_YEAR = 245
# The inbox, outbox and command keys pruned after 30 days: about 21 working days' worth kept.
TRANSIENT_KEPT_WORKING_DAYS = 21
# Share of a core (or of the bot's pace) a deployment is sized to use at the peak hour.
HEADROOM = 0.6


def peak_hour_share() -> float:
    """The share of the day's starts in its busiest hour (two adjacent half hours)."""
    total = sum(PROFILE)
    return max(a + b for a, b in itertools.pairwise(PROFILE)) / total


def peak_factor() -> float:
    """How many times the day's average hour its busiest hour is."""
    return peak_hour_share() / (3600.0 / WORKING_DAY_S)


def real_peak_start_rate(day_procedures: int = DAY_PROCEDURES) -> float:
    """Procedure starts a second in the real day's peak hour."""
    return day_procedures * peak_hour_share() / 3600.0


@dataclass(frozen=True, slots=True)
class PlannedStart:
    """A start: seconds after the run's clock starts, which agency, which seed SOP."""

    at: float
    agency: int
    sop: str


@dataclass
class DayPlan:
    """The starts of a run, its phases ((begin, end) seconds after t0) and how it was sized."""

    starts: list[PlannedStart] = field(default_factory=list)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    sizing: dict[str, Any] = field(default_factory=dict)


def plan_day(
    *,
    peak_seconds: float,
    day_seconds: float,
    flood_share: float,
    agencies: int,
    sops: list[str],
    seed: int,
    whole_day: bool = False,
) -> DayPlan:
    """The run's starts: the peak hour at its real rate, then the day compressed."""
    rng = random.Random(seed)
    plan = DayPlan()
    rate = real_peak_start_rate()
    at = 0.0
    if peak_seconds > 0:
        while True:
            at += rng.expovariate(rate)  # Poisson arrivals: people do not queue politely
            if at >= peak_seconds:
                break
            plan.starts.append(PlannedStart(at, rng.randrange(agencies), rng.choice(sops)))
        if not plan.starts:  # a short window may draw none: measure at least one
            plan.starts.append(
                PlannedStart(peak_seconds / 2, rng.randrange(agencies), rng.choice(sops))
            )
        plan.phases["peak_hour"] = (0.0, peak_seconds)
    slot = _compressed_slot(day_seconds, flood_share, whole_day)
    procedures = _compressed_procedures(slot, flood_share, whole_day)
    begin = peak_seconds
    total = sum(PROFILE)
    for index, weight in enumerate(PROFILE):
        count = round(procedures * weight / total)
        for _ in range(count):
            moment = begin + slot * (index + rng.random())
            plan.starts.append(PlannedStart(moment, rng.randrange(agencies), rng.choice(sops)))
    end = begin + slot * len(PROFILE)
    plan.phases["compressed_day"] = (begin, end)
    busiest = max(range(len(PROFILE) - 1), key=lambda i: PROFILE[i] + PROFILE[i + 1])
    plan.phases["compressed_peak"] = (begin + slot * busiest, begin + slot * (busiest + 2))
    plan.starts.sort(key=lambda start: start.at)
    compression = SLOT_S / slot
    plan.sizing = {
        "real_peak_starts_per_s": rate,
        "peak_hour_share": peak_hour_share(),
        "peak_factor": peak_factor(),
        "compressed_procedures": sum(
            1 for s in plan.starts if plan.phases["compressed_day"][0] <= s.at
        ),
        "peak_hour_procedures": sum(1 for s in plan.starts if s.at < peak_seconds),
        "time_compression": compression,
        "day_sample_share": procedures / DAY_PROCEDURES,
        "compressed_peak_times_real_rate": procedures / DAY_PROCEDURES * compression,
    }
    return plan


def _compressed_procedures(slot: float, flood_share: float, whole_day: bool) -> int:
    """How many procedures the compressed day plays: its busiest half hour, `slot` seconds
    long, demanding `flood_share` of the bot's pace."""
    if whole_day:
        return DAY_PROCEDURES
    busiest = max(PROFILE) / sum(PROFILE)
    return max(
        1, math.floor(flood_share * BOT_PACE * slot / PLANNED_MESSAGES_PER_PROCEDURE / busiest)
    )


def _compressed_slot(day_seconds: float, flood_share: float, whole_day: bool) -> float:
    """Seconds of the run per half hour of the day (the whole day: as short as the pace
    allows)."""
    if not whole_day:
        return day_seconds / len(PROFILE)
    busiest = max(PROFILE) / sum(PROFILE)
    return DAY_PROCEDURES * busiest * PLANNED_MESSAGES_PER_PROCEDURE / (flood_share * BOT_PACE)


@dataclass(frozen=True, slots=True)
class PerProcedure:
    """What one procedure cost, as a run measured it."""

    updates: float  # Telegram updates the officials caused
    messages: float  # messages and edits Telegram carried for it (its flood-limited sends)
    worker_cpu_ms: float  # CPU of all workers
    database_cpu_ms: float  # CPU of the PostgreSQL backends serving the workers
    commits: float  # transactions committed in the database
    database_bytes: float  # growth of the database
    # of which the inbox, the outbox and the command keys: kept for redelivery, replay and
    # idempotency, not as the record (which the audit trail and the procedures' rows are)
    transient_bytes: float = 0.0


def projection(
    per: PerProcedure,
    *,
    civil_servants: int = CIVIL_SERVANTS,
    provinces: int = PROVINCES,
) -> dict[str, float]:
    """A national deployment sized from one run: procedures a day scale with the officials
    (the issue's 2,000 per 4,000), and the peak hour sets the size of everything."""
    per_official = DAY_PROCEDURES / DAY_OFFICIALS
    day = civil_servants * per_official
    peak_starts = day * peak_hour_share() / 3600.0
    peak_messages = peak_starts * per.messages
    worker_cores = peak_starts * per.worker_cpu_ms / 1000.0
    database_cores = peak_starts * per.database_cpu_ms / 1000.0
    per_token = BOT_PACE * HEADROOM  # what a token is planned to carry at the peak hour
    officials_per_token = per_token / (per_official * peak_hour_share() / 3600.0 * per.messages)
    province = civil_servants / provinces
    return {
        "civil_servants": civil_servants,
        "procedures_per_day": day,
        "peak_hour_updates_per_s": peak_starts * per.updates,
        "peak_hour_messages_per_s": peak_messages,
        "worker_cores_busy_at_peak": worker_cores,
        "worker_cores_at_headroom": worker_cores / HEADROOM,
        "database_cores_busy_at_peak": database_cores,
        "database_cores_at_headroom": database_cores / HEADROOM,
        "database_commits_per_s_at_peak": peak_starts * per.commits,
        "database_gb_per_year": day * WORKING_DAYS_A_YEAR * per.database_bytes / 1e9,
        "database_gb_per_year_transient_pruned": day
        * (
            WORKING_DAYS_A_YEAR * (per.database_bytes - per.transient_bytes)
            + TRANSIENT_KEPT_WORKING_DAYS * per.transient_bytes
        )
        / 1e9,
        "bot_tokens_at_telegram_limit": math.ceil(peak_messages / TELEGRAM_LIMIT),
        "bot_tokens_at_headroom": math.ceil(peak_messages / per_token),
        "officials_per_bot_token": officials_per_token,
        "bot_tokens_per_average_province": math.ceil(province / officials_per_token),
        # One deployment a province (its own token(s), workers and database: agencies share
        # nothing across provinces), sized the same way for an average province.
        "average_province_officials": province,
        "province_worker_cores_at_headroom": worker_cores / HEADROOM / provinces,
        "province_database_cores_at_headroom": database_cores / HEADROOM / provinces,
        "province_database_commits_per_s_at_peak": peak_starts * per.commits / provinces,
        "province_of_this_run_share_of_a_token": (
            DAY_PROCEDURES * peak_hour_share() / 3600.0 * per.messages / BOT_PACE
        ),
    }
