"""Checks on the flow of a definition's steps: every step reachable, every path able to end.

Run after the steps themselves are readable and their targets exist, so the graph is sound.
"""

from __future__ import annotations

from collections.abc import Sequence

from sopbot.engine.definition import END, Step
from sopbot.engine.yaml_nodes import NodeReader


def check_flow(steps: Sequence[Step], reader: NodeReader) -> None:
    """Record unreachable steps and loops with no way out; `steps` are in table order."""
    if not steps:
        return
    by_number = {s.number: s for s in steps}

    reachable = _reachable_from(steps[0].number, by_number)
    for step in steps:
        if step.number not in reachable:
            reader.error(
                step.line,
                f"step {step.number} can never be reached: no step leads to it; point a "
                "'lanjut' or a decision branch at it, or remove it",
            )

    can_end = _able_to_end(by_number)
    stuck = {s.number for s in steps if s.number in reachable and s.number not in can_end}
    for loop in _closed_loops(stuck, by_number):
        first = by_number[loop[0]]
        numbers = ", ".join(str(n) for n in loop)
        noun = "steps" if len(loop) > 1 else "step"
        reader.error(
            first.line,
            f"{noun} {numbers} loop with no way out: none of them leads to the end of the "
            "procedure; give one of them a branch that leaves the loop",
        )


def _closed_loops(stuck: set[int], by_number: dict[int, Step]) -> list[list[int]]:
    """The loops that trap the stuck steps, without the steps that merely lead into them.

    Every path from a stuck step ends in a set of steps that only reach each other (a closed
    loop); those sets, in order of their lowest step, are what the author must break open.
    """
    reach = {n: _reachable_from(n, by_number) & stuck for n in stuck}
    loops: list[list[int]] = []
    placed: set[int] = set()
    for number in sorted(stuck):
        if number in placed:
            continue
        closed = all(number in reach[other] for other in reach[number])
        if closed and number in _reachable_after(number, by_number):
            loop = sorted(reach[number])
            placed.update(loop)
            loops.append(loop)
    return loops


def _reachable_after(start: int, by_number: dict[int, Step]) -> set[int]:
    """Steps reachable in one or more moves (so a step is in it only if it loops back)."""
    found: set[int] = set()
    for successor in by_number[start].successors:
        found |= _reachable_from(successor, by_number)
    return found


def _reachable_from(start: int, by_number: dict[int, Step]) -> set[int]:
    seen: set[int] = set()
    pending = [start]
    while pending:
        number = pending.pop()
        if number == END or number in seen or number not in by_number:
            continue
        seen.add(number)
        pending.extend(by_number[number].successors)
    return seen


def _able_to_end(by_number: dict[int, Step]) -> set[int]:
    """Steps from which some path reaches END: a fixed point over the reversed edges."""
    can_end: set[int] = set()
    changed = True
    while changed:
        changed = False
        for number, step in by_number.items():
            if number in can_end:
                continue
            if any(t == END or t in can_end for t in step.successors):
                can_end.add(number)
                changed = True
    return can_end
