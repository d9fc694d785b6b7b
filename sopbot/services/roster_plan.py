"""What a roster will do to an agency: the plan a roster import previews and then applies.

Pure: the people a roster file gave (`sopbot.documents.roster_reading`) and the agency as it is
(its positions, its members) in; the plan out: the positions to create (a key made from each
name, unique in the agency), the positions that exist already, the members to create (each
with their NIP, name, Telegram username and one holding), the rows skipped and why, and the
jabatan spelled close to another (reported as "did you mean", never merged).

A jabatan matches a position of the agency when their names are equal without regard to case,
spaces and punctuation ("Kepala Sub Bagian Umum" is "KEPALA SUBBAGIAN UMUM."). A row is
skipped when the reader could not take it, when its NIP is in the file twice (the first row
counts) or belongs to a member of the agency already, when a row without a NIP names a person
the agency has (or the file had above it), or when its Telegram username is taken.

The plan is kept as JSON in `roster_import.plan` between the preview and the confirmation; the
rows read are kept with it, so the confirmation plans again against the agency as it is then
and refuses to go ahead if the outcome differs from what the admin saw.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sopbot.documents.roster_reading import (
    Field,
    RosterEntry,
    RosterReading,
    RowIssue,
    RowProblem,
)

KEY_LIMIT = 64  # position.key
SIMILAR_CUTOFF = 0.88
"""How alike two jabatan names (compared as `name_key`s) must be to be reported as a likely
misspelling of one another ("Kasubag Umum" and "Kasubbag Umum" are 0.96 alike)."""
_FALLBACK_KEY = "jabatan"


class SkipReason(StrEnum):
    """Why the plan leaves a row out, beyond what the reader found (catalog
    `roster.skip_<value>`; the reader's own reasons are `RowIssue`s)."""

    NIP_TWICE = "nip_twice"  # the NIP is on an earlier row of the file
    NIP_OF_MEMBER = "nip_of_member"  # a member of the agency has this NIP
    NAME_TWICE = "name_twice"  # no NIP, and an earlier row without one has this name
    NAME_OF_MEMBER = "name_of_member"  # no NIP, and a member of the agency has this name
    USERNAME_TWICE = "username_twice"  # the Telegram username is on an earlier row
    USERNAME_OF_MEMBER = "username_of_member"  # a member of the agency has this username


@dataclass(frozen=True, slots=True)
class AgencyPosition:
    """A position of the agency as the plan matches against it."""

    id: int
    key: str
    name: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class AgencyPerson:
    """A member of the agency as the plan matches against them."""

    id: int
    name: str
    nip: str | None
    username: str | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class PlannedPosition:
    """A position the roster's people will hold: one to create (`id` None) or one that
    exists; the rows that name it."""

    key: str
    name: str
    rows: tuple[int, ...]
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedMember:
    """A member to create, holding the position with `position_key`."""

    row: int
    name: str
    position_key: str
    position_name: str
    nip: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row the import leaves out: `reason` is a `RowIssue` or a `SkipReason` value; the
    earlier row or the member it clashes with, when that is the reason."""

    row: int
    reason: str
    value: str = ""
    name: str = ""
    other_row: int | None = None
    member: str = ""


@dataclass(frozen=True, slots=True)
class SimilarName:
    """A jabatan of the roster spelled close to another: to an existing position (`existing`),
    or to another jabatan of the same file. It is created as written; the admin is asked."""

    name: str
    rows: tuple[int, ...]
    like: str
    existing: bool


@dataclass(frozen=True, slots=True)
class RosterPlan:
    """What confirming a roster will do."""

    members: tuple[PlannedMember, ...]
    new_positions: tuple[PlannedPosition, ...]
    existing_positions: tuple[PlannedPosition, ...]
    skipped: tuple[SkippedRow, ...]
    similar: tuple[SimilarName, ...]

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON values (what `roster_import.plan` keeps)."""
        return asdict(self)

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RosterPlan:
        """A plan kept by `to_json`."""
        return cls(
            members=tuple(PlannedMember(**item) for item in stored.get("members", [])),
            new_positions=tuple(_position(item) for item in stored.get("new_positions", [])),
            existing_positions=tuple(
                _position(item) for item in stored.get("existing_positions", [])
            ),
            skipped=tuple(SkippedRow(**item) for item in stored.get("skipped", [])),
            similar=tuple(
                SimilarName(
                    name=item["name"],
                    rows=tuple(item["rows"]),
                    like=item["like"],
                    existing=item["existing"],
                )
                for item in stored.get("similar", [])
            ),
        )


def _position(item: Mapping[str, Any]) -> PlannedPosition:
    return PlannedPosition(
        key=item["key"], name=item["name"], rows=tuple(item["rows"]), id=item.get("id")
    )


# -- the rows read, kept with the plan ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeptReading:
    """What the reader gave, as kept beside the plan (so it can be planned again)."""

    kind: str
    header_row: int
    sheet: str | None
    fields: tuple[str, ...]
    entries: tuple[RosterEntry, ...]
    problems: tuple[RowProblem, ...]

    @classmethod
    def of(cls, reading: RosterReading) -> KeptReading:
        """The reader's result, to keep."""
        return cls(
            reading.kind,
            reading.header_row,
            reading.sheet,
            tuple(f.value for f in reading.fields),
            reading.entries,
            reading.problems,
        )

    def to_json(self) -> dict[str, Any]:
        """As JSON values."""
        return {
            "kind": self.kind,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "fields": list(self.fields),
            "entries": [asdict(entry) for entry in self.entries],
            "problems": [
                {**asdict(problem), "issue": problem.issue.value} for problem in self.problems
            ],
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> KeptReading:
        """A reading kept by `to_json`."""
        return cls(
            kind=str(stored["kind"]),
            header_row=int(stored["header_row"]),
            sheet=stored.get("sheet"),
            fields=tuple(str(f) for f in stored.get("fields", [])),
            entries=tuple(RosterEntry(**entry) for entry in stored.get("entries", [])),
            problems=tuple(
                RowProblem(
                    row=int(p["row"]),
                    issue=RowIssue(p["issue"]),
                    value=str(p.get("value", "")),
                    name=str(p.get("name", "")),
                )
                for p in stored.get("problems", [])
            ),
        )

    @property
    def has_nip(self) -> bool:
        """Whether the file has a NIP column."""
        return Field.NIP.value in self.fields


# -- planning ----------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A jabatan or a person's name as compared: without case, spaces and punctuation ("&"
    read as "dan", as in "Umum & Kepegawaian")."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", "dan")
    return "".join(character for character in text if character.isalnum())


