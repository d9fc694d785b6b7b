"""The pictures of /status: one procedure's timeline, and an agency's running procedures.

`draw_timeline` shows each step run of a procedure in order, one row per run: its label (the
step's printed number, activity and Pelaksana, "putaran 2" for a later round), then its real
working time as a bar over a lighter bar for its Mutu Baku with a dark mark where the standard
ends. Late runs are in the LATE colour, the open ones hatched and said to be running with the
time so far, runs done in time in the ON_TIME colour. `draw_running` shows an agency's running
procedures, most late first: how long each has been running, with how late its current step is
drawn inside that bar.

The rows are laid out by hand, in pixels, for a phone held upright: every label is a line of
its own across the full width (wrapped, and a long activity shortened with "…", measured with
the renderer's own font metrics so nothing overlaps), the bar under it. Times are working time,
as the standards are, in menit, jam and hari kerja. When a procedure's runs span minutes and
days alike, the time axis is logarithmic (and says so): on a linear one a five-minute step
beside a five-day step would be a dot. The picture shows at most `MAX_ROWS` rows (the latest
runs, or the latest procedures), fewer when they would make it taller than `MAX_HEIGHT_PX`, and
says how many it leaves to the text: a taller photo would be shrunk by Telegram, its words too.

This module is pure: it takes the values below and returns PNG bytes (or the figure, for a
test to read). Every word comes from the message catalog, in the reader's language. Drawing is
serialised (matplotlib's caches are not thread-safe), so a handler may call it from a thread.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final

from sopbot.documents.chart_style import (
    DPI,
    DRAWING,
    FONT,
    LATE,
    MUTED,
    ON_TIME,
    RUNNING,
    STANDARD,
    WIDTH_PX,
    new_figure,
    png_bytes,
)
from sopbot.engine.durations import StandardTime
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.numbers import quantity, standard_time

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Rectangle

MAX_ROWS: Final = 20  # rows a picture shows at most
# A picture is at most this tall: Telegram keeps a photo within a 2560 px box (the largest of
# its photo sizes, "w"), so a taller one would be shrunk, and its words with it.
MAX_HEIGHT_PX: Final = 2560


_TEXT: Final = "#222222"
_SOFT_TEXT: Final = "#555555"
_GRID: Final = "#DDDDDD"

# Sizes in points (1 pt = DPI / 72 px) and distances in pixels.
_MARGIN: Final = 40
_TITLE_PT: Final = 19.0
_SUBTITLE_PT: Final = 14.0
_LABEL_PT: Final = 15.0
_FIGURES_PT: Final = 13.0
_LEGEND_PT: Final = 13.0
_TICK_PT: Final = 12.5
_BAR_PX: Final = 34
_ROW_GAP_PX: Final = 22
_AXIS_PX: Final = 120  # the tick labels and the axis label under the rows
_LOG_ABOVE: Final = 25  # a logarithmic axis when the longest time exceeds the shortest this much
_STANDARD_ALPHA: Final = 0.55  # the Mutu Baku's lighter bar
_MINUTE: Final = 60.0
_HOUR: Final = 3600.0


@dataclass(frozen=True, slots=True)
class TimelineRun:
    """One pass through a step, as the timeline draws it. Times are working seconds."""

    step_label: str  # the number as the SOP prints it
    activity: str
    executors: tuple[str, ...]  # the Pelaksana as the SOP names them
    round: int
    state: StepRunState
    spent_seconds: float  # from its opening to its end, or to now while it is open
    standard: StandardTime  # the Mutu Baku time of its round, as written
    allowed_seconds: float | None  # from its opening to its due time (None: no due time)
    late_seconds: float = 0.0  # past its due time (0: not late)

    @property
    def late(self) -> bool:
        """True when the run ended, or is still open, after its due time."""
        return self.late_seconds > 0


@dataclass(frozen=True, slots=True)
class ProcedureTimeline:
    """A procedure and its step runs in the order they opened."""

    number: int
    title: str
    sop_name: str
    state: InstanceState
    runs: tuple[TimelineRun, ...]
    working_day_seconds: float  # one "hari" on the agency's working clock


@dataclass(frozen=True, slots=True)
class RunningProcedure:
    """A running procedure, for the agency's chart. Times are working seconds."""

    number: int
    title: str
    running_seconds: float  # since it started
    late_seconds: float  # how late its latest open step is (0: none is late)
    current_step: str | None  # that step's printed number (the first open one when none is late)

    @property
    def late(self) -> bool:
        """True when one of its open steps is past its due time."""
        return self.late_seconds > 0


