"""The HTTP face of the emulator: tornado handlers for /bot<token>/<method> and file downloads."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

import tornado.web
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerRequest
from tornado.netutil import bind_sockets

from sopbot.emulator.errors import (
    ApiError,
    bad_request,
    not_found,
    too_many_requests,
    unauthorized,
)
from sopbot.emulator.faults import (
    DropConnection,
    Fault,
    FaultInjector,
    Hang,
    ServerError,
    TooManyRequests,
)
from sopbot.emulator.methods import Call, Described, find_method
from sopbot.emulator.params import Params, UploadedFile
from sopbot.emulator.state import ApiCall, EmulatorState
from sopbot.emulator.webhook import WebhookSender

log = logging.getLogger(__name__)

# A bot may upload 50 MB; a little more lets the method refuse bigger files the Telegram way.
MAX_BODY_SIZE = 60 * 1024 * 1024
NO_ANSWER = 0  # the status recorded for calls the emulator left unanswered (hang, drop)


@dataclass(eq=False)
class ApiBackend:
    """What the handlers need: the token, the state, the faults and the webhook sender."""

    token: str
    state: EmulatorState
    faults: FaultInjector
    webhook: WebhookSender
    # Seconds added to every call, half on the way in and half on the way out: the round
    # trip to Telegram's servers (about 50 ms from Indonesia).
    latency: float = 0.0


def read_params(request: HTTPServerRequest) -> Params:
    """The call's parameters from the query string and a JSON, form or multipart body."""
    values: dict[str, object] = {}
    try:
        for name, items in request.query_arguments.items():
            values[name] = items[-1].decode("utf-8")
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            if request.body.strip():
                body = json.loads(request.body)
                if not isinstance(body, dict):
                    raise bad_request("the request body must be a JSON object")
                values.update(body)
        else:
            for name, items in request.body_arguments.items():
                values[name] = items[-1].decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        raise bad_request("can't parse request parameters") from None
    files = {
        name: UploadedFile(name, parts[0].filename, parts[0].body, parts[0].content_type)
        for name, parts in request.files.items()
        if parts
    }
    return Params(values, files)


class _JsonHandler(tornado.web.RequestHandler):
    """Shared by the handlers: JSON answers in Telegram's envelope."""

    backend: ApiBackend

    def initialize(self, backend: ApiBackend) -> None:
        """Keep the backend (tornado calls this for every request)."""
        self.backend = backend

    def answer(self, status: int, body: dict[str, Any]) -> None:
        """Send a JSON answer with this HTTP status."""
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        self.set_status(status, reason)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False))


class NotFoundHandler(_JsonHandler):
    """Any path that is not the Bot API: 404 like Telegram."""

    def prepare(self) -> None:
        """Answer every request method the same way."""
        self.answer(404, not_found().to_json())


