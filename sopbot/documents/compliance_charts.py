"""The compliance report's charts, for a phone and for the PDF: the share of steps done within
their Mutu Baku month by month, the slowest steps' real time against their standard, and the
share on time per SOP. House style of chart_style (1080 px wide, DejaVu Sans, Okabe-Ito).

Every label sits above its bar across the chart's whole width, where a phone held upright has
room for a step's words; a month or an SOP with nothing measured is marked "–", never drawn
as 0%. A chart with nothing at all to show is left out.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Final

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sopbot.documents.chart_style import (
    DRAWING,
    LATE,
    MUTED,
    ON_TIME,
    STANDARD,
    new_figure,
    png_bytes,
)
from sopbot.documents.compliance_parts import CHART_MONTHS, CHART_SLOWEST, CHART_SOPS
from sopbot.documents.report_words import (
    NOTHING,
    count_text,
    period_text,
    share_text,
    working_time_text,
)
from sopbot.engine.monitoring import ComplianceReport, MonthFigures, SopFigures, TimeFigures
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import month_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MONTHS_TITLE: Final = "Langkah sesuai Mutu Baku per bulan"
SLOWEST_TITLE: Final = "Langkah paling lambat: waktu nyata dan Mutu Baku"
SOPS_TITLE: Final = "Langkah sesuai Mutu Baku per SOP"
LABEL_CHARACTERS: Final = 66  # a label line across the chart at 12.5 pt
CROWDED_MONTHS: Final = 14  # more bars than this: their percentages are set upright
ROW_PX: Final = 170  # one bar and its three lines of words
SOPS_DRAWN: Final = 15  # at most this many SOPs in the per-SOP chart: the lowest shares
PITCH: Final = 1.5  # from one bar to the next, in the axes' units (a bar is 0.3 high)


def compliance_charts(report: ComplianceReport) -> list[tuple[str, bytes]]:
    """The report's charts as (title, PNG), to send as photos; those with nothing to show
    are left out."""
    return list(chart_set(report).values())


def chart_set(report: ComplianceReport) -> dict[str, tuple[str, bytes]]:
    """The charts by the key of the table they go with (compliance_parts.CHART_...)."""
    with DRAWING:
        return _chart_set(report)


def _chart_set(report: ComplianceReport) -> dict[str, tuple[str, bytes]]:
    charts: dict[str, tuple[str, bytes]] = {}
    if any(month.time.measured for month in report.months):
        charts[CHART_MONTHS] = (MONTHS_TITLE, months_chart(report))
    if report.slowest:
        charts[CHART_SLOWEST] = (SLOWEST_TITLE, slowest_chart(report))
    if any(sop.time.measured for sop in report.sops):
        charts[CHART_SOPS] = (sops_title(report), sops_chart(report))
    return charts


def drawn_sops(report: ComplianceReport) -> tuple[SopFigures, ...]:
    """The SOPs the per-SOP chart draws: all of them, in the report's order, when there are
    no more than SOPS_DRAWN; else the SOPS_DRAWN measured ones with the lowest share on time
    (those an admin must look at), the lowest first. A chart of every SOP of a large agency
    would be too tall to read, and past Telegram's limits for a photo."""
    if len(report.sops) <= SOPS_DRAWN:
        return report.sops
    measured = [sop for sop in report.sops if sop.time.measured]
    measured.sort(key=lambda sop: (sop.time.on_time_share or 0.0, -sop.time.measured))
    return tuple(measured[:SOPS_DRAWN])


def _sops_subtitle(report: ComplianceReport) -> str | None:
    """What the per-SOP chart leaves out, when it draws only some of the SOPs."""
    if len(report.sops) <= SOPS_DRAWN:
        return None
    measured = sum(1 for sop in report.sops if sop.time.measured)
    drawn = min(measured, SOPS_DRAWN)
    lowest = f"{drawn} SOP dengan bagian sesuai Mutu Baku terendah dari {measured} SOP"
    if measured == len(report.sops):
        return lowest
    return f"{lowest} yang diukur ({len(report.sops)} SOP seluruhnya)"


