"""SOPs from Telegram for agency admins: import a document, review it with buttons, install it.

An admin sends the bot the agency's SOP (.docx, .pdf or .yaml). The importer turns it into a
draft definition (`sopbot.documents.importing`); the draft is kept in the database with the
state of its review, so a restart in the middle of a review loses nothing. The review goes in
stages, each decided by a button the server checks again (the draft is the presser's, open,
and the button is of the review's current turn):

1. executors: each step's executor as read is confirmed, or another role (or several) chosen;
   a draft written as .yaml by a person skips this, except for an executor left undecided;
2. times: a wording that is not one value ("1-2 Hari") gets its standard from a button or a
   typed answer;
3. what buttons cannot settle (a '??' branch target, a draft that does not validate) asks for a
   corrected .yaml;
4. roles: each role of the SOP is mapped to the agency's positions (or skipped);
5. preview: the rendered table is shown, and "Pasang" installs the definition as the SOP's new
   version, with the role mappings and an audit row, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sopbot.documents.draft_editing import (
    DraftOutline,
    DraftRole,
    DraftShapeError,
    DraftStep,
    OpenMark,
    outline,
    with_executors,
    with_standard_time,
)
from sopbot.documents.importing import ImportResult, Refusal, import_bytes
from sopbot.documents.preview_pictures import table_pictures
from sopbot.documents.rendering import render_pdf
from sopbot.documents.review import ImportReport, ReviewItem, ReviewKind
from sopbot.documents.time_candidates import time_candidates
from sopbot.engine.definition import SopDefinition
from sopbot.engine.durations import DurationError, parse_standard_time
from sopbot.engine.errors import DomainError, NotAllowed, NotFound
from sopbot.engine.loader import LoadResult, parse_definition
from sopbot.engine.problems import Problem, Severity
from sopbot.services.commands import Clock, CommandKey, CommandRunner, Outcome, utc_now
from sopbot.services.organization import add_role_mapping
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import InstalledVersion, InstallOrigin, SopCatalog
from sopbot.storage import agencies, members, organization_store, sop_catalog, sop_drafts
from sopbot.storage.agencies import Position
from sopbot.storage.audit import record_change
from sopbot.storage.definitions import StoredDefinitionInvalid
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.file_types import Refusal as FileRefusal
from sopbot.storage.file_types import detect_file_type
from sopbot.storage.sop_drafts import DraftStatus, NewDraft, StoredDraft
from sopbot.storage.unit_of_work import UnitOfWork

MAX_POSITION_BUTTONS = 24
"""The agency's positions offered on one page of a role's question (a keyboard stays readable
on a phone); ◀️ ▶️ turn the pages, so every position can be chosen."""
SOPS_PER_PAGE = 10
"""The SOPs listed on one page of /sop (a message and its keyboard stay within Telegram's
limits for an agency with hundreds of SOPs)."""
IMPORTABLE_TYPES = frozenset({"docx", "pdf", "txt", "csv"})
"""The upload types (by detected extension) the importer reads: Word, PDF, and text (a .yaml
is text); any other accepted upload is refused as an SOP before the importer sees it."""


class Stage(StrEnum):
    """Where a review stands."""

    EXECUTORS = "executors"
    TIMES = "times"
    FIX = "fix"
    ROLES = "roles"
    PREVIEW = "preview"


class Op(StrEnum):
    """What a review button asks for (travels in its callback data)."""

    CONFIRM = "ok"  # ✅ Benar: the executor as read
    REST = "rest"  # ✅ Benar semua sisanya
    PICK = "pick"  # this role alone, then the next step
    SEVERAL = "multi"  # choose several roles for this step
    TOGGLE = "tog"  # add or remove a role (or a position) in the choice
    NEXT = "next"  # ▶️ Lanjut with the choice made
    TIME = "time"  # this candidate standard time
    SKIP = "skip"  # ⏭️ Lewati: leave the role unmapped
    YAML = "yaml"  # send the draft as a .yaml file
    PAGE = "page"  # ◀️ ▶️: another page of the agency's positions for this role
    SHOW = "show"  # ▶️ Lanjutkan impor: show the review's current question again
    INSTALL = "install"  # 📥 Pasang
    CANCEL = "cancel"  # ✖️ Batal


class InvalidStandardTime(DomainError):
    """A typed standard time that cannot be read."""

    code = "invalid_standard_time"


class NotAnAdmin(NotAllowed):
    """Only an agency admin imports and installs SOPs."""


class CatalogMovedOn(DomainError):
    """Another version of the SOP was installed after the preview was shown: the preview no
    longer says what "Pasang" would replace."""

    code = "sop_catalog_moved_on"


# -- what the handlers show ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecutorQuestion:
    """Who does this step? (stage 1)"""

    step: DraftStep
    total: int  # the steps of the SOP
    roles: tuple[DraftRole, ...]
    picked: tuple[str, ...]  # the role keys chosen so far (several-roles mode)
    several: bool  # the admin is choosing several roles
    how: ReviewItem | None  # how the importer read it
    rest_decided: bool  # no undecided executor comes after this step


@dataclass(frozen=True, slots=True)
class TimeQuestion:
    """Which standard time does this wording mean? (stage 2)"""

    step: DraftStep
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FixNeeded:
    """What buttons cannot settle: the admin sends a corrected .yaml (stage 3)."""

    open_marks: tuple[OpenMark, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class RoleQuestion:
    """Which of the agency's positions serve this role? (stage 4)"""

    role: DraftRole
    number: int  # from 1
    total: int
    positions: tuple[Position, ...]  # those that can still be chosen, on this page
    existing: tuple[Position, ...]  # mapped already (for the agency, or for this SOP)
    picked: tuple[Position, ...]  # chosen so far, on any page
    page: int = 0  # from 0
    pages: int = 1