@dataclass(frozen=True, slots=True)
class RunningProcedures:
    """An agency's running procedures, for its chart."""

    agency_name: str
    procedures: tuple[RunningProcedure, ...]
    working_day_seconds: float  # one "hari" on the agency's working clock


def draw_timeline(
    timeline: ProcedureTimeline, language: Language, catalog: Catalog | None = None
) -> bytes:
    """The procedure's timeline as a PNG, 1080 px wide (see the module's docstring)."""
    with DRAWING:
        return png_bytes(timeline_figure(timeline, language, catalog))


def draw_running(
    running: RunningProcedures, language: Language, catalog: Catalog | None = None
) -> bytes:
    """The agency's running procedures, most late first, as a PNG 1080 px wide. An agency
    with none running has no chart: `ValueError`."""
    with DRAWING:
        return png_bytes(running_figure(running, language, catalog))


def timeline_figure(
    timeline: ProcedureTimeline, language: Language, catalog: Catalog | None = None
) -> Figure:
    """The timeline as a matplotlib figure, before it becomes a PNG (`draw_timeline`): what
    a test reads the words and places of."""
    words = _Words(catalog or default_catalog(), language, timeline.working_day_seconds)
    with DRAWING:
        return _fitted(lambda count: _timeline_chart(timeline, words, count), words)


def running_figure(
    running: RunningProcedures, language: Language, catalog: Catalog | None = None
) -> Figure:
    """The agency's chart as a matplotlib figure, before it becomes a PNG (`draw_running`)."""
    if not running.procedures:
        raise ValueError("no running procedure to draw")
    words = _Words(catalog or default_catalog(), language, running.working_day_seconds)
    with DRAWING:
        return _fitted(lambda count: _running_chart(running, words, count), words)


def most_late_first(procedures: Sequence[RunningProcedure]) -> list[RunningProcedure]:
    """The order of the agency's chart: the latest first, then the longest running, by No."""
    return sorted(procedures, key=lambda p: (-p.late_seconds, -p.running_seconds, p.number))


# -- words ---------------------------------------------------------------------------------


class _Words:
    """The chart's texts in the reader's language, and working time in menit, jam, hari."""

    def __init__(self, catalog: Catalog, language: Language, day_seconds: float) -> None:
        self.catalog = catalog
        self.language = language
        self.day = day_seconds if day_seconds > 0 else 7.5 * _HOUR

    def __call__(self, key: str, /, **params: object) -> str:
        return self.catalog.text(self.language, f"status_chart.{key}", **params)

    def count(self, value: int) -> str:
        """A count as the language writes it."""
        return quantity(value, self.language)

    def duration(self, seconds: float) -> str:
        """Working time in the largest unit that reads well: "45 menit", "2 jam 15 menit",
        "1,5 hari kerja"."""
        minutes = round(max(seconds, 0.0) / _MINUTE)
        if minutes < 60:  # minutes in an hour
            return self("minutes", n=self.count(minutes))
        if seconds < self.day:
            hours, rest = divmod(minutes, 60)
            if rest == 0:
                return self("hours", n=self.count(hours))
            return self("hours_minutes", h=self.count(hours), m=self.count(rest))
        days = round(seconds / self.day, 1)
        whole = days == int(days)
        written = quantity(days, self.language, 0 if whole else 1)
        return self("day" if days == 1 else "days", n=written)

    def tick(self, seconds: float, unit: float | None = None) -> str:
        """A tick of the time axis: "5 menit", "2 jam", "3 hari"; in `unit` (a minute, an
        hour or a day, in seconds) when given, else in the unit its size reads best in."""
        if seconds == 0:
            return "0"
        if unit is None:
            unit = _MINUTE if seconds < _HOUR else (_HOUR if seconds < self.day else self.day)
        key = {_MINUTE: "tick_minutes", _HOUR: "tick_hours"}.get(unit, "tick_days")
        return self(key, n=self._amount(seconds / unit))

    def _amount(self, value: float) -> str:
        whole = abs(value - round(value)) < 1e-6
        return quantity(round(value) if whole else value, self.language, 0 if whole else 1)

    def day_length(self) -> str:
        """How long one hari is on the agency's clock: "7,5 jam"."""
        return self._amount(self.day / _HOUR)


