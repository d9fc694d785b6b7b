"""The province-day runs end to end at its quick size (a small province, about two minutes;
no timing is asserted): the officials play their procedures through the emulator against two
`sopbot run` workers in webhook mode on one PostgreSQL database behind the proxy, as the
deployment runs them, and every check of nothing lost, nothing doubled passed (a failed one
raises)."""

from __future__ import annotations

import pytest

from bench import province_day
from tests.helpers.databases import POSTGRES_HINT, postgres_url


def test_the_province_day_runs_end_to_end() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_HINT)
    summary = province_day.main(
        [
            "--quick",
            "--workers",
            "2",
            "--postgres-url",
            url,
            "--database",
            "sopbot_bench_province_test",
        ]
    )
    checks = summary["checks"]
    assert checks["passed"] is True
    # Every update Telegram sent was stored and handled, once.
    assert checks["updates_sent_by_telegram"] == checks["updates_stored"]
    assert checks["updates_handled"] == checks["updates_stored"] > 0
    # Every procedure the day started finished; the neglected ones are still open.
    assert checks["procedures_played"] == summary["procedures_played"] > 0
    assert summary["backlog_procedures"] > 0
    # The backlog's reminders and escalations fell due during the run and went.
    alerts = summary["alerts"]
    assert (
        alerts["reminders_due_in_run"] + alerts["escalations_due_in_run"]
        == (summary["backlog_procedures"])
    )
    # The worker's CPU and memory were measured, and the projection computed from them.
    assert summary["run"]["cpu_ms_per_update"] > 0
    assert summary["per_worker"]["1"]["vm_hwm_mb"] > 0
    # Both workers were given updates by the proxy, and both stopped cleanly.
    assert all(w["updates_given_by_proxy"] > 0 for w in summary["per_worker"].values())
    assert summary["exit_codes"] == [0, 0]
    assert summary["projection"]["bot_tokens_at_telegram_limit"] >= 1
