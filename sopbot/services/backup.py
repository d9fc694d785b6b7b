"""`sopbot backup` and `sopbot restore`: a whole deployment's state (the database and the
document store) into a folder, and back into an empty deployment, checked.

A backup takes the database first (a consistent snapshot, `storage.backup`), then the document
store's files. Documents are only ever added to the store, each under a key made from its
content, by an atomic rename, and stored before the row that names them is committed (the
store never changes or removes one), so every document the snapshot names is in the store when
the files are copied after it. The folder is written under a temporary name beside the target
and renamed at the end: an interrupted backup never looks complete.

A restore checks everything before it changes anything: the manifest and every file's size and
SHA-256, the schema revision, an empty target database and documents folder, the audit key.
Then the documents and the database go in, the schema is migrated when the backup's is older,
and the audit trail and the documents are verified as `sopbot audit verify` and `sopbot
documents verify` do.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sopbot.services.audit_verify import AuditVerification, ProblemKind, verify_audit_trail
from sopbot.services.backup_manifest import (
    DOCUMENTS,
    BackupFile,
    Manifest,
    audit_key_check,
    described,
    mismatches,
    read_manifest,
    write_manifest,
)
from sopbot.services.commands import utc_now
from sopbot.services.document_verify import DocumentVerification, verify_documents
from sopbot.storage import workers
from sopbot.storage.audit_key import AuditKey, same_digest
from sopbot.storage.backup import (
    PG_DUMP,
    BackupRefused,
    DatabaseKind,
    kind_of,
    require_empty_target,
    require_tool,
    restore_database,
    snapshot_database,
)
from sopbot.storage.database import Database
from sopbot.storage.document_store import (
    DocumentUnavailable,
    HashedReading,
    LocalDocumentStore,
    digest_in_key,
    fsync_folder,
)
from sopbot.storage.migrate import revisions_in_order, upgrade

FOLDER_MODE = 0o750
"""Permissions of a backup folder: it holds the whole database and every document."""


@dataclass(frozen=True, slots=True)
class BackupTaken:
    """A backup written: where, and what it holds."""

    folder: Path
    manifest: Manifest

    @property
    def complete(self) -> bool:
        """True when every document the database names was copied, unchanged."""
        return not self.manifest.missing_documents and not self.manifest.damaged_documents


@dataclass(frozen=True, slots=True)
class Restored:
    """A backup restored, and what the checks after it found."""

    manifest: Manifest
    schema_revision: str  # the database's, after any migration
    audit: AuditVerification
    documents: DocumentVerification

    @property
    def migrated(self) -> bool:
        """True when the backup's schema was older and was migrated to this sopbot's."""
        return self.schema_revision != self.manifest.schema_revision

    @property
    def intact(self) -> bool:
        """True when both the audit trail and the documents verified."""
        return self.audit.intact and self.documents.intact

    @property
    def key_suspected(self) -> bool:
        """True when the audit trail's only problems are rows whose keyed hash does not
        hold, and the backup could not say which key it was taken with: a different
        SOPBOT_AUDIT_KEY gives exactly that."""
        problems = self.audit.problems
        return (
            self.manifest.audit_key_check is None
            and bool(problems)
            and all(p.kind is ProblemKind.EDITED for p in problems)
        )


# --- taking a backup --------------------------------------------------------------------------


def take_backup(
    database: Database,
    store: LocalDocumentStore,
    target: Path,
    *,
    sopbot_version: str,
    audit_key: AuditKey | None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> BackupTaken:
    """Write a backup of the database and the document store into ``target`` (which must not
    exist, or be an empty folder); BackupRefused, leaving nothing behind, when it cannot."""
    _require_free(target)
    if kind_of(database) is DatabaseKind.POSTGRESQL:
        require_tool(PG_DUMP)  # before anything is written
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        partial.chmod(FOLDER_MODE)
        created_at = clock()
        snapshot = snapshot_database(database, partial)
        database_file = described(partial, snapshot.file_name)
        copied, damaged = _copy_documents(store, partial)
        named_but_absent = snapshot.document_keys - {_key_of(f) for f in copied} - set(damaged)
        manifest = Manifest(
            sopbot_version=sopbot_version,
            created_at=created_at,
            database_kind=snapshot.kind,
            schema_revision=snapshot.schema_revision,
            database_file=snapshot.file_name,
            files=(database_file, *copied),
            postgresql_schema=snapshot.postgresql_schema,
            audit_key_check=None if audit_key is None else audit_key_check(audit_key),
            missing_documents=tuple(sorted(named_but_absent)),
            damaged_documents=damaged,
        )
        write_manifest(partial, manifest)
        _fsync_tree(partial)
        _move_into_place(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupTaken(target, manifest)


def _require_free(target: Path) -> None:
    if target.is_dir():
        if any(target.iterdir()):
            raise BackupRefused(f"{target} exists and is not empty: name a new folder")
    elif target.exists():
        raise BackupRefused(f"{target} exists and is not a folder: name a new folder")


def _copy_documents(
    store: LocalDocumentStore, folder: Path
) -> tuple[list[BackupFile], tuple[str, ...]]:
    """Every document of the store copied under its key (read once, hashed on the way); and
    the keys left out because their bytes no longer hash to the SHA-256 the key names
    (damaged: `sopbot documents verify` reports them too)."""
    copied: list[BackupFile] = []
    damaged: list[str] = []
    for key in store.stored_keys():
        path = f"{DOCUMENTS}/{key}"
        destination = folder / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        reading = HashedReading(store.path_of(key))
        with destination.open("wb") as copy:
            for chunk in reading.chunks():
                copy.write(chunk)
        if reading.hasher.hexdigest() == digest_in_key(key):
            copied.append(BackupFile(path, reading.size, reading.hasher.hexdigest()))
        else:
            destination.unlink()
            damaged.append(key)
    return copied, tuple(damaged)


def _key_of(document: BackupFile) -> str:
    return document.path.removeprefix(f"{DOCUMENTS}/")


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder`` to disk before it gets its final name."""
    for root, _folders, files in os.walk(folder):
        for name in files:
            descriptor = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        fsync_folder(Path(root))


