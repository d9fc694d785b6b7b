"""An agency's positions (jabatan) and the SOP roles each serves, as its admins manage them
from Telegram (/jabatan) and the server's operator from the command line (`sopbot position`).

Every command is one transaction, audited with who did it, and authorised on the server: the
caller (`actor_id`; None for the command line, which runs on the server) must be an admin of
the agency, and every id it names (a position, a mapping) must be that agency's. A change of
mapping re-routes the agency's open work in the same transaction, as `OrganizationService.
map_role` does, so a step follows the role to its new position, or waits ("belum ada pejabat")
when no position serves the role any more.

A removed position keeps its row (dispositions and the audit trail name it), serves no role,
and leaves every list that offers positions. Its key is freed: it becomes KEY~ID, so that a
new position may take KEY again (a reorganisation often brings the same post back); the audit
row of the removal keeps the key it had.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import DomainError, NotAllowed, NotFound, UnknownSop
from sopbot.engine.organization import ActingKind
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.onboarding import revoke_audited
from sopbot.services.organization import add_role_mapping
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, holdings, instance_lookup, invitations, members, positions
from sopbot.storage.agencies import Agency
from sopbot.storage.audit import record_change
from sopbot.storage.models import ANY_SOP
from sopbot.storage.positions import RoleMapping, StoredPosition
from sopbot.storage.unit_of_work import UnitOfWork

NAME_LIMIT = 200  # characters of a position's name (the column's width)
KEY_LIMIT = 64  # characters of a position's key (the column's width)
KEY_FROM_NAME_LIMIT = 48  # a key made from a name, leaving room for "_2", "_3"...
REF_LENGTH = 8  # hex digits of the short reference a button carries for an SOP or a role
REMOVED_KEY_MARK = "~"  # a removed position's key becomes KEY~ID (see the module's docstring)


class PositionNameRefused(DomainError):
    """A position's name that cannot be used; `reason`: empty, too_long, taken, unchanged."""

    code = "position_name_refused"


class PositionKeyTaken(DomainError):
    """Another position of the agency has this key."""

    code = "position_key_taken"


class PositionInUse(DomainError):
    """A position cannot be removed while someone holds it, acts for it (Plt/Plh), or work
    waits on it: `holders`, `actings` (names, joined) and `open_work` (dispositions) say which."""

    code = "position_in_use"


class RoleNotServable(DomainError):
    """The role is not one a position of the agency can serve: no such role in the SOP (or in
    any of the agency's SOPs), or an outside party (`recorded_by`: the role that records it)."""

    code = "role_not_servable"


class MappingExists(DomainError):
    """The position serves this role (for this SOP, or for all) already."""

    code = "mapping_exists"


# -- views ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActingView:
    """A Plt/Plh for a position, in office or to come."""

    acting_id: int
    position_id: int
    kind: ActingKind
    member_id: int
    name: str
    for_name: str | None  # the absent holder; None: the post is vacant
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    in_office: bool


@dataclass(frozen=True, slots=True)
class MappingView:
    """A role a position serves: for one SOP (`sop_id`, its title) or for all (`sop_id` "*")."""

    mapping_id: int
    sop_id: str
    sop_title: str | None  # None for every SOP of the agency
    role_key: str
    role_name: str

    @property
    def for_every_sop(self) -> bool:
        """True for a mapping that serves the role in every SOP of the agency."""
        return self.sop_id == ANY_SOP


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with who holds it now, its Plt/Plh, and the roles it serves."""

    id: int
    key: str
    name: str
    holders: tuple[str, ...]
    actings: tuple[ActingView, ...]
    mappings: tuple[MappingView, ...]
    removed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AgencyPositions:
    """The positions of an agency, in the order they were added."""

    agency_id: int
    agency_key: str
    agency_name: str
    positions: tuple[PositionView, ...]


@dataclass(frozen=True, slots=True)
class SopChoice:
    """One of the agency's SOPs, as a button names it (`ref`: a short hash of its id)."""

    ref: str
    sop_id: str
    title: str


