"""A round-robin reverse proxy standing in for the TLS proxy in front of the workers.

Telegram POSTs each update to one public URL; in production a TLS proxy (nginx, Caddy) takes it
and hands it to one of the `sopbot run` workers. This one does the same on 127.0.0.1 without
TLS: each POST goes, body, path and secret header unchanged, to the next worker in turn, and the
worker's status goes back to Telegram (a 200 only once the worker has stored the update). A
worker that cannot be reached is skipped for the next one, as a proxy's passive health check
does; when none can be, Telegram gets a 502 and sends the update again later.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from sopbot.bot.webhook_server import SECRET_HEADER

FORWARD_TIMEOUT = 30.0


@dataclass
class Upstreams:
    """The workers' webhook ports, taken in turn, and what each was given."""

    ports: list[int]
    forwarded: Counter[int] = field(default_factory=Counter)  # port -> 2xx answered
    failed: Counter[int] = field(default_factory=Counter)  # port -> unreachable or 5xx
    _turn: itertools.cycle[int] | None = None

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(range(len(self.ports)))

    def order(self) -> list[int]:
        """The ports to try for the next request: the next in turn first, then the others."""
        assert self._turn is not None
        first = next(self._turn)
        return self.ports[first:] + self.ports[:first]


class _Forward(RequestHandler):
    """POST <any path>: the update, handed to the next worker."""

    def initialize(self, upstreams: Upstreams, client: AsyncHTTPClient) -> None:
        """Keep the workers and the client (tornado calls this for every request)."""
        self.upstreams = upstreams
        self.client = client

    async def post(self, path: str) -> None:
        headers = {"Content-Type": self.request.headers.get("Content-Type", "application/json")}
        secret = self.request.headers.get(SECRET_HEADER)
        if secret is not None:
            headers[SECRET_HEADER] = secret
        for port in self.upstreams.order():
            request = HTTPRequest(
                f"http://127.0.0.1:{port}/{path}",
                method="POST",
                body=self.request.body,
                headers=headers,
                request_timeout=FORWARD_TIMEOUT,
            )
            try:
                response = await self.client.fetch(request, raise_error=False)
            except (OSError, HTTPClientError):
                self.upstreams.failed[port] += 1
                continue
            if response.code == 599:  # tornado's "no answer" (refused, reset, timed out)
                self.upstreams.failed[port] += 1
                continue
            if response.code < 300:
                self.upstreams.forwarded[port] += 1
            else:
                self.upstreams.failed[port] += 1
            self.set_status(response.code)
            return
        self.set_status(502)


def start_proxy(upstreams: Upstreams) -> tuple[HTTPServer, int]:
    """Listen on a free port of 127.0.0.1 (in the running event loop); the server and port."""
    client = AsyncHTTPClient(max_clients=64)
    application = Application(
        [(r"/(.*)", _Forward, {"upstreams": upstreams, "client": client})],
        log_function=lambda handler: None,  # the path is derived from the bot's token
    )
    server = HTTPServer(application)
    sockets = bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    return server, int(sockets[0].getsockname()[1])
