"""The notices of a change, put in the outbox: facts loaded, messages rendered, rows written.

`NoticeWriter` is the procedure service's change observer: for each change it reads the facts
the notices show (`storage.notice_facts`), has the notifier render the messages
(`messaging.notices`, pure), and writes them with the outbox's one writer (`storage.outbox`),
all in the change's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sopbot.engine.instance import Disposition, Transition
from sopbot.messaging.notices import Notifier, tells_of
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.notice_facts import load_notice_facts, load_resend_facts
from sopbot.storage.outbox import add_messages
from sopbot.storage.unit_of_work import UnitOfWork


class NoticeWriter:
    """Writes the outbox rows of each change (nothing is sent here): load, render, write."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def on_change(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Queue the messages the transitions call for; a change with nothing to tell reads
        nothing."""
        told = [transition for transition in transitions if tells_of(transition)]
        if not told:
            return
        facts = load_notice_facts(uow, loaded, told)
        add_messages(uow, self.notifier.render(facts, told, now))

    def resend(
        self, uow: UnitOfWork, loaded: LoadedInstance, disposition: Disposition, now: dt.datetime
    ) -> None:
        """Send a live disposition again, as new (its holder has just joined, or asked)."""
        facts = load_resend_facts(uow, loaded, disposition)
        add_messages(uow, self.notifier.render_resend(facts, disposition, now))
