"""Group commits: many small writes that finish close together, written in one transaction.

On SQLite writers take turns and each commit waits for the disk, so a commit per delivered
message or handled update is what limits a burst. Callers add an item and get a future; while
one batch is being written, the next ones gather, and are written together when it is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Writes the items added with `write(items)`, one batch at a time."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def add(self, item: T) -> asyncio.Future[None]:
        """Queue an item; the future is done when its batch is committed (or failed with the
        batch's error, in which case nothing of it was written)."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return future

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._write([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
