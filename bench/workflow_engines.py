"""sopbot against SpiffWorkflow, the Python workflow engine a developer would pick instead.

Seed 004 (Kesbangpol Pekalongan, Pengumpulan dan Pengolahan Data Kinerja: 13 steps, decisions
at 5, 11 and 12) runs `--instances` times to the end on each side, on fresh SQLite files with
sopbot's durability (WAL, synchronous=FULL, BEGIN IMMEDIATE: every file is opened through
`sopbot.storage.database.Database`). All sides interleave their instances the same way: every
instance is started first, then each round does the next ready user task of every unfinished
instance (one per instance per round), so no side gets cache locality another does not.

  * sopbot: the instances through the real services (`ProcedureService` with the notifier, as
    the bot wires it): every start, upload and completion is one transaction with its audit
    rows and outbox rows, loading the instance from the database. Work is found as officials
    find it: each round reads every member's pending work once and acts on the first item of
    each instance.
  * SpiffWorkflow, "reloaded per request" (the headline, and the one the goal is judged on):
    how a developer writes a Telegram bot on Spiff. Each button press is a separate update,
    possibly after a restart, for one of many interleaved instances, so nothing can be kept
    in memory between presses: every completed user task is one request that, in one
    transaction (BEGIN IMMEDIATE, so two presses on one workflow cannot lose an update),
    SELECTs the workflow's row, deserializes it (`BpmnWorkflowSerializer.deserialize_json`,
    the spec travels inside the JSON as the serializer writes it), sets the task data, runs
    the task and `do_engine_steps`, serializes it and UPDATEs the row, then commits. A start
    is one request too: create, run to the first user task, serialize, INSERT, commit.
  * SpiffWorkflow, "kept in memory" (a second figure, favouring Spiff): the same rounds and the
    same write after every task, but every `BpmnWorkflow` stays alive in the process between
    tasks, so no SELECT and no deserialization. A bot cannot do that (a restart loses every
    instance, and each request would have to find its workflow in this one process's memory),
    so this is a bound on what Spiff could reach, not a realistic figure.

`bench/bpmn/seed_004.bpmn` is parsed once, outside the timing. Every side follows the same
decision path (step 5 "tidak" in its first round, then "ya"; 11 and 12 "ya") and must finish
every instance with the same number of completed user tasks (dispositions done) and the same
path: otherwise the run fails. A transition is one such user task. The sides take turns within
each run (sopbot in the middle, the two Spiff modes before and after it, swapping each run), so
each ratio holds on a noisy machine. A ratio is sopbot's throughput over Spiff's (Spiff's time
over sopbot's, as the work is the same). Goal: >= 10x against Spiff reloaded per request.

    python -m bench.workflow_engines [--instances N] [--runs 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import gc
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.version import __version__ as spiff_version  # type: ignore[import-untyped]
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select, update
from sqlmodel import SQLModel, col

from bench.figures import spread
from sopbot.demo.staffing import SEVERAL, Player, fake_upload, next_key, staff_agency
from sopbot.engine.definition import DecisionAnswer, OutputKind, SopDefinition
from sopbot.engine.library import load_library
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import InboxItem, ProcedureService
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AuditRow, DispositionRow, InstanceRow, OutboxRow, StepRunRow
from sopbot.storage.notice_writer import NoticeWriter

REPO = Path(__file__).resolve().parents[1]
BPMN_FILE = REPO / "bench" / "bpmn" / "seed_004.bpmn"
PROCESS_ID = "seed_004"
SOP_ID = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
GOAL_RATIO = 10.0
# The decision path of both sides: these (step, round) pairs are answered "tidak" with this
# reason; every other decision is "ya".
REFUSALS: dict[tuple[int, int], str] = {(5, 1): "Format belum memuat semua IKU"}
# About 12-16 s for one run of the three sides on a 2-core machine (sopbot ~10 s of it).
DEFAULT_INSTANCES = 60

# Spiff's table: one row per workflow, the serializer's JSON, rewritten after every task.
_spiff_metadata = MetaData()
SPIFF_TABLE = Table(
    "spiff_workflow",
    _spiff_metadata,
    Column("id", Integer, primary_key=True),
    Column("serialization", Text, nullable=False),
)


def decision(step: int, round_: int) -> tuple[DecisionAnswer, str | None]:
    """The answer (and reason for a "tidak") both sides give at a decision step's round."""
    reason = REFUSALS.get((step, round_))
    return (DecisionAnswer.NO, reason) if reason is not None else (DecisionAnswer.YES, None)