def plan_roster(
    entries: Sequence[RosterEntry],
    problems: Sequence[RowProblem],
    positions: Sequence[AgencyPosition],
    people: Sequence[AgencyPerson],
) -> RosterPlan:
    """The plan for a roster's people against the agency's positions and members."""
    skipped = [SkippedRow(p.row, p.issue.value, p.value, p.name) for p in problems] + _skips(
        entries, people
    )
    left_out = {s.row for s in skipped}
    taken = [entry for entry in entries if entry.row not in left_out]
    live = [p for p in positions if not p.removed]
    by_name: dict[str, AgencyPosition] = {}
    for position in live:
        by_name.setdefault(name_key(position.name), position)
    used: dict[str, PlannedPosition] = {}  # by name key
    keys = {position.key for position in positions}
    for entry in taken:
        wanted = name_key(entry.position)
        found = used.get(wanted)
        if found is not None:
            used[wanted] = _with_row(found, entry.row)
            continue
        existing = by_name.get(wanted)
        if existing is not None:
            used[wanted] = PlannedPosition(existing.key, existing.name, (entry.row,), existing.id)
        else:
            key = _unique_key(entry.position, keys)
            keys.add(key)
            used[wanted] = PlannedPosition(key, entry.position, (entry.row,))
    members = tuple(
        PlannedMember(
            row=entry.row,
            name=entry.name,
            position_key=used[name_key(entry.position)].key,
            position_name=used[name_key(entry.position)].name,
            nip=entry.nip,
            username=entry.username,
        )
        for entry in taken
    )
    new = tuple(p for p in used.values() if p.id is None)
    return RosterPlan(
        members=members,
        new_positions=new,
        existing_positions=tuple(p for p in used.values() if p.id is not None),
        skipped=tuple(sorted(skipped, key=lambda s: (s.row, s.reason))),
        similar=_similar(new, live),
    )


def _with_row(position: PlannedPosition, row: int) -> PlannedPosition:
    return PlannedPosition(position.key, position.name, (*position.rows, row), position.id)


