"""Checking the audit trail: every chain walked in order, every hash recomputed.

A row whose columns were edited no longer matches its hash. A removed row leaves a gap in seq;
a row put in (or re-hashed after an edit) does not link to the hash before it. Removing the
newest rows leaves the chain's head ahead of the last row that is left.

Keyed links (HMAC-SHA256 under the audit key) cannot be recomputed without the key, so an
edited row cannot be hidden by hashing it and the rows after it again: plain SHA-256 links are
accepted only before a chain's first keyed row, and a chain must have one. Every agency with
members or procedures must have a chain. What the database alone cannot show (its newest rows
removed with the head moved back, a chain removed with its head) the anchors show: given an
anchor file, every chain must still hold the rows each anchor saw, with the same hashes.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from sopbot.storage.audit_anchor import AnchorLine
from sopbot.storage.audit_chain import (
    GENESIS_HASH,
    KEYED_SCHEME,
    PLAIN_SCHEME,
    MissingAuditKey,
    chain_of,
    row_hash,
)
from sopbot.storage.audit_key import AuditKey, same_digest
from sopbot.storage.audit_reading import (
    ChainHead,
    chain_heads,
    chains_expected,
    one_snapshot,
    rows_in_chain_order,
    rows_of_chain,
)
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow
from sopbot.storage.unit_of_work import UnitOfWork


class ProblemKind(enum.StrEnum):
    """What is wrong with a link of a chain."""

    EDITED = "edited"  # the row's columns do not give its stored hash
    WRONG_CHAIN = "wrong_chain"  # the row's agency belongs to another chain
    MISSING = "missing"  # a gap in seq: rows were removed
    DUPLICATE = "duplicate"  # a seq stored twice
    UNLINKED = "unlinked"  # prev_hash is not the previous row's hash
    HEAD_AHEAD = "head_ahead"  # the head counts rows that are gone: the newest were removed
    HEAD_BEHIND = "head_behind"  # rows past the head: put in without the chain's lock
    HEAD_MISMATCH = "head_mismatch"  # the head's hash is not the last row's
    NO_HEAD = "no_head"  # a chain with rows but no head
    DOWNGRADED = "downgraded"  # a plain SHA-256 link after keyed ones: made without the key
    UNSEALED = "unsealed"  # a chain with no keyed row: nothing the key protects
    NO_CHAIN = "no_chain"  # an agency with members or procedures has no chain: removed
    # Found against an anchor file:
    ANCHOR_UNREADABLE = "anchor_unreadable"  # a line that is not an anchor made with the key
    REWOUND = "rewound"  # rows an anchor saw are gone: the newest rows were removed
    CHANGED = "changed"  # the row at an anchored seq is not the one the anchor saw
    CHAIN_GONE = "chain_gone"  # a chain an anchor saw is gone, with its head


_FILE_KINDS = frozenset({ProblemKind.ANCHOR_UNREADABLE})


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One thing wrong in a chain: where (chain, seq, row id when there is a row) and what."""

    chain: str
    seq: int
    row_id: int | None
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        if self.kind in _FILE_KINDS:
            return f"anchor file line {self.seq}: {self.kind.value}: {self.detail}"
        row = "-" if self.row_id is None else str(self.row_id)
        return f"chain {self.chain}, seq {self.seq}, row {row}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of checking the whole trail."""

    rows: int
    chains: int
    problems: tuple[AuditProblem, ...] = field(default_factory=tuple)
    anchors: int = 0  # anchors (lines of the anchor file) checked against the chains

    @property
    def intact(self) -> bool:
        """True when no row was edited, removed or put in."""
        return not self.problems