def seed_definition() -> SopDefinition:
    """Seed 004 as sopbot loads it from `sop_defs/`."""
    return load_library(REPO / "sop_defs").definitions[SOP_ID]


def parse_bpmn(*, validate: bool = True) -> Any:
    """The process spec of `seed_004.bpmn` (checked against the BPMN 2.0 schema by default)."""
    parser = BpmnParser(validator=BpmnValidator() if validate else None)
    parser.add_bpmn_file(str(BPMN_FILE))
    return parser.get_spec(PROCESS_ID)


@dataclass
class SideResult:
    """One side's run: its timing, and what it did (counted, then checked from the database)."""

    seconds: float
    instances: int
    finished: int  # instances found finished in the database afterwards
    transitions: int  # user tasks completed (sopbot: dispositions done), from the database
    commits: int  # write transactions in the timed part
    path: list[int]  # the step numbers the first instance went through, in order
    extra: dict[str, float] = dataclasses.field(default_factory=dict)


# -- SpiffWorkflow ---------------------------------------------------------------------------


def start_workflow(spec: Any, kepala_bidang: list[int]) -> Any:
    """A new workflow run up to its first user task."""
    workflow = BpmnWorkflow(spec)
    # The holders of "every holder" step 7, as the multi-instance task's input collection.
    workflow.get_next_task(state=TaskState.READY).data["kepala_bidang"] = list(kepala_bidang)
    workflow.do_engine_steps()
    return workflow


def complete_next_task(
    workflow: Any,
    definition: SopDefinition,
    rounds: dict[int, int],
    answer_for: Callable[[int, int], tuple[DecisionAnswer, str | None]] = decision,
) -> int:
    """Complete the workflow's next ready user task as a button press would; return its step.

    Task data carry what sopbot records: a note, the answer (and reason) of a decision, and the
    uploaded file's record on document steps. A decision's answer is the user's:
    `answer_for(step, round)`, the round counted in `rounds` (the user's side, by step).
    """
    task = workflow.get_next_task(state=TaskState.READY, manual=True)
    if task is None:
        raise RuntimeError("the Spiff workflow is stuck with no ready user task")
    number = int(task.task_spec.bpmn_id.removeprefix("step_"))
    step = definition.step(number)
    task.data["catatan"] = f"Langkah {number} selesai"
    if step.output_kind is OutputKind.DOCUMENT:
        upload = fake_upload(f"langkah-{number}-{task.data.get('kepala', 0)}.pdf")
        task.data["dokumen"] = dataclasses.asdict(upload)
    if step.is_decision:
        rounds[number] = rounds.get(number, 0) + 1
        answer, reason = answer_for(number, rounds[number])
        task.data["answer"] = answer.value
        task.data["reason"] = reason
    task.run()
    workflow.do_engine_steps()
    return number


def spiff_instance(
    spec: Any,
    kepala_bidang: list[int],
    definition: SopDefinition,
    answer_for: Callable[[int, int], tuple[DecisionAnswer, str | None]] = decision,
) -> tuple[Any, list[int]]:
    """Run one workflow to its end in memory, without storage (for the tests).

    Returns the workflow and the step numbers of its user tasks in the order they were done.
    """
    workflow = start_workflow(spec, kepala_bidang)
    rounds: dict[int, int] = {}
    path: list[int] = []
    while not workflow.is_completed():
        path.append(complete_next_task(workflow, definition, rounds, answer_for))
    return workflow, path


