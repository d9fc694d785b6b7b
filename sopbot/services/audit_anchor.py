"""Anchoring the audit trail: the chains' heads sent to each agency's admins and kept in a file.

Once a day (bot.audit_anchor schedules it) the heads are anchored in one command under the
day's idempotency key: the admins' messages go into the outbox in its transaction, so a second
bot process on the same database, or a restart, anchors that day only once. After the commit
the anchor is appended to the anchor file, outside the database (storage.audit_anchor).
"""

from __future__ import annotations

import functools
from pathlib import Path

from sopbot.messaging.catalog import Catalog, Language, default_catalog
from sopbot.messaging.formatting import escape, local_time
from sopbot.services.commands import Clock, CommandRunner, utc_now
from sopbot.storage.audit_anchor import (
    Anchor,
    AnchorRecipient,
    AnchorRecorded,
    append_anchor,
    record_anchor,
)
from sopbot.storage.audit_chain import MissingAuditKey
from sopbot.storage.database import Database


def anchor_key(anchor_day: str) -> str:
    """The idempotency key of the anchor of a (UTC) day, "YYYY-MM-DD"."""
    return f"audit-anchor:{anchor_day}"


class AuditAnchorService:
    """Takes the daily anchor of the audit trail."""

    def __init__(
        self,
        database: Database,
        anchor_file: Path,
        *,
        clock: Clock = utc_now,
        catalog: Catalog | None = None,
    ) -> None:
        if database.audit_key is None:
            raise MissingAuditKey("anchors are made with the audit key (SOPBOT_AUDIT_KEY)")
        self.database = database
        self.key = database.audit_key
        self.anchor_file = anchor_file
        self.clock = clock
        self.catalog = catalog or default_catalog()
        self.runner = CommandRunner(database, clock)

    def anchor(self) -> Anchor | None:
        """Anchor the heads as they are now and tell the admins, unless today's anchor was
        taken already (then None); the anchor is in the file when this returns."""
        taken: list[Anchor] = []
        work = functools.partial(record_anchor, key=self.key, render=self._render, taken=taken)
        outcome = self.runner.run(
            anchor_key(self.clock().date().isoformat()), "audit_anchor", work, AnchorRecorded
        )
        if outcome.replayed or not taken:
            return None
        anchor = taken[-1]  # of the attempt that committed
        append_anchor(self.anchor_file, anchor)
        return anchor

    def _render(self, recipient: AnchorRecipient) -> str:
        language = Language.of(recipient.language)
        return self.catalog.text(
            language,
            "audit.anchor",
            agency=escape(recipient.agency_name),
            time=local_time(recipient.at, recipient.timezone, language),
            rows=recipient.head.seq,
            digest=recipient.head.digest,
        )
