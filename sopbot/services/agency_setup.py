"""An operator creates an agency in Telegram, one question at a time: its name (typed), its
key (proposed from the name; another may be typed), its time zone and what "hari" means in its
SOPs (buttons), then a summary with "Buat".

The answers so far live in the operator's pending question (`sopbot.services.pending`), so a
restart loses nothing. Each button carries the flow's id, the stage it answers and the choice;
the server checks them against the stored question, so a stale, forged or repeated button is
refused and changes nothing. "Buat" creates the agency and forgets the question in one
transaction, under the press's idempotency key.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sopbot.engine.agency_keys import is_agency_key, key_from_name, unique_key
from sopbot.engine.errors import NotFound
from sopbot.engine.time_zones import INDONESIAN_ZONES
from sopbot.engine.working_calendar import DayRule
from sopbot.services.commands import Clock, CommandKey, CommandRunner, utc_now
from sopbot.services.operators import NAME_LIMIT, create_agency_in, operator_of
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies
from sopbot.storage.pending_questions import forget_question, question_of, replace_payload
from sopbot.storage.unit_of_work import UnitOfWork

AGENCY_QUESTION = "operator_agency"  # the pending question: a new agency, stage by stage
ADMIN_QUESTION = "operator_admin"  # the pending question: the name of an agency's admin
OPERATOR_QUESTIONS = (AGENCY_QUESTION, ADMIN_QUESTION)
USE_KEY = "ok"  # the choice of the key stage's button: the proposed key


class Stage(StrEnum):
    """What the flow asks now."""

    NAME = "name"
    KEY = "key"
    ZONE = "zone"
    DAY = "day"
    CONFIRM = "confirm"


class Problem(StrEnum):
    """Why a typed answer was not taken (the question is asked again)."""

    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    KEY_INVALID = "key_invalid"
    KEY_TAKEN = "key_taken"
    USE_BUTTONS = "use_buttons"


@dataclass(frozen=True, slots=True)
class AgencyDraft:
    """The answers so far, and the stage the flow is at."""

    flow: str
    stage: Stage
    name: str = ""
    key: str = ""
    zone: str = ""  # WIB, WITA or WIT
    day_rule: str = ""  # a DayRule value

    def payload(self) -> dict[str, Any]:
        """The draft as the pending question stores it."""
        return {
            "flow": self.flow,
            "stage": self.stage.value,
            "name": self.name,
            "key": self.key,
            "zone": self.zone,
            "day_rule": self.day_rule,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> AgencyDraft | None:
        """The draft a pending question holds; None for anything else."""
        try:
            stage = Stage(str(payload.get("stage")))
        except ValueError:
            return None
        fields = ("flow", "name", "key", "zone", "day_rule")
        values = {f: payload.get(f, "") for f in fields}
        if not all(isinstance(v, str) for v in values.values()) or not values["flow"]:
            return None
        return cls(stage=stage, **values)

    @property
    def timezone(self) -> str:
        """The IANA zone chosen."""
        return INDONESIAN_ZONES[self.zone]


@dataclass(frozen=True, slots=True)
class DraftStep:
    """The draft after a typed answer, and why the answer was not taken (if it was not)."""

    draft: AgencyDraft
    problem: Problem | None = None


@dataclass(frozen=True, slots=True)
class AgencyMade:
    """The agency the flow created."""

    agency_id: int
    key: str
    name: str
    timezone: str
    day_rule: DayRule


class AgencySetup:
    """The steps of creating an agency from Telegram, each checked on the server."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.database = procedures.database
        self.runner = CommandRunner(procedures.database, clock)
        self.clock = clock

    def begin(self, operator_id: int) -> AgencyDraft:
        """A new flow, asking the agency's name (the caller asks the question)."""
        with self.database.unit_of_work(read_only=True) as uow:
            operator_of(uow, operator_id)
        return AgencyDraft(flow=secrets.token_hex(4), stage=Stage.NAME)

    def typed(self, operator_id: int, payload: dict[str, Any], text: str) -> DraftStep:
        """A typed answer to the flow's question: the name, or a key of the operator's own;
        at a stage that takes a button, the same stage again."""
        draft = AgencyDraft.from_payload(payload)
        if draft is None:
            raise NotFound("not an agency being created", what="agency_draft")
        with self.database.unit_of_work(read_only=True) as uow:
            operator_of(uow, operator_id)
            if draft.stage is Stage.NAME:
                return _named(uow, draft, text)
            if draft.stage is Stage.KEY:
                return _keyed(uow, draft, text.strip().lower())
        return DraftStep(draft, Problem.USE_BUTTONS)

    def chosen(self, operator_id: int, flow: str, stage: str, choice: str) -> AgencyDraft:
        """A button of the flow: the proposed key, a zone, a reading of "hari". Refused
        (`NotFound`, nothing changed) unless it answers the question open now."""
        with self.database.unit_of_work() as uow:
            operator_of(uow, operator_id)
            stored, draft = self._open_draft(uow, operator_id, flow, stage)
            following = _choose(uow, draft, choice)
            replace_payload(uow, operator_id, {**stored, **following.payload()})
        return following

    def current(self, operator_id: int, flow: str) -> AgencyDraft:
        """The flow's draft as stored now (to show its question again)."""
        with self.database.unit_of_work(read_only=True) as uow:
            operator_of(uow, operator_id)
            _, draft = self._open_draft(uow, operator_id, flow, None)
        return draft

    def create(self, key: CommandKey | str | None, operator_id: int, flow: str) -> AgencyMade:
        """ "Buat": the agency, as the summary showed it, audited as the operator's; the
        question is forgotten in the same transaction, so a second press finds nothing."""

        def work(uow: UnitOfWork, now: dt.datetime) -> AgencyMade:
            operator_of(uow, operator_id)
            _, draft = self._open_draft(uow, operator_id, flow, Stage.CONFIRM.value)
            rule = DayRule(draft.day_rule)
            agency_id = create_agency_in(
                uow,
                now,
                key=draft.key,
                name=draft.name,
                timezone=draft.timezone,
                day_rule=rule,
                actor_id=operator_id,
            )
            forget_question(uow, operator_id)
            return AgencyMade(agency_id, draft.key, draft.name, draft.timezone, rule)

        return self.runner.run(key, "operator_create_agency", work, AgencyMade).result

    def _open_draft(
        self, uow: UnitOfWork, operator_id: int, flow: str, stage: str | None
    ) -> tuple[dict[str, Any], AgencyDraft]:
        """The stored question and its draft, if it is this flow at this stage (any stage
        for None) and has not expired; else `NotFound`."""
        question = question_of(uow, operator_id)
        draft = None
        if (
            question is not None
            and question.kind == AGENCY_QUESTION
            and question.expires_at > self.clock()
        ):
            draft = AgencyDraft.from_payload(question.payload)
        if (
            question is None
            or draft is None
            or draft.flow != flow
            or (stage is not None and draft.stage.value != stage)
        ):
            raise NotFound("this question is not open", what="agency_draft", flow=flow)
        return question.payload, draft


