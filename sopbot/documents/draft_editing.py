"""Reading an imported draft for its review, and writing a person's decisions into it.

The review in Telegram asks an admin to confirm each step's executors and to settle what the
document could not (a '??' value). The decisions are written into the draft's text by splicing:
the YAML is composed to find each value's place (its marks), and only that value is replaced,
so the comments, the order and every cell of the agency's document stay as the importer wrote
them. The result is validated again by the loader like any definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopbot.engine.draft_marks import UNDECIDED, is_undecided, undecided_nodes
from sopbot.engine.yaml_nodes import NodeReader, line_of

_TOGETHER_ALL: Final = "semua"
_CHOSEN_NOTE: Final = "several roles chosen in the review"


class DraftShapeError(ValueError):
    """The draft is not shaped as a definition (no steps, a step that is not a mapping):
    nothing can be spliced into it; the loader's problems say what is wrong."""


@dataclass(frozen=True, slots=True)
class DraftRole:
    """A Pelaksana column of the draft."""

    key: str
    name: str
    external: bool  # pihak_luar: nobody of the agency holds it


@dataclass(frozen=True, slots=True)
class DraftStep:
    """A step of the draft as the review shows it."""

    index: int  # its row in the table, from 0
    label: str  # `no` as printed
    activity: str
    executors: tuple[str, ...]  # the role keys as read; empty while undecided
    suggestion: str | None  # the importer's suggestion for an undecided executor
    time_undecided: bool  # the standard time is '??'
    time_written: str  # what the document writes ("" when it writes nothing)
    decision: bool = False  # the step asks a question (keputusan or pertanyaan)

    @property
    def executor_undecided(self) -> bool:
        """True when a person must choose who does the step."""
        return not self.executors


@dataclass(frozen=True, slots=True)
class OpenMark:
    """A '??' value the review cannot settle with buttons (a branch target, a question)."""

    line: int
    key: str


@dataclass(frozen=True, slots=True)
class DraftOutline:
    """What a review needs from a draft: its roles, its steps and the other open values."""

    roles: tuple[DraftRole, ...]
    steps: tuple[DraftStep, ...]
    others: tuple[OpenMark, ...]


def outline(text: str) -> DraftOutline:
    """The draft's roles, steps and other '??' values; DraftShapeError when it is not a
    definition's shape (or not YAML)."""
    root = _compose(text)
    roles = tuple(_role(node) for node in _items(_value(root, "pelaksana")))
    steps = tuple(_step(index, node) for index, node in enumerate(_steps(root)))
    handled: set[int] = set()
    for node in _steps(root):
        for key in ("pelaksana", "waktu"):
            value = _value(node, key)
            handled |= {id(found) for found, _ in undecided_nodes(value)} if value else set()
    others = tuple(
        OpenMark(line_of(node), key)
        for node, key in undecided_nodes(root)
        if id(node) not in handled
    )
    return DraftOutline(roles, steps, others)


def with_executors(text: str, step_index: int, role_keys: list[str]) -> str:
    """The draft with the step's executors replaced by `role_keys` (one or several); several
    get `bersama: semua` when the step says nothing of how they work together, and one loses
    a `bersama` it no longer needs."""
    if not role_keys:
        raise ValueError("a step needs at least one executor")
    step = _steps(_compose(text))[step_index]
    key_node, value = _entry(step, "pelaksana")
    start, end = _span(value)
    written = role_keys[0] if len(role_keys) == 1 else "[" + ", ".join(role_keys) + "]"
    text = text[:start] + written + text[end:]
    step = _steps(_compose(text))[step_index]
    together = _entry_or_none(step, "bersama")
    if len(role_keys) > 1 and together is None:
        _, value = _entry(step, "pelaksana")
        line_end = _line_end(text, _span(value)[1])
        indent = " " * int(key_node.start_mark.column)
        addition = f"\n{indent}bersama: {_TOGETHER_ALL}  # {_CHOSEN_NOTE} (confirm)"
        text = text[:line_end] + addition + text[line_end:]
    elif len(role_keys) == 1 and together is not None:
        together_key, together_value = together
        first = text.rfind("\n", 0, int(together_key.start_mark.index)) + 1
        last = _line_end(text, _span(together_value)[1])
        text = text[:first] + text[last + 1 :]
    return text


