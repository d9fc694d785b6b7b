"""Writing a draft definition as YAML that a person can read and finish: keys in the format's
order, texts quoted only when YAML needs it, and a comment beside each value that the importer
inferred or could not settle, saying why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from sopbot.engine.draft_marks import is_undecided
from sopbot.engine.header_fields import Numbering

_NUMBER = re.compile(r"^\d+$")


def scalar(value: Any) -> str:
    """One value as a YAML scalar on one line."""
    if value is None or value == "~":
        return "~"
    if isinstance(value, str) and _NUMBER.match(value) and len(value) < 6:
        return value  # a printed step number: a whole number as such
    if is_undecided(value):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'  # stands out
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_flow_style=True)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


class DraftWriter:
    """Collects the draft's lines section by section."""

    def __init__(self, source_name: str) -> None:
        self._lines = [
            f"# Draft imported by `sopbot sop import` from {source_name}.",
            "# Check it against the document. Every value starting with '??' must be decided",
            "# (the SOP does not load until then); comments say what was inferred and why.",
        ]

    def text(self) -> str:
        """The draft as YAML text."""
        return "\n".join(self._lines) + "\n"

    def section(self, name: str) -> None:
        """Start a top-level section (`sop`, `pelaksana`, `langkah`)."""
        self._lines += ["", f"{name}:"]

    def field(self, key: str, value: Any, *, comment: str | None = None, indent: int = 2) -> None:
        """A `key: value` line."""
        self._lines.append(_with_comment(f"{' ' * indent}{key}: {scalar(value)}", comment))

    def mapping(
        self, key: str, values: Mapping[str, Any], *, comment: str | None = None, indent: int = 2
    ) -> None:
        """A key with a nested mapping of scalars."""
        self._lines.append(_with_comment(f"{' ' * indent}{key}:", comment))
        for name, value in values.items():
            self.field(name, value, indent=indent + 2)

    def header_list(
        self,
        key: str,
        items: Sequence[str],
        *,
        intro: str | None = None,
        numbering: Numbering | None = None,
    ) -> None:
        """A header list: plain, or with its intro line and numbering as published."""
        if intro is None and numbering is None:
            if not items:
                self._lines.append(f"  {key}: []")
                return
            self._lines.append(f"  {key}:")
            self._lines += [f"    - {scalar(item)}" for item in items]
            return
        self._lines.append(f"  {key}:")
        if intro is not None:
            self.field("pengantar", intro, indent=4)
        if numbering is not None:
            self.field("penomoran", numbering.value, indent=4)
        if items:
            self._lines.append("    butir:")
            self._lines += [f"      - {scalar(item)}" for item in items]
        else:
            self._lines.append("    butir: []")

    def role(self, key: str, name: str) -> None:
        """A Pelaksana column."""
        self._lines += [f"  - id: {key}", f"    nama: {scalar(name)}"]

    def step(self, step: Mapping[str, Any], comments: Mapping[str, str]) -> None:
        """A step: its keys in the order given, nested mappings and lists written out."""
        first = True
        for key, value in step.items():
            prefix = "  - " if first else "    "
            first = False
            self._value(prefix, key, value, comments.get(key), 4)

    def _value(self, prefix: str, key: str, value: Any, comment: str | None, indent: int) -> None:
        if isinstance(value, Mapping):
            self._lines.append(_with_comment(f"{prefix}{key}:", comment))
            for name, inner in value.items():
                self._value(" " * (indent + 2), name, inner, None, indent + 2)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            self._lines.append(_with_comment(f"{prefix}{key}:", comment))
            for item in value:
                first = True
                for name, inner in item.items():
                    lead = " " * (indent + 2) + ("- " if first else "  ")
                    first = False
                    self._value(lead, name, inner, None, indent + 4)
        elif isinstance(value, list):
            shown = "[" + ", ".join(scalar(v) for v in value) + "]"
            self._lines.append(_with_comment(f"{prefix}{key}: {shown}", comment))
        else:
            self._lines.append(_with_comment(f"{prefix}{key}: {scalar(value)}", comment))


def _with_comment(line: str, comment: str | None) -> str:
    if not comment:
        return line
    return f"{line}  # {' '.join(comment.split())}"
