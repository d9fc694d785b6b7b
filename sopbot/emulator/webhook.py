"""Delivering updates to the bot's webhook, as Telegram does: POST each, retry until 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from sopbot.emulator.state import EmulatorState, WebhookDelivery

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


class WebhookSender:
    """POSTs pending updates to the webhook one at a time, in order, while a webhook is set.

    One at a time keeps the order (and tests) deterministic; Telegram may use up to
    max_connections in parallel, which a bot must cope with anyway.
    """

    def __init__(self, state: EmulatorState, retry_delay: float, timeout: float) -> None:
        self._state = state
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None

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
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _deliver(self) -> None:
        state = self._state
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            while True:
                await state.signal.wait_until(
                    lambda: state.webhook is None or state.stopping or bool(len(state.updates)),
                    None,
                )
                webhook = state.webhook
                if webhook is None or state.stopping:
                    return
                update = state.updates.first(1)[0]
                headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
                status: int | None = None
                error: str | None = None
                sent_at = state.monotonic()
                try:
                    response = await client.post(webhook.url, json=update, headers=headers)
                    status = response.status_code
                    if not 200 <= status < 300:
                        error = (
                            f"Wrong response from the webhook: {status} {response.reason_phrase}"
                        )
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
                    state.updates.confirm(update["update_id"] + 1)
                else:
                    log.info("webhook delivery of update %s: %s", update["update_id"], error)
                    webhook.last_error_date = state.now()
                    webhook.last_error_message = error
                state.signal.notify()
                if error is not None:
                    # Keep the update pending and try again shortly, as Telegram does.
                    await asyncio.sleep(self._retry_delay)
