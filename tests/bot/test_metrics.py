"""The Prometheus metrics (`delivery/metrics.py`): each function moves its series in the
exposition that /metrics serves; Bot API calls are counted at the transport against the
emulator; transitions once committed; the backlogs read from a real database, cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import telegram
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlmodel import select
from telegram.error import NetworkError, RetryAfter

from sopbot.bot.app import bot_api_request
from sopbot.bot.transition_metrics import CountTransitions
from sopbot.delivery import metrics
from sopbot.delivery.sender import OutboxSender
from sopbot.emulator import BotApiEmulator, SimulatedUser, TooManyRequests
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.backlog import backlog
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow
from tests.helpers.agencies import next_key, seed_library, staff_agency
from tests.helpers.backlog_rows import a_member, queue_messages, store_updates

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
TOKEN = "7312946508:AAH3kq-Zx9_Lm2Pq8Rs5Tu7Vw0Yb4Cd6Ef1"


def exposed() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition text, read back as Prometheus reads it."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float | None:
    """One sample's value in the exposition, None when it is not there."""
    return exposed().get((name, tuple(sorted(labels.items()))))


def moved(before: float | None, after: float | None) -> float:
    assert after is not None
    return after - (before or 0.0)


# --- each function moves its series -------------------------------------------------------------


def test_received_updates_are_counted_by_source() -> None:
    polling = value("sopbot_updates_received_total", source="polling")
    webhook = value("sopbot_updates_received_total", source="webhook")
    assert polling is not None  # each source's series is there from the start
    assert webhook is not None
    metrics.update_received("polling", 3)
    metrics.update_received("webhook")
    assert moved(polling, value("sopbot_updates_received_total", source="polling")) == 3
    assert moved(webhook, value("sopbot_updates_received_total", source="webhook")) == 1


def test_a_handled_update_is_counted_by_outcome_and_timed() -> None:
    name = "sopbot_update_handling_seconds"
    before = exposed()
    metrics.update_handled(0.007, "handled")
    metrics.update_handled(12.0, "retried")
    after = exposed()

    def delta(sample: str, **labels: str) -> float:
        key = (sample, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert delta("sopbot_updates_handled_total", outcome="handled") == 1
    assert delta("sopbot_updates_handled_total", outcome="retried") == 1
    assert delta("sopbot_updates_handled_total", outcome="failed") == 0
    assert delta(f"{name}_count") == 2
    assert delta(f"{name}_sum") == pytest.approx(12.007)
    assert delta(f"{name}_bucket", le="0.005") == 0
    assert delta(f"{name}_bucket", le="0.01") == 1  # 7 ms
    assert delta(f"{name}_bucket", le="10.0") == 1
    assert delta(f"{name}_bucket", le="30.0") == 2  # and 12 s


def test_transitions_errors_and_reminder_lags_are_counted() -> None:
    before = exposed()
    metrics.transitions_committed(4)
    metrics.error_seen("handler")
    metrics.error_seen("outbox")
    metrics.reminder_ran(42.0)
    metrics.reminder_ran(-1.0)  # a clock that disagrees: on time, not early
    after = exposed()

    def delta(sample: str, **labels: str) -> float:
        key = (sample, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert delta("sopbot_transitions_total") == 4
    assert delta("sopbot_errors_total", where="handler") == 1
    assert delta("sopbot_errors_total", where="outbox") == 1
    assert delta("sopbot_errors_total", where="reminders") == 0
    assert delta("sopbot_reminder_lag_seconds_count") == 2
    assert delta("sopbot_reminder_lag_seconds_bucket", le="0.01") == 1
    assert delta("sopbot_reminder_lag_seconds_bucket", le="15.0") == 1
    assert delta("sopbot_reminder_lag_seconds_bucket", le="60.0") == 2


def test_a_label_outside_its_closed_set_is_refused() -> None:
    with pytest.raises(ValueError, match="source 'email' is not one of webhook, polling"):
        metrics.update_received("email")
    with pytest.raises(ValueError, match="outcome 'ok'"):
        metrics.update_handled(1.0, "ok")
    with pytest.raises(ValueError, match="place 'somewhere'"):
        metrics.error_seen("somewhere")


def test_the_process_itself_is_measured() -> None:
    assert value("process_start_time_seconds") is not None
    assert value("process_resident_memory_bytes") is not None


# --- Bot API calls, at the transport -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (f"https://api.telegram.org/bot{TOKEN}/sendMessage", "sendMessage"),
        (f"http://127.0.0.1:8081/bot{TOKEN}/getUpdates", "getUpdates"),
        (f"https://api.telegram.org/file/bot{TOKEN}/documents/file_3.pdf", "file"),
        (f"https://api.telegram.org/file/bot{TOKEN}/photos", "file"),
        (f"https://api.telegram.org/bot{TOKEN}/", "other"),
        (f"https://api.telegram.org/bot{TOKEN}", "other"),  # never a piece of the token
    ],
)
def test_a_calls_method_is_named_from_its_url_without_the_token(url: str, method: str) -> None:
    assert metrics.bot_api_method(url) == method


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """A Bot with the bot's own request backend (where calls are counted)."""
    connected = telegram.Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        request=bot_api_request(),
    )
    async with connected:
        yield connected