# -- measuring and wrapping text -----------------------------------------------------------


@cache
def _font(size: float, bold: bool) -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")


@cache
def _glyphs() -> frozenset[int]:
    """The characters both weights of the font can draw."""
    from matplotlib.font_manager import findfont, get_font

    regular, bold = (get_font(findfont(_font(12, bold))) for bold in (False, True))
    return frozenset(regular.get_charmap()) & frozenset(bold.get_charmap())


def _drawable(text: str) -> str:
    """A text a person typed (a title, an activity) as the font can draw it: controls, marks
    that steer direction and characters it has no glyph for (emoji, flags) become spaces,
    rather than empty boxes and a warning per character."""
    glyphs = _glyphs()
    kept = (
        char if ord(char) in glyphs and unicodedata.category(char) not in ("Cc", "Cf") else " "
        for char in text
    )
    return " ".join("".join(kept).split())


@cache
def _renderer() -> RendererAgg:
    new_figure(10)  # the house style is set before the first measure
    from matplotlib.backends.backend_agg import RendererAgg

    # Matplotlib's Agg renderer has no annotations; it is the renderer the picture is drawn
    # with, so its measure is the drawn width.
    return RendererAgg(1, 1, DPI)  # type: ignore[no-untyped-call]


@lru_cache(maxsize=16_384)  # wrapping measures the same words and lines again and again
def _width(text: str, size: float, bold: bool = False) -> float:
    """The text's width in pixels, as Agg will draw it."""
    renderer = _renderer()
    width, _, _ = renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text, _font(size, bold), ismath=False
    )
    return float(width)


