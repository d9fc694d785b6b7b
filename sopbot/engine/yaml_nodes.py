"""Reading YAML as a tree of nodes that remember their line, collecting problems as it goes.

PyYAML's plain loading forgets line numbers and silently keeps the last of two duplicate keys.
Walking the composed node tree keeps both: every value read here can be traced to its line, and
every problem is recorded (never raised) so that a file's problems are all reported at once.

The tree is composed by libyaml (PyYAML's C parser and composer) when PyYAML was built with it,
and by PyYAML's pure-Python one otherwise; both give the same nodes, lines and messages. Before
composing, one pass over the parser's events refuses what an SOP file never needs and a hostile
one would use: explicit tags (`!!python/object`, `!foo`) and lists or mappings nested deeply
enough to exhaust the pure-Python composer's stack.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import CollectionEndEvent, CollectionStartEvent, Event, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopbot.engine.limits import MAX_NESTING, MAX_STEP_NUMBER
from sopbot.engine.problems import Problem, Severity

_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_CONSTRUCTOR = SafeConstructor()

LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The loader class that parses and composes: libyaml's when PyYAML has it (it is several times
faster and allocates less), the pure-Python SafeLoader otherwise."""

# The characters YAML refuses (PyYAML's reader refuses the same set): found here first so that
# the message names the character and its line whichever parser runs.
_NOT_YAML_TEXT = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_SHOWN_CHARS = 60
_NUMBER_DIGITS = len(str(MAX_STEP_NUMBER))


def _event_line(event: Event) -> int:
    """The 1-based line where a parser event starts (both parsers mark every event)."""
    return int(event.start_mark.line) + 1 if event.start_mark is not None else 1


def is_plain_number(text: str) -> bool:
    """True for digits 0-9 only: "2¹" and "٣" are digits to str.isdigit(), yet a document
    that prints them prints a label, not a whole number to count with."""
    return text.isascii() and text.isdecimal()


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
        """Parse text into a single node tree; None (with problems recorded) when impossible."""
        bad = _NOT_YAML_TEXT.search(text)
        if bad is not None:
            self.error(
                text.count("\n", 0, bad.start()) + 1,
                f"the file holds the character U+{ord(bad.group()):04X}, which YAML does not "
                "allow; remove it (it is often pasted in invisibly from a word processor)",
            )
            return None
        try:
            if not self._screen(text):
                return None
            loader = LOADER(text)
            try:
                node: Node | None = loader.get_single_node()
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            self._yaml_error(exc, text)
            return None
        except yaml.YAMLError as exc:  # pragma: no cover - unreadable text is refused above
            self.error(1, f"invalid YAML: {exc}")
            return None
        return node

    def _screen(self, text: str) -> bool:
        """Record explicit tags and too deep nesting; True when the text may be composed.

        A YAML parse error met on the way is raised, for `compose` to report.
        """
        loader = LOADER(text)
        depth = 0
        clean = True
        try:
            while loader.check_event():
                event = loader.get_event()
                tag = event.tag if isinstance(event, ScalarEvent | CollectionStartEvent) else None
                if tag is not None:
                    self.error(
                        _event_line(event),
                        f"the YAML tag '{_written_tag(tag)}' is not allowed: an SOP "
                        "file holds only plain text, numbers and lists; remove the tag",
                    )
                    clean = False
                if isinstance(event, CollectionStartEvent):
                    depth += 1
                    if depth > MAX_NESTING:
                        self.error(
                            _event_line(event),
                            f"lists and mappings are nested more than {MAX_NESTING} levels deep "
                            "here; an SOP needs only a few levels: check the brackets and the "
                            "indentation",
                        )
                        return False
                elif isinstance(event, CollectionEndEvent):
                    depth -= 1
        finally:
            loader.dispose()
        return clean

    def _yaml_error(self, exc: yaml.MarkedYAMLError, text: str) -> None:
        last_line = max(1, len(text.splitlines()))
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
        if _is_tab_problem(problem, exc.problem_mark, text):
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
                    f"the key '{shown(key)}' appears twice in {where} "
                    f"(first on line {first_line[key]}); keep one",
                )
                continue
            first_line[key] = line_of(key_node)
            if key not in allowed:
                self.error(
                    line_of(key_node),
                    f"unknown key '{shown(key)}' in {where}; {_suggest(key, allowed)}",
                )
                continue
            found[key] = value_node
            found.key_lines[key] = first_line[key]
        missing_line = owner_line if owner_line is not None else line_of(node)
        for key, hint in required.items():
            if key not in found and key not in first_line:
                self.error(missing_line, f"{where} is missing the required key '{key}' ({hint})")
        return found

    def text(self, node: Node, where: str, *, cap: int, allow_empty: bool = True) -> str | None:
        """A scalar as written (numbers and dates keep their spelling); None when unusable.

        `cap` is the most characters the field may hold (see sopbot/engine/limits.py).
        """
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
        if len(value) > cap:
            self.error(
                line_of(node),
                f"{where} is {len(value):,} characters long; shorten it to at most "
                f"{cap:,} characters",
            )
            return None
        return value

    def optional_text(self, node: Node | None, where: str, *, cap: int) -> str | None:
        """Text that may be absent or '~' (None then)."""
        if node is None or is_null(node):
            return None
        return self.text(node, where, cap=cap)

    def text_list(
        self, node: Node | None, where: str, *, cap: int, max_items: int
    ) -> tuple[str, ...]:
        """A list of texts; a single text is a one-item list and '~' or absence an empty one.

        `cap` limits each item's characters and `max_items` the number of items.
        """
        if node is None or is_null(node):
            return ()
        if isinstance(node, ScalarNode):
            value = self.text(node, where, cap=cap)
            return (value,) if value else ()
        if not isinstance(node, SequenceNode):
            self.error(line_of(node), f"{where} must be a list of texts, not {_kind(node)}")
            return ()
        if len(node.value) > max_items:
            self.error(
                line_of(node),
                f"{where} has {len(node.value):,} items; list at most {max_items:,} "
                "(one for each numbered line of the document)",
            )
            return ()
        items: list[str] = []
        for index, item in enumerate(node.value, start=1):
            value = self.text(item, f"item {index} of {where}", cap=cap, allow_empty=False)
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
        """A YAML integer up to MAX_STEP_NUMBER; None (with a problem) otherwise."""
        written = shown(str(node.value)) if isinstance(node, ScalarNode) else _kind(node)
        if isinstance(node, ScalarNode) and node.tag == _INT_TAG:
            # Python refuses to convert very long digit strings (ValueError), so a number too
            # long to be a step number is refused before it is converted.
            digits = str(node.value).lstrip("+-0").replace("_", "")
            try:
                value = (
                    _CONSTRUCTOR.construct_object(node) if len(digits) <= _NUMBER_DIGITS else None
                )
            except ValueError:  # an int tag on text that is no number (set on purpose)
                value = None
            if isinstance(value, int) and not isinstance(value, bool) and value <= MAX_STEP_NUMBER:
                return value
            self.error(
                line_of(node),
                f"{where} must be a whole number up to {MAX_STEP_NUMBER}, not '{written}'",
            )
            return None
        self.error(line_of(node), f"{where} must be a whole number, not '{written}'")
        return None


