"""Which worker handles a chat's updates: everything here (one worker), or by lease (several).

`InboxProcessor` asks its claims for the chats it is about to handle. With one worker
(`LocalChats`: SQLite, which one process serves) every chat is its own and the updates it has
in hand are the ones to handle. With several workers on one PostgreSQL database
(`LeasedChats`) a chat is handled by the worker holding its lease (`storage/chat_leases.py`):
the claim answers, for each chat taken, its pending updates as the database has them now, so an
update another worker handled meanwhile is not handled again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

from sopbot.delivery.group_commit import GroupCommit
from sopbot.storage import chat_leases
from sopbot.storage.database import Database

# A lease outlives a stalled event loop of a few seconds; the processor renews the leases of
# the chats it works on every LEASE_SECONDS / 3, and a dead worker's chats wait this long.
LEASE_SECONDS = 30.0

ChatId = int | None


class ChatClaims(Protocol):
    """How the processor gets the right to handle chats, and gives it back."""

    async def claim(self, chats: Collection[ChatId]) -> dict[ChatId, list[int] | None]:
        """The chats now this worker's, each with its pending updates in order (None: those
        in hand are the ones to handle)."""
        ...

    async def renew(self, chats: Collection[ChatId]) -> None:
        """Keep the chats in hand this worker's a while longer."""
        ...

    async def release(self, chat: ChatId) -> None:
        """The chat has nothing more waiting here: another worker may take it."""
        ...

    async def release_all(self) -> None:
        """The worker stops: give back every chat."""
        ...


class LocalChats:
    """One worker: every chat is its own."""

    async def claim(self, chats: Collection[ChatId]) -> dict[ChatId, list[int] | None]:
        """Every chat, with the updates in hand."""
        return dict.fromkeys(chats)

    async def renew(self, chats: Collection[ChatId]) -> None:
        """Nothing to renew."""

    async def release(self, chat: ChatId) -> None:
        """Nothing to give back."""

    async def release_all(self) -> None:
        """Nothing to give back."""


class LeasedChats:
    """Several workers on one database: chats by lease, updates re-read under the lease."""

    def __init__(
        self,
        database: Database,
        owner: Callable[[], int],
        clock: Callable[[], dt.datetime],
        *,
        max_attempts: int,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.database = database
        self.owner = owner  # the worker's id in the registry (known once it registered)
        self.clock = clock
        self.max_attempts = max_attempts
        self.lease = dt.timedelta(seconds=lease_seconds)
        # Chats given back in group commits: one transaction for many finished chats.
        self._released: GroupCommit[int] = GroupCommit(self._release_many)

    async def claim(self, chats: Collection[ChatId]) -> dict[ChatId, list[int] | None]:
        """The chats whose lease this worker took (or already held), each with its pending
        updates as stored now."""
        return await asyncio.to_thread(self._claim, [chat_leases.lease_key(c) for c in chats])

    def _claim(self, keys: Sequence[int]) -> dict[ChatId, list[int] | None]:
        now = self.clock()
        with self.database.unit_of_work() as uow:
            taken = chat_leases.claim(
                uow, keys, owner=self.owner(), now=now, until=now + self.lease
            )
            pending = chat_leases.pending_of(uow, taken, max_attempts=self.max_attempts)
        claimed: dict[ChatId, list[int] | None] = {_chat(key): [] for key in taken}
        for inbox_id, key in pending:
            ids = claimed[_chat(key)]
            assert ids is not None  # noqa: S101 - every taken chat has its list
            ids.append(inbox_id)
        return claimed

    async def renew(self, chats: Collection[ChatId]) -> None:
        """Push out the leases of the chats in hand."""
        keys = [chat_leases.lease_key(c) for c in chats]
        if keys:
            await asyncio.to_thread(self._renew, keys)

    def _renew(self, keys: Sequence[int]) -> None:
        with self.database.unit_of_work() as uow:
            chat_leases.renew(uow, keys, owner=self.owner(), until=self.clock() + self.lease)

    async def release(self, chat: ChatId) -> None:
        """Give the chat back (with others finishing about now, in one commit)."""
        await self._released.add(chat_leases.lease_key(chat))

    async def _release_many(self, keys: Sequence[int]) -> None:
        await asyncio.to_thread(self._release, keys)

    def _release(self, keys: Sequence[int]) -> None:
        with self.database.unit_of_work() as uow:
            chat_leases.release(uow, keys, owner=self.owner())

    async def release_all(self) -> None:
        """Give back every chat this worker holds."""
        await asyncio.to_thread(self._release_all)

    def _release_all(self) -> None:
        with self.database.unit_of_work() as uow:
            chat_leases.release_all(uow, owner=self.owner())


def _chat(key: int) -> ChatId:
    return None if key == chat_leases.NO_CHAT else key
