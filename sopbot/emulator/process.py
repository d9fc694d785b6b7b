"""The emulator in a process of its own, as Telegram is: for measurements that a shared event
loop or the GIL would distort (flood limits count arrivals to the millisecond).

    python -m sopbot.emulator.process --users 1000 [--flood]

prints one JSON line {"port", "token", "users": [ids]}, then answers each line on its standard
input with a JSON line: "stats" -> {"flood_refusals", "sent", "send_times", "early_retries"}
(sends to a chat before its 429's retry_after had passed); "load COUNT RATE TEXT" starts the
people writing TEXT to the bot (RATE a second, 0 for all at once); "replies" -> {"written",
"answered", "latencies", "span"} of that load; "polling" -> {"waiting_polls"}.
It stops on "stop" or at the end of its input. `--latency S` adds S seconds to every call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sopbot.emulator.emulator import BotApiEmulator
from sopbot.emulator.state import ApiCall


@dataclass
class _Load:
    """Messages the people wrote to the bot for a load test, and when."""

    started: float
    first_call: int  # the bot's calls before this index came before the load
    written: dict[int, list[float]] = field(default_factory=dict)  # chat -> times
    count: int = 0
    task: asyncio.Task[None] | None = None
    # The bot's answers so far, per chat, and how far the calls were read for them: the
    # benchmark asks many times a second, so each reading looks at new calls only.
    answered: dict[int, list[float]] = field(default_factory=dict)
    read_calls: int = 0


async def _write(emulator: BotApiEmulator, load: _Load, count: int, rate: float, text: str) -> None:
    """`count` messages, from the people in turn, `rate` a second (0: all at once)."""
    users = emulator.users
    for index in range(count):
        if rate > 0:
            delay = load.started + index / rate - emulator.state.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        user = users[index % len(users)]
        load.written.setdefault(user.id, []).append(emulator.state.monotonic())
        user.send_text(text)
        load.count += 1


def _replies(emulator: BotApiEmulator, load: _Load) -> dict[str, Any]:
    """Each written message's time to the bot's answer in its chat (answers taken in order)."""
    calls = emulator.state.calls
    for call in calls[max(load.first_call, load.read_calls) :]:
        if call.method.lower() == "sendmessage" and call.status == 200 and call.at >= load.started:
            load.answered.setdefault(int(str(call.params["chat_id"])), []).append(call.at)
    load.read_calls = len(calls)
    latencies: list[float] = []
    last_answer = load.started
    for chat, written in load.written.items():
        answers = load.answered.get(chat, [])
        for at, answer in zip(written, answers, strict=False):
            latencies.append(answer - at)
            last_answer = max(last_answer, answer)
    firsts = [times[0] for times in load.written.values()]
    return {
        "written": load.count,
        "answered": len(latencies),
        "latencies": latencies,
        "span": last_answer - min(firsts) if firsts else 0.0,
    }


def early_retries(calls: list[ApiCall]) -> int:
    """Sends to a chat that came before the retry_after of a 429 it was given had passed."""
    refused_until: dict[str, float] = {}
    early = 0
    for call in calls:
        chat = str(call.params.get("chat_id"))
        if call.at < refused_until.get(chat, float("-inf")):
            early += 1
        if call.retry_after is not None:
            refused_until[chat] = call.at + call.retry_after
    return early


def _stats(emulator: BotApiEmulator) -> dict[str, Any]:
    calls = emulator.calls_to("sendMessage")
    sends = [c.at for c in calls if c.status == 200]
    return {
        "flood_refusals": emulator.faults.flood_refusals,
        "sent": len(sends),
        "send_times": sends,
        "early_retries": early_retries(calls),
    }


async def _serve(users: int, flood: bool, latency: float) -> None:
    emulator = BotApiEmulator(latency=latency)
    await emulator.start()
    if flood:
        emulator.faults.enable_flood_limits()
    ids = [emulator.add_user(f"P{n}", started=True).id for n in range(users)]
    print(json.dumps({"port": emulator.port, "token": emulator.token, "users": ids}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    load = _Load(emulator.state.monotonic(), len(emulator.state.calls))
    while line := await reader.readline():
        command, _, rest = line.decode().strip().partition(" ")
        if command == "load":
            count, rate, text = rest.split(" ", 2)
            load = _Load(emulator.state.monotonic(), len(emulator.state.calls))
            load.task = asyncio.create_task(_write(emulator, load, int(count), float(rate), text))
            print(json.dumps({"loading": int(count)}), flush=True)
        elif command == "replies":
            print(json.dumps(_replies(emulator, load)), flush=True)
        elif command == "polling":
            print(json.dumps({"waiting_polls": emulator.waiting_polls}), flush=True)
        elif command == "stats":
            print(json.dumps(_stats(emulator)), flush=True)
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
        return await self._ask("stats")

    async def load(self, count: int, rate: float, text: str) -> None:
        """Have the people write `count` messages of `text`, `rate` a second (0: at once)."""
        await self._ask(f"load {count} {rate} {text}")

    async def replies(self) -> dict[str, Any]:
        """Of the last load: written, answered, each answer's latency, and the span."""
        return await self._ask("replies")

    async def waiting_polls(self) -> int:
        """getUpdates long polls held now (a bot is listening)."""
        return int((await self._ask("polling"))["waiting_polls"])

    async def _ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None  # noqa: S101
        assert self.process.stdout is not None  # noqa: S101
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer


@asynccontextmanager
async def emulator_process(
    users: int, *, flood: bool = False, latency: float = 0.0
) -> AsyncIterator[EmulatorProcess]:
    """Start the emulator in a child process; stopped when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sopbot.emulator.process",
        "--users",
        str(users),
        "--latency",
        str(latency),
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
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    args = parser.parse_args()
    asyncio.run(_serve(args.users, args.flood, args.latency))


if __name__ == "__main__":
    main()
