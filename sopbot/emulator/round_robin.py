"""A round-robin reverse proxy, standing in for the TLS-terminating proxy in front of several
webhook workers (nginx or Caddy in production: deploy/).

Each POST goes to the next worker in turn, with its path, body and Telegram's secret header;
the worker's status comes back. A worker that cannot be reached (stopped, killed) is skipped
for the next one, as nginx's `proxy_next_upstream error` does; when none answers, 502, and
Telegram (the emulator) sends the update again later.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import httpx
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from sopbot.emulator.webhook import SECRET_HEADER


class RoundRobinProxy:
    """Spreads webhook posts over `upstreams` (base URLs such as http://127.0.0.1:8443)."""

    def __init__(self, upstreams: list[str], *, timeout: float = 30.0) -> None:
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.timeout = timeout
        self.forwarded: Counter[str] = Counter()  # posts each upstream answered
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._client: httpx.AsyncClient | None = None
        self._server: HTTPServer | None = None
        self.port: int | None = None

    async def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 (a free port when 0); the port."""
        self._client = httpx.AsyncClient(
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )
        application = Application([(r"/.*", _Forward, {"proxy": self})])
        self._server = HTTPServer(application)
        sockets = bind_sockets(port, address="127.0.0.1")
        self._server.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and close the connections to the workers."""
        if self._server is not None:
            self._server.stop()
        if self._client is not None:
            await self._client.aclose()

    async def forward(self, path: str, body: bytes, secret: str | None) -> int:
        """Send one post to the next worker that answers; its status (502 when none does)."""
        assert self._client is not None  # noqa: S101 - started
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        # Each worker twice at most: a kept-alive connection the worker closed fails once.
        for _ in range(2 * len(self.upstreams)):
            upstream = self.upstreams[next(self._turn)]
            try:
                response = await self._client.post(upstream + path, content=body, headers=headers)
            except httpx.TransportError:
                continue  # that worker is down (or dropped the connection): the next one
            self.forwarded[upstream] += 1
            return response.status_code
        return 502


class _Forward(RequestHandler):
    def initialize(self, proxy: RoundRobinProxy) -> None:
        """Keep the proxy (tornado calls this for every request)."""
        self.proxy = proxy

    async def post(self, *_: Any) -> None:
        status = await self.proxy.forward(
            self.request.path, self.request.body, self.request.headers.get(SECRET_HEADER)
        )
        self.set_status(status)

    def log_exception(self, *args: Any) -> None:
        """Quiet: a failed forward is answered with its status."""