def sops_title(report: ComplianceReport) -> str:
    """The per-SOP chart's title (its caption as a photo): which SOPs it draws, when not all."""
    subtitle = _sops_subtitle(report)
    return f"{SOPS_TITLE}: {subtitle}" if subtitle else SOPS_TITLE


def _shares(time: TimeFigures) -> tuple[float, float]:
    """The on-time and late percentages of measured runs (0, 0 when none)."""
    share = time.on_time_share
    if share is None:
        return 0.0, 0.0
    return share * 100, 100 - share * 100


def months_chart(report: ComplianceReport) -> bytes:
    """Stacked bars, one a month: the share of finished steps on time and late."""
    months = report.months
    figure = new_figure(820)
    axes = figure.add_subplot()
    positions = range(len(months))
    on_time, late = zip(*(_shares(month.time) for month in months), strict=True)
    axes.bar(positions, on_time, color=ON_TIME, width=0.7, label="Sesuai Mutu Baku")
    axes.bar(positions, late, bottom=on_time, color=LATE, width=0.7, label="Terlambat")
    crowded = len(months) > CROWDED_MONTHS
    size = 10 if len(months) > 9 else 12
    for x, month in zip(positions, months, strict=True):
        share = month.time.on_time_share
        if share is None:
            axes.text(x, 2, NOTHING, ha="center", va="bottom", color=STANDARD, fontsize=20)
        elif crowded:  # upright, inside the top of the bar: many bars are narrow
            axes.text(
                x,
                98,
                share_text(share),
                ha="center",
                va="top",
                rotation=90,
                fontsize=9,
                color="white",
                weight="bold",
            )
        else:
            axes.text(
                x, 101.5, share_text(share), ha="center", va="bottom", fontsize=size, weight="bold"
            )
    axes.set_xticks(list(positions), _month_labels(months), fontsize=8.5 if crowded else size)
    axes.set_ylim(0, 112)
    axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_ylabel("Langkah selesai")
    axes.set_title(MONTHS_TITLE, loc="left")
    axes.set_xlabel(
        f"{period_text(report.header)} · \u201c–\u201d: tidak ada yang diukur",
        fontsize=11,
        color=STANDARD,
    )
    figure.legend(loc="outside lower center", ncol=2, frameon=False)
    return png_bytes(figure)


def _month_labels(months: tuple[MonthFigures, ...]) -> list[str]:
    """Each month's short name, with the year under the first month and every January."""
    return [
        f"{month_name(figures.month.month, Language.ID)[:3]}\n{figures.month.year}"
        if index == 0 or figures.month.month == 1
        else month_name(figures.month.month, Language.ID)[:3]
        for index, figures in enumerate(months)
    ]


def _unit(report: ComplianceReport) -> tuple[float, str]:
    """The chart's time unit: working days where the slow steps run over two days and the
    day's length is known, else hours."""
    day = report.header.working_day_seconds
    longest = max((slow.step.time.p90_seconds or 0) for slow in report.slowest)
    if day and longest > 2 * day:
        return day, "hari kerja"
    return 3600.0, "jam kerja"


def _shorten(line: str) -> str:
    return textwrap.shorten(line, LABEL_CHARACTERS, placeholder="…")


def _row_labels(axes: Axes, y: float, above: tuple[str, str], below: str) -> None:
    """The words of a bar across the chart's width: a muted line and a line above the bar,
    a muted line below it. They are left out of the layout, which would otherwise shrink
    the axes to make room for them."""
    at_left = axes.get_yaxis_transform()  # x in the axes' width, y in the data
    placed = [
        axes.text(0, y + 0.52, _shorten(above[0]), fontsize=10.5, color=STANDARD),
        axes.text(0, y + 0.22, _shorten(above[1]), fontsize=12.5),
        axes.text(0, y - 0.22, _shorten(below), fontsize=10.5, va="top", color=STANDARD),
    ]
    for text in placed:
        text.set_transform(at_left)
        text.set_in_layout(False)


def _bar_axes(figure: Figure, rows: int, title: str) -> Axes:
    axes = figure.add_subplot()
    axes.set_ylim(-0.7, (rows - 1) * PITCH + 0.9)
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)
    axes.set_title(title, loc="left")
    return axes


