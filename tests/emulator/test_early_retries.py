"""The emulator process counts sends that did not wait out a 429's retry_after."""

from __future__ import annotations

from sopbot.emulator.process import early_retries
from sopbot.emulator.state import ApiCall


def _send(chat: int, at: float, refused_for: int | None = None) -> ApiCall:
    if refused_for is None:
        return ApiCall("sendMessage", {"chat_id": chat}, at, 200)
    description = f"Too Many Requests: retry after {refused_for}"
    return ApiCall("sendMessage", {"chat_id": chat}, at, 429, description, refused_for)


def test_a_retry_after_the_wait_is_not_early() -> None:
    assert early_retries([_send(1, 10.0, refused_for=2), _send(1, 12.0)]) == 0


def test_a_retry_before_the_wait_is_counted() -> None:
    assert early_retries([_send(1, 10.0, refused_for=2), _send(1, 11.9)]) == 1


def test_the_wait_holds_for_the_refused_chat_only() -> None:
    calls = [_send(1, 10.0, refused_for=3), _send(2, 10.5), _send(1, 11.0), _send(1, 13.5)]
    assert early_retries(calls) == 1
