"""The emulator in a process of its own, as Telegram is: for measurements that a shared event
loop or the GIL would distort (flood limits count arrivals to the millisecond).

    python -m sopbot.emulator.process --users 1000 [--flood]

prints one JSON line {"port", "token", "users": [ids]}, then answers each "stats" line on its
standard input with a JSON line {"flood_refusals", "sent", "send_times"}, and stops on "stop" or
at the end of its input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sopbot.emulator.emulator import BotApiEmulator
from sopbot.emulator.faults import FloodLimits


async def _serve(users: int, flood: bool) -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    if flood:
        emulator.faults.enable_flood_limits(FloodLimits())
    ids = [emulator.add_user(f"P{n}", started=True).id for n in range(users)]
    print(json.dumps({"port": emulator.port, "token": emulator.token, "users": ids}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = line.decode().strip()
        if command == "stats":
            sends = [c.at for c in emulator.calls_to("sendMessage") if c.status == 200]
            print(
                json.dumps(
                    {
                        "flood_refusals": emulator.faults.flood_refusals,
                        "sent": len(sends),
                        "send_times": sends,
                    }
                ),
                flush=True,
            )
        elif command == "stop":
            break
    await emulator.stop()


@dataclass
class EmulatorProcess:
    """A running emulator process: where it listens, its people, and its counts on request."""

    process: asyncio.subprocess.Process
    port: int
    token: str
    users: list[int]

    @property
    def base_url(self) -> str:
        """The Bot API base URL for python-telegram-bot."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def stats(self) -> dict[str, Any]:
        """The refusals it gave and the times of the messages it took."""
        assert self.process.stdin is not None  # noqa: S101
        assert self.process.stdout is not None  # noqa: S101
        self.process.stdin.write(b"stats\n")
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer


@asynccontextmanager
async def emulator_process(users: int, *, flood: bool = False) -> AsyncIterator[EmulatorProcess]:
    """Start the emulator in a child process; stopped when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sopbot.emulator.process",
        "--users",
        str(users),
        *(["--flood"] if flood else []),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=64 * 1024 * 1024,
    )
    assert process.stdout is not None  # noqa: S101 - piped
    assert process.stdin is not None  # noqa: S101 - piped
    info = json.loads(await process.stdout.readline())
    try:
        yield EmulatorProcess(
            process, int(info["port"]), str(info["token"]), [int(u) for u in info["users"]]
        )
    finally:
        process.stdin.write(b"stop\n")
        await process.stdin.drain()
        process.stdin.close()
        await process.wait()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--flood", action="store_true")
    args = parser.parse_args()
    asyncio.run(_serve(args.users, args.flood))


if __name__ == "__main__":
    main()
