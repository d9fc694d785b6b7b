"""Small reads for the event loop: in process on SQLite, on a worker thread on a server."""

from __future__ import annotations

import asyncio
import threading

from sopbot.storage.database import Database


def test_a_point_read_runs_in_process_on_sqlite_and_in_a_worker_thread_on_a_server(
    database: Database,
) -> None:
    def which_thread(tag: str) -> tuple[str, threading.Thread]:
        with database.reading() as session:
            session.connection()  # a real read transaction, as member lookups run
        return tag, threading.current_thread()

    async def read() -> tuple[str, threading.Thread]:
        return await database.point_read(which_thread, "asked")

    tag, thread = asyncio.run(read())
    assert tag == "asked"
    # A SQLite read takes no lock and costs less than the hop to a thread; a server's read
    # waits on the network and must not hold up the event loop.
    on_loop = thread is threading.current_thread()
    assert on_loop == database.is_sqlite
