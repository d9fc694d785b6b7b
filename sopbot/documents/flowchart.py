"""The flowchart of the procedure table, apart from any drawing: which symbol stands in which
Pelaksana columns of each row, and the arrows between the rows.

Permenpan RB 35/2012 draws the flow in the role columns: the executor's column holds the step's
symbol (a terminator for the start and for a step that ends the procedure, a diamond for a
decision, a rectangle for any other activity), and arrows join the symbols row to row. A step
done by roles whose columns are side by side gets one symbol drawn across them; roles apart get
a symbol each. The PDF painter and the DOCX writer both draw from this.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sopbot.engine.definition import END, Branch, DecisionAnswer, SopDefinition, Step

_LABEL_CHARS = 14  # a labelled answer longer than this is cut short beside its arrow


class Shape(StrEnum):
    """A flowchart symbol, named as DrawingML's preset geometries name them."""

    TERMINATOR = "flowChartTerminator"
    PROCESS = "flowChartProcess"
    DECISION = "flowChartDecision"
    CONNECTOR = "flowChartConnector"
    OFF_PAGE = "flowChartOffpageConnector"


@dataclass(frozen=True, slots=True)
class ColumnGroup:
    """Adjacent Pelaksana columns (0-based among the role columns) that one symbol spans."""

    first: int
    last: int

    @property
    def columns(self) -> range:
        """The role columns the group covers."""
        return range(self.first, self.last + 1)


@dataclass(frozen=True, slots=True)
class RowSymbols:
    """The symbol of one row: its shape and the column groups it is drawn in."""

    row: int  # 0-based position of the step in the table
    step: Step
    shape: Shape
    groups: tuple[ColumnGroup, ...]


@dataclass(frozen=True, slots=True)
class Arrow:
    """An arrow of the flow from a row's symbol to another row's, or to the end.

    `label` is "ya" / "tidak" or a labelled answer (short) on a decision's branch, else None.
    `target` is a 0-based row, or None when the branch ends the procedure.
    """

    source: int
    target: int | None
    label: str | None = None

    @property
    def to_next_row(self) -> bool:
        """True when the arrow goes straight down to the following row."""
        return self.target == self.source + 1


def shape_of(definition: SopDefinition, step: Step) -> Shape:
    """The symbol of a step: a diamond for a question, a terminator for the first step and a
    step that ends the procedure, else a process rectangle."""
    if step.decision is not None:
        return Shape.DECISION
    if step is definition.first_step or step.next == END:
        return Shape.TERMINATOR
    return Shape.PROCESS


def column_groups(definition: SopDefinition, step: Step) -> tuple[ColumnGroup, ...]:
    """The executors' role columns, merged into runs of adjacent columns."""
    order = {role.key: index for index, role in enumerate(definition.roles)}
    columns = sorted({order[key] for key in step.roles})
    groups: list[ColumnGroup] = []
    for column in columns:
        if groups and groups[-1].last == column - 1:
            groups[-1] = ColumnGroup(groups[-1].first, column)
        else:
            groups.append(ColumnGroup(column, column))
    return tuple(groups)


def row_symbols(definition: SopDefinition) -> list[RowSymbols]:
    """Every row's symbol, in table order."""
    return [
        RowSymbols(row, step, shape_of(definition, step), column_groups(definition, step))
        for row, step in enumerate(definition.steps)
    ]


def arrows(definition: SopDefinition) -> list[Arrow]:
    """The arrows of the flow: each step to its next one, each decision branch to its target
    (to None where it ends the procedure); a plain step that ends it has none."""
    rows = {step.number: row for row, step in enumerate(definition.steps)}
    found: list[Arrow] = []
    for row, step in enumerate(definition.steps):
        if step.decision is None:
            if step.next != END:
                found.append(Arrow(row, rows[step.next]))
            continue
        for branch in step.decision.branches:
            target = None if branch.target == END else rows[branch.target]
            found.append(Arrow(row, target, branch_label(branch)))
    return found


def branch_label(branch: Branch) -> str:
    """The words beside a branch's arrow: "ya" / "tidak", or the answer as written (short)."""
    if branch.label is None:
        return "ya" if branch.key == DecisionAnswer.YES else "tidak"
    text = branch.label.strip()
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1].rstrip() + "…"