def verify_audit_trail(database: Database, anchors: Iterable[AnchorLine] = ()) -> AuditVerification:
    """Walk every chain in seq order and report everything that does not add up; given the
    lines of an anchor file, also every row an anchor saw that a chain no longer holds."""
    key = database.audit_key
    if key is None:
        raise MissingAuditKey("the audit trail is checked with the audit key (SOPBOT_AUDIT_KEY)")
    anchored, problems = _read_anchors(anchors)
    with one_snapshot(database) as uow:
        heads = chain_heads(uow)
        walked = _walk_chains(uow, key, heads, anchored)
        problems.extend(walked.problems)
        problems.extend(_chains_without_rows(key, heads, walked.chains, anchored))
        problems.extend(_chains_missing(uow, walked.chains | set(heads)))
    problems.extend(anchored.gone())
    return AuditVerification(
        rows=walked.rows,
        chains=len(walked.chains | set(heads)),
        problems=tuple(problems),
        anchors=anchored.lines,
    )


def verify_chain(uow: UnitOfWork, key: AuditKey, chain: str) -> AuditVerification:
    """One chain checked as `verify_audit_trail` checks each (every link recomputed, its end
    against its head), within the caller's unit of work: what an exported procedure's record
    says of its agency's chain. Not checked here: the other chains, and the anchors (`sopbot
    audit verify --anchor` does both)."""
    walk = _ChainWalk(chain, key, {})
    problems: list[AuditProblem] = []
    rows = 0
    for row in rows_of_chain(uow, chain):
        rows += 1
        problems.extend(walk.check(row))
    head = chain_heads(uow).get(chain)
    if rows == 0 and head is None:
        detail = "the agency has members or procedures but no audit chain (removed)"
        problems.append(AuditProblem(chain, 0, None, ProblemKind.NO_CHAIN, detail))
    else:
        problems.extend(walk.finish(head))
    return AuditVerification(rows=rows, chains=1, problems=tuple(problems))


def _read_anchors(anchors: Iterable[AnchorLine]) -> tuple[_Anchored, list[AuditProblem]]:
    """What the anchors saw of each chain, and the lines that are no anchor made with the key."""
    anchored = _Anchored()
    problems: list[AuditProblem] = []
    for line in anchors:
        if line.anchor is None:
            problem = ProblemKind.ANCHOR_UNREADABLE
            problems.append(AuditProblem("-", line.number, None, problem, line.problem or ""))
        else:
            anchored.add(line)
    return anchored, problems


@dataclass(slots=True)
class _Walked:
    """What walking the rows found: how many rows, in which chains, and what is wrong."""

    rows: int = 0
    chains: set[str] = field(default_factory=set)
    problems: list[AuditProblem] = field(default_factory=list)


def _walk_chains(
    uow: UnitOfWork, key: AuditKey, heads: dict[str, ChainHead], anchored: _Anchored
) -> _Walked:
    """Every row, chain by chain: each link checked, and each chain's end against its head."""
    walked = _Walked()
    walk: _ChainWalk | None = None
    for row in rows_in_chain_order(uow):
        walked.rows += 1
        if walk is None or walk.chain != row.chain:
            if walk is not None:
                walked.problems.extend(walk.finish(heads.get(walk.chain)))
            walk = _ChainWalk(row.chain, key, anchored.pop(row.chain))
            walked.chains.add(row.chain)
        walked.problems.extend(walk.check(row))
    if walk is not None:
        walked.problems.extend(walk.finish(heads.get(walk.chain)))
    return walked


def _chains_without_rows(
    key: AuditKey, heads: dict[str, ChainHead], walked: set[str], anchored: _Anchored
) -> list[AuditProblem]:
    """The chains with a head and no row left: every row of the chain removed."""
    problems: list[AuditProblem] = []
    for chain in sorted(set(heads) - walked):
        problems.extend(_ChainWalk(chain, key, anchored.pop(chain)).finish(heads[chain]))
    return problems


def _chains_missing(uow: UnitOfWork, present: set[str]) -> list[AuditProblem]:
    """The agencies with members or procedures whose chain is gone, head and all."""
    return [
        AuditProblem(
            chain,
            0,
            None,
            ProblemKind.NO_CHAIN,
            "the agency has members or procedures but no audit chain (removed)",
        )
        for chain in sorted(chains_expected(uow) - present)
    ]


