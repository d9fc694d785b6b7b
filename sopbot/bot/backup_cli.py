"""`sopbot backup DIR` and `sopbot restore DIR`: the database (DATABASE_URL) and the document
store (SOPBOT_DOCUMENTS_DIR) into a folder, and back into an empty deployment (docs/backup.md).

Exit codes: 0 done (a restore: both checks passed); 1 done, with a problem said (a backup that
lacks documents the database names; a restore whose audit trail or documents did not verify);
2 refused, with nothing changed, in one line saying why.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from sopbot.bot.audit_cli import print_audit_result, print_documents_result
from sopbot.bot.settings import Settings
from sopbot.services.backup import BackupTaken, Restored, restore_backup, take_backup
from sopbot.services.backup_manifest import Manifest
from sopbot.storage.audit_key import AuditKey, InvalidAuditKey
from sopbot.storage.backup import BackupRefused
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_REFUSED = 2

_MIB = 1024 * 1024


def add_backup_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sopbot backup DIR` and `sopbot restore DIR`."""
    backup = commands.add_parser(
        "backup",
        help="write a consistent backup of the database and the documents into a new folder "
        "(safe while the bot runs)",
    )
    backup.add_argument("folder", type=Path, metavar="DIR", help="a new (or empty) folder")
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser(
        "restore",
        help="restore a backup into an empty database and documents folder, then verify the "
        "audit trail and the documents",
    )
    restore.add_argument("folder", type=Path, metavar="DIR", help="a folder `sopbot backup` wrote")
    restore.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    database = Database(settings.database_url)
    try:
        taken = take_backup(
            database,
            LocalDocumentStore(settings.documents_dir),
            args.folder,
            sopbot_version=sopbot_version(),
            audit_key=_audit_key_if_set(settings),
        )
    except BackupRefused as refusal:
        print(f"backup refused: {refusal}", file=err)
        return EXIT_REFUSED
    finally:
        database.dispose()
    _print_taken(taken, out, err)
    return EXIT_OK if taken.complete else EXIT_PROBLEMS


def _audit_key_if_set(settings: Settings) -> AuditKey | None:
    """The audit key, when the environment holds a usable one: the backup then records a
    check that tells a restore whether its key is the same. A backup needs no key."""
    try:
        return settings.checked_audit_key()
    except InvalidAuditKey:
        return None


def _print_taken(taken: BackupTaken, out: TextIO, err: TextIO) -> None:
    manifest = taken.manifest
    print(
        f"backup written to {taken.folder}: {_database_line(manifest)}, "
        f"{len(manifest.documents)} document(s), {_size(manifest.size)}",
        file=out,
    )
    if manifest.audit_key_check is None:
        print(
            "note: SOPBOT_AUDIT_KEY was not set, so the backup cannot tell a restore whether "
            "its key is the right one",
            file=out,
        )
    if manifest.missing_documents:
        print(
            f"warning: {len(manifest.missing_documents)} document(s) the database names are "
            f"not in the document store ({_example(manifest.missing_documents)}): run "
            "`sopbot documents verify`",
            file=err,
        )
    if manifest.damaged_documents:
        print(
            f"warning: {len(manifest.damaged_documents)} document(s) in the store no longer "
            f"match their SHA-256 and were left out ({_example(manifest.damaged_documents)}): "
            "run `sopbot documents verify`",
            file=err,
        )


def _restore(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    # Refused here (main prints it, exit code 2) before anything is read or changed.
    key = settings.checked_audit_key()
    database = Database(settings.database_url, audit_key=key)
    try:
        restored = restore_backup(database, LocalDocumentStore(settings.documents_dir), args.folder)
    except BackupRefused as refusal:
        print(f"restore refused: {refusal}", file=err)
        return EXIT_REFUSED
    finally:
        database.dispose()
    _print_restored(restored, settings, database, out)
    return EXIT_OK if restored.intact else EXIT_PROBLEMS


def _print_restored(
    restored: Restored, settings: Settings, database: Database, out: TextIO
) -> None:
    manifest = restored.manifest
    taken = manifest.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    print(
        f"backup of {taken} (sopbot {manifest.sopbot_version}): {len(manifest.files)} file(s) "
        "match the manifest",
        file=out,
    )
    shown = database.url.render_as_string(hide_password=True)
    print(f"restored the {_database_line(manifest)} into {shown}", file=out)
    if restored.migrated:
        print(
            f"migrated the schema from {manifest.schema_revision} to "
            f"{restored.schema_revision}, as `sopbot db upgrade` does",
            file=out,
        )
    print(f"restored {len(manifest.documents)} document(s) into {settings.documents_dir}", file=out)
    lacking = (*manifest.missing_documents, *manifest.damaged_documents)
    if lacking:
        print(
            f"the backup lacks {len(lacking)} document(s): missing or damaged in the store "
            "when it was taken",
            file=out,
        )
    print_audit_result(restored.audit, out)
    if restored.key_suspected:
        print(
            "every problem is a row whose keyed hash does not hold: if SOPBOT_AUDIT_KEY is not "
            "the key of the server the backup came from, that alone explains it; set that key",
            file=out,
        )
    print_documents_result(restored.documents, out)


def _database_line(manifest: Manifest) -> str:
    return f"{manifest.database_kind.value} database at schema revision {manifest.schema_revision}"


def _example(keys: tuple[str, ...]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} and {len(keys) - 1} more"


def _size(size: int) -> str:
    return f"{size / _MIB:.1f} MiB" if size >= _MIB else f"{size / 1024:.0f} KiB"


def sopbot_version() -> str:
    """The installed sopbot's version, as the manifest records it."""
    try:
        return version("sopbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