@dataclass(frozen=True, slots=True)
class RoleChoice:
    """A role a position may be given (`ref`: a short hash of its key); `mapped` when the
    position serves it in this scope already."""

    ref: str
    key: str
    name: str
    mapped: bool


@dataclass(frozen=True, slots=True)
class RoleChoices:
    """The roles offered to a position: of one SOP (`sop`), or of every SOP (`sop` None)."""

    position: PositionView
    sop: SopChoice | None
    roles: tuple[RoleChoice, ...]

    @property
    def sop_id(self) -> str:
        """The SOP a role chosen here is mapped for (ANY_SOP: every SOP of the agency)."""
        return self.sop.sop_id if self.sop is not None else ANY_SOP


@dataclass(frozen=True, slots=True)
class OpenWorkImpact:
    """What a change of mappings does to the open steps of running procedures: how many get
    other people, and how many of those are left with no one ("belum ada pejabat")."""

    steps_touched: int
    steps_left_vacant: int


@dataclass(frozen=True, slots=True)
class UnmapPreview:
    """What taking a role away from a position would do, before the admin confirms."""

    position: PositionView
    mapping: MappingView
    impact: OpenWorkImpact


@dataclass(frozen=True, slots=True)
class RemovalPreview:
    """Whether a position can be removed now, and if not why (`holders`, `actings`,
    `open_work`); what its removal would take with it."""

    position: PositionView
    holders: tuple[str, ...]
    actings: tuple[ActingView, ...]
    open_work: int
    impact: OpenWorkImpact

    @property
    def blocked(self) -> bool:
        """True while the position cannot be removed."""
        return bool(self.holders or self.actings or self.open_work)


# -- command results (stored with the command's key: plain values) ----------------------------


@dataclass(frozen=True, slots=True)
class PositionCreated:
    """The position was added (its key made from its name, unless one was given)."""

    position_id: int
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class PositionRenamed:
    """The position was renamed."""

    position_id: int
    old_name: str
    new_name: str


@dataclass(frozen=True, slots=True)
class PositionRemoved:
    """The position was removed: its mappings with it, its key freed (`freed_key`)."""

    position_id: int
    name: str
    key: str
    freed_key: str
    mappings_removed: int
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class RoleGiven:
    """The position serves the role now; open work was re-routed."""

    mapping_id: int
    position_id: int
    role_key: str
    sop_id: str
    instances_rerouted: int


@dataclass(frozen=True, slots=True)
class RoleTaken:
    """The position no longer serves the role; open work was re-routed, and
    `steps_left_vacant` open steps now wait for a position ("belum ada pejabat")."""

    position_id: int
    role_key: str
    sop_id: str
    role_name: str
    sop_title: str | None  # None: the role was served in every SOP
    instances_rerouted: int
    steps_touched: int
    steps_left_vacant: int


