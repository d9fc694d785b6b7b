"""Counting committed transitions for the metrics, as a change hook of the procedure service.

The service tells its hooks of every saved change inside the command's transaction; services
may not import the metrics (the layers), so the composition root hands the service this hook
beside the reminders' one (`ChangeHooks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from sopbot.delivery import metrics
from sopbot.engine.instance import Transition
from sopbot.services.procedures import ChangeHook
from sopbot.storage.instance_store import LoadedInstance
from sopbot.storage.unit_of_work import UnitOfWork


class CountTransitions:
    """Counts a change's transitions once its transaction commits (a command retried after
    a conflict counts once, a rolled-back one not at all)."""

    def on_change(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Count this change's transitions when it commits."""
        count = len(tuple(transitions))
        if count:
            uow.after_commit(partial(metrics.transitions_committed, count))


class ChangeHooks:
    """Several change hooks told in turn, in the order given."""

    def __init__(self, *hooks: ChangeHook) -> None:
        self.hooks = hooks

    def on_change(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        transitions: Iterable[Transition],
        now: dt.datetime,
    ) -> None:
        """Tell every hook of this change."""
        told = tuple(transitions)  # each hook reads them all
        for hook in self.hooks:
            hook.on_change(uow, loaded, told, now)
