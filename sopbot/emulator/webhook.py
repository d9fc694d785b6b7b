"""Delivering updates to the bot's webhook, as Telegram does: POST each, retry until 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import httpx

from sopbot.emulator.state import EmulatorState, JsonDict, WebhookDelivery

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def chat_key(update: JsonDict) -> int | None:
    """The chat an update belongs to (its updates are delivered one at a time, in order)."""
    for key in ("message", "edited_message", "channel_post", "my_chat_member"):
        if isinstance(update.get(key), dict):
            chat = update[key].get("chat") or {}
            return chat.get("id")
    query = update.get("callback_query")
    if isinstance(query, dict):
        return (query.get("from") or {}).get("id")
    return None


class WebhookSender:
    """POSTs pending updates to the webhook while a webhook is set, retrying until a 2xx.

    By default one at a time, in order: that keeps tests deterministic. With `parallel`, as
    Telegram does, up to the webhook's max_connections at once, a chat's updates still one at
    a time and in order (several workers behind a proxy are tested that way).
    """

    def __init__(
        self, state: EmulatorState, retry_delay: float, timeout: float, *, parallel: bool = False
    ) -> None:
        self._state = state
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._parallel = parallel
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # by update id
        self._busy_chats: set[int | None] = set()

    def refresh(self) -> None:
        """Start delivering if a webhook was just set (the loop notices a deleted one itself)."""
        if self._state.webhook is not None and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._deliver())

    async def stop(self) -> None:
        """Stop delivering (the emulator is stopping)."""
        task, self._task = self._task, None
        if task is None:
            return
        # A POST to a webhook that hangs would keep us waiting: give it a moment, then cancel.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), 0.5)
        task.cancel()
        for posting in list(self._in_flight.values()):
            posting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _next_ready(self) -> list[JsonDict]:
        """The pending updates that may go now: not in flight, their chat not busy (nor
        waiting behind an earlier update of its own), within max_connections."""
        webhook = self._state.webhook
        room = (webhook.max_connections if self._parallel and webhook else 1) - len(self._in_flight)
        ready: list[JsonDict] = []
        blocked = set(self._busy_chats)
        for update in self._state.updates.first(len(self._state.updates)):
            if len(ready) >= room:
                break
            chat = chat_key(update)
            if update["update_id"] in self._in_flight or chat in blocked:
                blocked.add(chat)
                continue
            blocked.add(chat)
            ready.append(update)
        return ready

    async def _deliver(self) -> None:
        state = self._state
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=self._timeout, limits=limits) as client:
            while True:
                await state.signal.wait_until(
                    lambda: state.webhook is None or state.stopping or bool(self._next_ready()),
                    None,
                )
                if state.webhook is None or state.stopping:
                    return
                for update in self._next_ready():
                    chat = chat_key(update)
                    self._busy_chats.add(chat)
                    posting = asyncio.create_task(self._post(client, update))
                    self._in_flight[update["update_id"]] = posting
                    posting.add_done_callback(
                        functools.partial(self._done, update["update_id"], chat)
                    )
                if not self._parallel:
                    await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def _done(self, update_id: int, chat: int | None, _: asyncio.Task[None]) -> None:
        self._in_flight.pop(update_id, None)
        self._busy_chats.discard(chat)
        self._state.signal.notify()

    async def _post(self, client: httpx.AsyncClient, update: JsonDict) -> None:
        """POST one update; forget it on a 2xx, else keep it pending and wait a moment."""
        state = self._state
        webhook = state.webhook
        if webhook is None:
            return
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        status: int | None = None
        error: str | None = None
        sent_at = state.monotonic()
        try:
            response = await client.post(webhook.url, json=update, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"Wrong response from the webhook: {status} {response.reason_phrase}"
        except httpx.HTTPError as failure:
            error = f"Connection failed: {type(failure).__name__}"
        state.webhook_deliveries.append(
            WebhookDelivery(
                update["update_id"],
                webhook.url,
                status,
                error,
                sent_at=sent_at,
                answered_at=state.monotonic(),
            )
        )
        if error is None:
            state.updates.forget(update["update_id"])
        else:
            log.info("webhook delivery of update %s: %s", update["update_id"], error)
            webhook.last_error_date = state.now()
            webhook.last_error_message = error
            # Keep the update pending and try again shortly, as Telegram does.
            await asyncio.sleep(self._retry_delay)
