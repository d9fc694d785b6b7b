"""Typed command results as the command keys store them: a dataclass to JSON and back.

A command's result is kept with its idempotency key, so that a replayed update gets the answer
the first run got. Results are frozen dataclasses of plain values; the fields typed `UUID`,
`datetime` or an `Enum` are written as text and read back as what they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
import uuid
from functools import cache
from typing import Any, TypeVar

R = TypeVar("R")


def encode(result: object) -> dict[str, Any]:
    """A result (a dataclass instance) as JSON-ready values."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"a command result must be a dataclass, not {type(result).__name__}")
    return {field.name: _plain(getattr(result, field.name)) for field in dataclasses.fields(result)}


def decode(result_type: type[R], stored: typing.Mapping[str, Any]) -> R:
    """The result a command stored, as the dataclass it was."""
    if not dataclasses.is_dataclass(result_type):
        raise TypeError(f"a command result type must be a dataclass, not {result_type!r}")
    hints = _hints(result_type)
    values = {name: _typed(hints[name], stored[name]) for name in hints if name in stored}
    return result_type(**values)


@cache
def _hints(result_type: type[Any]) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(result_type)}
    return {k: v for k, v in typing.get_type_hints(result_type).items() if k in names}


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def _typed(hint: Any, value: object) -> object:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list):
        (item,) = typing.get_args(hint)[:1]
        items = [_typed(item, one) for one in typing.cast(list[object], value)]
        return tuple(items) if origin is tuple else items
    if hint is uuid.UUID:
        return uuid.UUID(str(value))
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(str(value))
    if hint is dt.date:
        return dt.date.fromisoformat(str(value))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return value
