"""The Bot API transport: requests go through socket-keeping streams, and an idle connection
the server has closed is noticed before it is used again (a real local HTTP server)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from sopbot.bot.app import HTTP_CONNECTIONS, bot_api_request
from sopbot.bot.http_transport import BotApiTransport, SocketKeepingStream, socket_is_readable


@dataclass
class Server:
    """A minimal HTTP/1.1 server: answers each request with its connection's number, and
    closes a connection after its first answer when `close_after_answer` is set (without
    saying so in the headers, as a server whose keep-alive ran out does)."""

    port: int = 0
    connections: int = 0
    close_after_answer: bool = False
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                body = str(number).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield state


async def test_requests_go_through_socket_keeping_streams_and_reuse_the_connection(
    server: Server,
) -> None:
    async with httpx.AsyncClient(transport=BotApiTransport(max_connections=4)) as client:
        first = await client.get(f"http://127.0.0.1:{server.port}/a")
        second = await client.get(f"http://127.0.0.1:{server.port}/b")
    assert isinstance(first.extensions["network_stream"], SocketKeepingStream)
    assert (first.text, second.text) == ("1", "1")  # kept alive: one connection for both


async def test_an_idle_connection_the_server_closed_is_replaced_not_used(server: Server) -> None:
    server.close_after_answer = True
    async with httpx.AsyncClient(transport=BotApiTransport(max_connections=4)) as client:
        first = await client.get(f"http://127.0.0.1:{server.port}/a")
        await asyncio.sleep(0.05)  # let the close arrive
        second = await client.get(f"http://127.0.0.1:{server.port}/b")
    assert (first.text, second.text) == ("1", "2")


async def test_the_bot_request_uses_the_transport_for_its_whole_pool(server: Server) -> None:
    request = bot_api_request()
    await request.initialize()
    try:
        streams = []

        # More requests at once than the pool holds: they queue for a connection.
        async def one(path: str) -> None:
            status, payload = await request.do_request(
                f"http://127.0.0.1:{server.port}/{path}", "GET"
            )
            assert status == 200
            streams.append(int(payload))

        await asyncio.gather(*(one(str(n)) for n in range(3 * HTTP_CONNECTIONS)))
    finally:
        await request.shutdown()
    assert len(streams) == 3 * HTTP_CONNECTIONS
    assert server.connections <= HTTP_CONNECTIONS


def test_socket_is_readable_tells_idle_from_data_end_of_file_and_closed() -> None:
    assert socket_is_readable(None)
    ours, theirs = socket.socketpair()
    try:
        assert not socket_is_readable(ours)
        theirs.sendall(b"x")
        assert socket_is_readable(ours)
        ours.recv(1)
        assert not socket_is_readable(ours)
        theirs.close()
        assert socket_is_readable(ours)  # end of file
    finally:
        ours.close()
    assert socket_is_readable(ours)  # closed: fileno() is -1


async def test_queued_requests_each_get_their_own_connection_and_all_are_answered(
    server: Server,
) -> None:
    # Every request waits a moment in the server, so that they overlap and queue.
    transport = BotApiTransport(max_connections=3)
    async with httpx.AsyncClient(transport=transport) as client:
        answers = await asyncio.gather(
            *(client.get(f"http://127.0.0.1:{server.port}/{n}") for n in range(20))
        )
        again = await client.get(f"http://127.0.0.1:{server.port}/again")
    assert all(answer.status_code == 200 for answer in answers)
    assert server.connections == 3  # the pool's size, each kept alive and reused
    assert again.text in {"1", "2", "3"}


async def test_a_pool_full_of_another_origins_idle_connections_makes_way(
    server: Server,
) -> None:
    other = Server()
    listener = await asyncio.start_server(other.serve, "127.0.0.1", 0)
    other.port = listener.sockets[0].getsockname()[1]
    transport = BotApiTransport(max_connections=1)
    async with listener, httpx.AsyncClient(transport=transport) as client:
        first = await client.get(f"http://127.0.0.1:{other.port}/a")
        second = await client.get(f"http://127.0.0.1:{server.port}/b")
    assert (first.text, second.text) == ("1", "1")
    assert (other.connections, server.connections) == (1, 1)
