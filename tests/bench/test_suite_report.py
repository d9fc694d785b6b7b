"""`python -m bench` runs the benchmarks and writes the report from what they measured."""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import main
from bench.report import figure_text


def test_the_suite_writes_the_report_from_its_figures(tmp_path: Path) -> None:
    report, raw = tmp_path / "BENCHMARKS.md", tmp_path / "figures.json"
    assert (
        main(
            [
                "--quick",
                "--runs",
                "1",
                "--only",
                "flood_rate",
                "--output",
                str(report),
                "--json",
                str(raw),
            ]
        )
        == 0
    )
    text = report.read_text(encoding="utf-8")
    figures = json.loads(raw.read_text(encoding="utf-8"))["benchmarks"]["flood_rate"]["summary"]
    assert "**1 run**" in text
    assert "cores" in text
    # The goals table carries the measured figure, and the section every median it returned.
    share = figures["share_of_limit_median"]
    assert f"| sustained rate >= 95% of Telegram's 30 msg/s | {share:.1%} |" in text
    rate = figures["rate_per_s"]["median"]
    assert f"| rate_per_s | **{figure_text(rate)}** |" in text
    assert "## How the figures were reached" in text
    assert "Quick run" in text

    # The kept figures render the same report again without measuring anything.
    again = tmp_path / "again.md"
    assert main(["--rerender", str(raw), "--output", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == text
