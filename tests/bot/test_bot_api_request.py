"""The bot's Bot API request backend (aiohttp under PTB's request interface): connections kept
and replaced, the pool's size and timeout, PTB's errors, and files, against real local servers
(a bare HTTP/1.1 server, and the Bot API emulator through python-telegram-bot's Bot)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import telegram
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter  # how PTB builds RequestData

from sopbot.bot.app import HTTP_CONNECTIONS, bot_api_request, get_updates_request
from sopbot.bot.bot_api_request import AiohttpRequest
from sopbot.emulator import BotApiEmulator


@dataclass
class Server:
    """A minimal HTTP/1.1 server: answers each request with its connection's number after
    `delay` seconds, and closes a connection after its first answer when `close_after_answer`
    is set (without saying so in the headers, as a server whose keep-alive ran out does)."""

    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    close_after_answer: bool = False
    delay: float = 0.0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests.append(head)
                await asyncio.sleep(self.delay)
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

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield state


@pytest.fixture
async def request_of_four() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connections=4, pool_timeout=5.0)
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


async def test_requests_reuse_their_connection(
    server: Server, request_of_four: AiohttpRequest
) -> None:
    first = await request_of_four.do_request(server.url("a"), "GET")
    second = await request_of_four.do_request(server.url("b"), "GET")
    assert (first, second) == ((200, b"1"), (200, b"1"))  # kept alive: one connection for both


async def test_an_idle_connection_the_server_closed_is_replaced_not_used(
    server: Server, request_of_four: AiohttpRequest
) -> None:
    server.close_after_answer = True
    first = await request_of_four.do_request(server.url("a"), "GET")
    await asyncio.sleep(0.05)  # let the close arrive
    second = await request_of_four.do_request(server.url("b"), "GET")
    assert (first, second) == ((200, b"1"), (200, b"2"))


async def test_more_requests_than_connections_queue_and_are_all_answered(server: Server) -> None:
    server.delay = 0.01  # so that they overlap
    request = bot_api_request()
    await request.initialize()
    try:
        answers = await asyncio.gather(
            *(request.do_request(server.url(str(n)), "GET") for n in range(3 * HTTP_CONNECTIONS))
        )
    finally:
        await request.shutdown()
    assert all(status == 200 for status, _ in answers)
    assert server.connections == HTTP_CONNECTIONS  # the pool's size, each kept and reused


async def test_a_request_that_finds_no_free_connection_in_time_is_not_sent(
    server: Server,
) -> None:
    server.delay = 1.0
    request = AiohttpRequest(connections=1, pool_timeout=0.1)
    await request.initialize()
    try:
        holding = asyncio.create_task(request.do_request(server.url("slow"), "GET"))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="not sent"):
            await request.do_request(server.url("queued"), "GET")
        assert await holding == (200, b"1")
        # The slot came back: the next request goes through.
        server.delay = 0.0
        assert await request.do_request(server.url("after"), "GET") == (200, b"1")
    finally:
        await request.shutdown()
    assert [head.split(b" ")[1] for head in server.requests] == [b"/slow", b"/after"]


async def test_an_answer_slower_than_the_read_timeout_times_out(
    server: Server, request_of_four: AiohttpRequest
) -> None:
    server.delay = 2.0
    with pytest.raises(TimedOut):
        await request_of_four.do_request(
            server.url("slow"), "GET", read_timeout=0.1, write_timeout=0.1, connect_timeout=0.1
        )


async def test_a_refused_connection_is_a_network_error(request_of_four: AiohttpRequest) -> None:
    listener = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()  # nothing listens on `port` now
    with pytest.raises(NetworkError, match="aiohttp"):
        await request_of_four.do_request(f"http://127.0.0.1:{port}/x", "GET")


async def test_a_request_before_initialize_or_after_shutdown_is_refused(server: Server) -> None:
    request = AiohttpRequest(connections=1, pool_timeout=1.0)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(server.url("a"), "GET")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(server.url("a"), "GET")


async def test_parameters_go_as_a_form(server: Server, request_of_four: AiohttpRequest) -> None:
    data = RequestData(
        [RequestParameter("chat_id", 42, []), RequestParameter("text", "Tugas & 1", [])]
    )
    await request_of_four.do_request(server.url("sendMessage"), "POST", request_data=data)
    assert b"Content-Type: application/x-www-form-urlencoded" in server.requests[0]
    assert b"User-Agent: python-telegram-bot" in server.requests[0]


async def test_a_proxy_set_in_the_environment_is_used(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest(connections=1, pool_timeout=1.0)
    await request.initialize()
    try:
        assert await request.do_request("http://api.telegram.invalid/bot/getMe", "GET") == (
            200,
            b"1",
        )
    finally:
        await request.shutdown()
    # A proxy is asked for the whole URL.
    assert server.requests[0].startswith(b"GET http://api.telegram.invalid/bot/getMe HTTP/1.1")


async def test_a_document_upload_and_its_download_through_the_bot(
    emulator: BotApiEmulator,
) -> None:
    siti = emulator.add_user("Siti")
    siti.send_text("/start")
    content = b"%PDF-1.4\n" + bytes(range(256)) * 64
    name = 'Laporan "Triwulan III" – Bappeda.pdf'  # not ASCII, quoted: names as people give them
    bot = telegram.Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=bot_api_request(),
        get_updates_request=get_updates_request(),
    )
    async with bot:
        sent = await bot.send_document(
            siti.id, InputFile(content, filename=name), caption="Draf laporan"
        )
        assert sent.document is not None
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == content
    [seen] = siti.bot_messages()
    assert (seen.document, seen.text) == (name, "Draf laporan")