def _skips(entries: Sequence[RosterEntry], people: Sequence[AgencyPerson]) -> list[SkippedRow]:
    """The rows the reader took that the import still leaves out (see SkipReason)."""
    by_nip = {p.nip: p for p in people if p.nip}
    by_name = {name_key(p.name): p for p in people if p.active}
    by_username = {p.username.casefold(): p for p in people if p.username}
    first_nip: dict[str, int] = {}
    first_name: dict[str, int] = {}
    first_username: dict[str, int] = {}
    skipped: list[SkippedRow] = []
    for entry in entries:
        skip = _person_skip(entry, by_nip, by_name, first_nip, first_name)
        if skip is None and entry.username:
            skip = _username_skip(entry, by_username, first_username)
        if skip is not None:
            skipped.append(skip)
            continue
        if entry.nip:
            first_nip[entry.nip] = entry.row
        else:
            first_name[name_key(entry.name)] = entry.row
        if entry.username:
            first_username[entry.username.casefold()] = entry.row
    return skipped


def _person_skip(
    entry: RosterEntry,
    by_nip: Mapping[str, AgencyPerson],
    by_name: Mapping[str, AgencyPerson],
    first_nip: Mapping[str, int],
    first_name: Mapping[str, int],
) -> SkippedRow | None:
    """Why the row's person is not created: in the file twice, or a member already."""
    if entry.nip:
        if entry.nip in first_nip:
            return SkippedRow(
                entry.row, SkipReason.NIP_TWICE.value, entry.nip, entry.name, first_nip[entry.nip]
            )
        member = by_nip.get(entry.nip)
        if member is not None:
            return SkippedRow(
                entry.row, SkipReason.NIP_OF_MEMBER.value, entry.nip, entry.name, member=member.name
            )
        return None
    key = name_key(entry.name)
    if key in first_name:
        return SkippedRow(
            entry.row, SkipReason.NAME_TWICE.value, name=entry.name, other_row=first_name[key]
        )
    member = by_name.get(key)
    if member is not None:
        return SkippedRow(
            entry.row, SkipReason.NAME_OF_MEMBER.value, name=entry.name, member=member.name
        )
    return None


def _username_skip(
    entry: RosterEntry, by_username: Mapping[str, AgencyPerson], first: Mapping[str, int]
) -> SkippedRow | None:
    """Why the row's Telegram username cannot be theirs: on an earlier row, or a member's."""
    assert entry.username is not None  # noqa: S101 - checked by the caller
    wanted = entry.username.casefold()
    if wanted in first:
        return SkippedRow(
            entry.row,
            SkipReason.USERNAME_TWICE.value,
            entry.username,
            entry.name,
            other_row=first[wanted],
        )
    member = by_username.get(wanted)
    if member is not None:
        return SkippedRow(
            entry.row,
            SkipReason.USERNAME_OF_MEMBER.value,
            entry.username,
            entry.name,
            member=member.name,
        )
    return None


def _similar(
    new: Sequence[PlannedPosition], existing: Sequence[AgencyPosition]
) -> tuple[SimilarName, ...]:
    """Each new jabatan spelled close to an existing position, or to another new jabatan of
    the file that is the likelier spelling (on more rows, or as many and first)."""
    found: list[SimilarName] = []
    existing_names = {name_key(p.name): p.name for p in existing}
    for position in new:
        key = name_key(position.name)
        close = difflib.get_close_matches(key, list(existing_names), n=1, cutoff=SIMILAR_CUTOFF)
        if close:
            found.append(SimilarName(position.name, position.rows, existing_names[close[0]], True))
            continue
        others = {
            name_key(o.name): o
            for o in new
            if (len(o.rows), -o.rows[0]) > (len(position.rows), -position.rows[0])
        }
        close = difflib.get_close_matches(key, list(others), n=1, cutoff=SIMILAR_CUTOFF)
        if close:
            found.append(SimilarName(position.name, position.rows, others[close[0]].name, False))
    return tuple(found)


def _unique_key(name: str, taken: Iterable[str]) -> str:
    """A position key made from its name (lower case ASCII words joined by "_"), unique
    among `taken` (the agency's keys, removed positions' included, and those planned)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    base = ""
    for word in words:
        longer = f"{base}_{word}" if base else word
        if len(longer) > KEY_LIMIT - 4:  # room for "_999"
            break
        base = longer
    base = base or (words[0][: KEY_LIMIT - 4] if words else _FALLBACK_KEY)
    used = set(taken)
    if base not in used:
        return base
    number = 2
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


@dataclass(frozen=True, slots=True)
class PlanCounts:
    """The plan's sizes, as the preview and the confirmation say them."""

    members: int
    new_positions: int
    existing_positions: int
    skipped_rows: int = field(default=0)

    @classmethod
    def of(cls, plan: RosterPlan) -> PlanCounts:
        """The sizes of a plan (a row skipped for several reasons counts once)."""
        return cls(
            len(plan.members),
            len(plan.new_positions),
            len(plan.existing_positions),
            len({s.row for s in plan.skipped}),
        )
