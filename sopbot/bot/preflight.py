"""What `sopbot run` checks in its settings before it starts: each problem says what is wrong
and how to fix it, and none of them prints the token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sopbot.bot.settings import Settings
from sopbot.bot.webhook_server import secret_problem

# @BotFather's tokens: the bot's id, a colon, then letters, digits, '_' and '-'.
TOKEN_FORM = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# The values `.env.example` carries: a copy of it must not start a bot.
PLACEHOLDER_TOKEN = "123456789:REPLACE-WITH-YOUR-TOKEN"  # noqa: S105 - a placeholder, refused
PLACEHOLDER_SECRET = "replace-with-a-long-random-secret"  # noqa: S105 - a placeholder, refused
# A path ending in /bot or /bot<token>: PTB adds /bot<token>/<method> to the base itself.
_BOT_PATH = re.compile(r"/bot[^/]*$", re.IGNORECASE)
HOW_TO_GENERATE = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def settings_problems(settings: Settings) -> list[str]:
    """Everything in the settings that keeps `sopbot run` from starting, each with its fix."""
    problems = _token_problems(settings)
    problems += _base_url_problems(settings.telegram_api_base_url)
    if settings.webhook_url:
        problems += _webhook_problems(settings)
    return problems


def _token_problems(settings: Settings) -> list[str]:
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    if not token:
        return [
            "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
            "or in .env (see .env.example). To try sopbot without a token: `sopbot demo`."
        ]
    if token == PLACEHOLDER_TOKEN:
        return [
            "TELEGRAM_BOT_TOKEN is still the placeholder from .env.example: replace it with "
            "your bot's token from @BotFather (/mybots, API Token)."
        ]
    if not TOKEN_FORM.fullmatch(token):
        return [
            "TELEGRAM_BOT_TOKEN does not look like a token from @BotFather (digits, ':', then "
            "letters, digits, '_' and '-'): check for spaces, quotes or a missing part."
        ]
    return []


def _base_url_problems(base_url: str) -> list[str]:
    # The URL is not repeated in a message: a mistaken one may carry the token.
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return [
            "TELEGRAM_API_BASE_URL must be the address of a Bot API server, starting with "
            "https:// (or http:// for a local server), e.g. https://api.telegram.org."
        ]
    if _BOT_PATH.search(parts.path.rstrip("/")):
        return [
            "TELEGRAM_API_BASE_URL must be the Bot API server's address only, e.g. "
            "https://api.telegram.org: remove the '/bot...' at its end (sopbot adds "
            "/bot<token>/<method> itself)."
        ]
    return []


def _webhook_problems(settings: Settings) -> list[str]:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if secret == PLACEHOLDER_SECRET:
        return [
            "WEBHOOK_SECRET is still the placeholder from .env.example: replace it with a "
            f"random secret of your own ({HOW_TO_GENERATE})."
        ]
    problem = secret_problem(secret)
    if problem is not None:
        return [
            "WEBHOOK_SECRET is required with WEBHOOK_URL (Telegram sends it back with each "
            f"update, and updates without it are refused), and this one cannot be used: "
            f"{problem}. Use 32-256 letters, digits, '_' and '-'; {HOW_TO_GENERATE}."
        ]
    return []
