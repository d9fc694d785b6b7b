"""A command's typed result survives being stored with its key and read back on replay."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest

from sopbot.engine.instance import InstanceState
from sopbot.services.results import decode, encode


@dataclass(frozen=True, slots=True)
class Everything:
    id: uuid.UUID
    at: dt.datetime
    day: dt.date
    state: InstanceState
    count: int
    note: str | None
    maybe_id: uuid.UUID | None
    ids: tuple[uuid.UUID, ...]
    done: bool


def test_every_kind_of_field_reads_back_as_it_was() -> None:
    result = Everything(
        id=uuid.uuid4(),
        at=dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC),
        day=dt.date(2026, 12, 7),
        state=InstanceState.FINISHED,
        count=3,
        note=None,
        maybe_id=uuid.uuid4(),
        ids=(uuid.uuid4(), uuid.uuid4()),
        done=True,
    )
    stored = json.loads(json.dumps(encode(result)))  # as the command key's JSON column keeps it
    assert decode(Everything, stored) == result


def test_only_dataclasses_are_results() -> None:
    with pytest.raises(TypeError, match="dataclass"):
        encode({"number": 1})
    with pytest.raises(TypeError, match="dataclass"):
        decode(dict, {"number": 1})
