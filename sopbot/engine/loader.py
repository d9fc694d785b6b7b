"""Loading one SOP definition file: read it whole, report every problem, build it only if clean.

The file format is documented in docs/sop-format.md. Keys are the Indonesian words of the SOP
form (the people who write these files work from the paper SOP); values are kept as written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from yaml.nodes import MappingNode, Node

from sopbot.engine.definition import (
    Assignment,
    OutputKind,
    Role,
    SopDefinition,
    SopIdentity,
    Step,
    Together,
)
from sopbot.engine.draft_marks import UNDECIDED, undecided_nodes
from sopbot.engine.field_reader import FieldReader
from sopbot.engine.header_reader import HeaderReader, version_of
from sopbot.engine.limits import (
    MAX_FILE_BYTES,
    MAX_ROLES,
    TEXT_CAPS,
)
from sopbot.engine.problems import Problem, Severity
from sopbot.engine.step_reader import StepReader
from sopbot.engine.yaml_nodes import NodeReader, canonical, is_null, line_of, peek

_SECTIONS = {
    "sop": "the identity header of the SOP",
    "pelaksana": "the Pelaksana columns, in document order",
    "langkah": "the steps of the procedure table",
}
_ROLE_REQUIRED = {"id": "a short key used by the steps", "nama": "the column title as written"}
_ROLE_OPTIONAL = ("pemegang", "pihak_luar", "dicatat_oleh")
_Choice = TypeVar("_Choice", Assignment, OutputKind, Together)
_ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A file's outcome: the definition (only when it has no errors) and all its problems."""

    definition: SopDefinition | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that keep the file from loading."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)