class SpiffMode(enum.Enum):
    """How the Spiff side keeps its workflows between user tasks (see the module docstring)."""

    RELOADED = "reloaded_per_request"  # the realistic one: the headline and the goal
    IN_MEMORY = "kept_in_memory"  # favours Spiff: no SELECT, no deserialization

    @property
    def side(self) -> str:
        return f"spiff_{self.value}"

    @property
    def label(self) -> str:
        if self is SpiffMode.RELOADED:
            return (
                "reloaded per request: each user task is one transaction that SELECTs the row,"
                " deserializes, runs the task, serializes and UPDATEs (what a bot must do)"
            )
        return (
            "kept in memory: workflows stay alive between tasks, only serialized and UPDATEd"
            " after each (favours Spiff: no bot can keep them across requests and restarts)"
        )


HEADLINE_MODE = SpiffMode.RELOADED


def run_spiff(
    database: Database, spec: Any, instances: int, holders: int, mode: SpiffMode
) -> SideResult:
    """Start `instances` workflows, then run them to the end in rounds (the next ready user
    task of every unfinished instance per round), writing each after every completed task."""
    _spiff_metadata.create_all(database.engine)
    serializer = BpmnWorkflowSerializer()
    definition = seed_definition()
    kepala_bidang = list(range(1, holders + 1))
    ids = list(range(1, instances + 1))
    # The users' side: which instances still wait for a press, and each one's decision rounds.
    rounds: dict[int, dict[int, int]] = {row_id: {} for row_id in ids}
    kept: dict[int, Any] = {}  # IN_MEMORY only
    commits = 0
    first_path: list[int] = []
    gc.collect()
    started = time.perf_counter()
    for row_id in ids:
        # The start request: stored as soon as it is created, as sopbot's start stores it.
        workflow = start_workflow(spec, kepala_bidang)
        data = serializer.serialize_json(workflow)
        with database.engine.begin() as connection:
            connection.execute(insert(SPIFF_TABLE).values(id=row_id, serialization=data))
        commits += 1
        if mode is SpiffMode.IN_MEMORY:
            kept[row_id] = workflow
    unfinished = ids
    while unfinished:
        waiting: list[int] = []
        for row_id in unfinished:
            if mode is SpiffMode.RELOADED:
                number, done = _press_reloaded(database, serializer, row_id, definition, rounds)
            else:
                number, done = _press_in_memory(
                    database, serializer, row_id, kept[row_id], definition, rounds
                )
            commits += 1
            if row_id == 1:
                first_path.append(number)
            if not done:
                waiting.append(row_id)
        unfinished = waiting
    seconds = time.perf_counter() - started
    kept.clear()
    # Read back (untimed): every stored workflow is complete, and its user tasks are counted.
    finished = transitions = 0
    with database.engine.connect() as connection:
        for (data,) in connection.execute(select(SPIFF_TABLE.c.serialization)):
            workflow = serializer.deserialize_json(data)
            finished += bool(workflow.is_completed())
            transitions += sum(
                1 for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.manual
            )
    return SideResult(seconds, instances, finished, transitions, commits, first_path)


def _press_reloaded(
    database: Database,
    serializer: Any,
    row_id: int,
    definition: SopDefinition,
    rounds: dict[int, dict[int, int]],
) -> tuple[int, bool]:
    """One button press as a Spiff bot handles it: one transaction that reads the workflow,
    completes its next user task and writes it back. Returns the step and whether it ended."""
    with database.engine.begin() as connection:
        data = connection.execute(
            select(SPIFF_TABLE.c.serialization).where(SPIFF_TABLE.c.id == row_id)
        ).scalar_one()
        workflow = serializer.deserialize_json(data)
        number = complete_next_task(workflow, definition, rounds[row_id])
        connection.execute(
            update(SPIFF_TABLE)
            .where(SPIFF_TABLE.c.id == row_id)
            .values(serialization=serializer.serialize_json(workflow))
        )
    return number, bool(workflow.is_completed())


