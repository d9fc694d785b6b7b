"""How many examples the property tests (Hypothesis) try: a sample in the fast stage, all of
them in the slow stage, which runs the same properties again (see .ci/run).

The profile is chosen with Hypothesis's own option: `pytest` uses `fast` (the default set in
tests/conftest.py), `pytest --hypothesis-profile=full` tries every example.
"""

from __future__ import annotations

from hypothesis import settings

FULL = 100
"""Examples a property without a count of its own tries under the `full` profile."""

FAST = 20
"""... and under the `fast` profile: a fifth."""

FULL_PROFILE = "full"
FAST_PROFILE = "fast"
settings.register_profile(FULL_PROFILE, max_examples=FULL)
settings.register_profile(FAST_PROFILE, max_examples=FAST)


def examples(full: int) -> int:
    """How many of a property's `full` examples to try in this run: all under the `full`
    profile, the same share as the profile's default under another (at least two)."""
    return max(2, full * settings().max_examples // FULL)