def _line_px(size: float) -> float:
    return size * DPI / 72 * 1.3


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """The text broken into lines of at most `width` pixels at word boundaries (a word longer
    than a line is broken where it must be)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while _width(word, size, bold) > width:
            cut = len(word) - 1
            while cut > 1 and _width(word[:cut], size, bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _fit(text: str, width: float, size: float, max_lines: int, bold: bool = False) -> list[str]:
    """The text in at most `max_lines` lines, the last one shortened with "…" if it must be."""
    lines = _wrap(text, width, size, bold)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _width(last + "…", size, bold) > width:
        last = last[:-1].rstrip()
    kept[-1] = last + "…"
    return kept


def _fit_keeping(
    head: str, middle: str, tail: str, width: float, size: float, max_lines: int
) -> list[str]:
    """`head + middle + tail` in at most `max_lines` lines, shortening the middle (an
    activity) word by word with "…" so that the head (the step's number) and the tail (who
    does it, the round) stay whole."""
    lines = _wrap(head + middle + tail, width, size)
    if len(lines) <= max_lines:
        return lines
    words = middle.split()

    def shortened(keep: int) -> list[str]:
        kept = " ".join(words[:keep]).rstrip(",;:.-")  # "blanko…", not "blanko,…"
        return _wrap(f"{head}{kept}…{tail}", width, size)

    # Fewer words never take more lines: the most words that fit, by halving.
    low, high = 0, len(words) - 1  # `low` words fit (none: checked below), `high + 1` do not
    while low < high:
        keep = (low + high + 1) // 2
        if len(shortened(keep)) <= max_lines:
            low = keep
        else:
            high = keep - 1
    if low and len(lines := shortened(low)) <= max_lines:
        return lines
    return _fit(head + middle + tail, width, size, max_lines)


# -- the time axis -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scale:
    """The time axis: its range in working seconds, linear or logarithmic, and its ticks."""

    low: float
    high: float
    log: bool
    ticks: tuple[float, ...]
    unit: float | None = None  # the ticks' unit on a linear axis (None: each its own)

    def fraction(self, seconds: float) -> float:
        """Where a time falls along the axis, 0..1."""
        if self.log:
            value = max(seconds, self.low)
            return math.log(value / self.low) / math.log(self.high / self.low)
        return (seconds - self.low) / (self.high - self.low)

    def bar_end(self, seconds: float) -> float:
        """A bar's end in data units: never left of the axis's start."""
        return max(seconds, self.low)


def _log_ticks(day: float) -> list[float]:
    """Round times a person reads at a glance, the roundest first: a log axis keeps as many
    as fit, in this order. Hours only below one working day, days in whole days."""
    minute = _MINUTE
    hours = [h * _HOUR for h in (1, 2, 4) if h * _HOUR < day]
    first = [minute, 5 * minute, *hours[:1], day, 5 * day, 20 * day, 100 * day, 500 * day]
    second = [15 * minute, *hours[1:], 2 * day, 10 * day, 50 * day, 200 * day]
    third = [2 * minute, 10 * minute, 30 * minute, 3 * day, 30 * day, 1000 * day]
    return first + second + third


def _scale(values: Sequence[float], words: _Words, axis_px: float) -> _Scale:
    """An axis that holds every time drawn, with ticks whose labels do not overlap: linear,
    or logarithmic when the longest time is more than `_LOG_ABOVE` times the shortest."""
    positive = [v for v in values if v >= _MINUTE]
    top = max([_MINUTE, *values])
    day = words.day
    if positive and top / min(positive) > _LOG_ABOVE:
        candidates = _log_ticks(day)
        low = max((c for c in candidates if c <= min(positive) / 1.2), default=_MINUTE / 2)
        high = top * 1.3
        scale = _Scale(low, high, log=True, ticks=())
        ticks = [c for c in candidates if low <= c <= high]
    else:
        low, high = 0.0, top * 1.08
        unit = _MINUTE if top <= 90 * _MINUTE else (_HOUR if top <= 1.5 * day else day)
        step = _linear_step(high / unit) * unit
        scale = _Scale(low, high, log=False, ticks=(), unit=unit)
        ticks = [i * step for i in range(int(high // step) + 1)]
    spaced = tuple(_spaced(scale, ticks, words, axis_px))
    return _Scale(scale.low, scale.high, scale.log, spaced, scale.unit)


def _linear_step(span: float) -> float:
    """A round step that puts two to six ticks over `span` units."""
    # Whole units only: half a hari would be read in hours.
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000):
        if span / step <= 6:  # at most six intervals
            return step
    return 10_000.0


def _spaced(scale: _Scale, ticks: Sequence[float], words: _Words, axis_px: float) -> list[float]:
    """The ticks, in the order given, whose labels keep clear of those kept before and of the
    picture's edges; sorted."""
    kept: list[tuple[float, float, float]] = []  # (tick, left, right) in pixels
    for tick in ticks:
        centre = scale.fraction(tick) * axis_px
        half = _width(words.tick(tick, scale.unit), _TICK_PT) / 2
        left, right = centre - half, centre + half
        if left < -_MARGIN / 2 or right > axis_px + _MARGIN / 2:
            continue
        if any(left < end + 20 and right > start - 20 for _, start, end in kept):
            continue
        kept.append((tick, left, right))
    return sorted(tick for tick, _, _ in kept)


# -- layout --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    """Lines of text at a place in pixels from the picture's top left (`y` is the top of the
    first line, or its middle when `middle`)."""

    x: float
    y: float
    lines: tuple[str, ...]
    size: float
    color: str = _TEXT
    bold: bool = False
    middle: bool = False


@dataclass(frozen=True, slots=True)
class _Bar:
    """A bar of a row, in working seconds from the axis's start."""

    seconds: float
    color: str
    thickness: float  # of the row's bar height, 0..1
    alpha: float = 1.0
    hatched: bool = False


@dataclass(frozen=True, slots=True)
class _RowSpec:
    """What one row shows: its label, its figures, its bars (drawn in order), where its
    standard ends, and whether its time is still counting."""

    label: tuple[str, ...]
    figures: str
    figures_color: str
    bars: tuple[_Bar, ...]
    standard_end: float | None = None
    counting: bool = False

    @property
    def times(self) -> list[float]:
        """Every time the row draws: the axis must hold them all."""
        ends = [] if self.standard_end is None else [self.standard_end]
        return [bar.seconds for bar in self.bars] + ends

    @property
    def reach(self) -> float:
        """The longest time the row draws."""
        return max(self.times, default=0.0)