class PositionAdmin:
    """The positions of an agency and the roles they serve: views and audited commands."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.runner = CommandRunner(procedures.database, clock)

    # -- views -------------------------------------------------------------------------------

    def overview(
        self, agency_id: int, *, actor_id: int | None = None, include_removed: bool = False
    ) -> AgencyPositions:
        """The agency's positions (the removed ones too with `include_removed`), each with its
        holders, Plt/Plh and roles."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
            stored = positions.positions_with_removed(uow, agency_id)
            shown = [p for p in stored if include_removed or p.removed_at is None]
            views = self._views(uow, agency, shown, now)
        return AgencyPositions(agency.id, agency.key, agency.name, tuple(views))

    def position(
        self, agency_id: int, position_id: int, *, actor_id: int | None = None
    ) -> PositionView:
        """One position of the agency (NotFound: removed, another agency's, or none)."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
            (view,) = self._views(uow, agency, [_active(uow, agency_id, position_id)], now)
        return view

    def sop_choices(self, agency_id: int, *, actor_id: int | None = None) -> tuple[SopChoice, ...]:
        """The agency's SOPs a role may be mapped for, by id."""
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
        return tuple(_choice(d) for d in self._sops(agency))

    def role_choices(
        self,
        agency_id: int,
        position_id: int,
        sop_ref: str | None,
        *,
        actor_id: int | None = None,
    ) -> RoleChoices:
        """The roles the position may be given: those of the SOP `sop_ref` names, or (None)
        those of every SOP of the agency. Outside parties are never offered."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
            (view,) = self._views(uow, agency, [_active(uow, agency_id, position_id)], now)
        sops = self._sops(agency)
        sop: SopDefinition | None = None
        if sop_ref is not None:
            sop = next((d for d in sops if ref_of(d.id) == sop_ref), None)
            if sop is None:
                raise NotFound("no such SOP in this agency", what="sop", ref=sop_ref)
        scope = sop.id if sop is not None else ANY_SOP
        mapped = {m.role_key for m in view.mappings if m.sop_id == scope}
        roles = tuple(
            RoleChoice(ref_of(key), key, name, key in mapped)
            for key, name in _servable_roles([sop] if sop is not None else sops).items()
        )
        return RoleChoices(view, _choice(sop) if sop is not None else None, roles)

    def unmap_preview(
        self, agency_id: int, mapping_id: int, *, actor_id: int | None = None
    ) -> UnmapPreview:
        """What taking the mapping away would do to open work (NotFound: another agency's
        mapping, or one taken away already)."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
            mapping = _mapping(uow, agency_id, mapping_id)
            position = _active(uow, agency_id, mapping.position_id)
            (view,) = self._views(uow, agency, [position], now)
            impact = self._impact(uow, agency_id, now, {mapping.id})
        shown = next(m for m in view.mappings if m.mapping_id == mapping.id)
        return UnmapPreview(view, shown, impact)

    def removal_preview(
        self, agency_id: int, position_id: int, *, actor_id: int | None = None
    ) -> RemovalPreview:
        """Whether the position can be removed now, and what its removal would do."""
        now = self.runner.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = _authorised(uow, agency_id, actor_id)
            position = _active(uow, agency_id, position_id)
            (view,) = self._views(uow, agency, [position], now)
            return self._removal(uow, agency, position, view, now)

    # -- commands ----------------------------------------------------------------------------

    def add_position(
        self,
        key: CommandKey | str | None,
        *,
        agency_id: int,
        name: str,
        actor_id: int | None = None,
        position_key: str | None = None,
    ) -> Outcome[PositionCreated]:
        """A new position of the agency named `name`; its key is `position_key`, or made from
        the name (unique in the agency)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionCreated:
            _authorised(uow, agency_id, actor_id)
            clean = _checked_name(uow, agency_id, name)
            taken = positions.position_keys(uow, agency_id)
            if position_key is not None:
                if position_key in taken:
                    raise PositionKeyTaken(
                        "a position of the agency has this key", key=position_key
                    )
                chosen = position_key
            else:
                chosen = key_from_name(clean, taken)
            position_id = agencies.add_position(uow, agency_id=agency_id, key=chosen, name=clean)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="position",
                entity_id=position_id,
                action="create",
                before=None,
                after="active",
                detail={"key": chosen, "name": clean},
            )
            return PositionCreated(position_id, chosen, clean)

        return self.runner.run(key, "add_position", work, PositionCreated)

    def rename_position(
        self,
        key: CommandKey | str | None,
        *,
        agency_id: int,
        position_id: int,
        name: str,
        actor_id: int | None = None,
    ) -> Outcome[PositionRenamed]:
        """The position is called `name` from now on; its key, holders and roles stay."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionRenamed:
            _authorised(uow, agency_id, actor_id)
            positions.lock_position(uow, position_id)
            position = _active(uow, agency_id, position_id)
            clean = _checked_name(uow, agency_id, name, renaming=position)
            positions.rename_position(uow, position_id, clean)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="position",
                entity_id=position_id,
                action="rename",
                before=position.name,
                after=clean,
                detail={"key": position.key},
            )
            return PositionRenamed(position_id, position.name, clean)

        return self.runner.run(key, "rename_position", work, PositionRenamed)

    def remove_position(
        self,
        key: CommandKey | str | None,
        *,
        agency_id: int,
        position_id: int,
        actor_id: int | None = None,
    ) -> Outcome[PositionRemoved]:
        """Remove the position: refused (PositionInUse) while someone holds it, acts for it or
        work waits on it; otherwise its mappings go, its key is freed and the row stays."""

        def work(uow: UnitOfWork, now: dt.datetime) -> PositionRemoved:
            agency = _authorised(uow, agency_id, actor_id)
            positions.lock_position(uow, position_id)
            position = _active(uow, agency_id, position_id)
            (view,) = self._views(uow, agency, [position], now)
            check = self._removal(uow, agency, position, view, now, with_impact=False)
            if check.blocked:
                raise PositionInUse(
                    "the position is held, acted for, or has open work",
                    holders=", ".join(check.holders),
                    actings=", ".join(f"{a.kind.prefix} {a.name}" for a in check.actings),
                    open_work=check.open_work,
                )
            mappings = [
                m
                for m in positions.role_mappings_of_agency(uow, agency_id)
                if m.position_id == position_id
            ]
            for mapping in mappings:
                positions.delete_role_mapping(uow, mapping.id)
                _audit_unmapped(uow, now, actor_id, mapping, because="position removed")
            # Its open invitations go with it: a link to a removed position opens nothing.
            for invitation_id in invitations.open_invitations_to_position(uow, position_id, now):
                revoke_audited(
                    uow, now, agency_id, actor_id, invitation_id, reason="position_removed"
                )
            freed = _freed_key(position, positions.position_keys(uow, agency_id))
            positions.mark_removed(uow, position_id, at=now, key=freed)
            record_change(
                uow,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="position",
                entity_id=position_id,
                action="remove",
                before="active",
                after="removed",
                detail={"key": position.key, "freed_key": freed, "name": position.name},
            )
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return PositionRemoved(
                position_id, position.name, position.key, freed, len(mappings), moved
            )

        return self.runner.run(key, "remove_position", work, PositionRemoved)

    def map_role(
        self,
        key: CommandKey | str | None,
        *,
        agency_id: int,
        position_id: int,
        role_key: str,
        sop_id: str = ANY_SOP,
        actor_id: int | None = None,
    ) -> Outcome[RoleGiven]:
        """The position serves the role, in one SOP of the agency or (ANY_SOP) in all of them;
        open work of that role is re-routed to it now."""

        def work(uow: UnitOfWork, now: dt.datetime) -> RoleGiven:
            agency = _authorised(uow, agency_id, actor_id)
            positions.lock_position(uow, position_id)
            _active(uow, agency_id, position_id)
            self._check_role(agency, role_key, sop_id)
            for mapping in positions.role_mappings_of_agency(uow, agency_id):
                if (mapping.position_id, mapping.role_key, mapping.sop_id) == (
                    position_id,
                    role_key,
                    sop_id,
                ):
                    raise MappingExists(
                        "the position serves this role already", mapping_id=mapping.id
                    )
            mapping_id = add_role_mapping(
                uow, now, agency_id, actor_id, sop_id, role_key, position_id
            )
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return RoleGiven(mapping_id, position_id, role_key, sop_id, moved)

        return self.runner.run(key, "map_role", work, RoleGiven)

    def unmap_role(
        self,
        key: CommandKey | str | None,
        *,
        agency_id: int,
        mapping_id: int,
        actor_id: int | None = None,
    ) -> Outcome[RoleTaken]:
        """The position no longer serves the mapping's role; open work is re-routed (to the
        other positions of the role, or left waiting when none is left)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> RoleTaken:
            agency = _authorised(uow, agency_id, actor_id)
            mapping = _mapping(uow, agency_id, mapping_id)
            positions.lock_position(uow, mapping.position_id)
            mapping = _mapping(uow, agency_id, mapping_id)  # gone while we waited: NotFound
            sops = {d.id: d for d in self._sops(agency)}
            shown = _mapping_view(mapping, sops, _role_names(list(sops.values())))
            impact = self._impact(uow, agency_id, now, {mapping.id})
            positions.delete_role_mapping(uow, mapping.id)
            _audit_unmapped(uow, now, actor_id, mapping)
            moved = self.procedures.reconcile_agency(uow, agency_id, now, actor_id)
            return RoleTaken(
                mapping.position_id,
                mapping.role_key,
                mapping.sop_id,
                shown.role_name,
                shown.sop_title,
                moved,
                impact.steps_touched,
                impact.steps_left_vacant,
            )

        return self.runner.run(key, "unmap_role", work, RoleTaken)

    # -- the parts ---------------------------------------------------------------------------

    def _sops(self, agency: Agency) -> list[SopDefinition]:
        """The agency's SOPs as the bot runs them, by id."""
        return sorted(self.procedures.library.for_agency(agency.key), key=lambda d: d.id)

    def _check_role(self, agency: Agency, role_key: str, sop_id: str) -> None:
        """Refuse a role no position of the agency can serve in that scope."""
        sops = self._sops(agency)
        if sop_id != ANY_SOP:
            sop = next((d for d in sops if d.id == sop_id), None)
            if sop is None:
                raise UnknownSop("no such SOP in this agency", sop_id=sop_id)
            sops = [sop]
        if role_key in _servable_roles(sops):
            return
        recorded_by = next(
            (
                role.recorded_by
                for definition in sops
                for role in definition.roles
                if role.key == role_key and role.external
            ),
            None,
        )
        raise RoleNotServable(
            "no such role of the agency's posts",
            role_key=role_key,
            sop_id=sop_id,
            recorded_by=recorded_by,
        )

    def _views(
        self,
        uow: UnitOfWork,
        agency: Agency,
        stored: Iterable[StoredPosition],
        now: dt.datetime,
    ) -> list[PositionView]:
        """The positions with their holders now, their Plt/Plh and their roles."""
        wanted = list(stored)
        ids = {p.id for p in wanted}
        held: dict[int, list[str]] = {}
        for holder in positions.holders_at(uow, agency.id, now):
            if holder.position_id in ids:
                held.setdefault(holder.position_id, []).append(holder.name)
        actings = _actings(uow, agency.id, now, ids)
        sops = {d.id: d for d in self._sops(agency)}
        every_role = _role_names(list(sops.values()))
        mapped: dict[int, list[MappingView]] = {}
        for mapping in positions.role_mappings_of_agency(uow, agency.id):
            if mapping.position_id in ids:
                mapped.setdefault(mapping.position_id, []).append(
                    _mapping_view(mapping, sops, every_role)
                )
        return [
            PositionView(
                p.id,
                p.key,
                p.name,
                tuple(held.get(p.id, [])),
                tuple(a for a in actings if a.position_id == p.id),
                tuple(mapped.get(p.id, [])),
                p.removed_at,
            )
            for p in wanted
        ]

    def _removal(
        self,
        uow: UnitOfWork,
        agency: Agency,
        position: StoredPosition,
        view: PositionView,
        now: dt.datetime,
        *,
        with_impact: bool = True,
    ) -> RemovalPreview:
        holders = tuple(
            dict.fromkeys(h.name for h in positions.holders_from(uow, position.id, now))
        )
        acting = tuple(_actings(uow, agency.id, now, {position.id}))
        open_work = positions.live_work_on_position(uow, position.id)
        impact = OpenWorkImpact(0, 0)
        if with_impact and view.mappings:
            impact = self._impact(uow, agency.id, now, {m.mapping_id for m in view.mappings})
        return RemovalPreview(view, holders, acting, open_work, impact)

    def _impact(
        self, uow: UnitOfWork, agency_id: int, now: dt.datetime, left_out: Collection[int]
    ) -> OpenWorkImpact:
        """What leaving the mappings `left_out` out would do to the open steps: each running
        procedure is re-routed twice in memory (as it is, and without them) and never saved;
        a step whose people differ is touched, and left vacant when no one is left on it."""
        touched = vacant = 0
        for instance_id in instance_lookup.running_in_agency(uow, agency_id):
            before = self._staffing(uow, instance_id, agency_id, now, ())
            after = self._staffing(uow, instance_id, agency_id, now, left_out)
            for run_id, people in after.items():
                if people != before.get(run_id):
                    touched += 1
                    vacant += not people
        return OpenWorkImpact(touched, vacant)

    def _staffing(
        self,
        uow: UnitOfWork,
        instance_id: uuid.UUID,
        agency_id: int,
        now: dt.datetime,
        left_out: Collection[int],
    ) -> dict[uuid.UUID, frozenset[tuple[int, int]]]:
        """Who would be on each open step of the instance (member, position) once re-routed
        without the mappings `left_out`; the loaded instance is thrown away."""
        loaded = self.procedures.instances.load(uow, instance_id)
        routing = positions.routing_without(uow, agency_id, loaded.instance.sop_id, now, left_out)
        loaded.procedure.reconcile(at=now, routing=routing, actor_id=None)
        instance = loaded.instance
        return {
            run.id: frozenset(
                (d.assignee_id, d.position_id) for d in instance.dispositions_of(run) if d.is_live
            )
            for run in instance.open_runs()
        }


