"""sopbot against SpiffWorkflow: the benchmark runs (tiny sizes, no timing asserted), and the
BPMN encoding of seed 004 behaves as sopbot's definition of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from bench import workflow_engines
from sopbot.demo.staffing import SEVERAL
from sopbot.engine.definition import END, Assignment, DecisionAnswer, SopDefinition

Answers = Callable[[int, int], tuple[DecisionAnswer, str | None]]


def definition_walk(definition: SopDefinition, answer_for: Answers) -> list[int]:
    """The step numbers the definition goes through with these answers, one per user task
    (an "every holder" step once per holder, as sopbot's staffing has them)."""
    rounds: Counter[int] = Counter()
    path: list[int] = []
    number = definition.first_step.number
    while number != END:
        step = definition.step(number)
        rounds[number] += 1
        every = definition.role_of(step).assignment is Assignment.EVERY_HOLDER
        path += [number] * (SEVERAL if every else 1)
        if step.decision is None:
            number = step.next
        else:
            answer, _ = answer_for(number, rounds[number])
            number = step.decision.yes if answer is DecisionAnswer.YES else step.decision.no
    return path


def refuse_each_once(step: int, round_: int) -> tuple[DecisionAnswer, str | None]:
    """Every decision says "tidak" in its first round: every loop back is taken."""
    return (DecisionAnswer.NO, "belum sesuai") if round_ == 1 else (DecisionAnswer.YES, None)


def test_the_benchmark_runs_end_to_end() -> None:
    summary = workflow_engines.main(["--instances", "2", "--runs", "1"])
    assert summary["all_finished"] is True
    assert summary["tasks_matched"] is True
    assert summary["instances"] == 2
    # 13 steps, 4 and 5 once more after 5's "tidak", step 7 by each of the three Kepala Bidang.
    assert summary["transitions_per_instance"] == 17
    definition = workflow_engines.seed_definition()
    assert summary["path"] == definition_walk(definition, workflow_engines.decision)
    assert summary["sopbot"]["transitions_per_s"]["median"] > 0
    # Both Spiff modes, each with its own ratio; the headline (and the goal) is the reloaded one.
    modes = summary["spiff_modes"]
    assert set(modes) == {"reloaded_per_request", "kept_in_memory"}
    for mode in modes.values():
        assert mode["spiff"]["transitions_per_s"]["median"] > 0
        assert mode["ratio_sopbot_over_spiff"]["median"] > 0
        # A start, then one write transaction per user task.
        assert mode["spiff"]["commits_per_instance"] == 1 + 17
    assert summary["headline_spiff_mode"] == summary["goal_spiff_mode"] == "reloaded_per_request"
    assert summary["spiff"] == modes["reloaded_per_request"]["spiff"]
    assert (
        summary["ratio_sopbot_over_spiff"]
        == modes["reloaded_per_request"]["ratio_sopbot_over_spiff"]
    )
    assert summary["goal_met"] == (
        summary["ratio_sopbot_over_spiff"]["median"] >= workflow_engines.GOAL_RATIO
    )


def test_the_sides_take_turns() -> None:
    first, second = workflow_engines.side_order(0), workflow_engines.side_order(1)
    assert sorted(first) == sorted(workflow_engines.SIDES)
    assert second == first[::-1]
    assert first[1] == "sopbot"


def test_the_bpmn_has_a_task_in_the_right_lane_for_each_step() -> None:
    definition = workflow_engines.seed_definition()
    spec = workflow_engines.parse_bpmn()  # also checked against the BPMN 2.0 schema
    user_tasks = {
        int(task.bpmn_id.removeprefix("step_")): (task.bpmn_name, task.lane)
        for task in spec.task_specs.values()
        if task.manual
    }
    assert user_tasks == {
        step.number: (step.activity, definition.role_of(step).name) for step in definition.steps
    }
    for step in definition.decision_steps():
        gateway = spec.task_specs[f"gateway_{step.number}"]
        assert spec.task_specs[f"step_{step.number}"].outputs == [gateway]
        assert step.decision is not None
        assert {target.bpmn_id for target in gateway.outputs} == {
            f"step_{step.decision.yes}",
            f"step_{step.decision.no}",
        }


@pytest.mark.parametrize(
    "answer_for", [workflow_engines.decision, refuse_each_once], ids=["benchmark", "every-loop"]
)
def test_the_bpmn_visits_the_steps_in_the_definitions_order(answer_for: Answers) -> None:
    definition = workflow_engines.seed_definition()
    spec = workflow_engines.parse_bpmn()
    workflow, path = workflow_engines.spiff_instance(
        spec, list(range(SEVERAL)), definition, answer_for=answer_for
    )
    assert workflow.is_completed()
    assert path == definition_walk(definition, answer_for)
