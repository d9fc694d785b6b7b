"""A backup's `manifest.json`: what the backup holds, and the size and SHA-256 of every file,
so a restore can refuse a backup that is incomplete, damaged or changed before it touches
anything.

The manifest says what was written; it is not signed. A backup is kept where only the
operator can write (docs/backup.md); the audit trail inside it is checked with the audit key
after the restore, which no one who only reached the backup can forge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sopbot.storage.audit_key import AuditKey
from sopbot.storage.backup import BackupRefused, DatabaseKind
from sopbot.storage.document_store import is_storage_key

MANIFEST = "manifest.json"
"""The manifest's name in a backup folder."""

FORMAT = 1
"""The layout of backups this sopbot writes and reads."""

DOCUMENTS = "documents"
"""The folder of a backup holding the document store's files, under their storage keys."""

_CHUNK_BYTES = 1024 * 1024
# What the audit key's check value is the MAC of: it tells a restore whether its key is the
# one the backup's trail was written with, and nothing about the key (the audit rows in the
# backup are MACs under it already).
_KEY_CHECK = {"purpose": "sopbot backup: the audit key of this trail"}


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One file of a backup: its path in the folder (with '/'), size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds."""

    sopbot_version: str
    created_at: dt.datetime  # UTC
    database_kind: DatabaseKind
    schema_revision: str
    database_file: str
    files: tuple[BackupFile, ...]
    postgresql_schema: str | None = None
    audit_key_check: str | None = None  # None: taken without SOPBOT_AUDIT_KEY
    missing_documents: tuple[str, ...] = ()  # named by the database, not in the store
    damaged_documents: tuple[str, ...] = ()  # left out: their bytes did not match their key

    @property
    def documents(self) -> tuple[BackupFile, ...]:
        """The document store's files in the backup."""
        return tuple(f for f in self.files if f.path.startswith(f"{DOCUMENTS}/"))

    @property
    def size(self) -> int:
        """The bytes of every file the backup holds."""
        return sum(f.size for f in self.files)

    def as_json(self) -> dict[str, Any]:
        """The manifest as `manifest.json` holds it."""
        return {
            "format": FORMAT,
            "sopbot_version": self.sopbot_version,
            "created_at": self.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "database": {
                "kind": self.database_kind.value,
                "schema_revision": self.schema_revision,
                "file": self.database_file,
                "postgresql_schema": self.postgresql_schema,
            },
            "audit_key_check": self.audit_key_check,
            "missing_documents": list(self.missing_documents),
            "damaged_documents": list(self.damaged_documents),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }


def audit_key_check(key: AuditKey) -> str:
    """The value that tells whether a key is the one a backup's trail was written with."""
    return key.mac(_KEY_CHECK)


def described(folder: Path, path: str) -> BackupFile:
    """A file of the backup folder as the manifest lists it (read once, hashed)."""
    hasher = hashlib.sha256()
    size = 0
    with (folder / path).open("rb") as stored:
        while chunk := stored.read(_CHUNK_BYTES):
            hasher.update(chunk)
            size += len(chunk)
    return BackupFile(path, size, hasher.hexdigest())


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write `manifest.json` into the folder, flushed to disk."""
    with (folder / MANIFEST).open("w", encoding="utf-8") as written:
        json.dump(manifest.as_json(), written, ensure_ascii=False, indent=2)
        written.write("\n")
        written.flush()
        os.fsync(written.fileno())


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a backup folder; BackupRefused, saying what is wrong, when there is
    none, or it is not one this sopbot reads."""
    if not folder.is_dir():
        raise BackupRefused(f"there is no backup folder {folder}")
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupRefused(
            f"{folder} has no {MANIFEST}: not a sopbot backup, or one that did not finish"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _parsed(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupRefused(f"{path} is not a manifest sopbot can read ({error})") from None


def _parsed(data: dict[str, Any]) -> Manifest:
    if data["format"] != FORMAT:
        raise BackupRefused(
            f"the backup's format is {data['format']!r}; this sopbot reads format {FORMAT}: "
            "restore it with the sopbot version that wrote it"
        )
    database = data["database"]
    kind = DatabaseKind(database["kind"])
    files = tuple(
        BackupFile(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in data["files"]
    )
    manifest = Manifest(
        sopbot_version=str(data["sopbot_version"]),
        created_at=dt.datetime.fromisoformat(data["created_at"]),
        database_kind=kind,
        schema_revision=str(database["schema_revision"]),
        database_file=str(database["file"]),
        files=files,
        postgresql_schema=database.get("postgresql_schema"),
        audit_key_check=data.get("audit_key_check"),
        missing_documents=tuple(str(k) for k in data.get("missing_documents", ())),
        damaged_documents=tuple(str(k) for k in data.get("damaged_documents", ())),
    )
    if manifest.database_file != kind.snapshot_file:
        raise ValueError(f"a {kind.value} database is kept as {kind.snapshot_file}")
    strange = [f.path for f in files if not _ours(f.path, manifest.database_file)]
    if strange:
        raise ValueError(f"it names a file sopbot does not write: {strange[0]!r}")
    if manifest.database_file not in {f.path for f in files}:
        raise ValueError(f"it does not list the database file {manifest.database_file}")
    return manifest


def _ours(path: str, database_file: str) -> bool:
    """Whether a listed path is one a backup holds: the database, or a document under its
    storage key. Anything else (an absolute path, '..') is never read or copied."""
    if path == database_file:
        return True
    parts = PurePosixPath(path).parts
    return parts[:1] == (DOCUMENTS,) and is_storage_key("/".join(parts[1:]))


def mismatches(folder: Path, files: Iterable[BackupFile]) -> list[str]:
    """What is wrong with the folder's files against the manifest (every file read and
    hashed): empty when each is there with its size and SHA-256."""
    found: list[str] = []
    for listed in files:
        path = folder / listed.path
        if not path.is_file():
            found.append(f"{listed.path}: missing")
            continue
        size = path.stat().st_size
        if size != listed.size:
            found.append(f"{listed.path}: {size} bytes, the manifest says {listed.size}")
            continue
        if described(folder, listed.path).sha256 != listed.sha256:
            found.append(f"{listed.path}: its SHA-256 is not the manifest's (changed)")
    return found