async def test_calls_messages_and_429s_are_counted_where_every_call_passes(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    budi: SimulatedUser = emulator.add_user("Budi", started=True)
    before = exposed()
    emulator.faults.fail_next("sendMessage", TooManyRequests(retry_after=1))
    with pytest.raises(RetryAfter):
        await bot.send_message(budi.id, "halo")
    await bot.send_message(budi.id, "halo")
    await bot.get_me()
    after = exposed()

    def delta(sample: str, **labels: str) -> float:
        key = (sample, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert delta("sopbot_telegram_429_total", method="sendMessage") == 1
    assert delta("sopbot_messages_sent_total", method="sendMessage") == 1
    assert delta("sopbot_bot_api_calls_total", method="sendMessage", result="429") == 1
    assert delta("sopbot_bot_api_calls_total", method="sendMessage", result="ok") == 1
    assert delta("sopbot_bot_api_calls_total", method="getMe", result="ok") == 1
    assert delta("sopbot_messages_sent_total", method="sendDocument") == 0


async def test_a_call_without_an_answer_is_counted_as_such(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    before = value("sopbot_bot_api_calls_total", method="getMe", result="network_error")
    await emulator.stop()
    with pytest.raises(NetworkError):
        await bot.get_me()
    after = value("sopbot_bot_api_calls_total", method="getMe", result="network_error")
    assert moved(before, after) == 1


# --- transitions, once committed ---------------------------------------------------------------


def audit_rows(database: Database) -> int:
    with database.reading() as session:
        return int(session.exec(select(func.count()).select_from(AuditRow)).one())


def test_transitions_are_counted_once_committed_and_a_replay_counts_none(
    database: Database,
) -> None:
    procedures = ProcedureService(database, LIBRARY)
    procedures.reminders = CountTransitions()
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    key = next_key()

    def start() -> None:
        procedures.start(
            key,
            agency_id=agency.agency_id,
            sop_id=PENGOLAHAN.id,
            title="Triwulan III",
            starter_id=agency.person("kepala_dinas"),
        )

    counted, audited = value("sopbot_transitions_total"), audit_rows(database)
    start()
    # One audit row per transition, written in the same transaction.
    assert moved(counted, value("sopbot_transitions_total")) == audit_rows(database) - audited > 0
    counted = value("sopbot_transitions_total")
    start()  # the same command again (Telegram redelivered it): nothing changes
    assert value("sopbot_transitions_total") == counted


# --- the backlogs, read from the database ------------------------------------------------------

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def watched(database: Database) -> Iterator[metrics.BacklogCollector]:
    """The database's backlogs among the metrics, read afresh at every scrape."""
    collector = metrics.BacklogCollector(database, cache_seconds=0, clock=lambda: NOW)
    metrics.REGISTRY.register(collector)
    try:
        yield collector
    finally:
        metrics.REGISTRY.unregister(collector)


def test_the_backlogs_and_their_oldest_ages_are_exposed(
    database: Database, watched: metrics.BacklogCollector
) -> None:
    assert value("sopbot_outbox_backlog") == 0
    assert value("sopbot_outbox_oldest_unsent_age_seconds") == 0
    member = a_member(database, NOW)
    queue_messages(database, member, (NOW - dt.timedelta(minutes=5), "pending"), (NOW, "pending"))
    store_updates(database, (NOW - dt.timedelta(seconds=30), False))
    assert value("sopbot_outbox_backlog") == 2
    assert value("sopbot_outbox_oldest_unsent_age_seconds") == 300
    assert value("sopbot_inbox_backlog") == 1
    assert value("sopbot_inbox_oldest_unhandled_age_seconds") == 30


def test_a_scrape_storm_reads_the_database_once_per_period(database: Database) -> None:
    collector = metrics.BacklogCollector(database, cache_seconds=3600, clock=lambda: NOW)
    metrics.REGISTRY.register(collector)
    try:
        assert value("sopbot_outbox_backlog") == 0
        queue_messages(database, a_member(database, NOW), (NOW, "pending"))
        statements: list[str] = []
        database.observe_statements(lambda sql, parameters, many: statements.append(sql))
        assert value("sopbot_outbox_backlog") == 0  # the read of the first scrape, kept
        assert statements == []
    finally:
        metrics.REGISTRY.unregister(collector)


def test_a_backlog_that_cannot_be_read_shows_no_value_and_is_counted(tmp_path: Path) -> None:
    # A database whose tables were never made: the read fails.
    database = Database(f"sqlite:///{tmp_path}/empty.db")
    errors = value("sopbot_errors_total", where="backlog")
    collector = metrics.watch_backlog(database)
    try:
        assert value("sopbot_outbox_backlog") is None
        assert moved(errors, value("sopbot_errors_total", where="backlog")) == 1
    finally:
        metrics.stop_watching(collector)
        database.dispose()


async def test_a_message_that_fails_for_good_is_counted_as_an_outbox_error(
    database: Database, bot: telegram.Bot
) -> None:
    # The member's Telegram account is no chat the Bot API knows: Telegram refuses the send.
    queue_messages(database, a_member(database, NOW), (NOW, "pending"))
    sender = OutboxSender(database, bot)
    errors = value("sopbot_errors_total", where="outbox")
    try:
        assert await sender.deliver_pending() == 1
    finally:
        sender.stop()
    assert moved(errors, value("sopbot_errors_total", where="outbox")) == 1
    assert backlog(database).outbox_unsent == 0  # failed, not waiting