@dataclass(frozen=True, slots=True)
class _Chart:
    """A whole picture: the heading (with notes on what it leaves out), the legend, the rows."""

    title: str
    subtitle: str | None
    summary: str
    legend: tuple[tuple[str, str, str], ...]  # (kind, colour, words)
    rows: tuple[_RowSpec, ...]
    notes: tuple[str, ...]


_KEY_PX: Final = 34  # a legend key's swatch and the room after it


@dataclass(frozen=True, slots=True)
class _Layout:
    """A chart placed in pixels: what `_paint` draws, and how tall the picture is."""

    texts: tuple[_Text, ...]
    keys: tuple[tuple[float, float, tuple[str, str, str]], ...]  # legend keys: x, y, item
    rows: tuple[tuple[_RowSpec, float], ...]  # each row and its bar's top (from the rows' top)
    rows_top: float
    rows_height: float
    scale: _Scale
    height: float


def _fitted(build: Callable[[int], _Chart], words: _Words) -> Figure:
    """The chart with as many of its rows (up to `MAX_ROWS`) as keep it within
    `MAX_HEIGHT_PX`, drawn."""
    count = MAX_ROWS
    layout = _layout(build(count), words)
    while layout.height > MAX_HEIGHT_PX and count > 1:
        count -= 1
        layout = _layout(build(count), words)
    return _paint(layout, words)


def _layout(chart: _Chart, words: _Words) -> _Layout:
    """Lay the chart out top down in pixels: heading, notes, legend, rows, axis."""
    width = float(WIDTH_PX - 2 * _MARGIN)
    texts: list[_Text] = []
    y = 26.0

    def block(lines: Sequence[str], size: float, color: str = _TEXT, bold: bool = False) -> None:
        nonlocal y
        texts.append(_Text(_MARGIN, y, tuple(lines), size, color, bold))
        y += _line_px(size) * len(lines) + 6

    block(_fit(chart.title, width, _TITLE_PT, 2, bold=True), _TITLE_PT, bold=True)
    if chart.subtitle:
        block(_fit(chart.subtitle, width, _SUBTITLE_PT, 2), _SUBTITLE_PT, _SOFT_TEXT)
    block(_fit(chart.summary, width, _SUBTITLE_PT, 2), _SUBTITLE_PT)
    if chart.notes:  # what the picture leaves out is said before it is missed
        block(_fit(" ".join(chart.notes), width, _SUBTITLE_PT, 3), _SUBTITLE_PT, _SOFT_TEXT)
    keys, legend_height = _legend(chart.legend, y + 6)
    y += legend_height + 22
    scale = _scale([time for row in chart.rows for time in row.times], words, width)
    rows_top = y
    placed: list[tuple[_RowSpec, float]] = []
    for row in chart.rows:
        texts.append(_Text(_MARGIN, y, row.label, _LABEL_PT))
        y += _line_px(_LABEL_PT) * len(row.label) + 2
        beside = _beside(row, scale, width)
        if beside is not None:
            # Beside the bar when there is room: the row takes one line less.
            texts.append(
                _Text(
                    _MARGIN + beside,
                    y + 2 + _BAR_PX / 2,
                    (row.figures,),
                    _FIGURES_PT,
                    row.figures_color,
                    middle=True,
                )
            )
        else:
            lines = _fit(row.figures, width, _FIGURES_PT, 2)
            texts.append(_Text(_MARGIN, y, tuple(lines), _FIGURES_PT, row.figures_color))
            y += _line_px(_FIGURES_PT) * len(lines) + 2
        placed.append((row, y - rows_top + 2))
        y += _BAR_PX + 4 + _ROW_GAP_PX
    rows_height = y - rows_top
    y += _AXIS_PX
    return _Layout(
        tuple(texts),
        tuple(keys),
        tuple(placed),
        rows_top,
        rows_height,
        scale,
        float(math.ceil(y + 18)),
    )


