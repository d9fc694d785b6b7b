"""An in-memory organisation for engine tests: positions per role, holdings, Plt/Plh."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sopbot.engine.organization import (
    ActingAppointment,
    ActingKind,
    Assignee,
    Holding,
    resolve_assignees,
)
from sopbot.engine.procedure import Routing

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Org:
    """Positions mapped to SOP role keys, with who holds or acts for them and when."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    holdings: list[Holding] = field(default_factory=list)
    actings: list[ActingAppointment] = field(default_factory=list)
    _next_position: int = 100

    def position(self, role_key: str) -> int:
        """Add a position serving a role; returns its id."""
        self._next_position += 1
        self.positions.setdefault(role_key, []).append(self._next_position)
        return self._next_position

    def appoint(self, member_id: int, position_id: int, since: dt.datetime = EPOCH) -> None:
        """The member holds the position from `since` on."""
        self.holdings.append(Holding(member_id, position_id, since))

    def leave(self, member_id: int, position_id: int, at: dt.datetime) -> None:
        """End the member's holding of the position at `at` (mutasi)."""
        for index, holding in enumerate(self.holdings):
            if holding.member_id == member_id and holding.position_id == position_id:
                self.holdings[index] = Holding(member_id, position_id, holding.valid_from, at)

    def act(
        self,
        member_id: int,
        position_id: int,
        kind: ActingKind,
        *,
        for_member_id: int | None,
        since: dt.datetime,
        until: dt.datetime | None = None,
    ) -> None:
        """Appoint an acting official (Plt/Plh)."""
        self.actings.append(
            ActingAppointment(member_id, position_id, kind, since, until, for_member_id)
        )

    def routing(self, at: dt.datetime) -> Routing:
        """Who acts for each role at the given instant."""

        def route(role_key: str) -> list[Assignee]:
            return resolve_assignees(
                self.positions.get(role_key, []), at, self.holdings, self.actings
            )

        return route