def _press_in_memory(
    database: Database,
    serializer: Any,
    row_id: int,
    workflow: Any,
    definition: SopDefinition,
    rounds: dict[int, dict[int, int]],
) -> tuple[int, bool]:
    """One button press on a workflow kept in memory: complete, then serialize and UPDATE."""
    number = complete_next_task(workflow, definition, rounds[row_id])
    data = serializer.serialize_json(workflow)
    with database.engine.begin() as connection:
        connection.execute(
            update(SPIFF_TABLE).where(SPIFF_TABLE.c.id == row_id).values(serialization=data)
        )
    return number, bool(workflow.is_completed())


# -- sopbot ------------------------------------------------------------------------------------


def run_sopbot(database: Database, instances: int) -> SideResult:
    """Run `instances` procedures to the end through the services, as officials would."""
    upgrade(database)
    definition = seed_definition()
    procedures = ProcedureService(
        database, load_library(REPO / "sop_defs"), observer=NoticeWriter(Notifier())
    )
    agency = staff_agency(OrganizationService(procedures), definition)
    player = Player(procedures, agency, answers={key: decision(*key) for key in REFUSALS})
    starter = agency.person(definition.first_step.role)
    outbox_before = _count(database, OutboxRow)
    gc.collect()
    started = time.perf_counter()
    for n in range(1, instances + 1):
        # The Kepala holds step 1 too, so the start does it at once (in the same transaction).
        procedures.start(
            next_key(),
            agency_id=agency.agency_id,
            sop_id=definition.id,
            title=f"Pengolahan Data Kinerja {n}",
            starter_id=starter,
            note="Untuk ditindaklanjuti",
        )
    _play_rounds(player)
    seconds = time.perf_counter() - started
    uploads = sum(
        1 for step, _, _ in player.acted if definition.step(step).output_kind is OutputKind.DOCUMENT
    )
    audit_rows = _count(database, AuditRow, col(AuditRow.instance_id).is_not(None))
    outbox_rows = _count(database, OutboxRow) - outbox_before
    return SideResult(
        seconds,
        instances,
        finished=_count(database, InstanceRow, col(InstanceRow.state) == "finished"),
        transitions=_count(database, DispositionRow, col(DispositionRow.state) == "done"),
        commits=instances + len(player.acted) + uploads,
        path=_first_path(database),
        extra={
            "audit_rows_per_instance": audit_rows / instances,
            "outbox_rows_per_instance": outbox_rows / instances,
        },
    )


def _play_rounds(player: Player) -> None:
    """Act until no work is left: each round reads everyone's pending work once and acts on
    the first item of each instance. One item per instance per round, because completing a
    team ("salah satu") disposition releases the colleagues' copies of it."""
    while pending := player.work():
        first: dict[uuid.UUID, tuple[int, InboxItem]] = {}
        for member, item in pending:
            first.setdefault(item.instance_id, (member, item))
        for member, item in first.values():
            player.act(member, item)


def _count(database: Database, table: type[SQLModel], *where: Any) -> int:
    with database.engine.connect() as connection:
        query = select(func.count()).select_from(table).where(*where)
        return int(connection.execute(query).scalar_one())