def _beside(row: _RowSpec, scale: _Scale, width: float) -> float | None:
    """Where the row's figures go on its bar's line (pixels from the axis's start): after the
    bar and before the mark where its standard ends, on the standard's light bar, or after
    both; None when neither has room."""
    needed = _width(row.figures, _FIGURES_PT) + 14
    arrow = 22 if row.counting else 0
    bar_end = scale.fraction(row.bars[-1].seconds) * width + arrow + 14
    if row.standard_end is not None:
        mark = scale.fraction(row.standard_end) * width
        if bar_end + needed <= mark:
            return bar_end
    after = scale.fraction(row.reach) * width + arrow + 22
    return after if after + needed <= width else None


def _paint(layout: _Layout, words: _Words) -> Figure:
    """Draw a laid-out chart on a figure exactly as tall as it."""
    height = layout.height
    figure = new_figure(int(height))
    figure.set_layout_engine("none")  # every place is computed here, in pixels
    axes = _rows_axes(figure, height, layout.rows_top, layout.rows_height, layout.scale, words)
    for row, bar_top in layout.rows:
        _paint_row(axes, layout.scale, row, bar_top)
    for text in layout.texts:
        _paint_text(figure, height, text)
    swatch = _line_px(_LEGEND_PT) * 0.62
    for x, top, (kind, color, label) in layout.keys:
        figure.add_artist(_swatch(height, x, top + 5, swatch, kind, color))
        _paint_text(figure, height, _Text(x + _KEY_PX, top, (label,), _LEGEND_PT))
    return figure


def _legend(
    items: Sequence[tuple[str, str, str]], top: float
) -> tuple[list[tuple[float, float, tuple[str, str, str]]], float]:
    """Where each legend key goes (left to right, a new line when one is full); the height."""
    placed = []
    x, y = float(_MARGIN), top
    line = _line_px(_LEGEND_PT) + 6
    for item in items:
        width = _KEY_PX + _width(item[2], _LEGEND_PT) + 30
        if x + width > WIDTH_PX - _MARGIN and x > _MARGIN:
            x, y = float(_MARGIN), y + line
        placed.append((x, y, item))
        x += width
    return placed, (y - top + line if items else 0.0)


def _paint_row(axes: Axes, scale: _Scale, row: _RowSpec, top: float) -> None:
    """A row's bars, the mark where its standard ends and, while it counts, an arrow."""
    centre = top + _BAR_PX / 2
    # Grid lines through the bar's band only: through the words above it they are noise.
    axes.vlines(scale.ticks, top - 6, top + _BAR_PX + 6, colors=_GRID, linewidth=1, zorder=0)
    for bar in row.bars:
        end = scale.bar_end(bar.seconds)
        axes.barh(
            centre,
            end - scale.low,
            left=scale.low,
            height=_BAR_PX * bar.thickness,
            color=bar.color,
            alpha=bar.alpha,
            edgecolor="white" if bar.hatched else bar.color,
            hatch="///" if bar.hatched else None,
            linewidth=0,
        )
    if row.standard_end is not None:
        end = scale.bar_end(row.standard_end)
        axes.plot(
            [end, end],
            [top - 3, top + _BAR_PX + 3],
            color=STANDARD,
            linewidth=3,
            solid_capstyle="butt",
        )
    if row.counting:
        last = row.bars[-1]
        axes.plot(
            [scale.bar_end(last.seconds)],
            [centre],
            marker=">",
            markersize=11,
            color=last.color,
            linestyle="none",
            clip_on=False,
        )


def _paint_text(figure: Figure, height: float, block: _Text) -> None:
    line = _line_px(block.size)
    for index, text in enumerate(block.lines):
        figure.text(
            block.x / WIDTH_PX,
            1 - (block.y + index * line) / height,
            text,
            fontsize=block.size,
            fontweight="bold" if block.bold else "normal",
            color=block.color,
            va="center_baseline" if block.middle else "top",
            ha="left",
            parse_math=False,  # a "$" in an activity is a dollar sign, not mathematics
        )


