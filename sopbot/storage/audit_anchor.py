"""Anchors of the audit trail: the chains' heads at a moment, kept outside the database.

Whoever can write to the database can remove the newest rows of a chain and move its head back,
or remove a chain with its head: what is left still links. An anchor records each chain's head
(seq and hash) at a moment under an HMAC of the audit key; the bot sends each agency's admins
their chain's part every day and appends the whole anchor to a file outside the database
(`SOPBOT_AUDIT_ANCHOR_FILE`). `sopbot audit verify --anchor FILE` then finds a chain that holds
fewer rows than an anchor saw, or other rows, or is gone.

The file has one JSON object a line:
``{"at": ..., "heads": [{"chain", "seq", "hash", "digest"}, ...], "mac": ...}``. `digest` is
the HMAC of one chain's head at that moment (what its agency's admins were sent); `mac` covers
the whole line, so no head can be taken out of it or changed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from sopbot.messaging.outgoing import MessageKind, OutboxMessage
from sopbot.storage.audit_chain import agency_of
from sopbot.storage.audit_key import AuditKey, same_digest
from sopbot.storage.models import AgencyRow, AuditChainHeadRow, MemberRow
from sopbot.storage.outbox import add_messages
from sopbot.storage.unit_of_work import UnitOfWork

ANCHOR_PURPOSE = "sopbot-audit-anchor"
"""Put in every anchor MAC's input, so no other keyed hash can pass for an anchor's."""


class InvalidAnchor(ValueError):
    """A line of an anchor file that cannot be read, or whose MAC is not the key's."""


@dataclass(frozen=True, slots=True)
class AnchoredHead:
    """One chain's head as an anchor saw it, with its HMAC (`digest`)."""

    chain: str
    seq: int
    hash: str
    digest: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """Every chain's head at one moment, under the audit key."""

    at: dt.datetime
    heads: tuple[AnchoredHead, ...]
    mac: str

    def head(self, chain: str) -> AnchoredHead | None:
        """This anchor's record of one chain (None if the chain did not exist yet)."""
        return next((head for head in self.heads if head.chain == chain), None)

    def line(self) -> str:
        """The anchor as one line of the anchor file (without the newline)."""
        return json.dumps(
            {**_signed_part(self.at, self.heads), "mac": self.mac},
            sort_keys=True,
            separators=(",", ":"),
        )


def head_digest(key: AuditKey, at: dt.datetime, chain: str, seq: int, hash_: str) -> str:
    """The HMAC of one chain's head at a moment: what that agency's admins are sent."""
    purpose = f"{ANCHOR_PURPOSE}/head"
    return key.mac({"purpose": purpose, "at": _when(at), "chain": chain, "seq": seq, "hash": hash_})


def make_anchor(key: AuditKey, at: dt.datetime, heads: Iterable[tuple[str, int, str]]) -> Anchor:
    """The anchor of these (chain, seq, hash) heads at `at`, in chain order."""
    anchored = tuple(
        AnchoredHead(chain, seq, hash_, head_digest(key, at, chain, seq, hash_))
        for chain, seq, hash_ in sorted(heads)
    )
    return Anchor(at, anchored, key.mac(_signed_part(at, anchored)))


def parse_anchor(key: AuditKey, text: str) -> Anchor:
    """An anchor file's line, checked against the key; InvalidAnchor saying what is wrong."""
    try:
        data = json.loads(text)
        at = dt.datetime.fromisoformat(data["at"])
        heads = tuple(
            AnchoredHead(str(h["chain"]), int(h["seq"]), str(h["hash"]), str(h["digest"]))
            for h in data["heads"]
        )
        mac = str(data["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidAnchor(f"not an anchor ({type(exc).__name__}: {exc})") from exc
    if at.tzinfo is None:
        raise InvalidAnchor("not an anchor (its time has no zone)")
    if not same_digest(mac, key.mac(_signed_part(at, heads))):
        raise InvalidAnchor("its MAC is not the audit key's (forged, damaged, or another key)")
    return Anchor(at, heads, mac)


@dataclass(frozen=True, slots=True)
class AnchorLine:
    """A line of an anchor file: its number and the anchor, or why it is not one."""

    number: int
    anchor: Anchor | None
    problem: str | None = None


def read_anchor_file(key: AuditKey, path: Path) -> Iterator[AnchorLine]:
    """Every non-blank line of an anchor file, checked against the key."""
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                yield AnchorLine(number, parse_anchor(key, text))
            except InvalidAnchor as problem:
                yield AnchorLine(number, None, str(problem))


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Add the anchor as a line at the end of the file, on disk before this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(anchor.line() + "\n")
        file.flush()
        os.fsync(file.fileno())


@dataclass(frozen=True, slots=True)
class AnchorRecipient:
    """An admin who is sent their agency's part of an anchor."""

    member_id: int
    language: str | None
    agency_name: str
    timezone: str
    head: AnchoredHead
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class AnchorRecorded:
    """The anchor command's stored result: how many chains the anchor holds."""

    chains: int


def record_anchor(
    uow: UnitOfWork,
    now: dt.datetime,
    *,
    key: AuditKey,
    render: Callable[[AnchorRecipient], str],
    taken: list[Anchor],
) -> AnchorRecorded:
    """Anchor the chains' heads as they are now, and queue each agency's part to its admins
    (one outbox message each, rendered by `render`), in the caller's transaction.

    The anchor is added to `taken` for the caller to write to the anchor file once the
    transaction has committed; the command's stored result says how many chains it holds.
    """
    session = uow.session
    heads = session.exec(select(AuditChainHeadRow).where(col(AuditChainHeadRow.last_seq) > 0)).all()
    anchor = make_anchor(key, now, ((h.chain, h.last_seq, h.last_hash) for h in heads))
    admins = session.exec(
        select(MemberRow, AgencyRow)
        .join(AgencyRow, col(AgencyRow.id) == col(MemberRow.agency_id))
        .where(col(MemberRow.is_admin))
        .order_by(col(MemberRow.id))
    ).all()
    by_agency = {agency_of(h.chain): h for h in anchor.heads}
    messages = []
    for admin, agency in admins:
        assert admin.id is not None  # noqa: S101 - a stored row
        head = by_agency.get(agency.id)
        if head is None:
            continue  # nothing audited for this agency yet
        text = render(
            AnchorRecipient(admin.id, admin.language, agency.name, agency.timezone, head, now)
        )
        messages.append(OutboxMessage(admin.id, MessageKind.MESSAGE, {"text": text}, now))
    add_messages(uow, messages)
    taken.append(anchor)
    return AnchorRecorded(len(anchor.heads))


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _signed_part(at: dt.datetime, heads: Iterable[AnchoredHead]) -> dict[str, Any]:
    return {
        "purpose": ANCHOR_PURPOSE,
        "at": _when(at),
        "heads": [
            {"chain": h.chain, "seq": h.seq, "hash": h.hash, "digest": h.digest} for h in heads
        ],
    }