def ref_of(text: str) -> str:
    """The short reference a button carries for an SOP id or a role key (a hash: stable as
    the catalog changes, unlike a place in a list, and short whatever the id's length)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:REF_LENGTH]


def key_from_name(name: str, taken: Collection[str]) -> str:
    """A key for a position named `name`: its letters and digits, lower case, joined by "_"
    ("Kepala Sub Bagian Umum" -> kepala_sub_bagian_umum), with "_2", "_3"... when taken."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:KEY_FROM_NAME_LIMIT]
    base = base.strip("_") or "jabatan"
    chosen, number = base, 2
    while chosen in taken:
        chosen = f"{base}_{number}"
        number += 1
    return chosen


def _freed_key(position: StoredPosition, taken: Collection[str]) -> str:
    """The key a removed position keeps: KEY~ID (cut to fit), so KEY is free again."""
    suffix = f"{REMOVED_KEY_MARK}{position.id}"
    freed = position.key[: KEY_LIMIT - len(suffix)] + suffix
    while freed in taken:  # someone chose such a key by hand: mark it once more
        freed = REMOVED_KEY_MARK + freed[: KEY_LIMIT - 1]
    return freed


def _authorised(uow: UnitOfWork, agency_id: int, actor_id: int | None) -> Agency:
    """The agency, when the actor may manage its positions: an active admin of it, or the
    server's operator (`actor_id` None: the command line)."""
    agency = agencies.agency(uow, agency_id)
    if agency is None:
        raise NotFound("no such agency", what="agency", agency_id=agency_id)
    if actor_id is not None:
        actor = members.member(uow, actor_id)
        if actor is None or actor.agency_id != agency_id or not actor.is_admin or not actor.active:
            raise NotAllowed("only the agency's admins manage its positions", member_id=actor_id)
    return agency