@dataclass(frozen=True, slots=True)
class _Sighting:
    """A chain's head as one anchor saw it."""

    seq: int
    hash: str
    line: int
    at: dt.datetime

    def where(self) -> str:
        return f"the anchor of {self.at.isoformat(timespec='seconds')} (line {self.line})"


class _Anchored:
    """What the anchors saw of each chain, handed to the walk of that chain."""

    def __init__(self) -> None:
        self.lines = 0
        self._by_chain: dict[str, dict[int, list[_Sighting]]] = {}

    def add(self, line: AnchorLine) -> None:
        assert line.anchor is not None  # noqa: S101 - only readable lines are added
        self.lines += 1
        for head in line.anchor.heads:
            sighting = _Sighting(head.seq, head.hash, line.number, line.anchor.at)
            self._by_chain.setdefault(head.chain, {}).setdefault(head.seq, []).append(sighting)

    def pop(self, chain: str) -> dict[int, list[_Sighting]]:
        """What the anchors saw of a chain that is in the database."""
        return self._by_chain.pop(chain, {})

    def gone(self) -> list[AuditProblem]:
        """The chains anchors saw that have neither rows nor a head now."""
        problems = []
        for chain, sightings in sorted(self._by_chain.items()):
            last = max((s for seen in sightings.values() for s in seen), key=lambda s: s.seq)
            problems.append(
                AuditProblem(
                    chain,
                    last.seq,
                    None,
                    ProblemKind.CHAIN_GONE,
                    f"{last.where()} saw {last.seq} row(s); the chain and its head are gone "
                    "(removed)",
                )
            )
        return problems


