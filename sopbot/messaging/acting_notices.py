"""What Plt/Plh terms look like in messages: a term's title and period, and the notices of its
start and end (pure: view values in, text out).

A term's days and times are the agency's, written as an admin writes them: a start at the first
moment of a day is that day, an end at midnight is the day before it (the last day of the term),
anything else is a day and a time ("10 Juli 2026 16.00").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sopbot.engine.organization import ActingKind
from sopbot.engine.term_times import (
    WrittenMoment,
    end_as_written,
    start_as_written,
    zone_label,
)
from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import escape, month_name
from sopbot.messaging.numbers import quantity


@dataclass(frozen=True, slots=True)
class TermView:
    """A Plt/Plh term as messages show it (`for_member_name` None: the post is vacant)."""

    kind: ActingKind
    member_name: str
    position_name: str
    for_member_name: str | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    decree: str | None
    timezone: str


@dataclass(frozen=True, slots=True)
class VacantStep:
    """An open step that waits for an official since a term ended."""

    number: int
    title: str
    step_label: str


class TermChange(StrEnum):
    """What happened to a term, as the acting official is told."""

    APPOINTED = "appointed"  # appointed; the term starts later
    APPOINTED_NOW = "appointed_now"  # appointed, starting now
    STARTED = "started"  # a term set in advance started
    ENDED = "ended"  # the term reached its end
    ENDED_EARLY = "ended_early"  # an admin ended it
    CALLED_OFF = "called_off"  # an admin ended it before it started


def moment_text(moment: WrittenMoment, language: Language) -> str:
    """ "10 Juli 2026" or "10 Juli 2026 16.00" (English: "10 Jul 2026 16:00")."""
    day = f"{moment.day.day} {month_name(moment.day.month, language)} {moment.day.year}"
    if moment.time is None:
        return day
    separator = "." if language is Language.ID else ":"
    return f"{day} {moment.time.hour:02d}{separator}{moment.time.minute:02d}"


class TermTexts:
    """Renders terms and their notices from the catalog."""

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or default_catalog()

    def title(self, view: TermView, language: Language) -> str:
        """ "Plh. Kepala Bidang untuk Budi Santoso" / "Plt. Sekretaris (jabatan kosong)"."""
        if view.for_member_name is None:
            return self.catalog.text(
                language,
                "acting.title_vacant",
                prefix=view.kind.prefix,
                position=escape(view.position_name),
            )
        return self.catalog.text(
            language,
            "acting.title_for",
            prefix=view.kind.prefix,
            position=escape(view.position_name),
            person=escape(view.for_member_name),
        )

    def start(self, view: TermView, language: Language) -> str:
        """When the term starts, as written."""
        return moment_text(start_as_written(view.valid_from, view.timezone), language)

    def end(self, view: TermView, language: Language) -> str:
        """When the term ends, as written (its last day, or the instant), or "no end"."""
        if view.valid_to is None:
            return self.catalog.text(language, "acting.no_end")
        return moment_text(end_as_written(view.valid_to, view.timezone), language)

    def period(self, view: TermView, language: Language) -> str:
        """ "13 Juli 2026 s.d. 17 Juli 2026 (WIB)"."""
        return self.catalog.text(
            language,
            "acting.period",
            start=self.start(view, language),
            end=self.end(view, language),
            zone=zone_label(view.timezone),
        )

    def to_acting_official(
        self,
        view: TermView,
        change: TermChange,
        language: Language,
        *,
        moved_in: int = 0,
        moved_out: Sequence[tuple[str, int]] = (),
        vacant: int = 0,
    ) -> str:
        """What the acting official is told of their term: the change, then where open work
        went (`moved_in`: steps that came to them; `moved_out`: (name, count) of those who
        have their steps now; `vacant`: steps left waiting for an official)."""
        t = self.catalog.text
        lines = [
            t(
                language,
                f"acting.{change.value}",
                term=self.title(view, language),
                period=self.period(view, language),
                start=self.start(view, language),
            )
        ]
        if change in (TermChange.APPOINTED, TermChange.APPOINTED_NOW) and view.decree:
            lines.append(t(language, "acting.decree", decree=escape(view.decree)))
        if moved_in:
            lines.append(t(language, "acting.moved_in", count=quantity(moved_in, language)))
        lines.extend(
            t(language, "acting.moved_out", count=quantity(count, language), person=escape(name))
            for name, count in moved_out
        )
        if vacant:
            lines.append(t(language, "acting.left_vacant", count=quantity(vacant, language)))
        ending = change in (TermChange.ENDED, TermChange.ENDED_EARLY)
        if ending and not moved_out and not vacant:
            lines.append(t(language, "acting.nothing_moved"))
        return "\n".join(lines)

    def to_admins(self, view: TermView, language: Language, steps: Sequence[VacantStep]) -> str:
        """The admins' notice that a term ended and left open steps with nobody to do them."""
        t = self.catalog.text
        lines = [
            t(
                language,
                "acting.vacant_admins",
                term=self.title(view, language),
                person=escape(view.member_name),
                count=quantity(len(steps), language),
            )
        ]
        lines.extend(
            t(
                language,
                "acting.vacant_step",
                number=step.number,
                title=escape(step.title),
                step=escape(step.step_label),
            )
            for step in steps
        )
        lines.append(t(language, "acting.vacant_hint"))
        return "\n".join(lines)