def _named(uow: UnitOfWork, draft: AgencyDraft, text: str) -> DraftStep:
    """The typed name; the key it suggests, made unique."""
    name = " ".join(text.split())
    if not name:
        return DraftStep(draft, Problem.NAME_EMPTY)
    if len(name) > NAME_LIMIT:
        return DraftStep(draft, Problem.NAME_TOO_LONG)
    key = unique_key(key_from_name(name), _taken(uow))
    return DraftStep(replace(draft, stage=Stage.KEY, name=name, key=key))


def _keyed(uow: UnitOfWork, draft: AgencyDraft, key: str) -> DraftStep:
    """A key the operator typed instead of the proposed one."""
    if not is_agency_key(key):
        return DraftStep(draft, Problem.KEY_INVALID)
    if agencies.agency_by_key(uow, key) is not None:
        return DraftStep(draft, Problem.KEY_TAKEN)
    return DraftStep(replace(draft, stage=Stage.ZONE, key=key))


def _choose(uow: UnitOfWork, draft: AgencyDraft, choice: str) -> AgencyDraft:
    """The draft after a button's choice at its stage; `NotFound` for a choice the stage does
    not offer."""
    if draft.stage is Stage.KEY and choice == USE_KEY:
        if _taken(uow)(draft.key):  # by another agency meanwhile: another proposal
            return replace(draft, key=unique_key(draft.key, _taken(uow)))
        return replace(draft, stage=Stage.ZONE)
    if draft.stage is Stage.ZONE and choice in INDONESIAN_ZONES:
        return replace(draft, stage=Stage.DAY, zone=choice)
    if draft.stage is Stage.DAY and choice in {rule.value for rule in DayRule}:
        return replace(draft, stage=Stage.CONFIRM, day_rule=choice)
    raise NotFound("not a choice of this question", what="choice", choice=choice)


def _taken(uow: UnitOfWork) -> Callable[[str], bool]:
    """Whether an agency has the key already."""
    return lambda key: agencies.agency_by_key(uow, key) is not None