def _active(uow: UnitOfWork, agency_id: int, position_id: int) -> StoredPosition:
    """The agency's position, not removed (NotFound otherwise: an old or forged button)."""
    position = positions.position_of_agency(uow, agency_id, position_id)
    if position is None or position.removed_at is not None:
        raise NotFound("no such position in this agency", what="position", position_id=position_id)
    return position


def _mapping(uow: UnitOfWork, agency_id: int, mapping_id: int) -> RoleMapping:
    """The agency's role mapping (NotFound: taken away already, another agency's, or none)."""
    mapping = positions.role_mapping_of_agency(uow, agency_id, mapping_id)
    if mapping is None:
        raise NotFound("no such role mapping in this agency", what="mapping", mapping_id=mapping_id)
    return mapping


def _checked_name(
    uow: UnitOfWork, agency_id: int, name: str, *, renaming: StoredPosition | None = None
) -> str:
    """The name as stored (spaces tidied), or why it cannot be used."""
    clean = " ".join(name.split())
    if not clean:
        raise PositionNameRefused("a position needs a name", reason="empty")
    if len(clean) > NAME_LIMIT:
        raise PositionNameRefused(
            "the name is too long", reason="too_long", length=len(clean), limit=NAME_LIMIT
        )
    if renaming is not None and clean == renaming.name:
        raise PositionNameRefused("the position has this name already", reason="unchanged")
    for other in agencies.positions_of_agency(uow, agency_id):
        if other.name.casefold() == clean.casefold() and (
            renaming is None or other.id != renaming.id
        ):
            raise PositionNameRefused(
                "another position has this name", reason="taken", position_id=other.id
            )
    return clean