@dataclass(frozen=True, slots=True)
class Preview:
    """The definition to install, and what the install will do (stage 5)."""

    definition: SopDefinition
    mapped: tuple[tuple[str, tuple[str, ...]], ...]  # role name -> position names
    unmapped: tuple[str, ...]  # role names no position serves
    current: InstalledVersion | None  # the SOP's current version, when it has one
    current_title: str = ""  # the title of that version (what "Pasang" replaces)


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as the admin sees it now: one of the questions, or the preview."""

    draft_id: int
    turn: int
    stage: Stage
    file_name: str
    executor: ExecutorQuestion | None = None
    time: TimeQuestion | None = None
    fix: FixNeeded | None = None
    role: RoleQuestion | None = None
    preview: Preview | None = None


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What the import read, for the first message of a review."""

    kind: str
    steps: int
    roles: int
    decisions: int
    undecided: int
    report: ImportReport


@dataclass(frozen=True, slots=True)
class ImportStarted:
    """An import that became a draft under review."""

    summary: ImportSummary
    review: ReviewView
    replaced: str | None  # the file name of the open draft it replaced


@dataclass(frozen=True, slots=True)
class ImportRefused:
    """A document that could not become a draft: the importer's reason, or the upload check's
    (a file sopbot never keeps, such as one with macros)."""

    refusal: Refusal | None
    file_refusal: FileRefusal | None = None
    yaml_expected: bool = False  # a corrected draft was asked for, and this is not a .yaml


@dataclass(frozen=True, slots=True)
class SopInstalled:
    """What "Pasang" did (stored with its idempotency key)."""

    sop_id: str
    title: str
    version: str
    changed: bool  # False: this version was the SOP's current one already
    mapped: int  # role mappings added
    unmapped: str  # the names of the roles left without a position, comma separated


@dataclass(frozen=True, slots=True)
class AgencySop:
    """An installed SOP of the agency with its installs, newest first."""

    sop_id: str
    title: str
    versions: tuple[InstalledVersion, ...]


@dataclass(frozen=True, slots=True)
class OpenReview:
    """The admin's open review, offered again by /sop ("▶️ Lanjutkan impor")."""

    draft_id: int
    turn: int
    file_name: str


@dataclass(frozen=True, slots=True)
class SopCatalogPage:
    """One page of the agency's installed SOPs, for /sop."""

    sops: tuple[AgencySop, ...]
    page: int  # from 0
    pages: int
    total: int
    open_review: OpenReview | None


@dataclass(frozen=True, slots=True)
class RenderedSop:
    """An installed version drawn as the official document."""

    title: str
    version: str
    file_name: str
    content: bytes


@dataclass(frozen=True, slots=True)
class DraftFile:
    """The current draft as a .yaml file."""

    file_name: str
    content: bytes


# -- the review's state, as stored -----------------------------------------------------------


@dataclass(slots=True)
class _State:
    """The review's progress, kept as JSON in the draft row."""

    turn: int = 0
    stage: Stage = Stage.EXECUTORS
    queue: list[int] = field(default_factory=list)  # step or role indexes of the stage
    at: int = 0  # the place in the queue
    several: bool = False
    picked: list[Any] = field(default_factory=list)  # role keys, or position ids
    roles: list[str] = field(default_factory=list)  # the role keys to map
    mappings: dict[str, list[int]] = field(default_factory=dict)  # role key -> positions
    report: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    page: int = 0  # the page of positions shown for the current role
    base_install: int | None = None  # the SOP's current install when the preview was shown

    def to_json(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "stage": self.stage.value,
            "queue": self.queue,
            "at": self.at,
            "several": self.several,
            "picked": self.picked,
            "roles": self.roles,
            "mappings": self.mappings,
            "report": self.report,
            "counts": self.counts,
            "page": self.page,
            "base_install": self.base_install,
        }

    @classmethod
    def of(cls, stored: dict[str, Any]) -> _State:
        return cls(
            turn=int(stored.get("turn", 0)),
            stage=Stage(stored.get("stage", Stage.EXECUTORS.value)),
            queue=[int(i) for i in stored.get("queue", [])],
            at=int(stored.get("at", 0)),
            several=bool(stored.get("several", False)),
            picked=list(stored.get("picked", [])),
            roles=[str(r) for r in stored.get("roles", [])],
            mappings={str(k): [int(p) for p in v] for k, v in stored.get("mappings", {}).items()},
            report=list(stored.get("report", [])),
            counts={str(k): int(v) for k, v in stored.get("counts", {}).items()},
            page=int(stored.get("page", 0)),
            base_install=_int_or_none(stored.get("base_install")),
        )

    @property
    def current(self) -> int | None:
        return self.queue[self.at] if self.at < len(self.queue) else None

    def next_question(self) -> None:
        self.at += 1
        self.several, self.picked, self.page = False, [], 0


