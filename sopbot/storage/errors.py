"""Errors the stores raise on purpose, below `sopbot.engine.errors.SopbotError`."""

from __future__ import annotations

from sopbot.engine.errors import SopbotError


class StorageError(SopbotError):
    """A store could not do what it was asked, though the request was well formed."""


class ConcurrentUpdate(StorageError):
    """Another transaction changed the same rows first (an instance's version moved on, or a
    unique key such as a command's was taken): nothing was written; load again and retry."""
