"""Checks on the flow of a definition's steps: every step reachable, every path able to end.

Run after the steps themselves are readable and their targets exist, so the graph is sound.
Every check visits each step and each branch a fixed number of times (no recursion, no set per
step), so the cost grows with the size of the table, not with its square.
"""

from __future__ import annotations

from collections.abc import Sequence

from sopbot.engine.definition import END, Step
from sopbot.engine.yaml_nodes import NodeReader

_Graph = dict[int, tuple[int, ...]]


def check_flow(steps: Sequence[Step], reader: NodeReader) -> None:
    """Record unreachable steps and loops with no way out; `steps` are in table order."""
    if not steps:
        return
    by_number = {s.number: s for s in steps}
    # The branches between steps; END and numbers with no step are left out (the loader has
    # already reported a branch to a missing step).
    graph: _Graph = {
        s.number: tuple(t for t in s.successors if t != END and t in by_number) for s in steps
    }

    reachable = _reachable_from(steps[0].number, graph)
    for step in steps:
        if step.number not in reachable:
            reader.error(
                step.line,
                f"step {step.number} can never be reached: no step leads to it; point a "
                "'lanjut' or a decision branch at it, or remove it",
            )

    for loop in _closed_loops(steps, graph, reachable):
        first = by_number[loop[0]]
        numbers = ", ".join(str(n) for n in loop)
        noun = "steps" if len(loop) > 1 else "step"
        reader.error(
            first.line,
            f"{noun} {numbers} loop with no way out: none of them leads to the end of the "
            "procedure; give one of them a branch that leaves the loop",
        )


def _closed_loops(steps: Sequence[Step], graph: _Graph, reachable: set[int]) -> list[list[int]]:
    """The loops that trap work: reachable sets of steps that only lead to each other.

    Such a set is a strongly connected component with no branch out of it (neither to another
    step nor to the end) that really loops (more than one step, or a step leading to itself).
    Steps that merely lead into it are not part of it: breaking the loop open frees them too.
    Each loop's numbers are sorted, and the loops come in order of their lowest step.
    """
    ends = {s.number for s in steps if END in s.successors}
    component = _strongly_connected_components(graph)
    members: dict[int, list[int]] = {}
    for number, root in component.items():
        members.setdefault(root, []).append(number)
    leaves = {root for number, root in component.items() if number in ends}
    for number, targets in graph.items():
        if any(component[t] != component[number] for t in targets):
            leaves.add(component[number])
    loops = []
    for root, numbers in members.items():
        if root in leaves or root not in reachable:
            continue
        looping = len(numbers) > 1 or root in graph[root]
        if looping:
            loops.append(sorted(numbers))
    return sorted(loops, key=lambda loop: loop[0])


def _reachable_from(start: int, graph: _Graph) -> set[int]:
    seen = {start}
    pending = [start]
    while pending:
        for successor in graph[pending.pop()]:
            if successor not in seen:
                seen.add(successor)
                pending.append(successor)
    return seen


def _strongly_connected_components(graph: _Graph) -> dict[int, int]:
    """Each step's component, named by one of its members (Tarjan's algorithm, iteratively).

    An explicit stack stands in for recursion, which a long chain of steps would overflow.
    """
    index: dict[int, int] = {}
    lowest: dict[int, int] = {}
    component: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    for start in graph:
        if start in index:
            continue
        # Each frame is a step and the position of the next of its branches to follow.
        frames: list[tuple[int, int]] = [(start, 0)]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while frames:
            number, position = frames[-1]
            targets = graph[number]
            if position < len(targets):
                frames[-1] = (number, position + 1)
                target = targets[position]
                if target not in index:
                    index[target] = lowest[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    frames.append((target, 0))
                elif target in on_stack:
                    lowest[number] = min(lowest[number], index[target])
                continue
            frames.pop()
            if frames:
                parent = frames[-1][0]
                lowest[parent] = min(lowest[parent], lowest[number])
            if lowest[number] == index[number]:
                _close_component(number, stack, on_stack, component)
    return component


def _close_component(
    root: int, stack: list[int], on_stack: set[int], component: dict[int, int]
) -> None:
    """Take the steps of the component whose first step is `root` off the stack (it is the
    top of the stack down to `root`), naming the component by `root`."""
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component[member] = root
        if member == root:
            return
