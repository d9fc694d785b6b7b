"""An engine dataclass stored in a table field by field: each field with a column of the same
name is that column, an enum stored as its value.

Loading and saving an instance's step runs and dispositions go through this, so a column added
to both the model and the engine's dataclass is read and written without a hand-kept list.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

E = TypeVar("E")
_Convert = Callable[[Any], Any] | None


class EntityColumns(Generic[E]):
    """The mapping between one engine dataclass and its table's columns."""

    def __init__(self, entity_type: type[E], table: Table, *, key: str = "id") -> None:
        if not dataclasses.is_dataclass(entity_type):
            raise TypeError(f"{entity_type!r} is not a dataclass")
        hints = typing.get_type_hints(entity_type)
        columns = set(table.columns.keys())
        self.entity_type = entity_type
        self.fields = tuple(f.name for f in dataclasses.fields(entity_type) if f.name in columns)
        self.changeable = tuple(name for name in self.fields if name != key)
        """The columns written again when a stored entity changes: all but its key."""
        enums = {name: _enum_of(hints[name]) for name in self.fields}
        # (field, the enum it is read as, or None): built once, walked for every row.
        self._reading = tuple((name, enums[name]) for name in self.fields)
        self._enum_fields = frozenset(name for name, kind in enums.items() if kind is not None)

    def values(self, entity: E, **extra: Any) -> dict[str, Any]:
        """The entity's columns (and `extra` ones the entity does not hold, e.g. its parent)."""
        values = {name: getattr(entity, name) for name in self.fields}
        for name in self._enum_fields:
            value = values[name]
            if value is not None:
                values[name] = value.value
        values.update(extra)
        return values

    def entity(self, row: Any, **extra: Any) -> E:
        """The entity a row holds (and `extra` fields that come from elsewhere)."""
        values = {}
        for name, kind in self._reading:
            value = getattr(row, name)
            values[name] = value if kind is None or value is None else kind(value)
        return self.entity_type(**values, **extra)


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    """The enum a field holds (also when optional), or None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = options[0] if len(options) == 1 else None
    return hint if isinstance(hint, type) and issubclass(hint, enum.Enum) else None
