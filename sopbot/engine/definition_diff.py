"""What changed between two versions of an SOP: the header fields, the roles, and the steps.

Pure: `sopbot sop diff` prints it in a terminal, and the bot can show it in Telegram. Values are
given as the SOP writes them (texts, times as written, role ids, printed step numbers), under
the keys of the definition format (docs/sop-format.md), so an admin reads them as in the file.

Steps have no identity across versions but their place and their words, so they are matched
in table order: runs of steps whose activity is the same pair up as they are, and inside a
stretch that differs, a step pairs with a later one of similar activity (else it was removed,
and the unpaired new ones were added). Flow targets are compared through that pairing, so a
renumbering alone is not a change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from sopbot.engine.definition import END, Role, SopDefinition, SopIdentity, Step
from sopbot.engine.limits import HEADER_LISTS

# Two activities this alike (difflib's ratio) are one step reworded rather than two steps.
_SIMILAR = 0.5


class Change(StrEnum):
    """How a role or a step differs between two versions."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of the header, a role or a step, before and after ("" for none)."""

    key: str  # the key in the definition format: "nama", "waktu", "pelaksana", "alur"
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A Pelaksana column added, removed or changed (by its id)."""

    change: Change
    key: str
    name: str  # the role's name (the new one for a changed role)
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class StepChange:
    """A step added, removed or changed, named by its printed number before and after."""

    change: Change
    label_before: str | None  # None for an added step
    label_after: str | None  # None for a removed step
    activity: str  # the step's activity (the new one for a changed step)
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class DefinitionDiff:
    """Every difference between two versions of one SOP."""

    version_before: str
    version_after: str
    header: tuple[FieldChange, ...]
    roles: tuple[RoleChange, ...]
    steps: tuple[StepChange, ...]

    @property
    def same(self) -> bool:
        """True when nothing the diff compares differs (comments and layout are not compared)."""
        return not (self.header or self.roles or self.steps)


def diff_definitions(before: SopDefinition, after: SopDefinition) -> DefinitionDiff:
    """What changed from `before` to `after` (two versions of one SOP)."""
    return DefinitionDiff(
        before.version,
        after.version,
        tuple(_header_changes(before.identity, after.identity)),
        tuple(_role_changes(before.roles, after.roles)),
        tuple(_step_changes(before, after)),
    )


# -- the header --------------------------------------------------------------------------


def _header_fields() -> list[tuple[str, Callable[[SopIdentity], str]]]:
    """The header fields compared, by key, each read as text."""
    fields: list[tuple[str, Callable[[SopIdentity], str]]] = [
        ("pemerintah", lambda i: i.government or ""),
        ("instansi", lambda i: i.agency),
        ("unit", lambda i: i.unit or ""),
        ("nomor", lambda i: i.number or ""),
        ("nama", lambda i: i.name),
        ("tanggal_pembuatan", lambda i: i.created_on.as_written),
        ("tanggal_revisi", lambda i: i.revised_on.as_written),
        ("tanggal_efektif", lambda i: i.effective_on.as_written),
        ("revisi", lambda i: i.revision or ""),
        ("disahkan_oleh.jabatan", lambda i: i.approved_by.position),
        ("disahkan_oleh.nama", lambda i: i.approved_by.name),
        ("disahkan_oleh.pangkat", lambda i: i.approved_by.rank or ""),
        ("disahkan_oleh.nip", lambda i: i.approved_by.nip or ""),
    ]
    fields += [(key, _list_reader(key)) for key in HEADER_LISTS]
    fields.append(("judul_tabel", lambda i: i.table_title or ""))
    return fields


def _list_reader(key: str) -> Callable[[SopIdentity], str]:
    return lambda identity: "; ".join(identity.header_list(key))


def _header_changes(before: SopIdentity, after: SopIdentity) -> Iterator[FieldChange]:
    for key, read in _header_fields():
        old, new = read(before), read(after)
        if old != new:
            yield FieldChange(key, old, new)


# -- the roles ---------------------------------------------------------------------------


def _role_fields(role: Role) -> dict[str, str]:
    return {
        "nama": role.name,
        "pemegang": role.assignment.value,
        "luar": "ya" if role.external else "",
        "dicatat_oleh": role.recorded_by or "",
    }


def _role_changes(before: tuple[Role, ...], after: tuple[Role, ...]) -> Iterator[RoleChange]:
    old = {r.key: r for r in before}
    new = {r.key: r for r in after}
    for role in before:
        if role.key not in new:
            yield RoleChange(Change.REMOVED, role.key, role.name)
    for role in after:
        if role.key not in old:
            yield RoleChange(Change.ADDED, role.key, role.name)
            continue
        fields = _field_changes(_role_fields(old[role.key]), _role_fields(role))
        if fields:
            yield RoleChange(Change.CHANGED, role.key, role.name, fields)


# -- the steps ---------------------------------------------------------------------------


def _step_changes(before: SopDefinition, after: SopDefinition) -> Iterator[StepChange]:
    pairs = _pair_steps(before.steps, after.steps)
    to_new = {old.number: new.number for old, new in pairs if old is not None and new is not None}
    for old, new in pairs:
        if new is None:
            assert old is not None  # noqa: S101 - a pair has at least one side
            yield StepChange(Change.REMOVED, old.label, None, old.activity)
        elif old is None:
            yield StepChange(Change.ADDED, None, new.label, new.activity)
        else:
            fields = _field_changes(_step_fields(before, old), _step_fields(after, new))
            flow = _flow_change(before, old, after, new, to_new)
            if flow is not None:
                fields += (flow,)
            if fields:
                yield StepChange(Change.CHANGED, old.label, new.label, new.activity, fields)


def _pair_steps(
    before: tuple[Step, ...], after: tuple[Step, ...]
) -> list[tuple[Step | None, Step | None]]:
    """The steps of two versions in table order, paired where they are one step."""
    words_before = [_words(s.activity) for s in before]
    words_after = [_words(s.activity) for s in after]
    matcher = SequenceMatcher(None, words_before, words_after, autojunk=False)
    pairs: list[tuple[Step | None, Step | None]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += zip(before[i1:i2], after[j1:j2], strict=True)
        else:
            pairs += _pair_stretch(before[i1:i2], after[j1:j2])
    return pairs


def _pair_stretch(
    before: tuple[Step, ...], after: tuple[Step, ...]
) -> list[tuple[Step | None, Step | None]]:
    """Pair a stretch that differs: each old step with the next new one alike enough; when
    none is alike and the stretch keeps its length, place by place (a step reworded whole)."""
    alike = [
        (i, j)
        for i, old in enumerate(before)
        for j, new in enumerate(after)
        if _similarity(old.activity, new.activity) >= _SIMILAR
    ]
    if not alike and len(before) == len(after):
        return list(zip(before, after, strict=True))
    pairs: list[tuple[Step | None, Step | None]] = []
    next_new = 0
    for i, old in enumerate(before):
        match = next((j for k, j in alike if k == i and j >= next_new), None)
        if match is None:
            pairs.append((old, None))
            continue
        pairs += [(None, new) for new in after[next_new:match]]
        pairs.append((old, after[match]))
        next_new = match + 1
    pairs += [(None, new) for new in after[next_new:]]
    return pairs


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio()


def _step_fields(definition: SopDefinition, step: Step) -> dict[str, str]:
    """The fields of a step compared, as text (flow apart: see `_flow_change`)."""
    decision = step.decision
    return {
        "kegiatan": step.activity,
        "pelaksana": _executors(definition, step),
        "waktu": step.standard_time.as_written,
        "waktu_ulang": step.rework_time.as_written if step.rework_time else "",
        "kelengkapan": step.inputs,
        "output": step.output,
        "jenis_output": step.output_kind.value,
        "keterangan": step.remarks,
        "pertanyaan": (decision.question or "") if decision else "",
    }


def _executors(definition: SopDefinition, step: Step) -> str:
    """The executing roles by id, with who among their holders acts where the step says it
    differently from the role, and how several do the step."""
    parts = []
    for executor in step.executors:
        written = executor.role
        role = definition.role(executor.role)
        if executor.assignment is not role.assignment:
            written += f" (pemegang: {executor.assignment.value})"
        parts.append(written)
    text = ", ".join(parts)
    if step.shared:
        text += f"; bersama: {step.together.value}"
        if step.output_role != step.executors[-1].role:
            text += f"; output_oleh: {step.output_role}"
    return text


def _flow_change(
    before: SopDefinition,
    old: Step,
    after: SopDefinition,
    new: Step,
    to_new: dict[int, int],
) -> FieldChange | None:
    """Where a step leads, when that changed: a way on (an answer, or `lanjut`) that now
    leads to another step than the one it led to, or answers added, removed or relabelled.
    A step that goes on to the next row in both versions has no flow of its own to compare
    (a step added or removed after it is reported as such)."""
    old_ways, old_by_row = _ways(before, old)
    new_ways, new_by_row = _ways(after, new)
    if old_by_row and new_by_row:
        return None
    same_labels = [w for w, _ in old_ways] == [w for w, _ in new_ways]
    same_targets = all(
        (old_target == END and new_target == END) or to_new.get(old_target) == new_target
        for (_, old_target), (_, new_target) in zip(old_ways, new_ways, strict=False)
    )
    if same_labels and same_targets:
        return None
    return FieldChange("alur", _ways_text(before, old_ways), _ways_text(after, new_ways))


def _ways(definition: SopDefinition, step: Step) -> tuple[list[tuple[str, int]], bool]:
    """A step's ways on, (answer or "lanjut", target), and whether it simply goes on to the
    next row of the table."""
    if step.decision is not None:
        return [(b.label or b.key, b.target) for b in step.decision.branches], False
    position = definition.position_of(step)
    following = definition.steps[position].number if position < len(definition.steps) else END
    return [("lanjut", step.next)], step.next == following


def _ways_text(definition: SopDefinition, ways: list[tuple[str, int]]) -> str:
    return "; ".join(f"{way} → {_target(definition, target)}" for way, target in ways)


def _target(definition: SopDefinition, number: int) -> str:
    if number == END:
        return "selesai"
    return f"langkah {definition.step(number).label}"


def _field_changes(before: dict[str, str], after: dict[str, str]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(key, before.get(key, ""), after.get(key, ""))
        for key in dict.fromkeys([*before, *after])
        if before.get(key, "") != after.get(key, "")
    )


__all__ = [
    "Change",
    "DefinitionDiff",
    "FieldChange",
    "RoleChange",
    "StepChange",
    "diff_definitions",
]
