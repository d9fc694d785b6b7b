"""The flow checks against the straightforward (quadratic) checks they replaced.

`_reference_problems` is the earlier implementation, kept here as the specification: for every
step graph, the linear checks must report exactly what it reports, in the same order.
"""

from __future__ import annotations

import random

import pytest

from sopbot.engine.definition import END, Decision, Executor, OutputKind, Step
from sopbot.engine.durations import parse_standard_time
from sopbot.engine.flow_checks import check_flow
from sopbot.engine.yaml_nodes import NodeReader

_TIME = parse_standard_time("1 Hari")


def _step(number: int, successors: tuple[int, ...]) -> Step:
    decision = (
        Decision.approval(None, successors[0], successors[1]) if len(successors) == 2 else None
    )
    return Step(
        number=number,
        activity=f"Langkah {number}",
        executors=(Executor("staf"),),
        standard_time=_TIME,
        output_kind=OutputKind.NOTE,
        next=successors[0] if decision is None else END,
        decision=decision,
        line=number * 10,
    )


def _problems(steps: list[Step]) -> list[tuple[int, str]]:
    reader = NodeReader("uji.yaml")
    check_flow(steps, reader)
    return [(p.line, p.message) for p in reader.problems]


def _reference_problems(steps: list[Step]) -> list[tuple[int, str]]:
    """What the checks reported before they were made linear (same words, same order)."""
    by_number = {s.number: s for s in steps}

    def reachable_from(start: int) -> set[int]:
        seen: set[int] = set()
        pending = [start]
        while pending:
            number = pending.pop()
            if number == END or number in seen or number not in by_number:
                continue
            seen.add(number)
            pending.extend(by_number[number].successors)
        return seen

    found = []
    reachable = reachable_from(steps[0].number)
    for step in steps:
        if step.number not in reachable:
            found.append(
                (
                    step.line,
                    f"step {step.number} can never be reached: no step leads to it; point a "
                    "'lanjut' or a decision branch at it, or remove it",
                )
            )
    can_end: set[int] = set()
    changed = True
    while changed:
        changed = False
        for number, step in by_number.items():
            if number not in can_end and any(t == END or t in can_end for t in step.successors):
                can_end.add(number)
                changed = True
    stuck = {s.number for s in steps if s.number in reachable and s.number not in can_end}
    reach = {n: reachable_from(n) & stuck for n in stuck}
    placed: set[int] = set()
    for number in sorted(stuck):
        if number in placed:
            continue
        after: set[int] = set()
        for successor in by_number[number].successors:
            after |= reachable_from(successor)
        if all(number in reach[other] for other in reach[number]) and number in after:
            loop = sorted(reach[number])
            placed.update(loop)
            noun = "steps" if len(loop) > 1 else "step"
            found.append(
                (
                    by_number[loop[0]].line,
                    f"{noun} {', '.join(map(str, loop))} loop with no way out: none of them "
                    "leads to the end of the procedure; give one of them a branch that leaves "
                    "the loop",
                )
            )
    return found


def _random_table(rng: random.Random) -> list[Step]:
    """A step table in number order whose branches go anywhere: other steps, the end, a gap."""
    numbers = sorted(rng.sample(range(1, 16), rng.randint(1, 9)))
    targets = [*numbers, END, 99]
    table = []
    for number in numbers:
        choices = [t for t in targets if t != number]
        if rng.random() < 0.4 and len(choices) >= 2:
            yes, no = rng.sample(choices, 2)
            table.append(_step(number, (yes, no)))
        else:
            table.append(_step(number, (rng.choice(choices),)))
    return table


@pytest.mark.parametrize("seed", range(40))
def test_linear_checks_report_what_the_reference_reports(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data, not a secret
    for _ in range(100):
        table = _random_table(rng)
        assert _problems(table) == _reference_problems(table), table


def test_two_loops_are_reported_in_order_of_their_lowest_step_and_the_way_in_is_not() -> None:
    # 1 -> 2 <-> 5 (closed), 1 -> 3 -> 4 -> 3 (closed); 1 only leads into them.
    table = [_step(1, (3, 2)), _step(2, (5,)), _step(3, (4,)), _step(4, (3,)), _step(5, (2,))]
    assert [line for line, _ in _problems(table)] == [20, 30]
    assert [message.split(" loop")[0] for _, message in _problems(table)] == [
        "steps 2, 5",
        "steps 3, 4",
    ]


def test_a_loop_that_feeds_another_loop_is_not_closed() -> None:
    # 1 <-> 2 can leave to 3, and 3 <-> 4 never leaves: only 3, 4 is reported.
    table = [_step(1, (2,)), _step(2, (1, 3)), _step(3, (4,)), _step(4, (3,))]
    assert [message.split(" loop")[0] for _, message in _problems(table)] == ["steps 3, 4"]


def test_a_chain_of_100000_steps_is_checked_without_recursion() -> None:
    table = [_step(n, (n + 1,)) for n in range(1, 100_000)] + [_step(100_000, (1,))]
    [(line, message)] = _problems(table)
    assert line == 10
    assert message.startswith("steps 1, 2, 3, ")
