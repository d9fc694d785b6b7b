"""The bot's Prometheus metrics: what `sopbot run` serves on /metrics (bot/health_server.py).

They live in a registry of sopbot's own (`REGISTRY`), not prometheus-client's global one, so
tests read exactly these and nothing a library registered. Each metric is changed through a
function named for what happened (`update_received`, `update_handled`...), called where it
happens; label values come from closed sets, so a typo raises instead of making a new series.

What is counted where:

* updates: the inbox (`update_received` where an update is stored, `update_handled` when the
  processor is done with one);
* transitions: once their command's transaction commits (bot/transition_metrics.py);
* Bot API calls, every 429 and the messages sent: at the HTTP transport, the one place every
  call passes (bot/bot_api_request.py), whoever made it (outbox, replies, toasts, polling);
* errors: the last-resort handler, the outbox sender, the reminders, the webhook;
* the backlogs: read from the database when scraped (`BacklogCollector`), a few seconds cached.

Nothing here carries a secret: labels are method names and fixed words, never a URL.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from sopbot.storage.backlog import Backlog, backlog
from sopbot.storage.database import Database

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
"""Every sopbot metric, and the process's own (CPU, memory, open files, start time)."""
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The Content-Type of `exposition()`'s text."""

UPDATE_SOURCES = ("webhook", "polling")
UPDATE_OUTCOMES = ("handled", "failed", "retried")
# Where an error was met: the last-resort handler, the outbox sender (a message failed for
# good, or a delivery round broke), the reminders (a batch of alerts or a digest), the webhook
# (an update could not be stored), the inbox processor, and the backlog read of a scrape.
ERROR_PLACES = ("handler", "outbox", "reminders", "webhook", "inbox", "backlog")
# Bot API methods whose success puts a new message in a chat.
MESSAGE_METHODS = ("sendMessage", "sendDocument", "sendPhoto")
# How a Bot API call ended: answered 2xx, 429, another 4xx, 5xx; or no answer at all.
CALL_RESULTS = ("ok", "429", "refused", "server_error", "timeout", "network_error")

# Handling one update: a /tugas answer takes milliseconds, an upload or a rendered report
# seconds; past 30 s something is wrong.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A reminder job against its planned time: on time is well under a second; minutes or hours
# mean the event loop stalled, or the bot was down and caught up after a restart.
REMINDER_LAG_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400)

BACKLOG_CACHE_SECONDS = 5.0

_METHOD_NAME = re.compile(r"[A-Za-z]{1,64}")

_updates_received = Counter(
    "sopbot_updates_received",
    "Updates from Telegram given to the inbox (a redelivery of a stored one too), by how "
    "they came.",
    ["source"],
    registry=REGISTRY,
)
_updates_handled = Counter(
    "sopbot_updates_handled",
    "Updates the inbox processor finished with: handled, failed for good, or to be retried.",
    ["outcome"],
    registry=REGISTRY,
)
_update_handling = Histogram(
    "sopbot_update_handling_seconds",
    "Time to handle one stored update, from the processor taking it to its outcome.",
    buckets=HANDLING_BUCKETS,
    registry=REGISTRY,
)
_transitions = Counter(
    "sopbot_transitions",
    "State changes of procedures, steps and dispositions, counted once committed.",
    registry=REGISTRY,
)
_bot_api_calls = Counter(
    "sopbot_bot_api_calls",
    "Calls to the Bot API (every caller: outbox, replies, toasts, polling), by method and "
    "how they ended.",
    ["method", "result"],
    registry=REGISTRY,
)
_messages_sent = Counter(
    "sopbot_messages_sent",
    "Messages Telegram accepted (outbox deliveries and direct replies), by method.",
    ["method"],
    registry=REGISTRY,
)
_telegram_429 = Counter(
    "sopbot_telegram_429",
    "429 Too Many Requests answers from the Bot API, by method.",
    ["method"],
    registry=REGISTRY,
)
_errors = Counter(
    "sopbot_errors",
    "Errors met, by where: a handler's bug, a message failed for good, a broken job.",
    ["where"],
    registry=REGISTRY,
)
_reminder_lag = Histogram(
    "sopbot_reminder_lag_seconds",
    "How late a reminder job ran against the time it was planned for.",
    buckets=REMINDER_LAG_BUCKETS,
    registry=REGISTRY,
)

# Every series of a closed set exists from the start, at 0: a rate over a series that
# appears only with its first event misses that event.
for _source in UPDATE_SOURCES:
    _updates_received.labels(_source)
for _outcome in UPDATE_OUTCOMES:
    _updates_handled.labels(_outcome)
for _place in ERROR_PLACES:
    _errors.labels(_place)
for _method in MESSAGE_METHODS:
    _messages_sent.labels(_method)
    _telegram_429.labels(_method)


