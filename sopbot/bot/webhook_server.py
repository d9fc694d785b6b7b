"""Webhook mode: updates arrive by HTTPS POST (through a reverse proxy) and are stored in the
inbox before Telegram gets its 200; the secret token header is compared in constant time.

Telegram resends an update until it gets a 2xx, and keeps resending after a 5xx: a body that is
not an update Telegram could have sent gets a 400 (never stored, never resent), and only a
failure to store a good update gets a 500.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from sopbot.bot.inbox import InboxProcessor, UpdateInbox, chat_of
from sopbot.delivery import metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY_BYTES = 1024 * 1024  # an update is small; anything bigger is not from Telegram
# Telegram accepts 1-256 of these characters as a webhook's secret_token; fewer than 32 can be
# guessed, and an empty one would let anyone post updates (an empty header equals it).
SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{32,256}")
_LARGEST_ID = 2**63 - 1  # update and chat ids are stored as BIGINT


def secret_problem(secret: str) -> str | None:
    """Why a webhook secret cannot be used, or None when it can."""
    if SECRET_FORM.fullmatch(secret):
        return None
    if not secret:
        return "it is empty, which would let anyone post updates to the bot"
    if len(secret) < 32:
        return f"it has {len(secret)} characters; use at least 32"
    if len(secret) > 256:
        return f"it has {len(secret)} characters; Telegram accepts at most 256"
    return "Telegram accepts only the letters A-Z and a-z, digits, '_' and '-' in it"


def require_usable_secret(secret: str) -> None:
    """Raise ValueError, saying why, for a secret that would not keep strangers out."""
    problem = secret_problem(secret)
    if problem is not None:
        raise ValueError(f"the webhook secret cannot be used: {problem}")


@dataclass(frozen=True, slots=True)
class ReceivedUpdate:
    """An update as posted (stored as it is), parsed (handled from memory), and its chat."""

    payload: dict[str, Any]
    update: Update
    chat_id: int | None


def parse_update(body: bytes, bot: Bot | None) -> ReceivedUpdate | None:
    """The update in a request body, or None when it is not one Telegram could have sent."""
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            return None
        update_id = payload.get("update_id")
        if type(update_id) is not int or not 0 <= update_id <= _LARGEST_ID:
            return None
        chat_id = chat_of(payload)
        if chat_id is not None and not -_LARGEST_ID <= chat_id <= _LARGEST_ID:
            return None
        # Parsed as the processor will handle it (from a copy: the payload is stored as sent).
        update = Update.de_json(copy.deepcopy(payload), bot)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        # ValueError covers bad JSON and bad UTF-8; RecursionError, absurdly deep nesting.
        return None
    return ReceivedUpdate(payload, update, chat_id)


class _UpdateHandler(RequestHandler):
    """POST <path>: one update from Telegram."""

    def initialize(self, inbox: UpdateInbox, processor: InboxProcessor, secret: str) -> None:
        """Keep what each request needs (tornado calls this for every request)."""
        self.inbox = inbox
        self.processor = processor
        self.secret = secret.encode("utf-8")

    async def post(self) -> None:
        given = (self.request.headers.get(SECRET_HEADER) or "").encode("utf-8")
        if not hmac.compare_digest(given, self.secret):
            self.set_status(403)
            return
        received = parse_update(self.request.body, self.processor.application.bot)
        if received is None:
            self.set_status(400)
            return
        try:
            stored = await asyncio.to_thread(self.inbox.store, [received.payload])
        except Exception:
            log.exception("could not store an update; Telegram will send it again")
            metrics.error_seen("webhook")
            self.set_status(500)
            return
        metrics.update_received("webhook")
        # Handled here, from memory; a redelivery of a stored update is not handed over again.
        self.processor.hand_over(
            dict.fromkeys(stored.values(), (received.chat_id, received.update))
        )
        self.set_status(200)

    def log_exception(self, *args: Any) -> None:
        log.error("webhook request failed", exc_info=True)


def webhook_server(
    path: str, inbox: UpdateInbox, processor: InboxProcessor, secret: str
) -> HTTPServer:
    """An HTTP server (not listening yet) that takes updates at `/<path>`.

    Refuses (ValueError) a secret that would not keep strangers out (see `secret_problem`).
    """
    require_usable_secret(secret)
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