def _move_into_place(partial: Path, target: Path) -> None:
    """Give the finished folder its name in one rename (onto an empty folder, or none)."""
    try:
        partial.rename(target)
    except OSError as error:
        raise BackupRefused(
            f"{target} could not be given the backup ({error.strerror}): name a new folder"
        ) from None
    fsync_folder(target.parent)


# --- restoring --------------------------------------------------------------------------------


def check_backup(folder: Path, database: Database) -> Manifest:
    """The backup's manifest, once every file it lists is there with its size and SHA-256
    and its schema is one this sopbot knows; BackupRefused otherwise."""
    manifest = read_manifest(folder)
    problems = mismatches(folder, manifest.files)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BackupRefused(
            f"the backup does not match its manifest: {problems[0]}{more}; nothing was restored"
        )
    known = revisions_in_order(database)
    if manifest.schema_revision not in known:
        raise BackupRefused(
            f"the backup's schema revision {manifest.schema_revision} is newer than this "
            f"sopbot knows (its newest: {known[-1]}): upgrade sopbot first, then restore"
        )
    return manifest


def restore_backup(database: Database, store: LocalDocumentStore, folder: Path) -> Restored:
    """Restore a backup into an empty database and an empty (or absent) documents folder,
    migrate an older schema, and verify the audit trail and the documents; BackupRefused,
    with nothing changed, when any check before the restore fails."""
    key = database.audit_key
    if key is None:
        raise BackupRefused("a restore is verified with the audit key (SOPBOT_AUDIT_KEY)")
    manifest = check_backup(folder, database)
    require_empty_target(database, manifest.database_kind, manifest.postgresql_schema)
    _require_no_documents(store)
    if manifest.audit_key_check is not None and not same_digest(
        manifest.audit_key_check, audit_key_check(key)
    ):
        raise BackupRefused(
            "SOPBOT_AUDIT_KEY is not the key this backup's audit trail was written with: set "
            "the audit key of the server the backup came from (without it the trail cannot "
            "be verified, nor go on)"
        )
    written: list[Path] = []
    try:
        for document in manifest.documents:
            try:
                store.put_copy(_key_of(document), folder / document.path)
            except DocumentUnavailable:
                raise BackupRefused(
                    f"{document.path} changed while it was restored: nothing was restored"
                ) from None
            written.append(store.path_of(_key_of(document)))
        restore_database(
            database,
            folder / manifest.database_file,
            manifest.database_kind,
            manifest.postgresql_schema,
        )
    except BaseException:
        for path in written:  # the folder was empty: these are ours
            path.unlink(missing_ok=True)
        raise
    revision = manifest.schema_revision
    head = revisions_in_order(database)[-1]
    if revision != head:
        # As `sopbot run` does at start-up; the checks below read the current schema.
        upgrade(database)
        revision = head
    # The workers of the backed-up deployment do not run here: none is registered, no chat
    # is leased.
    with database.unit_of_work() as uow:
        workers.forget_everyone(uow)
    return Restored(
        manifest,
        revision,
        verify_audit_trail(database),
        verify_documents(database, store),
    )


def _require_no_documents(store: LocalDocumentStore) -> None:
    root = store.root
    if root.exists() and not root.is_dir():
        raise BackupRefused(f"the documents folder {root} is a file (SOPBOT_DOCUMENTS_DIR)")
    if root.is_dir() and any(p.is_file() or p.is_symlink() for p in root.rglob("*")):
        raise BackupRefused(
            f"the documents folder {root} is not empty (SOPBOT_DOCUMENTS_DIR): restore into "
            "an empty or new folder"
        )