def _actings(
    uow: UnitOfWork, agency_id: int, now: dt.datetime, position_ids: Collection[int]
) -> list[ActingView]:
    """The Plt/Plh of these positions in office or to come, by when they start."""
    found = [
        a
        for a in holdings.actings_in_agency(uow, agency_id, ending_after=now)
        if a.position_id in position_ids
    ]
    names = members.names_of(
        uow, [a.member_id for a in found] + [a.for_member_id for a in found if a.for_member_id]
    )
    return [
        ActingView(
            a.id,
            a.position_id,
            a.kind,
            a.member_id,
            names.get(a.member_id, "-"),
            names.get(a.for_member_id) if a.for_member_id is not None else None,
            a.valid_from,
            a.valid_to,
            a.valid_from <= now,
        )
        for a in found
    ]


def _servable_roles(sops: Iterable[SopDefinition]) -> dict[str, str]:
    """The roles of these SOPs a position may serve (not an outside party), key -> name, in
    the order the SOPs list them (a key in several SOPs once, named by the first)."""
    roles: dict[str, str] = {}
    for definition in sops:
        for role in definition.roles:
            if not role.external:
                roles.setdefault(role.key, role.name)
    return roles


def _role_names(sops: list[SopDefinition]) -> dict[str, str]:
    """Every role key of these SOPs and its name (the first SOP's)."""
    names: dict[str, str] = {}
    for definition in sops:
        for role in definition.roles:
            names.setdefault(role.key, role.name)
    return names


