"""The transitions benchmark still runs (tiny sizes; no timing is asserted, only that it completes
and that every transition it timed really happened in the database)."""

from __future__ import annotations

from typing import Any

import pytest

from bench import transitions
from tests.helpers.databases import POSTGRES_HINT, postgres_url

TINY = 25  # three rounds over three instances of the 11-step SOP


def _assert_really_done(figures: dict[str, Any], runs: int) -> None:
    assert figures["all_transitions_done"] is True
    checks = figures["checks_per_run"]
    assert len(checks) == runs
    for check in checks:
        # One command, one audit row 'complete' of a disposition, per transition...
        assert check["complete_commands"] == TINY
        assert check["complete_audit_rows"] == TINY
        # ...and its messages: the closed disposition, the next one, the sender's notice.
        assert check["outbox_rows"] >= 2 * TINY
    assert len(figures["ratio_per_run"]) == runs
    assert figures["transitions_per_s"]["median"] > 0
    assert figures["bare_commits_per_s"]["median"] > 0
    assert figures["cpu_ms_per_transition"]["median"] > 0
    assert figures["cpu_ms_per_bare_commit"]["median"] > 0


def test_the_transitions_benchmark_runs_on_sqlite() -> None:
    summary = transitions.main(["--transitions", str(TINY), "--runs", "2", "--postgres-url", ""])
    assert summary["transitions"] == TINY
    assert summary["runs"] == 2
    _assert_really_done(summary["sqlite"], runs=2)
    assert summary["sqlite"]["goal_ratio"] == transitions.GOAL_RATIO
    assert isinstance(summary["sqlite"]["goal_met"], bool)
    assert "skipped" in summary["postgresql"]
    # The replay of the transitions' own SQL stored exactly what sopbot stored.
    alone = summary["sqlite"]["sql_alone"]
    assert alone["same_rows"] is True
    assert alone["transactions_per_s"]["median"] > 0


def test_the_transitions_benchmark_runs_on_postgresql() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_HINT)
    summary = transitions.main(["--transitions", str(TINY), "--runs", "1", "--postgres-url", url])
    _assert_really_done(summary["postgresql"], runs=1)
    assert summary["postgresql"]["server_version"]


def test_an_unreachable_server_is_reported_as_skipped() -> None:
    summary = transitions.main(
        [
            "--transitions",
            str(TINY),
            "--runs",
            "1",
            # Port 1 on the loopback: nothing listens there, so the connection is refused.
            "--postgres-url",
            "postgresql+psycopg://postgres@127.0.0.1:1/test",
        ]
    )
    assert summary["postgresql"]["skipped"].startswith("server unreachable")
