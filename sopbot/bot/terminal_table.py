"""Plain-text tables for the terminal: wrapped cells, box-drawing borders, fitted to a width."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its title, the narrowest it may get, and its share of spare width."""

    title: str
    min_width: int
    weight: int = 0  # 0: never wider than its content needs


def fit_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], total: int) -> list[int]:
    """Column widths that fill `total` characters (borders included) as well as they can."""
    natural = [
        max([len(c.title), *(max((len(w) for w in row[i].split()), default=0) for row in rows)])
        for i, c in enumerate(columns)
    ]
    longest = [max([len(c.title), *(len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    widths = [
        max(c.min_width, natural[i]) if c.weight == 0 else c.min_width
        for i, c in enumerate(columns)
    ]
    borders = 3 * len(columns) + 1
    spare = total - borders - sum(widths)
    weights = [c.weight for c in columns]
    while spare > 0 and any(w and widths[i] < longest[i] for i, w in enumerate(weights)):
        growable = [i for i, w in enumerate(weights) if w and widths[i] < longest[i]]
        share = sum(weights[i] for i in growable)
        grown = 0
        for i in growable:
            step = max(1, spare * weights[i] // share)
            step = min(step, longest[i] - widths[i], spare - grown)
            widths[i] += step
            grown += step
        if grown == 0:
            break
        spare -= grown
    return widths


def render_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int,
    group_titles: Sequence[tuple[str, int]] = (),
) -> str:
    """Render rows under column titles; `group_titles` spans titles over runs of columns.

    A cell's characters that a terminal would obey rather than show (an escape sequence in a
    title someone typed) are shown as spaces."""
    rows = [[shown_on_terminal(cell) for cell in row] for row in rows]
    widths = fit_widths(columns, rows, width)

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def line_of(cells: Sequence[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(cell, w, break_long_words=True, break_on_hyphens=False) or [""]
            for cell, w in zip(cells, widths, strict=True)
        ]
        height = max(len(lines) for lines in wrapped)
        return [
            "│"
            + "│".join(
                f" {(lines[k] if k < len(lines) else ''):<{w}} "
                for lines, w in zip(wrapped, widths, strict=True)
            )
            + "│"
            for k in range(height)
        ]

    out = [rule("┌", "┬", "┐")]
    if group_titles:
        spans: list[str] = []
        index = 0
        for title, span in group_titles:
            inner = sum(widths[index : index + span]) + 3 * (span - 1)
            spans.append(f" {title:^{inner}} ")
            index += span
        out.append("│" + "│".join(spans) + "│")
        out.append(rule("├", "┼", "┤"))
    out.extend(line_of([c.title for c in columns]))
    out.append(rule("╞", "╪", "╡").replace("─", "═"))
    for n, row in enumerate(rows):
        if n:
            out.append(rule("├", "┼", "┤"))
        out.extend(line_of(row))
    out.append(rule("└", "┴", "┘"))
    return "\n".join(out)


def shown_on_terminal(text: str) -> str:
    """`text` with every character a terminal would act on (escape, control) as a space."""
    return "".join(ch if ch.isprintable() else " " for ch in text)
