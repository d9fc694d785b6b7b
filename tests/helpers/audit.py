"""The audit key the tests use: explicit, fixed, and never a deployment's."""

from __future__ import annotations

from sopbot.storage.audit_key import AuditKey

TEST_AUDIT_KEY_TEXT = "sopbot-tests-only-audit-key-3f9c1e7a5b2d4c6e8f0a1b3c5d7e9f21"
"""What tests put in SOPBOT_AUDIT_KEY (the CLI and `sopbot run` read it from there)."""

TEST_AUDIT_KEY = AuditKey.from_text(TEST_AUDIT_KEY_TEXT)
"""The key of every database the tests open."""
