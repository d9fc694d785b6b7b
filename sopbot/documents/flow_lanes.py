"""Where the arrows that skip rows run: in lanes at the outer edges of the Pelaksana columns.

Role cells hold nothing but symbols, and a symbol never reaches the outer edge of the first or
the last role column, so an arrow that goes back (a "tidak") or jumps ahead runs down or up
along one of those edges, out of every text's way, and enters its target from above. Arrows
whose rows overlap get lanes side by side; each ports out of its diamond on the lane's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sopbot.documents.flowchart import Arrow, RowSymbols


class Side(StrEnum):
    """A side of the Pelaksana columns, or of a symbol."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


@dataclass(frozen=True, slots=True)
class Lane:
    """A lane: its side of the role columns and its place counted from the edge (0 outermost)."""

    side: Side
    index: int


def needs_lane(arrow: Arrow) -> bool:
    """True for an arrow to a row other than the next one (the end needs none)."""
    return arrow.target is not None and not arrow.to_next_row


def assign_lanes(arrows: list[Arrow], symbols: list[RowSymbols], roles: int) -> dict[int, Lane]:
    """A lane for each arrow that skips rows, keyed by the arrow's index in `arrows`.

    The side is the one nearer the source's symbol; a decision's second such branch takes the
    other side so that each leaves from its own vertex.
    """
    sides: dict[int, Side] = {}
    used: dict[int, list[Side]] = {}
    for number, arrow in enumerate(arrows):
        if not needs_lane(arrow):
            continue
        groups = symbols[arrow.source].groups
        middle = sum(g.first + g.last for g in groups) / (2 * len(groups))
        side = Side.LEFT if middle < (roles - 1) / 2 else Side.RIGHT
        taken = used.setdefault(arrow.source, [])
        if side in taken and len(taken) == 1:
            side = side.other
        taken.append(side)
        sides[number] = side
    lanes: dict[int, Lane] = {}
    occupied: dict[tuple[Side, int], list[tuple[int, int]]] = {}
    spans = {n: _rows(arrows[n]) for n in sides}
    for number in sorted(sides, key=lambda n: spans[n]):
        low, high = spans[number]
        index = 0
        while any(
            low <= end and start <= high for start, end in occupied.get((sides[number], index), [])
        ):
            index += 1
        occupied.setdefault((sides[number], index), []).append((low, high))
        lanes[number] = Lane(sides[number], index)
    return lanes


def _rows(arrow: Arrow) -> tuple[int, int]:
    assert arrow.target is not None  # noqa: S101 - only arrows with a lane get here
    return min(arrow.source, arrow.target), max(arrow.source, arrow.target)


def lane_count(lanes: dict[int, Lane], side: Side) -> int:
    """How many lanes run on a side."""
    return 1 + max((lane.index for lane in lanes.values() if lane.side is side), default=-1)