def _mapping_view(
    mapping: RoleMapping, sops: dict[str, SopDefinition], every_role: dict[str, str]
) -> MappingView:
    """A mapping named as people read it: the role's name and the SOP's title (an SOP that
    is no longer installed is named by its id, a role it no longer has by its key)."""
    if mapping.sop_id == ANY_SOP:
        name = every_role.get(mapping.role_key, mapping.role_key)
        return MappingView(mapping.id, ANY_SOP, None, mapping.role_key, name)
    sop = sops.get(mapping.sop_id)
    if sop is None:
        return MappingView(
            mapping.id, mapping.sop_id, mapping.sop_id, mapping.role_key, mapping.role_key
        )
    name = next((r.name for r in sop.roles if r.key == mapping.role_key), mapping.role_key)
    return MappingView(mapping.id, mapping.sop_id, sop.identity.name, mapping.role_key, name)


def _choice(definition: SopDefinition) -> SopChoice:
    return SopChoice(ref_of(definition.id), definition.id, definition.identity.name)


def _audit_unmapped(
    uow: UnitOfWork,
    now: dt.datetime,
    actor_id: int | None,
    mapping: RoleMapping,
    *,
    because: str | None = None,
) -> None:
    record_change(
        uow,
        at=now,
        agency_id=mapping.agency_id,
        actor_id=actor_id,
        entity="role_mapping",
        entity_id=mapping.id,
        action="unmap",
        before="mapped",
        after="unmapped",
        detail={
            "sop_id": mapping.sop_id,
            "role_key": mapping.role_key,
            "position_id": mapping.position_id,
            "because": because,
        },
    )