def load_definition_file(path: Path, *, sop_id: str, agency_key: str, shown_as: str) -> LoadResult:
    """Load a definition file; `shown_as` is the file name used in problem messages.

    No more than MAX_FILE_BYTES + 1 bytes are read: a larger file is refused whatever it holds.
    """
    try:
        data = _read_capped(path)
    except OSError as exc:
        return LoadResult(None, (Problem(shown_as, 1, f"cannot read the file: {exc.strerror}"),))
    if isinstance(data, str):
        return LoadResult(None, (Problem(shown_as, 1, data),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return LoadResult(
            None, (Problem(shown_as, 1, "the file is not UTF-8 text; save it as UTF-8"),)
        )
    return parse_definition(text, source=shown_as, sop_id=sop_id, agency_key=agency_key)


def _read_capped(path: Path) -> bytes | str:
    """The file's bytes, or (as text) the reason they are not read."""
    # Opened without blocking, so that a pipe put where a file was expected cannot hang the
    # start-up; what was opened is checked, not what the name pointed at a moment before.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            return "this is not a regular file; an SOP definition is a .yaml file"
        # Never more than the cap is read, whatever size the file claims.
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _too_big(max(status.st_size, len(data)))
    return data


def _too_big(size: int) -> str:
    """The problem of a file (or text) of `size` bytes, over the cap."""
    return (
        f"the file is {size:,} bytes; an SOP definition file may be at most "
        f"{MAX_FILE_BYTES:,} bytes (1 MB), far more than any real SOP needs: check that it is "
        "the right file, or split the SOP into several"
    )


def parse_definition(text: str, *, source: str, sop_id: str, agency_key: str) -> LoadResult:
    """Parse and validate a definition's text; the definition is built only if it has no errors."""
    reader = NodeReader(source)
    # (A lone surrogate cannot come from a file read as UTF-8; it is counted, and the YAML
    # reader reports it, rather than failing the encoding.)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        reader.error(1, _too_big(size))
        return LoadResult(None, tuple(reader.problems))
    root = reader.compose(text)
    if root is None and not reader.problems:
        reader.error(
            1,
            "the file is empty; an SOP definition needs the sections 'sop', "
            "'pelaksana' and 'langkah'",
        )
    definition = None
    undecided: tuple[Problem, ...] = ()
    if root is not None:
        undecided = _report_undecided(reader, root)
        builder = _Builder(reader, file_name=sop_id.rsplit("/", 1)[-1])
        parts = builder.build(root)
        if parts is not None and not reader.has_errors:
            identity, roles, steps = parts
            digest = _digest_of(root)
            definition = SopDefinition(
                id=sop_id,
                agency_key=agency_key,
                identity=identity,
                roles=roles,
                steps=steps,
                version=version_of(identity, digest),
                digest=digest,
                source=source,
                source_text=text,
            )
    # On the line of a value still to be decided, that is the one problem to fix: what the
    # builder then says about the '??' text itself would only repeat it.
    undecided_lines = {p.line for p in undecided}
    kept = (p for p in reader.problems if p in undecided or p.line not in undecided_lines)
    problems = tuple(sorted(kept, key=lambda p: p.line))
    return LoadResult(definition, problems)


def _report_undecided(reader: NodeReader, root: Node) -> tuple[Problem, ...]:
    """Refuse each value an imported draft left for a person to decide (engine/draft_marks);
    the problems reported."""
    before = len(reader.problems)
    for node, key in undecided_nodes(root):
        suggestion = node.value.strip()[len(UNDECIDED) :].strip()
        hint = f"; the importer suggests '{suggestion}'" if suggestion else ""
        reader.error(
            line_of(node),
            f"'{key}' is still to be decided: the imported document could not settle it{hint}. "
            "Write the right value in place of the '??' text",
        )
    return tuple(reader.problems[before:])


def _digest_of(root: Node) -> str:
    """A hash of the content (not of comments or layout), to notice edits under one version."""
    text = json.dumps(canonical(root), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Builder(FieldReader):
    """Turns a node tree into definition parts, recording every problem on the reader."""

    def __init__(self, reader: NodeReader, *, file_name: str) -> None:
        super().__init__(reader)
        self.file_name = file_name  # the title of an SOP whose document states none

    def build(self, root: Node) -> tuple[SopIdentity, tuple[Role, ...], tuple[Step, ...]] | None:
        if is_null(root):
            self.r.error(
                line_of(root),
                "the file is empty; an SOP definition needs the sections "
                "'sop', 'pelaksana' and 'langkah'",
            )
            return None
        if not isinstance(root, MappingNode):
            self.r.error(
                line_of(root),
                "the file must be a mapping with the sections 'sop', 'pelaksana' and 'langkah'",
            )
            return None
        sections = self.r.mapping(root, "the file", required=_SECTIONS)
        if sections is None:
            return None
        identity = (
            HeaderReader(self.r, file_name=self.file_name).identity(
                sections["sop"], sections.line("sop")
            )
            if "sop" in sections
            else None
        )
        roles = (
            self._roles(sections["pelaksana"], sections.line("pelaksana"))
            if "pelaksana" in sections
            else None
        )
        steps = (
            StepReader(self.r).read(sections["langkah"], sections.line("langkah"), roles or {})
            if "langkah" in sections
            else None
        )
        if roles is not None and steps is not None:
            used = {key for s in steps for key in s.roles}
            used |= {roles[key][0].recorded_by or key for key in used if key in roles}
            for key, (role, line) in roles.items():
                if key not in used:
                    self.r.warning(
                        line,
                        f"role '{key}' ({role.name}) does no step; remove it or give it a step",
                    )
        if identity is None or roles is None or steps is None:
            return None
        return identity, tuple(role for role, _ in roles.values()), steps

    # -- roles -----------------------------------------------------------------------------

    def _roles(self, node: Node, owner_line: int) -> dict[str, tuple[Role, int]] | None:
        items = self.r.sequence(node, "'pelaksana'")
        if items is None:
            return None
        if not items:
            self.r.error(
                line_of(node), "'pelaksana' has no roles; list the Pelaksana columns of the SOP"
            )
            return None
        if len(items) > MAX_ROLES:
            self.r.error(
                owner_line,
                f"'pelaksana' has {len(items):,} roles; an SOP may have at most {MAX_ROLES} "
                "Pelaksana columns: check that each item is a column of the SOP's table",
            )
            return None
        roles: dict[str, tuple[Role, int]] = {}
        names: dict[str, int] = {}
        ok = True
        for index, item in enumerate(items, start=1):
            role = self._role(item, index)
            if role is None:
                ok = False
                continue
            line = line_of(item)
            if role.key in roles:
                self.r.error(
                    line,
                    f"role id '{role.key}' is used twice (first on line "
                    f"{roles[role.key][1]}); give each role its own id",
                )
                ok = False
                continue
            folded = role.name.casefold()
            if folded in names:
                self.r.error(
                    line,
                    f"two roles are named '{role.name}' (lines {names[folded]} and "
                    f"{line}); each Pelaksana column has its own name",
                )
                ok = False
            names.setdefault(folded, line)
            roles[role.key] = (role, line)
        return self._check_recorders(roles) if ok else None

    def _check_recorders(
        self, roles: dict[str, tuple[Role, int]]
    ) -> dict[str, tuple[Role, int]] | None:
        """An outside party's steps are recorded by a role of the agency itself."""
        ok = True
        for role, line in roles.values():
            if role.recorded_by is None:
                continue
            recorder = roles.get(role.recorded_by)
            if recorder is None or recorder[0].external:
                what = "an outside party too" if recorder else "not a role of this SOP"
                self.r.error(
                    line,
                    f"'dicatat_oleh' of role '{role.key}' is '{role.recorded_by}', which is "
                    f"{what}; name a role of the agency under 'pelaksana'",
                )
                ok = False
        return roles if ok else None

    def _role(self, node: Node, index: int) -> Role | None:
        shown = peek(node, "id")
        where = f"role '{shown}'" if shown else f"item {index} of 'pelaksana'"
        fields = self.r.mapping(node, where, required=_ROLE_REQUIRED, optional=_ROLE_OPTIONAL)
        if fields is None:
            return None
        key = self._required_text(fields, "pelaksana", "id", f"the id of {where}")
        name = self._required_text(fields, "pelaksana", "nama", f"'nama' of {where}")
        if key is not None and not _ROLE_KEY.match(key):
            self.r.error(
                line_of(fields["id"]),
                f"role id '{key}' is not a valid id; use "
                "lower-case letters, digits and '_', e.g. "
                "'kepala_dinas'",
            )
            key = None
        assignment = self._assignment(fields.get("pemegang"), "pelaksana", where)
        external = self._flag(fields.get("pihak_luar"), f"'pihak_luar' of {where}")
        recorded_by = self.r.optional_text(
            fields.get("dicatat_oleh"),
            f"'dicatat_oleh' of {where}",
            cap=TEXT_CAPS["pelaksana.dicatat_oleh"],
        )
        if external and not recorded_by and "dicatat_oleh" not in fields:
            self.r.error(
                line_of(node),
                f"{where} is an outside party (pihak_luar: ya); say which role of the agency "
                "records what it does with 'dicatat_oleh' (e.g. the official who serves it)",
            )
            return None
        if recorded_by and not external:
            self.r.error(
                fields.line("dicatat_oleh"),
                f"'dicatat_oleh' of {where} is for an outside party; add 'pihak_luar: ya' or "
                "remove it",
            )
            return None
        if key is None or name is None or assignment is None or external is None:
            return None
        return Role(
            key=key,
            name=name,
            assignment=assignment,
            external=external,
            recorded_by=recorded_by or None,
        )
