"""Uploaded documents kept in a local folder, each under a name the server derives from its
content.

A storage key is ``ab/cd/<sha256>.<extension>``: the hash says where the bytes live and lets
anyone check they are unchanged, and the sender's file name is never part of a path. Every
file reaches its final name by an atomic rename after being flushed to disk, so a crash
leaves either the whole file or none of it under that name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sopbot.storage.file_types import FileType

FILE_MODE = 0o640
"""Permissions of a stored document: the service account writes, its group may read."""

FOLDER_MODE = 0o750
"""Permissions of the folders the store creates."""

_CHUNK_BYTES = 1024 * 1024
_KEY_PATTERN = re.compile(
    r"(?P<a>[0-9a-f]{2})/(?P<b>[0-9a-f]{2})/(?P=a)(?P=b)[0-9a-f]{60}\.[a-z0-9]{1,10}"
)
_EXTENSION_PATTERN = re.compile(r"[a-z0-9]{1,10}")
# Temporary files start with a dot and end in ".part", so no key can ever name one.
_TEMPORARY_PREFIX = ".upload-"
_TEMPORARY_SUFFIX = ".part"
# put_file learns the final folder only once it has read the whole file, so it writes into
# this folder first; it sits inside the root, hence on the same file system, so the final
# os.replace is still an atomic rename.
_INCOMING_FOLDER = ".incoming"


class DocumentUnavailable(Exception):
    """A stored document that cannot be handed on: missing, or its bytes no longer match the
    SHA-256 its key was made from."""


@dataclass(frozen=True)
class StoredDocument:
    """Where a document was stored, with the SHA-256 (hex) and size of its bytes."""

    storage_key: str
    sha256: str
    size_bytes: int


class LocalDocumentStore:
    """A content-addressed folder of documents; keys are made by the store, never by users."""

    def __init__(self, root: Path) -> None:
        """A store keeping its files under ``root`` (created on the first write if missing)."""
        self.root = Path(root)

    # --- writing ------------------------------------------------------------------------

    def put(self, content: bytes, file_type: FileType) -> StoredDocument:
        """Store ``content`` (unless already stored) and return its content-derived key."""
        digest = hashlib.sha256(content).hexdigest()
        stored = StoredDocument(self._key_for(digest, file_type), digest, len(content))
        final = self.root / stored.storage_key
        if self._already_stored(final, stored.size_bytes):
            return stored
        self._make_folders(final.parent)
        self._write_atomically(final.parent, final, (content,))
        return stored

    def put_file(self, path: Path, file_type: FileType) -> StoredDocument:
        """Store the file at ``path`` in chunks, hashing while copying; for large uploads."""
        extension = self._checked_extension(file_type)
        incoming = self.root / _INCOMING_FOLDER
        self._make_folders(incoming)
        reading = HashedReading(path)
        temporary = self._write_temporary(incoming, reading.chunks())
        try:
            digest = reading.hasher.hexdigest()
            stored = StoredDocument(_key(digest, extension), digest, reading.size)
            final = self.root / stored.storage_key
            if self._already_stored(final, reading.size):
                temporary.unlink()
                return stored
            self._make_folders(final.parent)
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        fsync_folder(final.parent)
        return stored

    # --- reading ------------------------------------------------------------------------

    def path_of(self, storage_key: str) -> Path:
        """The file of ``storage_key`` under the root; ValueError for a key not of our form."""
        if not isinstance(storage_key, str) or not _KEY_PATTERN.fullmatch(storage_key):
            raise ValueError(f"not a document store key: {storage_key!r}")
        path = self.root / storage_key
        # The pattern already rules out "..", but a symlinked folder inside the root could
        # still lead out of it; resolving catches that too.
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"document store key leads outside the store: {storage_key!r}")
        return path

    def exists(self, storage_key: str) -> bool:
        """Whether a document is stored under ``storage_key``."""
        return self.path_of(storage_key).is_file()

    def open(self, storage_key: str) -> BinaryIO:
        """The stored document opened for reading in binary; the caller closes it."""
        return self.path_of(storage_key).open("rb")

    def read(self, storage_key: str) -> bytes:
        """All the bytes of the stored document."""
        return self.path_of(storage_key).read_bytes()

    def read_verified(self, storage_key: str) -> bytes:
        """All the bytes of the stored document, checked against the SHA-256 in its key;
        DocumentUnavailable when the file is missing or damaged (or the key is not ours)."""
        try:
            content = self.path_of(storage_key).read_bytes()
        except (OSError, ValueError) as error:
            raise DocumentUnavailable(f"{storage_key!r}: {error}") from error
        if hashlib.sha256(content).hexdigest() != digest_in_key(storage_key):
            raise DocumentUnavailable(f"{storage_key!r}: the stored bytes do not match its hash")
        return content

    def stored_keys(self) -> list[str]:
        """The storage key of every document in the store, sorted (none when the root is
        missing). Temporary files of writes under way, and anything else no key names, are
        left out: only whole documents have a key's name (they arrive by atomic rename)."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if _KEY_PATTERN.fullmatch(key) and path.is_file() and not path.is_symlink():
                found.append(key)
        return sorted(found)

    def verify(self, storage_key: str, sha256: str | None = None) -> bool:
        """Whether the stored bytes still hash to `sha256` (by default the SHA-256 in the key);
        False if missing."""
        path = self.path_of(storage_key)
        expected = sha256 or digest_in_key(storage_key)
        hasher = hashlib.sha256()
        try:
            with path.open("rb") as stored:
                while chunk := stored.read(_CHUNK_BYTES):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hasher.hexdigest() == expected

    # --- restoring ----------------------------------------------------------------------

    def put_copy(self, storage_key: str, source: Path) -> StoredDocument:
        """Store the file at ``source`` under ``storage_key`` (a document coming back from a
        backup), written as `put` writes; DocumentUnavailable, and nothing stored, when its
        bytes do not hash to the SHA-256 the key names."""
        final = self.path_of(storage_key)
        reading = HashedReading(source)
        self._make_folders(final.parent)
        temporary = self._write_temporary(final.parent, reading.chunks())
        try:
            if reading.hasher.hexdigest() != digest_in_key(storage_key):
                raise DocumentUnavailable(f"{storage_key!r}: the copy does not match its hash")
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        fsync_folder(final.parent)
        return StoredDocument(storage_key, reading.hasher.hexdigest(), reading.size)

    # --- internals ------------------------------------------------------------------------

    def _key_for(self, digest: str, file_type: FileType) -> str:
        """The storage key of content with this digest and type."""
        return _key(digest, self._checked_extension(file_type))

    @staticmethod
    def _checked_extension(file_type: FileType) -> str:
        """The type's extension, refused unless it is short, lowercase and alphanumeric."""
        # FileType is a plain dataclass anyone can build; its extension becomes part of a
        # path, so it is held to the same pattern as keys.
        if not _EXTENSION_PATTERN.fullmatch(file_type.extension):
            raise ValueError(f"unsafe file extension: {file_type.extension!r}")
        return file_type.extension

    @staticmethod
    def _already_stored(final: Path, size: int) -> bool:
        """Whether ``final`` already holds this content (same hash in the name, same size)."""
        # The name carries the SHA-256 and files arrive only by atomic rename, so a file of
        # the right size is the same content; a wrong size means damage, so it is rewritten.
        try:
            return final.stat().st_size == size
        except FileNotFoundError:
            return False

    def _make_folders(self, folder: Path) -> None:
        """Create ``folder`` and any missing parents up to the root, durably, as FOLDER_MODE."""
        missing: list[Path] = []
        current = folder
        while not current.is_dir():
            missing.append(current)
            if current == self.root or current.parent == current:
                break
            current = current.parent
        for created in reversed(missing):
            # exist_ok: another writer may get there first. parents only matters for the
            # root itself; the folders above it are the operator's, left at their defaults.
            created.mkdir(parents=True, exist_ok=True)
            # mkdir's mode is reduced by the umask; chmod sets exactly what we promise.
            created.chmod(FOLDER_MODE)
            fsync_folder(created.parent)

    def _write_atomically(self, folder: Path, final: Path, chunks: Iterable[bytes]) -> None:
        """Write ``chunks`` to a temporary file in ``folder`` and rename it to ``final``."""
        temporary = self._write_temporary(folder, chunks)
        try:
            os.replace(temporary, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        fsync_folder(folder)

    @staticmethod
    def _write_temporary(folder: Path, chunks: Iterable[bytes]) -> Path:
        """A new, fully flushed and fsynced temporary file in ``folder`` holding ``chunks``."""
        descriptor, name = tempfile.mkstemp(
            dir=folder, prefix=_TEMPORARY_PREFIX, suffix=_TEMPORARY_SUFFIX
        )
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        return temporary


def is_storage_key(text: str) -> bool:
    """Whether ``text`` has the form of a key the store makes (``ab/cd/<sha256>.<ext>``)."""
    return _KEY_PATTERN.fullmatch(text) is not None


def digest_in_key(storage_key: str) -> str:
    """The SHA-256 (hex) a storage key was made from (the bytes stored under it hash to it)."""
    return storage_key.rsplit("/", 1)[-1].split(".", 1)[0]


def _key(digest: str, extension: str) -> str:
    """The storage key for a SHA-256 hex digest and a checked extension."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


def fsync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries to disk, so a rename or mkdir in it survives a crash."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class HashedReading:
    """A file's bytes, one chunk at a time, hashed (SHA-256) and counted on the way."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.hasher = hashlib.sha256()
        self.size = 0

    def chunks(self) -> Iterable[bytes]:
        """The chunks, in order; `hasher` and `size` are complete once they are all read."""
        with self.path.open("rb") as source:
            while chunk := source.read(_CHUNK_BYTES):
                self.hasher.update(chunk)
                self.size += len(chunk)
                yield chunk