class _ChainWalk:
    """The state of walking one chain: the seq and hash the next row must link to."""

    def __init__(self, chain: str, key: AuditKey, anchored: dict[int, list[_Sighting]]) -> None:
        self.chain = chain
        self.key = key
        self.anchored = anchored
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.last_id: int | None = None
        self.keyed = False  # a keyed row was seen: plain links may no longer follow

    def check(self, row: AuditRow) -> list[AuditProblem]:
        """The problems of the chain's next row (its content, its place in the chain, what the
        anchors saw there); it is then the last row seen."""
        problems = [
            *self._content_problems(row),
            *self._place_problems(row),
            *self._anchor_problems(row),
        ]
        self.last_seq = max(self.last_seq, row.seq)
        self.last_hash = row.hash
        self.last_id = row.id
        return problems

    def _problem(self, row: AuditRow, kind: ProblemKind, detail: str) -> AuditProblem:
        return AuditProblem(self.chain, row.seq, row.id, kind, detail)

    def _content_problems(self, row: AuditRow) -> list[AuditProblem]:
        """Whether the row's columns give its stored hash, under a scheme sopbot writes, and
        never a plain link after keyed ones."""
        problems: list[AuditProblem] = []
        expected = row_hash(row, self.key)
        if expected is None:
            detail = f"its hash scheme {row.scheme!r} is not one sopbot writes"
            problems.append(self._problem(row, ProblemKind.EDITED, detail))
        elif not same_digest(row.hash, expected):
            detail = "its columns do not give its stored hash (edited)"
            problems.append(self._problem(row, ProblemKind.EDITED, detail))
        if row.scheme == KEYED_SCHEME:
            self.keyed = True
        elif row.scheme == PLAIN_SCHEME and self.keyed:
            detail = "a plain SHA-256 link after keyed ones: made without the audit key (re-hashed)"
            problems.append(self._problem(row, ProblemKind.DOWNGRADED, detail))
        return problems

    def _place_problems(self, row: AuditRow) -> list[AuditProblem]:
        """Whether the row is in its agency's chain, right after the last row seen and linked
        to it."""
        problems: list[AuditProblem] = []
        if chain_of(row.agency_id) != row.chain:
            detail = f"agency {row.agency_id} belongs to another chain"
            problems.append(self._problem(row, ProblemKind.WRONG_CHAIN, detail))
        if row.seq <= self.last_seq:
            detail = f"seq {row.seq} stored twice (also row {self.last_id})"
            problems.append(self._problem(row, ProblemKind.DUPLICATE, detail))
        elif row.seq > self.last_seq + 1:
            first, last = self.last_seq + 1, row.seq - 1
            gap = f"seq {first}" if first == last else f"seqs {first}-{last}"
            problems.append(
                AuditProblem(
                    self.chain,
                    first,
                    None,
                    ProblemKind.MISSING,
                    f"{gap} missing before row {row.id} (removed)",
                )
            )
        elif row.prev_hash != self.last_hash:
            # Only checked without a gap: after one, the link is broken by the gap itself.
            detail = (
                "its prev_hash is not the hash of the row before it (inserted, or the row "
                "before was re-hashed)"
            )
            problems.append(self._problem(row, ProblemKind.UNLINKED, detail))
        return problems

    def _anchor_problems(self, row: AuditRow) -> list[AuditProblem]:
        """Whether every anchor that saw this place in the chain saw this row."""
        return [
            self._problem(
                row,
                ProblemKind.CHANGED,
                f"{sighting.where()} saw another row here (replaced, and the rows after "
                "it re-hashed)",
            )
            for sighting in self.anchored.pop(row.seq, [])
            if sighting.hash != row.hash
        ]

    def finish(self, head: ChainHead | None) -> list[AuditProblem]:
        """Compare the end of the chain with its head and with what the anchors saw."""
        problems = self._compare_head(head)
        if self.last_seq > 0 and not self.keyed:
            problems.append(
                AuditProblem(
                    self.chain,
                    self.last_seq,
                    self.last_id,
                    ProblemKind.UNSEALED,
                    "no row of the chain is keyed, so its plain SHA-256 links could be "
                    "recomputed (rows from before audit keys: start `sopbot run` with "
                    "SOPBOT_AUDIT_KEY once to seal them)",
                )
            )
        beyond = [s for seen in self.anchored.values() for s in seen if s.seq > self.last_seq]
        if beyond:
            last = max(beyond, key=lambda s: s.seq)
            first = self.last_seq + 1
            gap = f"seq {first}" if first == last.seq else f"seqs {first}-{last.seq}"
            problems.append(
                AuditProblem(
                    self.chain,
                    first,
                    None,
                    ProblemKind.REWOUND,
                    f"{gap} missing at the end: {last.where()} saw them (the newest rows were "
                    "removed)",
                )
            )
        return problems

    def _compare_head(self, head: ChainHead | None) -> list[AuditProblem]:
        if head is None:
            return [
                AuditProblem(
                    self.chain,
                    self.last_seq,
                    self.last_id,
                    ProblemKind.NO_HEAD,
                    "the chain has no head row",
                )
            ]
        if head.last_seq > self.last_seq:
            first, last = self.last_seq + 1, head.last_seq
            gap = f"seq {first}" if first == last else f"seqs {first}-{last}"
            return [
                AuditProblem(
                    self.chain,
                    first,
                    None,
                    ProblemKind.HEAD_AHEAD,
                    f"{gap} missing at the end (the newest rows were removed)",
                )
            ]
        if head.last_seq < self.last_seq:
            return [
                AuditProblem(
                    self.chain,
                    head.last_seq + 1,
                    self.last_id,
                    ProblemKind.HEAD_BEHIND,
                    f"rows past the head (seq {head.last_seq}): put in outside the chain",
                )
            ]
        if head.last_hash != self.last_hash:
            return [
                AuditProblem(
                    self.chain,
                    self.last_seq,
                    self.last_id,
                    ProblemKind.HEAD_MISMATCH,
                    "the head's hash is not the last row's",
                )
            ]
        return []
