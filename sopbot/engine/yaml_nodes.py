"""Reading YAML as a tree of nodes that remember their line, collecting problems as it goes.

PyYAML's plain loading forgets line numbers and silently keeps the last of two duplicate keys.
Walking the composed node tree keeps both: every value read here can be traced to its line, and
every problem is recorded (never raised) so that a file's problems are all reported at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopbot.engine.problems import Problem, Severity

_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_CONSTRUCTOR = SafeConstructor()


def line_of(node: Node) -> int:
    """The 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def is_null(node: Node) -> bool:
    """True for '~', 'null' or an empty value."""
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


class Fields(dict[str, Node]):
    """The values of a mapping's known keys, remembering the line of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}

    def line(self, key: str) -> int:
        """The line of a key present in the mapping."""
        return self.key_lines[key]


@dataclass
class NodeReader:
    """Reads typed values out of YAML nodes for one file, recording each problem it meets."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        """Record an error at a line."""
        self.problems.append(Problem(self.file, line, message))

    def warning(self, line: int, message: str) -> None:
        """Record a warning at a line."""
        self.problems.append(Problem(self.file, line, message, Severity.WARNING))

    @property
    def has_errors(self) -> bool:
        """True once any error (not just a warning) was recorded."""
        return any(p.severity is Severity.ERROR for p in self.problems)

    def compose(self, text: str) -> Node | None:
        """Parse text into a single node tree; None (with a problem recorded) when impossible."""
        try:
            loader = yaml.SafeLoader(text)
            try:
                node = loader.get_single_node()
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            self._yaml_error(exc, last_line=max(1, len(text.splitlines())))
            return None
        except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks all its parse errors
            self.error(1, f"invalid YAML: {exc}")
            return None
        return node

    def _yaml_error(self, exc: yaml.MarkedYAMLError, last_line: int) -> None:
        mark = exc.problem_mark or exc.context_mark
        line = min(int(mark.line) + 1, last_line) if mark is not None else 1
        problem = (exc.problem or "").strip()
        context = (exc.context or "").strip()
        if "quoted scalar" in context and exc.context_mark is not None:
            self.error(
                int(exc.context_mark.line) + 1,
                "invalid YAML: the quote opened on this "
                "line is never closed; add the closing "
                "quote",
            )
            return
        if "another document" in problem:
            self.error(
                line, "the file holds more than one YAML document ('---'); put one SOP per file"
            )
            return
        if "'\\t'" in problem:
            self.error(
                line, "invalid YAML: a tab character is used for indentation; indent with spaces"
            )
            return
        self.error(
            line,
            f"invalid YAML: {_plain_yaml_problem(problem)}; check the indentation and the "
            "quoting of this line and the one before it",
        )

    def mapping(
        self,
        node: Node,
        where: str,
        *,
        required: Mapping[str, str],
        optional: Iterable[str] = (),
        owner_line: int | None = None,
    ) -> Fields | None:
        """The keys of a mapping node, checked against the allowed and the required ones.

        `required` maps each required key to a hint shown when it is missing, reported on
        `owner_line` (the line of the key that holds this mapping) when given. Unknown and
        duplicate keys are reported (a typo must never be ignored); their values are dropped.
        """
        if not isinstance(node, MappingNode):
            self.error(
                line_of(node), f"{where} must be a mapping of 'key: value' lines, not {_kind(node)}"
            )
            return None
        allowed = [*required, *optional]
        found = Fields()
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or is_null(key_node):
                self.error(line_of(key_node), f"{where} has a key that is not a plain word")
                continue
            key = str(key_node.value)
            if key in first_line:
                self.error(
                    line_of(key_node),
                    f"the key '{key}' appears twice in {where} "
                    f"(first on line {first_line[key]}); keep one",
                )
                continue
            first_line[key] = line_of(key_node)
            if key not in allowed:
                self.error(
                    line_of(key_node), f"unknown key '{key}' in {where}; {_suggest(key, allowed)}"
                )
                continue
            found[key] = value_node
            found.key_lines[key] = first_line[key]
        missing_line = owner_line if owner_line is not None else line_of(node)
        for key, hint in required.items():
            if key not in found and key not in first_line:
                self.error(missing_line, f"{where} is missing the required key '{key}' ({hint})")
        return found

    def text(self, node: Node, where: str, *, allow_empty: bool = True) -> str | None:
        """A scalar as written (numbers and dates keep their spelling); None when unusable."""
        if is_null(node):
            if allow_empty:
                return ""
            self.error(line_of(node), f"{where} is empty; write it as the SOP states it")
            return None
        if not isinstance(node, ScalarNode):
            self.error(line_of(node), f"{where} must be text, not {_kind(node)}")
            return None
        value = str(node.value).strip()
        if not value and not allow_empty:
            self.error(line_of(node), f"{where} is empty; write it as the SOP states it")
            return None
        return value

    def optional_text(self, node: Node | None, where: str) -> str | None:
        """Text that may be absent or '~' (None then)."""
        if node is None or is_null(node):
            return None
        return self.text(node, where)

    def text_list(self, node: Node | None, where: str) -> tuple[str, ...]:
        """A list of texts; a single text is a one-item list and '~' or absence an empty one."""
        if node is None or is_null(node):
            return ()
        if isinstance(node, ScalarNode):
            value = self.text(node, where)
            return (value,) if value else ()
        if not isinstance(node, SequenceNode):
            self.error(line_of(node), f"{where} must be a list of texts, not {_kind(node)}")
            return ()
        items: list[str] = []
        for index, item in enumerate(node.value, start=1):
            value = self.text(item, f"item {index} of {where}", allow_empty=False)
            if value:
                items.append(value)
        return tuple(items)

    def sequence(self, node: Node, where: str) -> list[Node] | None:
        """The items of a list node; None (with a problem) when the node is not a list."""
        if not isinstance(node, SequenceNode):
            self.error(line_of(node), f"{where} must be a list ('- ' items), not {_kind(node)}")
            return None
        return list(node.value)

    def whole_number(self, node: Node, where: str) -> int | None:
        """A YAML integer; None (with a problem) otherwise."""
        if isinstance(node, ScalarNode) and node.tag == _INT_TAG:
            value = _CONSTRUCTOR.construct_object(node)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        shown = node.value if isinstance(node, ScalarNode) else _kind(node)
        self.error(line_of(node), f"{where} must be a whole number, not '{shown}'")
        return None


_PLAIN_YAML_PROBLEMS = (
    (
        "mapping values are not allowed here",
        "a ':' stands where YAML cannot take one (a text containing ': ' must be quoted)",
    ),
    ("expected <block end>", "the line does not line up with the block it belongs to"),
    ("could not find expected ':'", "a key is missing its ':'"),
    ("expected ',' or ']'", "a '[' list is not closed with ']'"),
    ("expected ',' or '}'", "a '{' mapping is not closed with '}'"),
)


def _plain_yaml_problem(problem: str) -> str:
    """PyYAML's wording of the commonest mistakes, in words an agency admin can act on."""
    for starts, plain in _PLAIN_YAML_PROBLEMS:
        if problem.startswith(starts):
            return plain
    return problem


def canonical(node: Node) -> object:
    """A plain, order-independent value of a node tree with scalars as written.

    Built from nodes rather than from yaml.safe_load, which would read the step key `no` as the
    boolean False (YAML 1.1) and lose the spelling of numbers and dates.
    """
    if isinstance(node, MappingNode):
        pairs = [(str(k.value), canonical(v)) for k, v in node.value]
        return {"map": sorted(pairs, key=lambda pair: pair[0])}
    if isinstance(node, SequenceNode):
        return [canonical(item) for item in node.value]
    return None if is_null(node) else str(node.value)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if is_null(node):
        return "empty"
    return f"the text '{node.value}'"


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate a typo most likely meant, if any is close enough."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(key: str, allowed: list[str]) -> str:
    close = closest(key, allowed)
    if close:
        return f"did you mean '{close}'?"
    return "allowed keys: " + ", ".join(allowed)
