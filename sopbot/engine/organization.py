"""Who does a step today: positions, effective-dated holdings and acting appointments (Plt/Plh).

Work is addressed to a position, never to a person. A person holds a position for a period
(mutasi ends one holding and starts another). An acting official (Plt, Pelaksana Tugas; Plh,
Pelaksana Harian) stands in for a holder who is absent, or for a vacant position, for a period:
their work goes to the acting person and the record says "Plt." and for whom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ActingKind(StrEnum):
    """The two kinds of acting appointment."""

    PLT = "plt"  # Pelaksana Tugas: a vacant post or a long absence
    PLH = "plh"  # Pelaksana Harian: a short absence (leave, official travel)

    @property
    def prefix(self) -> str:
        """The prefix written before the position: "Plt." or "Plh."."""
        return "Plt." if self is ActingKind.PLT else "Plh."


@dataclass(frozen=True, slots=True)
class Holding:
    """A member holds a position from `valid_from` until `valid_to` (exclusive; None: open)."""

    member_id: int
    position_id: int
    valid_from: dt.datetime
    valid_to: dt.datetime | None = None

    def active_at(self, at: dt.datetime) -> bool:
        """True when the holding covers the given instant."""
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True, slots=True)
class ActingAppointment:
    """A member acts for a position (for one absent holder, or for the vacant post)."""

    member_id: int
    position_id: int
    kind: ActingKind
    valid_from: dt.datetime
    valid_to: dt.datetime | None = None
    for_member_id: int | None = None  # the absent holder; None: the post is vacant

    def active_at(self, at: dt.datetime) -> bool:
        """True when the appointment covers the given instant."""
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True, slots=True)
class Assignee:
    """A person a step goes to, for which position, and whether they act for someone."""

    member_id: int
    position_id: int
    acting: ActingKind | None = None
    acting_for_id: int | None = None

    @property
    def key(self) -> tuple[int, int]:
        """(member, position): one person may hold two positions and get a step for each."""
        return self.member_id, self.position_id


def resolve_assignees(
    position_ids: Sequence[int],
    at: dt.datetime,
    holdings: Iterable[Holding],
    actings: Iterable[ActingAppointment],
) -> list[Assignee]:
    """The people who do work for the given positions at an instant, in position order.

    A holder who has an acting official appointed for them is replaced by that official. A
    position with no holder goes to the official acting for the vacant post, if any. A position
    with neither yields nobody (the step is vacant until someone is appointed).
    """
    active_holdings = [h for h in holdings if h.active_at(at)]
    active_actings = [a for a in actings if a.active_at(at)]
    result: list[Assignee] = []
    seen: set[tuple[int, int]] = set()

    def add(assignee: Assignee) -> None:
        if assignee.key not in seen:
            seen.add(assignee.key)
            result.append(assignee)

    for position_id in position_ids:
        holders = sorted(
            (h for h in active_holdings if h.position_id == position_id),
            key=lambda h: (h.valid_from, h.member_id),
        )
        acting_here = [a for a in active_actings if a.position_id == position_id]
        for holding in holders:
            stand_in = _latest(a for a in acting_here if a.for_member_id == holding.member_id)
            if stand_in is None:
                add(Assignee(holding.member_id, position_id))
            else:
                add(Assignee(stand_in.member_id, position_id, stand_in.kind, holding.member_id))
        if not holders:
            # Nobody holds the post: the Plt/Plh of the vacant post (or of a holder who has
            # left) does its work.
            stand_in = _latest(acting_here)
            if stand_in is not None:
                add(
                    Assignee(stand_in.member_id, position_id, stand_in.kind, stand_in.for_member_id)
                )
    return result


def _latest(appointments: Iterable[ActingAppointment]) -> ActingAppointment | None:
    """The most recent appointment wins when two overlap."""
    ordered = sorted(appointments, key=lambda a: (a.valid_from, a.member_id))
    return ordered[-1] if ordered else None
