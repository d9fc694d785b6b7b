"""The secret that keys the audit trail's hash chains, kept outside the database.

With write access to the database alone, anyone could recompute plain SHA-256 links after
editing a row. Keyed links (HMAC-SHA256) can only be made by whoever holds this key: the bot
(from `SOPBOT_AUDIT_KEY` in its environment), the operator checking the trail, and nobody who
only reached the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = "replace-with-a-long-random-audit-key"
"""The value `.env.example` shows; refused, so a copied example never keys a real trail."""

MIN_LENGTH = 32
"""The shortest key accepted (characters): `secrets.token_hex(32)` gives 64."""

SESSION_INFO_KEY = "sopbot.audit_key"
"""Where a session's `info` holds the database's audit key (set by `Database`)."""


class InvalidAuditKey(ValueError):
    """The configured audit key cannot be used (missing, the placeholder, or too short)."""


class AuditKey:
    """An HMAC-SHA256 key for the audit chains and their anchors; never printed."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        """A key from its bytes; prefer `from_text` (checked) or `generate`."""
        if len(secret) < MIN_LENGTH:
            raise InvalidAuditKey(f"an audit key needs at least {MIN_LENGTH} bytes")
        self._secret = secret

    @classmethod
    def from_text(cls, text: str | None) -> AuditKey:
        """The key a setting holds; InvalidAuditKey (saying what to do) when it is unusable."""
        value = (text or "").strip()
        if not value:
            raise InvalidAuditKey(
                "SOPBOT_AUDIT_KEY is not set: the audit trail is keyed with it. Generate one "
                '(python -c "import secrets; print(secrets.token_hex(32))"), keep it outside '
                "the database, and never change it (see .env.example)."
            )
        if value == PLACEHOLDER or "replace-with" in value.lower():
            raise InvalidAuditKey(
                "SOPBOT_AUDIT_KEY is still the placeholder from .env.example: generate a key "
                '(python -c "import secrets; print(secrets.token_hex(32))").'
            )
        if len(value) < MIN_LENGTH:
            raise InvalidAuditKey(
                f"SOPBOT_AUDIT_KEY is too short ({len(value)} characters): use at least "
                f'{MIN_LENGTH}, e.g. python -c "import secrets; print(secrets.token_hex(32))".'
            )
        return cls(value.encode("utf-8"))

    @classmethod
    def generate(cls) -> AuditKey:
        """A fresh random key, for a run whose trail is thrown away with it (the demo)."""
        return cls(secrets.token_hex(32).encode("ascii"))

    def mac(self, payload: Mapping[str, Any]) -> str:
        """The HMAC-SHA256 (hex) of a JSON object in canonical form."""
        return hmac.new(self._secret, canonical_json(payload), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "AuditKey(<secret>)"


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The one text a JSON object is hashed as: sorted keys, no spaces, UTF-8."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def same_digest(first: str, second: str) -> bool:
    """Compare two hex digests in constant time (a MAC must not leak by timing)."""
    return hmac.compare_digest(first.encode("ascii", "replace"), second.encode("ascii", "replace"))
