"""The benchmarks still run (tiny sizes; no timing is asserted, only that they complete)."""

from __future__ import annotations

from bench import reminder_scale


def test_the_reminder_benchmark_runs_end_to_end() -> None:
    summary = reminder_scale.main(["--steps", "300", "--fire", "20", "--runs", "1"])
    assert summary["all_fired"] is True
    assert summary["steps"] == 300
    assert summary["rebuild_s"]["median"] >= 0


def test_the_flood_benchmark_runs_end_to_end() -> None:
    from bench import flood_rate

    summary = flood_rate.main(["--chats", "40", "--runs", "1"])
    assert summary["refusals_429_total"] == 0
    assert summary["rate_per_s"]["median"] > 0


def test_the_monitoring_reports_benchmark_runs_end_to_end() -> None:
    from bench import monitoring_reports

    summary = monitoring_reports.main(
        ["--procedures", "60", "--sops", "3", "--runs", "1", "--postgres-url", ""]
    )
    figures = summary["sqlite"]
    # Every procedure started in the year is in the agency's report.
    assert figures["procedures_in_report"] == 60
    assert 0 < figures["measured_runs"] <= figures["step_runs"]
    assert figures["reports_total_s"]["median"] >= figures["compliance_s"]["median"] > 0
    assert summary["postgresql"] == {"skipped": "no --postgres-url given"}
