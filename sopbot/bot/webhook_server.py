"""Webhook mode: updates arrive by HTTPS POST (through a reverse proxy) and are stored in the
inbox before Telegram gets its 200; the secret token header is compared in constant time."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from sopbot.bot.inbox import InboxProcessor, UpdateInbox

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY_BYTES = 1024 * 1024  # an update is small; anything bigger is not from Telegram


class _UpdateHandler(RequestHandler):
    """POST <path>: one update from Telegram."""

    def initialize(self, inbox: UpdateInbox, processor: InboxProcessor, secret: str) -> None:
        self.inbox = inbox
        self.processor = processor
        self.secret = secret.encode("utf-8")

    async def post(self) -> None:
        given = (self.request.headers.get(SECRET_HEADER) or "").encode("utf-8")
        if not hmac.compare_digest(given, self.secret):
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body)
            if not isinstance(payload, dict) or "update_id" not in payload:
                raise ValueError("not an update")
        except ValueError:
            self.set_status(400)
            return
        try:
            await asyncio.to_thread(self.inbox.store, [payload])
        except Exception:
            log.exception("could not store an update; Telegram will send it again")
            self.set_status(500)
            return
        self.processor.wake()
        self.set_status(200)

    def log_exception(self, *args: Any) -> None:
        log.error("webhook request failed", exc_info=True)


def webhook_server(
    path: str, inbox: UpdateInbox, processor: InboxProcessor, secret: str
) -> HTTPServer:
    """An HTTP server (not listening yet) that takes updates at `/<path>`."""
    application = WebApplication(
        [
            (
                f"/{path.strip('/')}",
                _UpdateHandler,
                {"inbox": inbox, "processor": processor, "secret": secret},
            )
        ],
        log_function=lambda handler: None,  # tornado's access log would show the path
    )
    return HTTPServer(application, max_body_size=MAX_BODY_BYTES)
