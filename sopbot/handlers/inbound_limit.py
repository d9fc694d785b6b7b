"""How much one person may ask of the bot: a token bucket per Telegram user, checked before
every other handler. Over the limit, the person is told once, politely, and what they send
meanwhile is not acted on; the bot's replies stay within Telegram's limits either way."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from sopbot.delivery.flood import TokenBucket
from sopbot.handlers.common import answer, language_of, send_html, services_of

# Handlers run by group number; this one runs before every feature's (group 0).
GROUP = -1


@dataclass(frozen=True, slots=True)
class InboundLimits:
    """Updates one person may send: `burst` at once, then `per_second` (an official at work
    sends far fewer: a reply, a file or a press every few seconds)."""

    burst: float = 30.0
    per_second: float = 1.0


class InboundLimiter:
    """One bucket per person; remembers whom it has told, so each flood gets one message."""

    def __init__(
        self, limits: InboundLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or InboundLimits()
        self.clock = clock
        self._buckets: dict[int, TokenBucket] = {}
        self._told: set[int] = set()

    # People remembered at most; past it, those whose bucket is full again are forgotten (a
    # flood from many accounts must not grow the memory without end).
    MAX_TRACKED = 10_000

    def admit(self, user_id: int) -> bool | None:
        """True: go on. False: over the limit, tell the person. None: over, already told."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.MAX_TRACKED:
                self._forget_rested()
            bucket = TokenBucket(self.limits.per_second, self.limits.burst, clock=self.clock)
            self._buckets[user_id] = bucket
        if bucket.wait_time() == 0:
            bucket.take()
            self._told.discard(user_id)
            return True
        if user_id in self._told:
            return None
        self._told.add(user_id)
        return False

    def _forget_rested(self) -> None:
        for user_id, bucket in list(self._buckets.items()):
            bucket.wait_time()  # brings its tokens up to now
            if bucket.tokens >= bucket.burst:
                del self._buckets[user_id]
                self._told.discard(user_id)

    @property
    def tracked(self) -> int:
        """How many people the limiter remembers now."""
        return len(self._buckets)


LIMITER_KEY = "sopbot.inbound_limiter"


async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update from a person who is over their limit (telling them once)."""
    user = update.effective_user
    if user is None:
        return
    limiter: InboundLimiter = context.application.bot_data[LIMITER_KEY]
    admitted = limiter.admit(user.id)
    if admitted:
        return
    if admitted is False:
        services = services_of(context)
        member = await services.onboarding.database.point_read(
            services.onboarding.member_for, user.id
        )
        text = services.catalog.text(language_of(member, update), "hint.slow_down")
        if update.callback_query is not None:
            await answer(update.callback_query, text, show_alert=True)
        elif update.effective_chat is not None:
            await send_html(None, text, context=context, chat_id=update.effective_chat.id)
    elif update.callback_query is not None:
        await answer(update.callback_query)  # stop the button's spinner, say nothing more
    raise ApplicationHandlerStop


def register(
    application: Application[Any, Any, Any, Any, Any, Any], limits: InboundLimits | None = None
) -> None:
    """Check every update against its sender's limit before any feature sees it."""
    application.bot_data[LIMITER_KEY] = InboundLimiter(limits)
    application.add_handler(TypeHandler(Update, check), group=GROUP)
