"""The review report of an import: what was read from where, what was inferred and why, and
what a person must confirm or decide before the SOP can run.

Items are kept as catalog keys with their values, so that the command line and the bot show the
same report in the admin's language (catalog section `import_report`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sopbot.messaging.catalog import Language, default_catalog


class ReviewKind(StrEnum):
    """How much a person must look at an item."""

    READ = "read"  # read from the document as written
    INFERRED = "inferred"  # not written, but read from the layout or the usual practice
    CONFIRM = "confirm"  # a guess or a default a person should confirm
    DECIDE = "decide"  # marked '??' in the draft: the SOP cannot run until it is decided


_ORDER = (ReviewKind.DECIDE, ReviewKind.CONFIRM, ReviewKind.INFERRED, ReviewKind.READ)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One finding: its kind, where in the document, and its text (a catalog key and values)."""

    kind: ReviewKind
    where: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, language: Language, *, as_html: bool = False) -> str:
        """The finding in words, its values escaped for Telegram's HTML when asked."""
        params = (
            {k: html.escape(str(v), quote=False) for k, v in self.params.items()}
            if as_html
            else self.params
        )
        return default_catalog().text(language, f"import_report.{self.key}", **params)


@dataclass(slots=True)
class ImportReport:
    """Every finding of one import, in the order found."""

    items: list[ReviewItem] = field(default_factory=list)

    def add(self, kind: ReviewKind, where: str, key: str, **params: Any) -> None:
        """Record a finding."""
        self.items.append(ReviewItem(kind, where, key, params))

    def of_kind(self, kind: ReviewKind) -> list[ReviewItem]:
        """The findings of one kind."""
        return [item for item in self.items if item.kind is kind]

    @property
    def to_decide(self) -> int:
        """How many values the draft leaves for a person to decide."""
        return len(self.of_kind(ReviewKind.DECIDE))

    def render(self, language: Language, *, as_html: bool = False) -> str:
        """The report as text: the items to decide first, then to confirm, inferred, read."""
        lines: list[str] = []
        for kind in _ORDER:
            found = self.of_kind(kind)
            if not found:
                continue
            key = f"import_report.heading_{kind.value}"
            lines.append(default_catalog().text(language, key, count=len(found)))
            for item in found:
                where = html.escape(item.where, quote=False) if as_html else item.where
                lines.append(f"• {item.text(language, as_html=as_html)} ({where})")
            lines.append("")
        return "\n".join(lines).rstrip()
