"""The refusals of the Bot API, shaped as Telegram sends them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API refusal: the HTTP status, Telegram's description and optional parameters."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram sends for this refusal."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: ..." prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """A 403 with Telegram's "Forbidden: ..." prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> ApiError:
    """A 409 with Telegram's "Conflict: ..." prefix."""
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 telling the bot how many seconds to wait."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def unauthorized() -> ApiError:
    """The 401 Telegram gives for a token it does not know."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """The 404 Telegram gives for an unknown method or path."""
    return ApiError(404, "Not Found")


NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
OTHER_POLLER = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