def slowest_chart(report: ComplianceReport) -> bytes:
    """One bar per slow step: its median real time, a whisker to the time 9 in 10 runs
    finished within, and a mark at its Mutu Baku."""
    slowest = report.slowest
    day = report.header.working_day_seconds
    scale, unit = _unit(report)
    figure = new_figure(250 + ROW_PX * len(slowest))
    axes = _bar_axes(figure, len(slowest), "Langkah paling lambat")
    widest = 0.0
    for index, slow in enumerate(slowest):
        y = (len(slowest) - 1 - index) * PITCH  # the slowest on top
        time = slow.step.time
        median = (time.median_seconds or 0) / scale
        p90 = (time.p90_seconds or 0) / scale
        standard = (time.median_standard_seconds or 0) / scale
        widest = max(widest, p90, standard)
        axes.barh(y, median, height=0.3, color=LATE)
        axes.plot([median, p90], [y, y], color=LATE, linewidth=2)
        axes.plot([p90], [y], marker="|", markersize=14, markeredgewidth=2, color=LATE)
        axes.plot([standard], [y], marker="|", markersize=24, markeredgewidth=4, color=STANDARD)
        figures = (
            f"median {working_time_text(time.median_seconds, day)} · Mutu Baku "
            f"{working_time_text(time.median_standard_seconds, day)} · "
            f"{share_text(time.on_time_share)} sesuai"
        )
        step = slow.step
        _row_labels(axes, y, (slow.sop_name, f"{step.step_label}. {step.activity}"), figures)
    axes.set_xlim(0, widest * 1.06 or 1)
    axes.set_xlabel(unit.capitalize())
    figure.legend(
        handles=[
            Patch(color=LATE, label="Median waktu nyata"),
            Line2D([], [], color=LATE, marker="|", markersize=12, label="9 dari 10 selesai"),
            Line2D(
                [],
                [],
                color=STANDARD,
                marker="|",
                markersize=16,
                markeredgewidth=4,
                linestyle="none",
                label="Mutu Baku",
            ),
        ],
        loc="outside lower center",
        ncol=3,
        frameon=False,
    )
    return png_bytes(figure)


def sops_chart(report: ComplianceReport) -> bytes:
    """One 100% bar per SOP: its measured steps on time and late; "–" and a grey bar where
    nothing was measured. Of many SOPs, only those with the lowest shares (`drawn_sops`),
    said under the title."""
    sops = drawn_sops(report)
    subtitle = _sops_subtitle(report)
    figure = new_figure(230 + (50 if subtitle else 0) + ROW_PX * len(sops))
    axes = _bar_axes(figure, len(sops), SOPS_TITLE)
    if subtitle:  # the title above, which SOPs are drawn under it
        figure.suptitle(SOPS_TITLE, x=0.02, ha="left", fontsize=16, weight="bold")
        axes.set_title(
            "\n".join(textwrap.wrap(subtitle, LABEL_CHARACTERS + 10)),
            loc="left",
            fontsize=12,
            fontweight="normal",
            color=STANDARD,
        )
    for index, sop in enumerate(sops):
        y = (len(sops) - 1 - index) * PITCH
        on_time, late = _shares(sop.time)
        if sop.time.measured:
            axes.barh(y, on_time, height=0.3, color=ON_TIME)
            axes.barh(y, late, left=on_time, height=0.3, color=LATE)
            figures = (
                f"{share_text(sop.time.on_time_share)} sesuai Mutu Baku "
                f"({count_text(sop.time.on_time)} dari {count_text(sop.time.measured)} langkah)"
            )
        else:
            axes.barh(y, 100, height=0.3, color=MUTED, alpha=0.4)
            figures = f"{NOTHING} belum ada langkah yang selesai diukur"
        _row_labels(axes, y, (sop.sop_number or "", sop.name), figures)
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    figure.legend(
        handles=[
            Patch(color=ON_TIME, label="Sesuai Mutu Baku"),
            Patch(color=LATE, label="Terlambat"),
        ],
        loc="outside lower center",
        ncol=2,
        frameon=False,
    )
    return png_bytes(figure)
