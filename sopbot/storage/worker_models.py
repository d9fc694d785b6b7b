"""The tables that let several `sopbot run` processes share one database.

`worker` is the registry of live processes (a heartbeat each): the flood limits are shared
among the live ones, and a poller refuses to start beside webhook workers. `inbox_chat_lease`
says which worker handles a chat's updates now, so each update is handled by one worker and a
chat's updates in order (`storage/chat_leases.py`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel

from sopbot.storage.column_types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class WorkerRow(SQLModel, table=True):
    """A running `sopbot run` process, kept alive by its heartbeat."""

    __tablename__ = "worker"

    id: int | None = Field(
        default=None, sa_column=Column(_ID_TYPE, primary_key=True, autoincrement=True)
    )
    name: str = Field(max_length=200)  # host and pid, for the log and the operator
    mode: str = Field(max_length=20)  # "webhook" or "polling"
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)


class ChatLeaseRow(SQLModel, table=True):
    """The worker handling a chat's updates until `lease_until` (renewed while it works)."""

    __tablename__ = "inbox_chat_lease"

    # The update's chat id; 0 stands for updates that belong to no chat.
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    owner: int = Field(sa_column=Column(BigInteger, nullable=False))
    lease_until: dt.datetime = Field(sa_type=UTCDateTime)