def _swatch(height: float, x: float, y: float, size: float, kind: str, color: str) -> Rectangle:
    """A legend key's coloured box (hatched for an open run, as its bar is)."""
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x / WIDTH_PX, 1 - (y + size) / height),
        size * 1.4 / WIDTH_PX,
        size / height,
        facecolor=color,
        edgecolor="white" if kind == "open" else color,
        hatch="///" if kind == "open" else None,
        linewidth=0,
        alpha=_STANDARD_ALPHA if kind == "standard" else 1.0,
    )


def _rows_axes(
    figure: Figure, height: float, top: float, rows_height: float, scale: _Scale, words: _Words
) -> Axes:
    """The axes the bars are drawn in: x is working time, y is pixels from the rows' top."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    axes = figure.add_axes(
        (
            _MARGIN / WIDTH_PX,
            1 - (top + rows_height) / height,
            (WIDTH_PX - 2 * _MARGIN) / WIDTH_PX,
            rows_height / height,
        )
    )
    if scale.log:
        axes.set_xscale("log")
    axes.set_xlim(scale.low, scale.high)
    axes.set_ylim(rows_height, 0)
    axes.xaxis.set_major_locator(FixedLocator(list(scale.ticks)))
    labels = [words.tick(tick, scale.unit) for tick in scale.ticks]
    axes.xaxis.set_major_formatter(FixedFormatter(labels))
    axes.xaxis.set_minor_locator(NullLocator())
    axes.tick_params(axis="x", labelsize=_TICK_PT, colors=_SOFT_TEXT, length=6)
    axes.tick_params(axis="y", left=False, labelleft=False)
    axes.spines[["left", "top", "right"]].set_visible(False)
    axes.spines["bottom"].set_color(_SOFT_TEXT)
    axes.patch.set_alpha(0)
    label = words("axis_log" if scale.log else "axis", day=words.day_length())
    axes.set_xlabel(label, fontsize=_TICK_PT, color=_SOFT_TEXT, labelpad=8)
    return axes


# -- the procedure's timeline --------------------------------------------------------------


def _timeline_chart(timeline: ProcedureTimeline, words: _Words, count: int) -> _Chart:
    """The timeline with its latest `count` runs."""
    shown = timeline.runs[-count:] if count else ()
    late = sum(run.late for run in timeline.runs)
    state = words(f"state_{timeline.state.value}")
    runs = words("summary_runs", count=words.count(len(timeline.runs)))
    summary = (
        words("summary", state=state, runs=runs, late=words.count(late))
        if late
        else words("summary_none_late", state=state, runs=runs)
    )
    notes: tuple[str, ...] = ()
    if len(shown) < len(timeline.runs):
        notes = (
            words(
                "timeline_more",
                shown=words.count(len(shown)),
                total=words.count(len(timeline.runs)),
            ),
        )
    if not shown:
        notes = (words("no_runs"),)
    return _Chart(
        title=words("timeline_title", number=timeline.number, title=_drawable(timeline.title)),
        subtitle=words("timeline_sop", sop=_drawable(timeline.sop_name)),
        summary=summary,
        legend=_timeline_legend(shown, words),
        rows=tuple(_timeline_row(run, words) for run in shown),
        notes=notes,
    )


def _timeline_legend(
    runs: Sequence[TimelineRun], words: _Words
) -> tuple[tuple[str, str, str], ...]:
    """The keys of what the rows show, and only those."""
    items = []
    if any(r.state is not StepRunState.OPEN and not r.late for r in runs):
        items.append(("done", ON_TIME, words("legend_on_time")))
    if any(r.late for r in runs):
        items.append(("late", LATE, words("legend_late")))
    open_runs = [r for r in runs if r.state is StepRunState.OPEN]
    if open_runs:  # hatched as the open bars are, in their colour when all are late
        color = LATE if all(r.late for r in open_runs) else RUNNING
        items.append(("open", color, words("legend_open")))
    if any(r.allowed_seconds is not None for r in runs):
        items.append(("standard", MUTED, words("legend_standard")))
    return tuple(items)


def _timeline_row(run: TimelineRun, words: _Words) -> _RowSpec:
    width = float(WIDTH_PX - 2 * _MARGIN)
    head = words("row_head", step=_drawable(run.step_label))
    tail = ""
    executors = _drawable(", ".join(run.executors))
    if executors:
        tail = words("row_executors", executors=_fit(executors, width * 0.5, _LABEL_PT, 1)[0])
    if run.round > 1:
        tail += words("row_round", round=run.round)
    activity = _drawable(run.activity)
    label = _fit_keeping(head, activity, tail, width, _LABEL_PT, 2)
    counting = run.state is StepRunState.OPEN
    bars = []
    if run.allowed_seconds is not None:
        bars.append(_Bar(run.allowed_seconds, MUTED, 1.0, alpha=_STANDARD_ALPHA))
    bars.append(_Bar(run.spent_seconds, _bar_color(run), 0.56, hatched=counting))
    return _RowSpec(
        label=tuple(label),
        figures=_timeline_figures(run, words),
        figures_color=_figures_color(run),
        bars=tuple(bars),
        standard_end=run.allowed_seconds,
        counting=counting,
    )


def _timeline_figures(run: TimelineRun, words: _Words) -> str:
    spent = words.duration(run.spent_seconds)
    if run.state is StepRunState.CANCELLED:
        return words("figures_cancelled", spent=spent)
    standard = _drawable(standard_time(run.standard, words.language))  # "per berkas" is typed
    key = {
        StepRunState.OPEN: "figures_open",
        StepRunState.RETURNED: "figures_returned",
    }.get(run.state, "figures_done")
    text = words(key, spent=spent, standard=standard)
    if run.late:
        text += words("figures_late", late=words.duration(run.late_seconds))
    return text


def _bar_color(run: TimelineRun) -> str:
    """Late runs in LATE, open ones in RUNNING, runs done in time in ON_TIME; a run the
    procedure's cancellation stopped in grey."""
    if run.state is StepRunState.CANCELLED:
        return STANDARD
    if run.late:
        return LATE
    return RUNNING if run.state is StepRunState.OPEN else ON_TIME


