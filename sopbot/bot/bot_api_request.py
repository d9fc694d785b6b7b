"""How the bot's HTTP requests to the Bot API go out: python-telegram-bot's request interface
(`BaseRequest`) over an aiohttp client session.

PTB's default backend (httpx over httpcore and anyio) cost more CPU per message sent under
load than everything else the bot does for an answer together: a pool lock and a cancel scope
around every request, a walk over every pooled connection before and after it, and HTTP parsed
in Python (bench/findings.md). aiohttp keeps its pool with a counter and parses HTTP in C,
at a fraction of that cost; PTB's request interface is there so that a bot can choose its HTTP
library.

What PTB expects of a backend, kept here: the four timeouts (a request's own, else this
object's), `TimedOut` when one runs out (saying when the request was never sent because no
connection came free), `NetworkError` for anything else that keeps an answer from arriving,
and files sent as multipart/form-data, other parameters as a url-encoded form.
"""

from __future__ import annotations

import asyncio
import urllib.request
from typing import TYPE_CHECKING, Final

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from sopbot.delivery import metrics

if TYPE_CHECKING:
    # The type of PTB's timeout parameters (a float, None, or "not given"); typing only.
    from telegram._utils.types import ODVInput, UploadFileDict

# PTB's own defaults for HTTPXRequest, so that swapping the backend changes no behaviour.
DEFAULT_READ_TIMEOUT: Final = 5.0
DEFAULT_WRITE_TIMEOUT: Final = 5.0
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_MEDIA_WRITE_TIMEOUT: Final = 20.0

POOL_TIMEOUT_MESSAGE: Final = (
    "Pool timeout: all connections in the pool are busy. The request was not sent to Telegram."
)


class AiohttpRequest(BaseRequest):
    """A PTB request backend over one aiohttp session with up to `connections` connections.

    A request waits up to `pool_timeout` seconds for a free connection, then up to
    `connect_timeout` to open one, then up to `write_timeout` (`media_write_timeout` when it
    carries files) plus `read_timeout` for the answer. Each may be overridden per call, as PTB's
    bot methods do (getUpdates passes its long-poll time as the read timeout).
    """

    def __init__(
        self,
        *,
        connections: int,
        pool_timeout: float | None,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        media_write_timeout: float | None = DEFAULT_MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._connections = connections
        self._pool_timeout = pool_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        # Requests in flight, at most one per connection: waiting for a slot here (rather
        # than inside aiohttp's pool) lets a pool timeout say that nothing was sent.
        self._slots = asyncio.Semaphore(connections)

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used where a call does not give its own (PTB reads this)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (it needs the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API sets no cookies worth keeping.
                cookie_jar=aiohttp.DummyCookieJar(),
                # HTTP(S)_PROXY and NO_PROXY from the environment apply, as they did with httpx.
                # aiohttp then looks them up on every request, a large part of what a request
                # costs it (bench/findings.md), so only where some are set.
                trust_env=bool(urllib.request.getproxies()),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; its status code and body, or PTB's TimedOut / NetworkError."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        connect = _given(connect_timeout, self._connect_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        read = _given(read_timeout, self._read_timeout)
        await self._take_slot(_given(pool_timeout, self._pool_timeout))
        # Every Bot API call passes here, whoever makes it: the one place to count them.
        called = metrics.bot_api_method(url)
        try:
            async with session.request(
                method,
                url,
                data=_body(request_data, files),
                # Sending has no timeout of its own in aiohttp, so the whole exchange is
                # also bounded by the connect, write and read times together.
                timeout=aiohttp.ClientTimeout(
                    sock_connect=connect, sock_read=read, total=_sum(connect, _sum(write, read))
                ),
                allow_redirects=False,
            ) as response:
                body = await response.read()
                metrics.bot_api_answered(called, response.status)
                return response.status, body
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors too
            metrics.bot_api_unanswered(called, timed_out=True)
            raise TimedOut from error
        except aiohttp.ClientError as error:
            metrics.bot_api_unanswered(called, timed_out=False)
            # The class name says what went wrong when the message is empty.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
        finally:
            self._slots.release()

    async def _take_slot(self, pool_timeout: float | None) -> None:
        """Wait for one of the `connections` request slots, up to `pool_timeout` seconds."""
        if not self._slots.locked():
            await self._slots.acquire()  # free now: no timer needed
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._slots.acquire()
        except TimeoutError as error:
            raise TimedOut(POOL_TIMEOUT_MESSAGE) from error


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A call's own timeout, or this backend's where the call left it at PTB's default."""
    # PTB's documented way to tell "not given" from an explicit None (no limit).
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


def _sum(first: float | None, second: float | None) -> float | None:
    """Two time limits one after the other; None (no limit) if either has none."""
    if first is None or second is None:
        return None
    return first + second


def _body(
    request_data: RequestData | None, files: UploadFileDict | None
) -> aiohttp.FormData | dict[str, str] | None:
    """The request's parameters: a multipart form when it carries files, else a url-encoded
    form (as PTB's default backend sends them)."""
    if request_data is None:
        return None
    parameters = request_data.json_parameters
    if not files:
        return parameters or None
    # Field values as they are (UTF-8, quotes escaped), as browsers and httpx send file
    # names, rather than percent-encoded: Telegram shows a file name as it arrives.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in files.items():
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form