def with_standard_time(text: str, step_index: int, standard: str) -> str:
    """The draft with the step's undecided standard time (`baku`, or `waktu` itself when the
    document wrote none) set to `standard`, kept as a quoted text."""
    step = _steps(_compose(text))[step_index]
    _, time = _entry(step, "waktu")
    target: Node = time
    if isinstance(time, MappingNode):
        _, target = _entry(time, "baku")
    if not (isinstance(target, ScalarNode) and is_undecided(target.value)):
        raise DraftShapeError(f"the time of step {step_index + 1} is not undecided")
    start, end = _span(target)
    return text[:start] + json.dumps(standard, ensure_ascii=False) + text[end:]


# -- reading nodes ------------------------------------------------------------------------


def _compose(text: str) -> Node:
    reader = NodeReader("draft")
    root = reader.compose(text)
    if not isinstance(root, MappingNode):
        raise DraftShapeError("the draft is not a YAML mapping")
    return root


def _entry_or_none(node: Node, key: str) -> tuple[ScalarNode, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for name, value in node.value:
        if isinstance(name, ScalarNode) and name.value == key:
            return name, value
    return None


def _entry(node: Node, key: str) -> tuple[ScalarNode, Node]:
    found = _entry_or_none(node, key)
    if found is None:
        raise DraftShapeError(f"no '{key}' where the draft needs one")
    return found


def _value(node: Node, key: str) -> Node | None:
    found = _entry_or_none(node, key)
    return found[1] if found is not None else None


def _items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def _steps(root: Node) -> list[MappingNode]:
    steps = _items(_value(root, "langkah"))
    if not steps or not all(isinstance(step, MappingNode) for step in steps):
        raise DraftShapeError("the draft has no steps to review")
    return [step for step in steps if isinstance(step, MappingNode)]


def _text(node: Node | None) -> str:
    return str(node.value).strip() if isinstance(node, ScalarNode) else ""


def _role(node: Node) -> DraftRole:
    return DraftRole(
        key=_text(_value(node, "id")),
        name=_text(_value(node, "nama")),
        external=_text(_value(node, "pihak_luar")).lower() in {"ya", "true", "yes"},
    )


def _step(index: int, node: MappingNode) -> DraftStep:
    executors = _value(node, "pelaksana")
    keys: tuple[str, ...] = ()
    suggestion: str | None = None
    if isinstance(executors, ScalarNode):
        if is_undecided(executors.value):
            suggestion = executors.value.strip()[len(UNDECIDED) :].strip() or None
        else:
            keys = (executors.value.strip(),)
    elif isinstance(executors, SequenceNode):
        keys = tuple(_text(item) for item in executors.value)
    time = _value(node, "waktu")
    written, baku = _text(time), _text(time)
    if isinstance(time, MappingNode):
        written, baku = _text(_value(time, "tertulis")), _text(_value(time, "baku"))
    time_undecided = is_undecided(baku)
    return DraftStep(
        index=index,
        label=_text(_value(node, "no")) or str(index + 1),
        activity=_text(_value(node, "kegiatan")),
        executors=keys,
        suggestion=suggestion,
        time_undecided=time_undecided,
        time_written="" if is_undecided(written) else written,
        decision=any(_entry_or_none(node, key) for key in ("keputusan", "pertanyaan")),
    )


def _span(node: Node) -> tuple[int, int]:
    """Where a value stands in the text: a block sequence ends at its last item (its own end
    mark lies on the line after)."""
    start = int(node.start_mark.index)
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return start, int(node.value[-1].end_mark.index)
    return start, int(node.end_mark.index)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end
