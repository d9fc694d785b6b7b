"""The inbox table: every update from Telegram, stored before it is confirmed or answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from sopbot.storage.column_types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class InboxRow(SQLModel, table=True):
    """An update as Telegram sent it; processed once, in arrival order per chat.

    Telegram restarts update ids after a quiet week, so an update is known by its id together
    with a digest of its content: a redelivery matches, a new update with a reused id does not.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (
        UniqueConstraint("update_id", "digest"),
        Index("ix_inbox_pending", "processed_at", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(_ID_TYPE, primary_key=True, autoincrement=True)
    )
    update_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    digest: str = Field(max_length=64)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: dt.datetime = Field(sa_type=UTCDateTime)
    processed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
