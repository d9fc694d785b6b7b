"""The compliance report's charts: PNG pictures 1080 pixels wide (a phone's width), one for
each part that has something to show, none for a period in which nothing was measured."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from sopbot.documents.compliance_charts import compliance_charts
from tests.helpers import monitoring_values


def test_the_report_has_its_three_charts_each_a_phone_wide_png() -> None:
    charts = compliance_charts(monitoring_values.compliance_report())
    assert [title for title, _ in charts] == [
        "Langkah sesuai Mutu Baku per bulan",
        "Langkah paling lambat: waktu nyata dan Mutu Baku",
        "Langkah sesuai Mutu Baku per SOP",
    ]
    for _, png in charts:
        picture = Image.open(io.BytesIO(png))
        assert picture.format == "PNG"
        assert picture.width == 1080
        assert 600 <= picture.height <= 2500  # a photo Telegram keeps readable


def test_the_slowest_steps_chart_grows_with_its_steps() -> None:
    report = monitoring_values.compliance_report()
    few = replace(report, slowest=report.slowest[:2])
    heights = [
        Image.open(
            io.BytesIO(
                dict(compliance_charts(r))["Langkah paling lambat: waktu nyata dan Mutu Baku"]
            )
        ).height
        for r in (few, report)
    ]
    assert heights[0] < heights[1]


def test_a_chart_with_nothing_to_show_is_left_out() -> None:
    report = monitoring_values.compliance_report()
    titles = [title for title, _ in compliance_charts(replace(report, slowest=()))]
    assert "Langkah paling lambat: waktu nyata dan Mutu Baku" not in titles
    assert len(titles) == 2
    assert compliance_charts(monitoring_values.empty_report()) == []


def test_the_same_report_draws_the_same_pictures() -> None:
    report = monitoring_values.compliance_report()
    assert compliance_charts(report) == compliance_charts(report)
