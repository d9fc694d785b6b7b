"""The operations endpoints of `sopbot run`: a small HTTP server (tornado, as the webhook's)
for the orchestrator's probes and for Prometheus.

* `GET /healthz`: 200 "ok" while the event loop turns (an answer at all is the proof);
* `GET /readyz`: 200 when the database answers `SELECT 1`, its schema is at the code's newest
  revision, and the Bot API answers getMe; otherwise 503. Either way a small JSON body names
  each check and, for a failed one, why (never a secret: errors are redacted, and the database
  is named by nothing but the check's name);
* `GET /metrics`: the metrics of `delivery/metrics.py`, in Prometheus's text format.

It listens on `SOPBOT_HEALTH_LISTEN`:`SOPBOT_HEALTH_PORT` (127.0.0.1:9180 by default: keep it
off the public network; 0 switches it off). The port is bound before the bot starts
(`bind_health_port`), so a port in use stops `sopbot run` at once with a message, and it is
served once the Bot API was reached (`health_server`).

The checks are kept cheap under a storm of probes: one database check and one getMe at a time
(callers meanwhile share it), the database check bounded by DATABASE_TIMEOUT, getMe made at
most every BOT_API_EVERY seconds (its answer is reused in between) and bounded by
BOT_API_TIMEOUT. A database that hangs leaves one worker thread waiting, not one per probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from sopbot.delivery import metrics
from sopbot.delivery.redaction import redact
from sopbot.storage.database import Database
from sopbot.storage.migrate import head_revision, reachable_revision

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 3.0  # seconds SELECT 1 and the schema's revision may take
BOT_API_TIMEOUT = 5.0  # seconds getMe may take
BOT_API_EVERY = 30.0  # seconds a getMe's answer stands for
REASON_LENGTH = 200  # characters of an error shown in /readyz

T = TypeVar("T")


def bind_health_port(listen: str, port: int) -> list[socket.socket]:
    """Bind the health server's port on the address `listen` names (its first address, IPv4
    or IPv6; 0: any free port, for tests); OSError when it cannot be had (in use, not an
    address of this host), with nothing left open."""
    family = socket.getaddrinfo(listen, port, type=socket.SOCK_STREAM)[0][0]
    # (tornado's bind_sockets leaves the socket open when the bind fails)
    bound = socket.create_server((listen, port), family=family, backlog=128)
    bound.setblocking(False)  # as tornado serves it
    return [bound]


def bound_port(sockets: list[socket.socket]) -> int:
    """The port the health server's sockets are bound to."""
    return int(sockets[0].getsockname()[1])


class _Shared(Generic[T]):
    """One run of an awaitable at a time: callers that come while it runs wait for the same
    run, and a caller that stops waiting (a timeout) leaves it running for the next."""

    def __init__(self, start: Callable[[], Awaitable[T]]) -> None:
        self._start = start
        self._running: asyncio.Future[T] | None = None

    async def result(self, timeout: float) -> T:  # noqa: ASYNC109 - the check's own bound
        """The running run's result (a new run when none is running), within `timeout`."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._start())
            # Its error is read here or by a waiting caller; never left "never retrieved".
            self._running.add_done_callback(_read_error)
        async with asyncio.timeout(timeout):
            return await asyncio.shield(self._running)


def _read_error(done: asyncio.Future[T]) -> None:
    if not done.cancelled():
        done.exception()


@dataclass(frozen=True, slots=True)
class Readiness:
    """What /readyz found: each check's name, with "ok" or why it failed."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(found == "ok" for found in self.checks.values())

    def as_json(self) -> str:
        """The response body."""
        return json.dumps({"ready": self.ready, "checks": self.checks}, ensure_ascii=False)