_MISALIGNED = "the line does not line up with the block it belongs to"
# Each mistake as the pure-Python parser words it, then as libyaml does.
_PLAIN_YAML_PROBLEMS = (
    (
        "mapping values are not allowed",
        "a ':' stands where YAML cannot take one (a text containing ': ' must be quoted)",
    ),
    ("expected <block end>", _MISALIGNED),
    ("did not find expected key", _MISALIGNED),
    ("did not find expected '-' indicator", _MISALIGNED),
    ("could not find expected ':'", "a key is missing its ':'"),
    ("expected ',' or ']'", "a '[' list is not closed with ']'"),
    ("did not find expected ',' or ']'", "a '[' list is not closed with ']'"),
    ("expected ',' or '}'", "a '{' mapping is not closed with '}'"),
    ("did not find expected ',' or '}'", "a '{' mapping is not closed with '}'"),
)


def _is_tab_problem(problem: str, mark: Any, text: str) -> bool:
    """True when the parser stopped at a tab used for indentation (worded apart by each parser)."""
    if "'\\t'" in problem or "tab character" in problem:
        return True
    if "cannot start any token" in problem and mark is not None:
        lines = text.split("\n")
        row = lines[mark.line] if mark.line < len(lines) else ""
        return row[mark.column : mark.column + 1] == "\t"
    return False


def _written_tag(tag: str) -> str:
    """A tag as its author wrote it: 'tag:yaml.org,2002:python/object' back to '!!python/object'."""
    if tag.startswith(_YAML_TAG_PREFIX):
        tag = "!!" + tag.removeprefix(_YAML_TAG_PREFIX)
    return shown(tag)


def shown(text: str) -> str:
    """A text quoted in a message, cut short so that a huge value cannot flood the report."""
    if len(text) <= _SHOWN_CHARS:
        return text
    return text[: _SHOWN_CHARS - 3] + "..."


def _plain_yaml_problem(problem: str) -> str:
    """The parsers' wording of the commonest mistakes, in words an agency admin can act on."""
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
    return f"the text '{shown(str(node.value))}'"


def closest(word: str, candidates: list[str]) -> str | None:
    """The candidate a typo most likely meant, if any is close enough."""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(key: str, allowed: list[str]) -> str:
    close = closest(key, allowed)
    if close:
        return f"did you mean '{close}'?"
    return "allowed keys: " + ", ".join(allowed)


def peek(node: Node, key: str) -> str | None:
    """The scalar value of `key` in a mapping node, to name the item in messages."""
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if (
            isinstance(key_node, ScalarNode)
            and key_node.value == key
            and isinstance(value_node, ScalarNode)
            and not is_null(value_node)
        ):
            return shown(str(value_node.value))
    return None
