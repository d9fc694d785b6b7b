"""The end-to-end benchmark runs both bots on both networks (tiny sizes; no timing asserted)."""

from __future__ import annotations

from bench import end_to_end


def test_the_end_to_end_benchmark_runs_both_bots_on_both_networks() -> None:
    summary = end_to_end.main(
        ["--runs", "1", "--users", "5", "--burst", "10", "--rate", "10", "--seconds", "1"]
    )
    for network in ("loopback", "round_trip_50ms"):
        for bot in ("echo", "sopbot"):
            figures = summary[network][bot]
            assert figures["updates_per_s"]["median"] > 0
            assert 0 < figures["p50_ms"]["median"] <= figures["p99_ms"]["median"]
            # Each bot is a process of its own, so its CPU is measured apart from the server's.
            assert figures["cpu_ms_per_update"]["median"] > 0
    # Every call pays the added round trip, so no answer can come sooner than it.
    assert summary["round_trip_50ms"]["sopbot"]["p50_ms"]["min"] >= 50
    assert summary["round_trip_50ms"]["echo"]["p50_ms"]["min"] >= 50