class ReadinessChecks:
    """The database, its schema and the Bot API, checked for /readyz."""

    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        database_timeout: float = DATABASE_TIMEOUT,
        bot_api_timeout: float = BOT_API_TIMEOUT,
        bot_api_every: float = BOT_API_EVERY,
    ) -> None:
        self.database = database
        self.bot = bot
        self.database_timeout = database_timeout
        self.bot_api_timeout = bot_api_timeout
        self.bot_api_every = bot_api_every
        self.head = head_revision(database)  # the code's newest: it cannot change while running
        self._revision: _Shared[str | None] = _Shared(
            lambda: asyncio.to_thread(reachable_revision, database)
        )
        self._get_me: _Shared[str] = _Shared(self._ask_get_me)
        self._bot_api: tuple[float, str] | None = None  # when getMe was last answered, and how

    async def check(self) -> Readiness:
        """Every check, at once."""
        (database, schema), bot_api = await asyncio.gather(self.database_state(), self.bot_api())
        return Readiness({"database": database, "schema": schema, "bot_api": bot_api})

    async def database_state(self) -> tuple[str, str]:
        """Whether the database answers, and whether its schema is the code's newest."""
        try:
            current = await self._revision.result(self.database_timeout)
        except TimeoutError:
            return f"no answer within {self.database_timeout:g} s", "not checked"
        except Exception as error:
            return self._reason(error), "not checked"
        if current == self.head:
            return "ok", "ok"
        if current is None:
            return "ok", f"never migrated; the code needs revision {self.head}: sopbot db upgrade"
        return "ok", (
            f"at revision {current}; the code needs {self.head} (sopbot db upgrade, or a newer "
            "sopbot migrated it)"
        )

    async def bot_api(self) -> str:
        """Whether the Bot API answered getMe (asked at most every `bot_api_every` s)."""
        answered = self._bot_api
        if answered is not None and time.monotonic() - answered[0] < self.bot_api_every:
            return answered[1]
        try:
            return await self._get_me.result(self.bot_api_timeout)
        except TimeoutError:
            return f"getMe had no answer within {self.bot_api_timeout:g} s"

    async def _ask_get_me(self) -> str:
        try:
            await self.bot.get_me()
            found = "ok"
        except InvalidToken:
            # PTB's own message names the token.
            found = "getMe: the Bot API rejected the token"
        except TelegramError as error:
            found = f"getMe: {type(error).__name__}: {redact(error.message)[:REASON_LENGTH]}"
        except Exception as error:  # /readyz reports it rather than failing with a 500
            log.warning("getMe for /readyz failed", exc_info=True)
            found = f"getMe: {type(error).__name__}"
        self._bot_api = (time.monotonic(), found)
        return found

    def _reason(self, error: Exception) -> str:
        """An error in one line, without the database's password or the token."""
        text = (str(error).splitlines() or [""])[0]
        password = self.database.url.password
        if password:
            text = text.replace(str(password), "***")
        return f"{type(error).__name__}: {redact(text)[:REASON_LENGTH]}"


class _Alive(RequestHandler):
    """GET /healthz."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write("ok\n")


class _Ready(RequestHandler):
    """GET /readyz."""

    def initialize(self, checks: ReadinessChecks) -> None:
        """Keep the checks (tornado calls this for every request)."""
        self.checks = checks

    async def get(self) -> None:
        found = await self.checks.check()
        self.set_status(200 if found.ready else 503)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(found.as_json())


class _Metrics(RequestHandler):
    """GET /metrics."""

    async def get(self) -> None:
        # In a worker thread: the backlog gauges read the database.
        body = await asyncio.to_thread(metrics.exposition)
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.write(body)


def health_application(checks: ReadinessChecks) -> WebApplication:
    """The three endpoints (tornado's access log off: a probe every few seconds is noise)."""
    return WebApplication(
        [
            ("/healthz", _Alive),
            ("/readyz", _Ready, {"checks": checks}),
            ("/metrics", _Metrics),
        ],
        log_function=lambda handler: None,
    )


@asynccontextmanager
async def health_server(
    sockets: list[socket.socket] | None,
    *,
    database: Database,
    bot: Bot,
    bot_api_every: float = BOT_API_EVERY,
) -> AsyncIterator[None]:
    """Serve /healthz, /readyz and /metrics on `sockets` (from `bind_health_port`) until the
    block ends, with `database`'s backlogs among the metrics; None: no server."""
    if sockets is None:
        yield
        return
    checks = ReadinessChecks(database, bot, bot_api_every=bot_api_every)
    collector = metrics.watch_backlog(database)
    server = HTTPServer(health_application(checks))
    server.add_sockets(sockets)
    log.info("health and metrics served on port %d", bound_port(sockets))
    try:
        yield
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            await server.close_all_connections()
        metrics.stop_watching(collector)
