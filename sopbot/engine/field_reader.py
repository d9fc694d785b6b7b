"""Reading the fields an SOP file shares between its sections: required texts, choices from an
enumeration, who among several holders acts, and yes/no flags. Every problem goes to the
`NodeReader` with its line."""

from __future__ import annotations

from typing import TypeVar

from yaml.nodes import Node, ScalarNode

from sopbot.engine.definition import Assignment, OutputKind, Together
from sopbot.engine.limits import TEXT_CAPS
from sopbot.engine.yaml_nodes import NodeReader, line_of, shown

_Choice = TypeVar("_Choice", Assignment, OutputKind, Together)


class FieldReader:
    """The field readers the role and step readers have in common."""

    def __init__(self, reader: NodeReader) -> None:
        self.r = reader

    def _given_text(self, fields: dict[str, Node], key: str, where: str, *, cap: int) -> str | None:
        """A text that must not be empty, when the key is there (its absence is reported by
        the mapping's check of required keys)."""
        if key not in fields:
            return None
        return self.r.text(fields[key], where, cap=cap, allow_empty=False)

    def _required_text(
        self, fields: dict[str, Node], section: str, key: str, where: str
    ) -> str | None:
        return self._given_text(fields, key, where, cap=TEXT_CAPS[f"{section}.{key}"])

    def _assignment(self, node: Node | None, section: str, where: str) -> Assignment | None:
        if node is None:
            return Assignment.ANY_ONE
        return self._choice(node, section, "pemegang", where, Assignment)

    def _choice(
        self, node: Node, section: str, key: str, where: str, kind: type[_Choice]
    ) -> _Choice | None:
        """A value that must be one of an enumeration's words."""
        text = self.r.text(
            node, f"'{key}' of {where}", cap=TEXT_CAPS[f"{section}.{key}"], allow_empty=False
        )
        if text is None:
            return None
        try:
            return kind(text)
        except ValueError:
            self.r.error(
                line_of(node),
                f"unknown {key} '{text}' for {where}; use one of: "
                + ", ".join(choice.value for choice in kind),
            )
            return None

    def _flag(self, node: Node | None, where: str) -> bool | None:
        """A yes/no value: YAML's true/false, or 'ya'/'tidak'; absent is no."""
        if node is None:
            return False
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return str(node.value).strip().lower() in {"true", "yes", "on", "y"}
        if isinstance(node, ScalarNode) and str(node.value).strip().lower() in {"ya", "tidak"}:
            return str(node.value).strip().lower() == "ya"
        written = shown(str(node.value)) if isinstance(node, ScalarNode) else "a list or mapping"
        self.r.error(line_of(node), f"{where} must be 'ya' or 'tidak', not '{written}'")
        return None
