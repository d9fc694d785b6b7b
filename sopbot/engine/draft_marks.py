"""The mark an imported draft puts on what its document could not settle.

`sopbot sop import` writes a draft definition from an agency's Word or PDF SOP. Where the
document cannot say (a step with no symbol in any Pelaksana column, a time that cannot be read),
the draft holds a text starting with UNDECIDED, with the importer's suggestion after it:
`pelaksana: "?? sekretaris"`. The loader refuses every such value with its file and line, so a
draft never runs until a person has decided each of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

UNDECIDED: Final = "??"
"""The prefix of a value that a person must still decide."""


def undecided(suggestion: str = "") -> str:
    """The draft value that asks a person to decide, with the importer's suggestion if any."""
    return f"{UNDECIDED} {suggestion}".rstrip()


def is_undecided(value: object) -> bool:
    """True for a draft value that a person must still decide."""
    return isinstance(value, str) and value.lstrip().startswith(UNDECIDED)


def undecided_nodes(root: Node) -> Iterator[tuple[ScalarNode, str]]:
    """Every scalar of a composed file that is still undecided, with the key it stands under."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, key = stack.pop()
        # An alias is the same node again: each node is looked at once, so a node that holds
        # itself (`&a [*a]`) or a chain of aliases costs nothing more.
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if is_undecided(node.value):
                yield node, key
        elif isinstance(node, SequenceNode):
            stack.extend((item, key) for item in reversed(node.value))
        elif isinstance(node, MappingNode):
            for name, value in reversed(node.value):
                stack.append((value, str(getattr(name, "value", key))))