def _figures_color(run: TimelineRun) -> str:
    if run.late:
        return LATE
    if run.state is StepRunState.OPEN:
        return RUNNING
    return _SOFT_TEXT


# -- the agency's running procedures -------------------------------------------------------


def _running_chart(running: RunningProcedures, words: _Words, count: int) -> _Chart:
    """The agency's chart with its `count` latest procedures."""
    ordered = most_late_first(running.procedures)
    shown = ordered[:count]
    late = sum(p.late for p in running.procedures)
    total = words.count(len(running.procedures))
    summary = (
        words("running_summary", count=total, late=words.count(late))
        if late
        else words("running_summary_none_late", count=total)
    )
    legend = [("running", RUNNING, words("legend_running"))]
    if late:
        legend.append(("late", LATE, words("legend_lateness")))
    hidden = len(ordered) - len(shown)
    notes = (
        (words("running_more", shown=words.count(len(shown)), hidden=words.count(hidden)),)
        if hidden
        else ()
    )
    return _Chart(
        title=words("running_title", agency=_drawable(running.agency_name)),
        subtitle=None,
        summary=summary,
        legend=tuple(legend),
        rows=tuple(_running_row(procedure, words) for procedure in shown),
        notes=notes,
    )


def _running_row(procedure: RunningProcedure, words: _Words) -> _RowSpec:
    width = float(WIDTH_PX - 2 * _MARGIN)
    head = words("running_head", number=procedure.number)
    label = _fit_keeping(head, _drawable(procedure.title), "", width, _LABEL_PT, 1)
    spent = words.duration(procedure.running_seconds)
    bars = [_Bar(procedure.running_seconds, RUNNING, 1.0, alpha=0.85)]
    if procedure.late:
        figures = words(
            "running_figures_late",
            spent=spent,
            step=_drawable(procedure.current_step or "-"),
            late=words.duration(procedure.late_seconds),
        )
        bars.append(_Bar(procedure.late_seconds, LATE, 0.5))
    elif procedure.current_step is None:
        figures = words("running_figures", spent=spent)
    else:
        figures = words("running_figures_step", spent=spent, step=_drawable(procedure.current_step))
    return _RowSpec(
        label=tuple(label),
        figures=figures,
        figures_color=LATE if procedure.late else _SOFT_TEXT,
        bars=tuple(bars),
    )