def _first_path(database: Database) -> list[int]:
    """The step numbers of instance 1's done dispositions, in the order they were done."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(col(StepRunRow.step_number))
            .select_from(DispositionRow)
            .join(InstanceRow, col(InstanceRow.id) == col(DispositionRow.instance_id))
            .join(StepRunRow, col(StepRunRow.id) == col(DispositionRow.step_run_id))
            .where(col(InstanceRow.number) == 1, col(DispositionRow.state) == "done")
            .order_by(col(DispositionRow.acted_at))
        )
        return [int(number) for (number,) in rows]


# -- the comparison ----------------------------------------------------------------------------

SIDES = (SpiffMode.RELOADED.side, "sopbot", SpiffMode.IN_MEMORY.side)


def side_order(index: int) -> tuple[str, ...]:
    """The order of the sides in run `index`: sopbot in the middle, the Spiff modes before and
    after it in turn, so each Spiff mode goes first against sopbot every other run."""
    return SIDES if index % 2 == 0 else SIDES[::-1]


def one_run(
    scratch: Path, spec: Any, instances: int, holders: int, *, order: tuple[str, ...] = SIDES
) -> dict[str, SideResult]:
    """Every side on a fresh database file, one after the other in the given order."""
    results: dict[str, SideResult] = {}
    for side in order:
        database = Database(f"sqlite:///{scratch / f'{side}.db'}", audit_key=AuditKey.generate())
        try:
            if side == "sopbot":
                results[side] = run_sopbot(database, instances)
            else:
                results[side] = run_spiff(database, spec, instances, holders, SpiffMode(side[6:]))
        finally:
            database.dispose()
    for mode in SpiffMode:
        _check_same_work(mode.side, results[mode.side], results["sopbot"])
    return results


def _check_same_work(name: str, spiff: SideResult, sopbot: SideResult) -> None:
    """The comparison is only honest if both sides did the same work to the end."""
    for side_name, side in ((name, spiff), ("sopbot", sopbot)):
        if side.finished != side.instances:
            raise RuntimeError(
                f"{side_name} finished {side.finished} of {side.instances} instances"
            )
    if spiff.transitions != sopbot.transitions:
        raise RuntimeError(
            f"user tasks differ: {name} {spiff.transitions}, sopbot {sopbot.transitions}"
        )
    if spiff.path != sopbot.path:
        raise RuntimeError(f"paths differ: {name} {spiff.path}, sopbot {sopbot.path}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=DEFAULT_INSTANCES)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    # As many Kepala Bidang as sopbot's staffing gives an "every holder" role.
    holders = SEVERAL
    spec = parse_bpmn()  # once, outside the timing
    runs: list[dict[str, SideResult]] = []
    for index in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="sopbot-bench-") as scratch:
            runs.append(
                one_run(Path(scratch), spec, args.instances, holders, order=side_order(index))
            )
    summary = summarise(runs, args.instances)
    print(json.dumps(summary, indent=2))
    return summary


def summarise(runs: list[dict[str, SideResult]], instances: int) -> dict[str, Any]:
    """Median and min-max of each side's throughput and of the per-run ratios.

    `spiff_modes` holds each Spiff mode's figures and sopbot's ratio over it; the top-level
    `spiff` and `ratio_sopbot_over_spiff` are the headline mode's (reloaded per request), the
    one the goal is judged on.
    """
    modes: dict[str, Any] = {}
    for mode in SpiffMode:
        # Both sides did the same work, so the ratio of throughputs is Spiff's time over sopbot's.
        ratios = [run[mode.side].seconds / run["sopbot"].seconds for run in runs]
        modes[mode.value] = {
            "label": mode.label,
            "spiff": _figures([run[mode.side] for run in runs], instances),
            "ratio_sopbot_over_spiff": spread(ratios),
        }
    headline = modes[HEADLINE_MODE.value]
    return {
        "instances": instances,
        "runs": len(runs),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "spiffworkflow": spiff_version,
        "transitions_per_instance": runs[0]["sopbot"].transitions / instances,
        "path": runs[0]["sopbot"].path,
        "all_finished": all(run[side].finished == instances for run in runs for side in SIDES),
        "tasks_matched": all(
            run[mode.side].transitions == run["sopbot"].transitions
            for run in runs
            for mode in SpiffMode
        ),
        "sopbot": _figures([run["sopbot"] for run in runs], instances),
        "headline_spiff_mode": HEADLINE_MODE.value,
        "spiff": headline["spiff"],
        "ratio_sopbot_over_spiff": headline["ratio_sopbot_over_spiff"],
        "spiff_modes": modes,
        "goal_ratio": GOAL_RATIO,
        "goal_spiff_mode": HEADLINE_MODE.value,
        "goal_met": headline["ratio_sopbot_over_spiff"]["median"] >= GOAL_RATIO,
    }


def _figures(results: list[SideResult], instances: int) -> dict[str, Any]:
    return {
        "seconds": spread([r.seconds for r in results]),
        "instances_per_s": spread([r.instances / r.seconds for r in results]),
        "transitions_per_s": spread([r.transitions / r.seconds for r in results]),
        "commits_per_instance": results[0].commits / instances,
        **results[0].extra,
    }


if __name__ == "__main__":
    main()
