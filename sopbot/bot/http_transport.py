"""The HTTP transport the bot talks to the Bot API through: httpx's, with a cheaper idle check.

Before every request and after every response httpcore walks its pool and asks each idle
connection whether the server has closed it (a readable idle socket means it has). httpx's
default network stream answers that by building anyio's whole table of socket attributes,
calling getpeername and getsockname on the way, to find the socket it then polls: under a
burst that walk was about a tenth of the bot's CPU (bench/findings.md). The streams made here
keep their socket from the start and only poll it; reads, writes, TLS and everything else are
the default backend's.
"""

# The methods below implement httpcore's network interface, whose timeouts are parameters.
# ruff: noqa: ASYNC109

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


def socket_is_readable(sock: socket.socket | None) -> bool:
    """True if `sock` has data or an end of file to read now, or is gone (no socket, closed).

    On an idle HTTP/1.1 connection that means the server closed it or broke the protocol:
    either way the connection must not be used again.
    """
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class SocketKeepingStream(httpcore.AsyncNetworkStream):
    """A network stream that remembers its socket, so the idle check only polls it."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        # For a TLS stream this is the TCP socket under it, as httpcore's own check uses.
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketKeepingStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return socket_is_readable(self._socket)
        return self._inner.get_extra_info(info)


class SocketKeepingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's asyncio network backend (anyio), handing out `SocketKeepingStream`s."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return SocketKeepingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return SocketKeepingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class LinearConnectionPool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool with the bookkeeping it does on every request made linear.

    On each request and each response closed, httpcore's pool drops closed and expired
    connections and hands queued requests to connections; for every idle connection it also
    counts all connections again, and for every queued request it lists all available and all
    idle connections. With the bot's 16 connections that quadratic walk was about a tenth of
    its CPU in a burst. This does the same in one pass, and does not hand one idle connection
    to two queued requests (httpcore would then retry the second). It relies on the pool's
    internals, hence the version bound on httpcore in pyproject.toml; the tests in
    tests/bot/test_http_transport.py drive queueing, reuse and server-closed connections.
    """

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        kept: list[httpcore.AsyncConnectionInterface] = []
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.has_expired():
                closing.append(connection)
            else:
                kept.append(connection)
        surplus = len(kept) - self._max_keepalive_connections
        if surplus > 0:
            for connection in [c for c in kept if c.is_idle()][:surplus]:
                kept.remove(connection)
                closing.append(connection)
        self._connections = kept

        taken: set[int] = set()
        for pool_request in self._requests:
            if not pool_request.is_queued():
                continue
            origin = pool_request.request.url.origin
            available = None
            idle = None
            for connection in kept:
                if id(connection) in taken:
                    continue
                if connection.can_handle_request(origin) and connection.is_available():
                    available = connection
                    break
                if idle is None and connection.is_idle():
                    idle = connection
            if available is None:
                if len(kept) < self._max_connections:
                    available = self.create_connection(origin)
                    kept.append(available)
                elif idle is not None:
                    # Full, but an idle connection to another origin can make way.
                    kept.remove(idle)
                    closing.append(idle)
                    available = self.create_connection(origin)
                    kept.append(available)
                else:
                    continue  # waits for a connection to come free
            taken.add(id(available))
            pool_request.assign_to_connection(available)
        return closing


class BotApiTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport, its connection pool built on `SocketKeepingBackend`.

    Give it to the client as `transport` (PTB: `HTTPXRequest(httpx_kwargs=...)`); the client
    then takes its pool size from here, not from its own `limits`. Proxies configured in the
    environment still get httpx's own transports, as they would without this one.
    """

    def __init__(self, *, max_connections: int) -> None:
        limits = httpx.Limits(max_connections=max_connections)
        super().__init__(limits=limits)
        # httpx builds its pool without a way to name the network backend; the pool is the
        # only thing replaced (httpx is pinned below 0.29 by python-telegram-bot, and a test
        # checks that requests go through these streams).
        self._pool = LinearConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=SocketKeepingBackend(),
        )
