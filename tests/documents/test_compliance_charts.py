"""The compliance report's charts: PNG pictures 1080 pixels wide (a phone's width), one for
each part that has something to show, none for a period in which nothing was measured."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image

from sopbot.documents.compliance_charts import compliance_charts, drawn_sops
from sopbot.engine.monitoring import ComplianceReport
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


def _many_sops(count: int, *, unmeasured: int = 0) -> ComplianceReport:
    """The agency with `count` SOPs, their shares on time spread from 0% up; the last
    `unmeasured` of them measured nothing."""
    report = monitoring_values.compliance_report()
    sops = tuple(
        replace(
            report.sops[index % len(report.sops)],
            sop_id=f"sop-{index}",
            name=f"SOP nomor {index}",
            time=monitoring_values.time_figures(
                0 if index >= count - unmeasured else 40,
                (index * 7) % 41,
                3600.0,
                slowness=1.0,
            ),
        )
        for index in range(count)
    )
    return replace(report, sops=sops)


def test_of_many_sops_the_chart_draws_the_fifteen_lowest_and_says_so() -> None:
    charts = compliance_charts(_many_sops(60))
    title, png = charts[-1]
    assert title == (
        "Langkah sesuai Mutu Baku per SOP: "
        "15 SOP dengan bagian sesuai Mutu Baku terendah dari 60 SOP"
    )
    picture = Image.open(io.BytesIO(png))
    # Telegram's limits for a photo: width and height together at most 10000 px, the longer
    # side at most 20 times the shorter
    assert picture.width + picture.height <= 10000
    assert max(picture.size) / min(picture.size) <= 20
    for _, other in charts:
        size = Image.open(io.BytesIO(other)).size
        assert sum(size) <= 10000
        assert max(size) / min(size) <= 20


def test_the_lowest_shares_are_the_ones_drawn_and_the_caption_counts_the_measured() -> None:
    report = _many_sops(30, unmeasured=4)
    drawn = drawn_sops(report)
    assert len(drawn) == 15
    assert all(sop.time.measured for sop in drawn)
    shares = [sop.time.on_time / sop.time.measured for sop in drawn]
    assert shares == sorted(shares)
    left_out = [sop for sop in report.sops if sop not in drawn and sop.time.measured]
    assert min(s.time.on_time / s.time.measured for s in left_out) >= shares[-1]
    assert compliance_charts(report)[-1][0].endswith(
        "15 SOP dengan bagian sesuai Mutu Baku terendah dari 26 SOP yang diukur (30 SOP seluruhnya)"
    )


def test_a_few_sops_are_all_drawn_under_the_plain_title() -> None:
    report = _many_sops(15, unmeasured=1)
    assert drawn_sops(report) == report.sops
    assert compliance_charts(report)[-1][0] == "Langkah sesuai Mutu Baku per SOP"