class BotApiHandler(_JsonHandler):
    """/bot<token>/<method>: runs the method, or the fault a test asked for."""

    _client_gone = False

    def on_connection_close(self) -> None:
        """The client went away (a timeout, or a cancelled long poll): stop waiting for it."""
        self._client_gone = True
        self.backend.state.signal.notify()

    async def get(self, token: str, method: str) -> None:
        """GET with a query string."""
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        """POST with a JSON, form or multipart body."""
        await self._serve(token, method)

    async def _serve(self, token: str, method_name: str) -> None:
        backend = self.backend
        state = backend.state
        if backend.latency:
            await asyncio.sleep(backend.latency / 2)
        started = state.monotonic()
        method, logged = method_name, {}
        try:
            if token != backend.token:
                raise unauthorized()
            found = find_method(method_name)
            if found is None:
                raise not_found()
            method, function = found
            params = read_params(self.request)
            logged = params.for_log()
            chat = str(logged.get("chat_id", ""))
            fault = backend.faults.take(method, int(chat) if chat.lstrip("-").isdigit() else None)
            if fault is not None:
                state.signal.notify()  # tests may wait for a fault to be under way
            late = fault if isinstance(fault, ServerError) and fault.after_processing else None
            if late is not None:
                fault = None
            if fault is not None and await self._misbehave(fault):
                self._record(ApiCall(method, logged, started, NO_ANSWER, repr(fault)))
                return
            call = Call(
                method=method,
                state=state,
                params=params,
                faults=backend.faults,
                client_gone=lambda: self._client_gone,
                webhook_changed=backend.webhook.refresh,
            )
            result = await function(call)
            if late is not None:
                raise ApiError(late.status, late.description)
            body: dict[str, Any] = {"ok": True}
            if isinstance(result, Described):
                body["result"], body["description"] = result.result, result.description
            else:
                body["result"] = result
            status = 200
        except ApiError as refusal:
            status, body = refusal.error_code, refusal.to_json()
        description = None if status == 200 else body.get("description")
        retry_after = body.get("parameters", {}).get("retry_after")
        self._record(ApiCall(method, logged, started, status, description, retry_after))
        if backend.latency:
            await asyncio.sleep(backend.latency / 2)
        if not self._client_gone:
            self.answer(status, body)

    def _record(self, call: ApiCall) -> None:
        self.backend.state.calls.append(call)
        self.backend.state.signal.notify()  # tests may wait for a call to have happened

    async def _misbehave(self, fault: Fault) -> bool:
        """Act out a fault: raise the refusal, or hang / drop and return True (no answer)."""
        if isinstance(fault, ServerError):
            raise ApiError(fault.status, fault.description)
        if isinstance(fault, Hang):
            state = self.backend.state
            await state.signal.wait_until(lambda: self._client_gone or state.stopping, None)
        elif isinstance(fault, DropConnection):
            pass
        else:
            raise too_many_requests(fault.retry_after)
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.close()
        return True


class FileDownloadHandler(_JsonHandler):
    """/file/bot<token>/<file_path>: the bytes of a file getFile gave a path to."""

    def get(self, token: str, file_path: str) -> None:
        """Send the file's bytes."""
        state = self.backend.state
        started = state.monotonic()
        if token != self.backend.token:
            state.calls.append(ApiCall("file_download", {"file_path": file_path}, started, 401))
            self.answer(401, unauthorized().to_json())
            return
        stored = state.files_by_path.get(file_path)
        if stored is None:
            state.calls.append(ApiCall("file_download", {"file_path": file_path}, started, 404))
            self.answer(404, not_found().to_json())
            return
        # Tests inject faults for downloads under the method name "file_download".
        fault = self.backend.faults.take("file_download")
        if fault is not None:
            self._misbehave(fault, ApiCall("file_download", {"file_path": file_path}, started, 0))
            return
        state.calls.append(ApiCall("file_download", {"file_path": file_path}, started, 200))
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(stored.content)

    def _misbehave(self, fault: Fault, call: ApiCall) -> None:
        """Act out a fault on a download: a 5xx or 429 answer, or (hang, drop) no answer."""
        state = self.backend.state
        if isinstance(fault, ServerError | TooManyRequests):
            refusal = (
                ApiError(fault.status, fault.description)
                if isinstance(fault, ServerError)
                else too_many_requests(fault.retry_after)
            )
            state.calls.append(
                replace(
                    call,
                    status=refusal.error_code,
                    description=refusal.description,
                    retry_after=refusal.retry_after,
                )
            )
            self.answer(refusal.error_code, refusal.to_json())
            return
        # A download that hangs ends like a dropped one here: the client sees no answer.
        state.calls.append(replace(call, status=NO_ANSWER, description=repr(fault)))
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.close()


def _quiet_access_log(handler: tornado.web.RequestHandler) -> None:
    """Log requests at DEBUG and without the path: the path carries the bot token."""
    log.debug(
        "%s %s %.1f ms",
        handler.get_status(),
        handler.request.method,
        1000 * handler.request.request_time(),
    )


def make_server(backend: ApiBackend) -> tuple[HTTPServer, int]:
    """A tornado server for the backend, listening on 127.0.0.1 at a free port."""
    application = tornado.web.Application(
        [
            (r"/file/bot([^/]*)/(.+)", FileDownloadHandler, {"backend": backend}),
            (r"/bot([^/]*)/([^/]+)", BotApiHandler, {"backend": backend}),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args={"backend": backend},
        log_function=_quiet_access_log,
    )
    server = HTTPServer(application, max_body_size=MAX_BODY_SIZE)
    sockets = bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    port = int(sockets[0].getsockname()[1])
    return server, port