def _checked(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


def update_received(source: str, count: int = 1) -> None:
    """`count` updates from Telegram were stored; `source` is "webhook" or "polling"."""
    _updates_received.labels(_checked(source, UPDATE_SOURCES, "source")).inc(count)


def update_handled(seconds: float, outcome: str) -> None:
    """The processor finished with one update after `seconds`: "handled" (its effects and
    mark are committed), "failed" (for good: the person was told) or "retried" (passing
    trouble: it will be handled again)."""
    _updates_handled.labels(_checked(outcome, UPDATE_OUTCOMES, "outcome")).inc()
    _update_handling.observe(max(0.0, seconds))


def transitions_committed(count: int) -> None:
    """A command's transaction committed `count` state changes."""
    _transitions.inc(count)


def bot_api_method(url: str) -> str:
    """The Bot API method a request URL calls (`.../bot<token>/sendMessage`), "file" for a
    file download, "other" for anything else: never a part of the URL that may hold the
    token."""
    if "/file/bot" in url:
        return "file"
    method = url.rsplit("/", 1)[-1]
    return method if _METHOD_NAME.fullmatch(method) else "other"


def bot_api_answered(method: str, status: int) -> None:
    """The Bot API answered a call of `method` with HTTP `status`."""
    if 200 <= status < 300:  # HTTP success
        result = "ok"
        if method in MESSAGE_METHODS:
            _messages_sent.labels(method).inc()
    elif status == 429:  # Too Many Requests
        result = "429"
        _telegram_429.labels(method).inc()
    elif status >= 500:  # the server's own trouble
        result = "server_error"
    else:
        result = "refused"
    _bot_api_calls.labels(method, result).inc()


def bot_api_unanswered(method: str, *, timed_out: bool) -> None:
    """A call of `method` got no answer: it timed out, or the connection failed."""
    _bot_api_calls.labels(method, "timeout" if timed_out else "network_error").inc()


def error_seen(where: str) -> None:
    """An error was met at `where` (one of ERROR_PLACES)."""
    _errors.labels(_checked(where, ERROR_PLACES, "place")).inc()


def reminder_ran(lag_seconds: float) -> None:
    """A reminder job ran `lag_seconds` after the time it was planned for."""
    _reminder_lag.observe(max(0.0, lag_seconds))


def exposition() -> bytes:
    """Every metric in Prometheus's text format (reads the database for the backlogs: call it
    from a worker thread)."""
    return generate_latest(REGISTRY)


class BacklogCollector(Collector):
    """The outbox and inbox backlogs as gauges, read from the database when scraped.

    A read is kept for `cache_seconds`, so a storm of scrapes reads the database once; while
    one read runs, other scrapes are given the last one rather than queueing behind it (or
    nothing, before the first read). A failed read shows no backlog series (an absent series
    is what an alert on it should catch), is logged and counted.
    """

    def __init__(
        self,
        database: Database,
        *,
        cache_seconds: float = BACKLOG_CACHE_SECONDS,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.database = database
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._reading = threading.Lock()
        self._last: tuple[float, Backlog] | None = None

    def describe(self) -> Iterator[Metric]:
        """The gauges' names, without reading the database (called when registered)."""
        yield from _backlog_families(None, None)

    def collect(self) -> Iterator[Metric]:
        """The backlog gauges, from a read at most `cache_seconds` old."""
        yield from _backlog_families(self._current(), self.clock())

    def _current(self) -> Backlog | None:
        last = self._last
        if last is not None and time.monotonic() - last[0] < self.cache_seconds:
            return last[1]
        if not self._reading.acquire(blocking=False):
            return last[1] if last is not None else None
        try:
            read = backlog(self.database)
        except Exception:
            log.warning("the backlog metrics could not be read", exc_info=True)
            error_seen("backlog")
            self._last = None
            return None
        finally:
            self._reading.release()
        self._last = (time.monotonic(), read)
        return read


def _backlog_families(found: Backlog | None, now: dt.datetime | None) -> Iterator[Metric]:
    """The four backlog gauges; with nothing found, their descriptions only (no samples)."""
    families = (
        GaugeMetricFamily(
            "sopbot_outbox_backlog", "Outbox messages not yet delivered (pending or sending)."
        ),
        GaugeMetricFamily(
            "sopbot_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox message not yet delivered (0 when none waits).",
        ),
        GaugeMetricFamily("sopbot_inbox_backlog", "Stored updates not yet handled."),
        GaugeMetricFamily(
            "sopbot_inbox_oldest_unhandled_age_seconds",
            "Age of the oldest stored update not yet handled (0 when none waits).",
        ),
    )
    if found is not None and now is not None:
        values = (
            found.outbox_unsent,
            _age(found.oldest_unsent_at, now),
            found.inbox_unprocessed,
            _age(found.oldest_unprocessed_at, now),
        )
        for family, value in zip(families, values, strict=True):
            family.add_metric([], float(value))
    yield from families


def _age(since: dt.datetime | None, now: dt.datetime) -> float:
    """Seconds from `since` to `now`; 0 when nothing waits (or the clocks disagree)."""
    if since is None:
        return 0.0
    return max(0.0, (now - since).total_seconds())


def watch_backlog(database: Database) -> BacklogCollector:
    """Serve the backlogs of `database` with the metrics, until `stop_watching`."""
    collector = BacklogCollector(database)
    REGISTRY.register(collector)
    return collector


def stop_watching(collector: BacklogCollector) -> None:
    """Stop serving a database's backlogs."""
    REGISTRY.unregister(collector)
