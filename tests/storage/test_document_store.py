"""The local document store: content-derived keys, atomic durable writes, refused keys,
tamper detection and streaming of large files."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tracemalloc
from pathlib import Path

import pytest

from sopbot.storage.document_store import (
    FILE_MODE,
    FOLDER_MODE,
    DocumentUnavailable,
    LocalDocumentStore,
    StoredDocument,
)
from sopbot.storage.file_types import FILE_TYPES, FileType

PDF = FILE_TYPES["pdf"]
CSV = FILE_TYPES["csv"]
CONTENT = b"%PDF-1.4\nlaporan kinerja triwulan I\n%%EOF\n"
KEY_FORM = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]+")


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    """An empty store in a folder that does not exist yet."""
    return LocalDocumentStore(tmp_path / "dokumen")


def files_under(root: Path) -> list[Path]:
    """Every file (not folder) under ``root``, hidden ones included."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def write_in_chunks(path: Path, size: int, chunk: int = 1024 * 1024) -> str:
    """Write ``size`` patterned bytes to ``path`` without holding them all; their SHA-256."""
    hasher = hashlib.sha256()
    block = bytes(range(256)) * (chunk // 256)
    with path.open("wb") as handle:
        written = 0
        while written < size:
            piece = block[: min(chunk, size - written)]
            handle.write(piece)
            hasher.update(piece)
            written += len(piece)
    return hasher.hexdigest()


# --- keys come from the content -------------------------------------------------------------


def test_the_key_is_derived_from_the_content(store: LocalDocumentStore) -> None:
    digest = hashlib.sha256(CONTENT).hexdigest()
    stored = store.put(CONTENT, PDF)
    assert stored == StoredDocument(
        f"{digest[:2]}/{digest[2:4]}/{digest}.pdf", digest, len(CONTENT)
    )
    assert KEY_FORM.fullmatch(stored.storage_key)
    assert store.read(stored.storage_key) == CONTENT
    assert store.exists(stored.storage_key)
    assert store.path_of(stored.storage_key) == store.root / stored.storage_key
    with store.open(stored.storage_key) as handle:
        assert handle.read() == CONTENT


def test_the_extension_comes_from_the_detected_type(store: LocalDocumentStore) -> None:
    assert store.put(b"a;b\n1;2\n", CSV).storage_key.endswith(".csv")


def test_the_same_content_gives_the_same_key_and_is_written_once(
    store: LocalDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.put(CONTENT, PDF)
    renames: list[object] = []
    real_replace = os.replace

    def counting_replace(source: str | Path, target: str | Path) -> None:
        """os.replace, counted."""
        renames.append(target)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", counting_replace)
    again = store.put(CONTENT, PDF)
    assert again == first
    assert renames == []
    assert files_under(store.root) == [store.path_of(first.storage_key)]


def test_different_content_gets_a_different_key(store: LocalDocumentStore) -> None:
    assert store.put(CONTENT, PDF) != store.put(CONTENT + b" ", PDF)


def test_a_damaged_copy_is_rewritten_when_the_content_arrives_again(
    store: LocalDocumentStore,
) -> None:
    key = store.put(CONTENT, PDF).storage_key
    path = store.path_of(key)
    path.write_bytes(CONTENT[:5])  # e.g. truncated by a disk fault
    store.put(CONTENT, PDF)
    assert store.read(key) == CONTENT
    assert store.verify(key)


def test_an_unsafe_extension_is_refused(store: LocalDocumentStore) -> None:
    for extension in ("../pdf", "PDF", "", "p/df", "verylongextension"):
        with pytest.raises(ValueError, match="extension"):
            store.put(CONTENT, FileType("application/pdf", extension, "PDF"))
    assert not store.root.exists()


# --- atomic, durable, private -----------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_files_and_folders_get_exactly_their_modes(store: LocalDocumentStore, umask: int) -> None:
    old_umask = os.umask(umask)  # neither a loose nor a strict umask changes the modes
    try:
        key = store.put(CONTENT, PDF).storage_key
    finally:
        os.umask(old_umask)
    path = store.path_of(key)
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o640
    for folder in (path.parent, path.parent.parent, store.root):
        assert stat.S_IMODE(folder.stat().st_mode) == FOLDER_MODE == 0o750


def test_a_write_leaves_no_temporary_files(store: LocalDocumentStore) -> None:
    keys = {store.put(bytes([n]) * 100, PDF).storage_key for n in range(20)}
    assert files_under(store.root) == sorted(store.path_of(key) for key in keys)


def test_the_file_is_synced_before_the_rename_and_the_folder_after(
    store: LocalDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def recording_fsync(descriptor: int) -> None:
        """os.fsync, noting whether a folder or a file was synced."""
        events.append("fsync-folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "fsync")
        real_fsync(descriptor)

    def recording_replace(source: str | Path, target: str | Path) -> None:
        """os.replace, noted."""
        events.append("replace")
        real_replace(source, target)

    store.root.mkdir()
    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    store.put(CONTENT, PDF)
    # Two new folders (each made durable in its parent), then the file, the rename, the folder.
    assert events == ["fsync-folder", "fsync-folder", "fsync", "replace", "fsync-folder"]


def test_a_failed_write_leaves_neither_a_final_nor_a_temporary_file(
    store: LocalDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def failing_fsync(descriptor: int) -> None:
        """os.fsync that fails for files, as a full or failing disk would."""
        if not stat.S_ISDIR(os.fstat(descriptor).st_mode):
            raise OSError(28, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        store.put(CONTENT, PDF)
    assert files_under(store.root) == []


def test_a_failed_rename_leaves_no_temporary_file(
    store: LocalDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: str | Path, target: str | Path) -> None:
        """os.replace that fails, as on a read-only remount."""
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="Read-only"):
        store.put(CONTENT, PDF)
    assert files_under(store.root) == []


# --- keys not of the store's own form -----------------------------------------------------------

GOOD_DIGEST = hashlib.sha256(b"x").hexdigest()
BAD_KEYS = [
    "../x",
    "../../etc/passwd",
    "/etc/passwd",
    f"/{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.pdf",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/../../{GOOD_DIGEST}.pdf",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.pdf\n",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.pdf/..",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST.upper()}.pdf",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.p/f",
    f"00/00/{GOOD_DIGEST}.pdf",  # the folders do not match the hash
    f"{GOOD_DIGEST}.pdf",
    f"{GOOD_DIGEST[:2]}\\{GOOD_DIGEST[2:4]}\\{GOOD_DIGEST}.pdf",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST[:63]}.pdf",
    f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/.upload-abc.part",
    "laporan.pdf",
    "",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_not_of_the_stores_form_are_refused(
    store: LocalDocumentStore, key: str, tmp_path: Path
) -> None:
    (tmp_path / "x").write_bytes(b"outside")
    for use in (store.path_of, store.exists, store.read, store.verify, store.open):
        with pytest.raises(ValueError, match="not a document store key"):
            use(key)


def test_a_symlink_inside_the_store_cannot_lead_outside(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    outside = tmp_path / "rahasia"
    (outside / GOOD_DIGEST[2:4]).mkdir(parents=True)
    (outside / GOOD_DIGEST[2:4] / f"{GOOD_DIGEST}.pdf").write_bytes(b"x")
    store.root.mkdir()
    (store.root / GOOD_DIGEST[:2]).symlink_to(outside)
    key = f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.pdf"
    with pytest.raises(ValueError, match="outside the store"):
        store.read(key)


def test_a_well_formed_key_that_was_never_stored(store: LocalDocumentStore) -> None:
    key = f"{GOOD_DIGEST[:2]}/{GOOD_DIGEST[2:4]}/{GOOD_DIGEST}.pdf"
    assert not store.exists(key)
    assert not store.verify(key)
    with pytest.raises(FileNotFoundError):
        store.read(key)


# --- verification -------------------------------------------------------------------------------


def test_verify_detects_a_tampered_file(store: LocalDocumentStore) -> None:
    key = store.put(CONTENT, PDF).storage_key
    assert store.verify(key)
    path = store.path_of(key)
    path.write_bytes(CONTENT.replace(b"triwulan I", b"triwulan V"))  # same size, other bytes
    assert not store.verify(key)


def test_read_verified_hands_out_only_the_bytes_the_key_names(store: LocalDocumentStore) -> None:
    key = store.put(CONTENT, PDF).storage_key
    assert store.read_verified(key) == CONTENT
    store.path_of(key).write_bytes(CONTENT.replace(b"triwulan I", b"triwulan V"))
    with pytest.raises(DocumentUnavailable, match="do not match"):
        store.read_verified(key)
    store.path_of(key).unlink()
    with pytest.raises(DocumentUnavailable):
        store.read_verified(key)
    with pytest.raises(DocumentUnavailable):
        store.read_verified("../../etc/passwd")


# --- streaming large files ----------------------------------------------------------------------


def test_put_file_streams_a_21_mb_file(store: LocalDocumentStore, tmp_path: Path) -> None:
    size = 21 * 1024 * 1024
    source = tmp_path / "upload.bin"
    digest = write_in_chunks(source, size)
    tracemalloc.start()
    try:
        stored = store.put_file(source, PDF)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # a few 1 MiB chunks at most, never the whole file
    assert stored == StoredDocument(f"{digest[:2]}/{digest[2:4]}/{digest}.pdf", digest, size)
    assert store.path_of(stored.storage_key).stat().st_size == size
    assert stat.S_IMODE(store.path_of(stored.storage_key).stat().st_mode) == FILE_MODE
    assert store.verify(stored.storage_key)
    assert files_under(store.root) == [store.path_of(stored.storage_key)]


def test_put_file_and_put_agree_and_deduplicate(store: LocalDocumentStore, tmp_path: Path) -> None:
    source = tmp_path / "laporan (final) revisi.pdf"
    source.write_bytes(CONTENT)
    from_file = store.put_file(source, PDF)
    assert from_file == store.put(CONTENT, PDF)
    assert store.put_file(source, PDF) == from_file
    assert files_under(store.root) == [store.path_of(from_file.storage_key)]


def test_put_file_of_a_missing_file_leaves_nothing_behind(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "tidak-ada.pdf", PDF)
    assert files_under(store.root) == []