@dataclass(frozen=True, slots=True)
class _Draft:
    """A draft read for a command: the row, its state and its outline (None: not a shape
    buttons can edit)."""

    stored: StoredDraft
    state: _State
    outline: DraftOutline | None


class SopImportService:
    """Imports, reviews and installs SOP documents for agency admins."""

    def __init__(
        self,
        procedures: ProcedureService,
        *,
        catalog: SopCatalog,
        documents: LocalDocumentStore,
        refresh: Callable[[], object] = lambda: None,
        clock: Clock = utc_now,
    ) -> None:
        """`refresh`: makes the running bot see an install at once (LiveDefinitions.refresh)."""
        self.procedures = procedures
        self.database = procedures.database
        self.catalog = catalog
        self.documents = documents
        self.refresh = refresh
        self.clock = clock
        self.runner = CommandRunner(self.database, clock)

    # -- importing -------------------------------------------------------------------------

    def begin(
        self, member_id: int, content: bytes, file_name: str, *, fixing: int | None = None
    ) -> ImportStarted | ImportRefused:
        """Import a document the admin sent and open its review (cancelling the admin's open
        draft, whose name is returned); a refusal changes nothing.

        The bytes pass the uploads' checks (zip bombs, macros, active content) before the
        importer parses them, and only a Word file, a PDF or text goes on. `fixing`: the draft
        whose corrected .yaml this is (its review asked for one): only a .yaml is taken, and
        the new draft keeps that draft's name, whatever the file is called, so it installs as
        the same SOP."""
        admin = self._admin(member_id)
        file_type = detect_file_type(content)
        if isinstance(file_type, FileRefusal):
            return ImportRefused(None, file_type)
        if file_type.extension not in IMPORTABLE_TYPES:
            return ImportRefused(_not_importable(file_type.extension))
        result = import_bytes(content, file_name, agency_key=admin.agency_key)
        if result.refusal is not None:
            return ImportRefused(result.refusal)
        name = result.name
        if fixing is not None:
            if result.kind != "yaml":
                return ImportRefused(None, yaml_expected=True)
            name = self._fixed_name(admin, fixing) or name
        stored = self.documents.put(content, file_type)
        shape = _outline_or_none(result.draft)
        new = NewDraft(
            agency_id=admin.agency_id,
            member_id=member_id,
            file_name=file_name,
            file_sha256=stored.sha256,
            storage_key=stored.storage_key,
            kind=result.kind,
            name=name,
            text=result.draft,
            review={},
        )
        for attempt in range(2):
            try:
                view, replaced, state = self._open_review(new, admin, result, shape)
                break
            except ConcurrentUpdate:
                # Another import of this admin added its open draft at the same moment (the
                # one-open-draft index refused ours): read again, and this one replaces it.
                if attempt:
                    raise
        summary = ImportSummary(
            kind=result.kind,
            steps=state.counts.get("steps", 0),
            roles=state.counts.get("roles", 0),
            decisions=state.counts.get("decisions", 0),
            undecided=state.counts.get("undecided", 0),
            report=result.report,
        )
        return ImportStarted(summary, view, replaced)

    def _open_review(
        self, new: NewDraft, admin: _Admin, result: ImportResult, shape: DraftOutline | None
    ) -> tuple[ReviewView, str | None, _State]:
        """Cancel the admin's open draft and add the new one with its first question."""
        state = _first_state(result, shape)
        now = self.clock()
        with self.database.unit_of_work() as uow:
            replaced = None
            for old in sop_drafts.open_drafts_of(uow, admin.member_id):
                sop_drafts.update_draft(uow, old.id, at=now, status=DraftStatus.CANCELLED)
                replaced = old.file_name
            draft_id = sop_drafts.add_draft(uow, new, now)
            draft = sop_drafts.draft(uow, draft_id)
            assert draft is not None  # noqa: S101 - just written
            loaded = _Draft(draft, state, shape)
            self._settle(uow, loaded, admin, now)
            return self._view(uow, loaded, admin), replaced, state

    def _fixed_name(self, admin: _Admin, draft_id: int) -> str | None:
        """The name of the admin's open draft being fixed (None when it is open no more)."""
        with self.database.unit_of_work(read_only=True) as uow:
            stored = sop_drafts.draft(uow, draft_id)
        if stored is None or stored.member_id != admin.member_id:
            return None
        return stored.name if stored.status is DraftStatus.OPEN else None

    # -- the review ------------------------------------------------------------------------

    def view(self, member_id: int, draft_id: int) -> ReviewView:
        """The admin's open review as it stands."""
        admin = self._admin(member_id)
        with self.database.unit_of_work(read_only=True) as uow:
            return self._view(uow, self._open_draft(uow, admin, draft_id), admin)

    def open_review(self, member_id: int) -> ReviewView | None:
        """The admin's open review as it stands, if they have one (to show its question
        again after a lost edit, a stale button or an expired typed question)."""
        admin = self._admin(member_id)
        with self.database.unit_of_work(read_only=True) as uow:
            found = sop_drafts.open_drafts_of(uow, member_id, lock=False)
            if not found:
                return None
            stored = found[-1]
            draft = _Draft(stored, _State.of(stored.review), _outline_or_none(stored.draft_text))
            return self._view(uow, draft, admin)

    def rebase_preview(self, member_id: int, draft_id: int) -> ReviewView:
        """The preview again, against the SOP's version installed since it was shown (after
        "Pasang" was refused with CatalogMovedOn): a new turn, so the old Pasang is stale."""
        admin = self._admin(member_id)
        now = self.clock()
        with self.database.unit_of_work() as uow:
            draft = self._open_draft(uow, admin, draft_id, for_update=True)
            if draft.state.stage is not Stage.PREVIEW:
                raise NotFound("the review is not at its preview", what="sop_review")
            draft.state.turn += 1
            draft.state.base_install = _current_install_id(uow, _sop_id(admin, draft.stored))
            sop_drafts.update_draft(uow, draft_id, at=now, review=draft.state.to_json())
            return self._view(uow, draft, admin)

    def press(
        self, member_id: int, draft_id: int, turn: int, op: str, number: int | None = None
    ) -> ReviewView:
        """A review button: checked against the review's current question (NotFound for a
        stale or forged one), applied, and the review's next view."""
        admin = self._admin(member_id)
        try:
            action = Op(op)
        except ValueError as exc:
            raise NotFound("no such review button", what="sop_review") from exc
        now = self.clock()
        with self.database.unit_of_work() as uow:
            draft = self._open_draft(uow, admin, draft_id, for_update=True)
            if draft.state.turn != turn or action in (Op.INSTALL, Op.YAML, Op.CANCEL, Op.SHOW):
                raise NotFound("a stale review button", what="sop_review")
            draft = self._apply(uow, draft, admin, action, number)
            draft.state.turn += 1
            self._settle(uow, draft, admin, now)
            return self._view(uow, draft, admin)

    def cancel(self, member_id: int, draft_id: int) -> str:
        """Stop the admin's open review ("Batal"); the draft's file name."""
        admin = self._admin(member_id)
        with self.database.unit_of_work() as uow:
            draft = self._open_draft(uow, admin, draft_id, for_update=True)
            sop_drafts.update_draft(uow, draft_id, at=self.clock(), status=DraftStatus.CANCELLED)
        return draft.stored.file_name

    def answer_time(self, member_id: int, draft_id: int, text: str) -> ReviewView:
        """A standard time typed for the review's current time question."""
        admin = self._admin(member_id)
        now = self.clock()
        try:
            parse_standard_time(text)
        except DurationError as exc:
            raise InvalidStandardTime("unreadable standard time", time=text[:50]) from exc
        with self.database.unit_of_work() as uow:
            draft = self._open_draft(uow, admin, draft_id, for_update=True)
            if draft.state.stage is not Stage.TIMES or draft.state.current is None:
                raise NotFound("no time question is open", what="sop_review")
            draft = self._set_time(uow, draft, text.strip(), now)
            draft.state.turn += 1
            self._settle(uow, draft, admin, now)
            return self._view(uow, draft, admin)

    def draft_file(self, member_id: int, draft_id: int) -> DraftFile:
        """The draft as it stands, as a .yaml file to correct and send back."""
        admin = self._admin(member_id)
        with self.database.unit_of_work(read_only=True) as uow:
            draft = self._open_draft(uow, admin, draft_id)
        return DraftFile(f"{draft.stored.name}.yaml", draft.stored.draft_text.encode("utf-8"))

    def preview_pictures(self, member_id: int, draft_id: int) -> list[bytes]:
        """The procedure table of the draft under preview, one picture per page."""
        view = self.view(member_id, draft_id)
        if view.preview is None:
            raise NotFound("the review is not at its preview", what="sop_review")
        return table_pictures(view.preview.definition)

    def install(
        self, key: CommandKey, member_id: int, draft_id: int, turn: int
    ) -> Outcome[SopInstalled]:
        """ "Pasang": install the previewed definition as its SOP's new version, add the chosen
        role mappings, write the audit row and close the draft, in one transaction.

        Keyed by the draft, the presser and the preview's turn, and every check is made inside
        the keyed command, so a second press answers as the first did (its result, or its refusal);
        a refusal is stored for that turn only, and the preview shown again is a new turn.
        CatalogMovedOn when another version of the SOP was installed since the preview."""
        admin = self._admin(member_id)

        def work(uow: UnitOfWork, now: dt.datetime) -> SopInstalled:
            # The catalog first: two installs queue here, before either adds a role mapping
            # (on PostgreSQL the second would otherwise fail on a unique mapping).
            sop_catalog.lock(uow)
            draft = self._open_draft(uow, admin, draft_id, for_update=True)
            if draft.state.stage is not Stage.PREVIEW or draft.state.turn != turn:
                raise NotFound("a stale review button", what="sop_review")
            definition = self._definition(draft.stored, admin.agency_key)
            if definition is None or definition.agency_key != admin.agency_key:
                raise NotFound("the draft does not load", what="sop_review")
            if _current_install_id(uow, definition.id) != draft.state.base_install:
                raise CatalogMovedOn("another version was installed", sop_id=definition.id)
            mapped, unmapped = self._map_roles(uow, draft, admin, definition, now)
            result = self.catalog.install_in(
                uow, definition, InstallOrigin.TELEGRAM, admin.member_id, now
            )
            previous = result.previous
            record_change(
                uow,
                at=now,
                agency_id=admin.agency_id,
                actor_id=admin.member_id,
                entity="sop_install",
                entity_id=result.current.install_id,
                action="install" if result.changed else "install_unchanged",
                before=previous.version if previous is not None else None,
                after=result.current.version,
                detail={
                    "sop_id": definition.id,
                    "digest": definition.digest,
                    "origin": InstallOrigin.TELEGRAM.value,
                    "draft_id": draft_id,
                    "file_name": draft.stored.file_name,
                    "file_sha256": draft.stored.file_sha256,
                },
            )
            if mapped:
                self.procedures.reconcile_agency(uow, admin.agency_id, now, admin.member_id)
            sop_drafts.update_draft(uow, draft_id, at=now, status=DraftStatus.INSTALLED)
            return SopInstalled(
                sop_id=definition.id,
                title=definition.identity.name,
                version=result.current.version,
                changed=result.changed,
                mapped=mapped,
                unmapped=", ".join(unmapped),
            )

        outcome = self.runner.run(
            # The presser is part of the key: a refused press by anyone else (a copied button)
            # is stored under their own key and never answers for the owner's press.
            CommandKey(f"sop_install:{draft_id}:{member_id}:{turn}", key.inbox),
            "sop_install",
            work,
            SopInstalled,
        )
        self.refresh()
        return outcome

    # -- /sop --------------------------------------------------------------------------------

    def catalog_page(self, member_id: int, page: int = 0) -> SopCatalogPage:
        """One page of the agency's installed SOPs, each with its installs (newest first), and
        the admin's open review if there is one. The installs are read in one query."""
        admin = self._admin(member_id)
        with self.database.unit_of_work(read_only=True) as uow:
            installs = sop_catalog.installs_under(uow, f"{admin.agency_key}/")
            open_drafts = sop_drafts.open_drafts_of(uow, member_id, lock=False)
        by_sop: dict[str, list[InstalledVersion]] = {}
        for installed in installs:
            by_sop.setdefault(installed.sop_id, []).append(installed)
        listed = sorted(
            sop_id for sop_id, found in by_sop.items() if any(not v.withdrawn for v in found)
        )
        pages = max(1, -(-len(listed) // SOPS_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        sops: list[AgencySop] = []
        for sop_id in listed[page * SOPS_PER_PAGE : (page + 1) * SOPS_PER_PAGE]:
            versions = tuple(by_sop[sop_id])
            current = next(v for v in versions if not v.withdrawn)
            sops.append(AgencySop(sop_id, self._title(current), versions))
        review = None
        if open_drafts:
            last = open_drafts[-1]
            review = OpenReview(last.id, _State.of(last.review).turn, last.file_name)
        return SopCatalogPage(tuple(sops), page, pages, len(listed), review)

    def _title(self, installed: InstalledVersion) -> str:
        try:
            return self.catalog.definition_of(installed).identity.name
        except StoredDefinitionInvalid:  # a text that no longer loads: its id says which SOP
            return installed.sop_id

    def rendered(self, member_id: int, install_id: int) -> RenderedSop:
        """An install of one of the agency's SOPs drawn as a PDF (NotFound for an install of
        another agency, or none)."""
        admin = self._admin(member_id)
        with self.database.unit_of_work(read_only=True) as uow:
            installs = sop_catalog.installs_under(uow, f"{admin.agency_key}/")
        for installed in installs:
            if installed.install_id == install_id:
                definition = self.catalog.definition_of(installed)
                name = installed.sop_id.split("/", 1)[1]
                return RenderedSop(
                    title=definition.identity.name,
                    version=installed.version,
                    file_name=f"{name}.pdf",
                    content=render_pdf(definition),
                )
        raise NotFound("no such install in this agency", what="sop_install")

    # -- inside ------------------------------------------------------------------------------

    def _admin(self, member_id: int) -> _Admin:
        with self.database.unit_of_work(read_only=True) as uow:
            member = members.member(uow, member_id)
            agency = agencies.agency(uow, member.agency_id) if member is not None else None
        if member is None or agency is None or not member.is_admin:
            raise NotAnAdmin("only an agency admin imports SOPs", member_id=member_id)
        return _Admin(member.id, agency.id, agency.key)

    def _open_draft(
        self, uow: UnitOfWork, admin: _Admin, draft_id: int, *, for_update: bool = False
    ) -> _Draft:
        stored = sop_drafts.draft(uow, draft_id, for_update=for_update)
        if (
            stored is None
            or stored.member_id != admin.member_id
            or stored.agency_id != admin.agency_id
            or stored.status is not DraftStatus.OPEN
        ):
            raise NotFound("no such open draft of this admin", what="sop_draft")
        return _Draft(stored, _State.of(stored.review), _outline_or_none(stored.draft_text))

    def _apply(
        self, uow: UnitOfWork, draft: _Draft, admin: _Admin, action: Op, number: int | None
    ) -> _Draft:
        """Apply a button of the current question; NotFound when it is not one of its buttons."""
        state, shape = draft.state, draft.outline
        stale = NotFound("not a button of this question", what="sop_review")
        if state.stage is Stage.EXECUTORS and shape is not None and state.current is not None:
            return self._executor_button(uow, draft, shape, action, number)
        if state.stage is Stage.TIMES and action is Op.TIME and state.current is not None:
            step = _step_at(shape, state.current)
            candidates = time_candidates(step.time_written)
            if number is None or not 0 <= number < len(candidates):
                raise stale
            return self._set_time(uow, draft, candidates[number], self.clock())
        if state.stage is Stage.ROLES and state.current is not None:
            return self._role_button(uow, draft, admin, action, number)
        raise stale

    def _executor_button(
        self, uow: UnitOfWork, draft: _Draft, shape: DraftOutline, action: Op, number: int | None
    ) -> _Draft:
        state = draft.state
        assert state.current is not None  # noqa: S101 - checked by the caller
        step = _step_at(shape, state.current)
        keys = [role.key for role in shape.roles]
        if action is Op.REST and not step.executor_undecided and _rest_decided(state, shape):
            state.at = len(state.queue)
            state.several, state.picked = False, []
            return draft
        if action in (Op.SEVERAL, Op.TOGGLE):
            _choose_several(state, step, keys, action, number)
            return draft
        chosen = _executor_chosen(state, step, keys, action, number)
        text = draft.stored.draft_text
        if tuple(chosen) != step.executors:
            try:
                text = with_executors(text, step.index, chosen)
            except DraftShapeError as exc:
                raise NotFound("the step cannot be changed", what="sop_review") from exc
            sop_drafts.update_draft(uow, draft.stored.id, at=self.clock(), draft_text=text)
        state.next_question()
        return _Draft(_with_text(draft.stored, text), state, _outline_or_none(text))

    def _set_time(self, uow: UnitOfWork, draft: _Draft, standard: str, now: dt.datetime) -> _Draft:
        state = draft.state
        assert state.current is not None  # noqa: S101 - checked by the callers
        try:
            text = with_standard_time(draft.stored.draft_text, state.current, standard)
        except DraftShapeError as exc:
            raise NotFound("the time is decided already", what="sop_review") from exc
        sop_drafts.update_draft(uow, draft.stored.id, at=now, draft_text=text)
        state.next_question()
        return _Draft(_with_text(draft.stored, text), state, _outline_or_none(text))

    def _role_button(
        self, uow: UnitOfWork, draft: _Draft, admin: _Admin, action: Op, number: int | None
    ) -> _Draft:
        state = draft.state
        stale = NotFound("not a button of this question", what="sop_review")
        choice = self._role_choice(uow, draft, admin)
        if choice is None:
            raise stale
        role, existing, offered = choice
        if action is Op.PAGE and number is not None:
            if not 0 <= number < _pages(offered):
                raise stale
            state.page = number
            return draft
        if action is Op.TOGGLE and number is not None:
            if number not in {p.id for p in offered}:
                raise stale
            picked = {int(p) for p in state.picked}
            picked ^= {number}
            state.picked = [p.id for p in offered if p.id in picked]
            return draft
        if action is Op.NEXT and (state.picked or existing):
            state.mappings[role.key] = [int(p) for p in state.picked]
        elif action is Op.SKIP:
            state.mappings[role.key] = []
        else:
            raise stale
        state.next_question()
        return draft

    def _settle(self, uow: UnitOfWork, draft: _Draft, admin: _Admin, now: dt.datetime) -> None:
        """Move past the stages with nothing left to ask, and store the state."""
        state, shape = draft.state, draft.outline
        if state.stage is Stage.EXECUTORS and state.current is None:
            state.stage, state.at = Stage.TIMES, 0
            state.queue = [s.index for s in shape.steps if s.time_undecided] if shape else []
        if state.stage is Stage.TIMES and state.current is None:
            definition = self._definition(draft.stored, admin.agency_key)
            if definition is None or shape is None or shape.others:
                state.stage, state.queue, state.at = Stage.FIX, [], 0
            else:
                state.stage, state.at = Stage.ROLES, 0
                state.roles = [r.key for r in definition.roles if not r.external]
                state.queue = list(range(len(state.roles)))
        if state.stage is Stage.ROLES and state.current is None:
            state.stage, state.queue, state.at = Stage.PREVIEW, [], 0
            # What the preview says "Pasang" replaces: checked again by the install.
            state.base_install = _current_install_id(uow, _sop_id(admin, draft.stored))
        sop_drafts.update_draft(uow, draft.stored.id, at=now, review=state.to_json())

    def _view(self, uow: UnitOfWork, draft: _Draft, admin: _Admin) -> ReviewView:
        state, shape, stored = draft.state, draft.outline, draft.stored
        base = ReviewView(stored.id, state.turn, state.stage, stored.file_name)
        if state.stage is Stage.EXECUTORS and shape is not None and state.current is not None:
            step = _step_at(shape, state.current)
            question = ExecutorQuestion(
                step=step,
                total=len(shape.steps),
                roles=shape.roles,
                picked=tuple(str(k) for k in state.picked),
                several=state.several,
                how=_how_read(state.report, step),
                rest_decided=_rest_decided(state, shape),
            )
            return replace(base, executor=question)
        if state.stage is Stage.TIMES and state.current is not None:
            step = _step_at(shape, state.current)
            candidates = tuple(time_candidates(step.time_written))
            return replace(base, time=TimeQuestion(step, candidates))
        if state.stage is Stage.ROLES:
            return replace(base, role=self._role_question(uow, draft, admin))
        definition = self._definition(stored, admin.agency_key)
        if state.stage is Stage.PREVIEW and definition is not None:
            return replace(base, preview=self._preview(uow, draft, admin, definition))
        problems = _errors(stored, admin.agency_key)
        marks = shape.others if shape is not None else ()
        return replace(base, stage=Stage.FIX, fix=FixNeeded(marks, problems))

    def _role_choice(
        self, uow: UnitOfWork, draft: _Draft, admin: _Admin
    ) -> tuple[DraftRole, tuple[Position, ...], tuple[Position, ...]] | None:
        """The current role, the positions mapped to it already, and every position of the
        agency that can still be chosen for it (None when no role question is open)."""
        state = draft.state
        if state.current is None or state.current >= len(state.roles):
            return None
        key = state.roles[state.current]
        shape = draft.outline
        role = next(
            (r for r in (shape.roles if shape else ()) if r.key == key), DraftRole(key, key, False)
        )
        sop_id = _sop_id(admin, draft.stored)
        existing_ids = organization_store.positions_by_role(uow.session, admin.agency_id, sop_id)
        positions = agencies.positions_of_agency(uow, admin.agency_id)
        existing = tuple(p for p in positions if p.id in existing_ids.get(key, []))
        offered = tuple(p for p in positions if p not in existing)
        return role, existing, offered

    def _role_question(self, uow: UnitOfWork, draft: _Draft, admin: _Admin) -> RoleQuestion | None:
        choice = self._role_choice(uow, draft, admin)
        if choice is None:
            return None
        role, existing, offered = choice
        state = draft.state
        pages = _pages(offered)
        page = min(state.page, pages - 1)
        picked = {int(p) for p in state.picked}
        return RoleQuestion(
            role=role,
            number=(state.current or 0) + 1,
            total=len(state.roles),
            positions=offered[page * MAX_POSITION_BUTTONS : (page + 1) * MAX_POSITION_BUTTONS],
            existing=existing,
            picked=tuple(p for p in offered if p.id in picked),
            page=page,
            pages=pages,
        )

    def _preview(
        self, uow: UnitOfWork, draft: _Draft, admin: _Admin, definition: SopDefinition
    ) -> Preview:
        positions = {p.id: p.name for p in agencies.positions_of_agency(uow, admin.agency_id)}
        existing = organization_store.positions_by_role(uow.session, admin.agency_id, definition.id)
        mapped: list[tuple[str, tuple[str, ...]]] = []
        unmapped: list[str] = []
        for role in (r for r in definition.roles if not r.external):
            ids = [*existing.get(role.key, []), *draft.state.mappings.get(role.key, [])]
            names = tuple(dict.fromkeys(positions[i] for i in ids if i in positions))
            if names:
                mapped.append((role.name, names))
            else:
                unmapped.append(role.name)
        found = sop_catalog.current_versions(uow, definition.id)
        current = found[0] if found else None
        title = ""
        if current is not None:
            try:
                title = self.catalog.definitions.load(uow, current.sop_version_id).identity.name
            except StoredDefinitionInvalid:  # a text that no longer loads: the id names it
                title = current.sop_id
        return Preview(definition, tuple(mapped), tuple(unmapped), current, title)

    def _map_roles(
        self,
        uow: UnitOfWork,
        draft: _Draft,
        admin: _Admin,
        definition: SopDefinition,
        now: dt.datetime,
    ) -> tuple[int, list[str]]:
        """Add the chosen role mappings of the SOP (those not there already); how many were
        added, and the names of the roles still without a position. A position deleted since
        it was chosen is left out, and its role counted unmapped if no other serves it."""
        existing = organization_store.positions_by_role(uow.session, admin.agency_id, definition.id)
        added = 0
        unmapped: list[str] = []
        for role in (r for r in definition.roles if not r.external):
            chosen = [
                position_id
                for position_id in draft.state.mappings.get(role.key, [])
                if agencies.position_in_agency(uow, admin.agency_id, position_id) is not None
            ]
            for position_id in chosen:
                if position_id in existing.get(role.key, []):
                    continue
                add_role_mapping(
                    uow, now, admin.agency_id, admin.member_id, definition.id, role.key, position_id
                )
                added += 1
            if not chosen and not existing.get(role.key):
                unmapped.append(role.name)
        return added, unmapped

    @staticmethod
    def _definition(stored: StoredDraft, agency_key: str) -> SopDefinition | None:
        return _load(stored, agency_key).definition


@dataclass(frozen=True, slots=True)
class _Admin:
    member_id: int
    agency_id: int
    agency_key: str


def _load(stored: StoredDraft, agency_key: str) -> LoadResult:
    return parse_definition(
        stored.draft_text,
        source=f"{stored.name}.yaml",
        sop_id=f"{agency_key}/{stored.name}",
        agency_key=agency_key,
    )


def _errors(stored: StoredDraft, agency_key: str) -> tuple[Problem, ...]:
    return tuple(p for p in _load(stored, agency_key).problems if p.severity is Severity.ERROR)


def _outline_or_none(text: str) -> DraftOutline | None:
    try:
        return outline(text)
    except DraftShapeError:
        return None


def _first_state(result: ImportResult, shape: DraftOutline | None) -> _State:
    """The review of a new import: every step's executor for a document read by the importer,
    only the undecided ones for a .yaml a person wrote."""
    state = _State()
    state.report = [
        {"kind": item.kind.value, "where": item.where, "key": item.key, "params": item.params}
        for item in result.report.items
    ]
    if shape is None:
        state.stage = Stage.FIX
        state.counts = dict(result.counts)
        return state
    steps = shape.steps
    state.queue = [s.index for s in steps if result.kind != "yaml" or s.executor_undecided]
    undecided = sum(s.executor_undecided for s in steps) + sum(s.time_undecided for s in steps)
    state.counts = {
        "steps": len(steps),
        "roles": len(shape.roles),
        "decisions": sum(s.decision for s in steps),
        "undecided": undecided + len(shape.others),
    }
    return state


def _choose_several(
    state: _State, step: DraftStep, keys: list[str], action: Op, number: int | None
) -> None:
    """Start choosing several roles for the step, or add or remove one of them."""
    if action is Op.SEVERAL and not state.several:
        state.several = True
        state.picked = list(step.executors)
        return
    if action is Op.TOGGLE and state.several and number is not None and 0 <= number < len(keys):
        key = keys[number]
        picked = set(state.picked) ^ {key}
        state.picked = [k for k in keys if k in picked]
        return
    raise NotFound("not a button of this question", what="sop_review")


def _executor_chosen(
    state: _State, step: DraftStep, keys: list[str], action: Op, number: int | None
) -> list[str]:
    """The executors a confirming button settles on."""
    if action is Op.CONFIRM and not step.executor_undecided:
        return list(step.executors)
    if action is Op.PICK and not state.several and number is not None and 0 <= number < len(keys):
        return [keys[number]]
    if action is Op.NEXT and state.several and state.picked:
        return [str(k) for k in state.picked]
    raise NotFound("not a button of this question", what="sop_review")


def _step_at(shape: DraftOutline | None, index: int) -> DraftStep:
    if shape is None or not 0 <= index < len(shape.steps):
        raise NotFound("no such step in the draft", what="sop_review")
    return shape.steps[index]


def _rest_decided(state: _State, shape: DraftOutline) -> bool:
    """True when no step after the current one in the queue has an undecided executor."""
    later = state.queue[state.at + 1 :]
    return not any(shape.steps[i].executor_undecided for i in later if i < len(shape.steps))


def _how_read(report: Sequence[dict[str, Any]], step: DraftStep) -> ReviewItem | None:
    """The report's finding on who does the step, as the importer read it."""
    for item in report:
        params = item.get("params", {})
        if str(item.get("key", "")).startswith("executor_") and str(params.get("step")) == (
            step.label
        ):
            return ReviewItem(ReviewKind(item["kind"]), str(item["where"]), item["key"], params)
    return None


def _with_text(stored: StoredDraft, text: str) -> StoredDraft:
    return replace(stored, draft_text=text)


def _sop_id(admin: _Admin, stored: StoredDraft) -> str:
    return f"{admin.agency_key}/{stored.name}"


def _current_install_id(uow: UnitOfWork, sop_id: str) -> int | None:
    found = sop_catalog.current_versions(uow, sop_id)
    return found[0].install_id if found else None


def _pages(positions: Sequence[Position]) -> int:
    return max(1, -(-len(positions) // MAX_POSITION_BUTTONS))


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _not_importable(extension: str) -> Refusal:
    """The importer's answer to an upload it does not read (an old Word file, a workbook, a
    picture), given without parsing it."""
    return Refusal("old_word" if extension == "doc" else "unknown_kind")
