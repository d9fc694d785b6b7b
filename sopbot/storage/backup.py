"""The database side of `sopbot backup` and `sopbot restore`: a consistent snapshot of the
database taken while the bot writes, and its restore into an empty database.

SQLite is copied with SQLite's online backup API (`sqlite3.Connection.backup`) in one step,
which reads the whole file in one read transaction: in WAL mode writers go on meanwhile, and
the copy is the database as of one commit. PostgreSQL is dumped with `pg_dump --format=custom`
in a snapshot exported from a read-only REPEATABLE READ transaction of our own, in which the
schema revision and the document keys are read too: all three are of the same moment.

The PostgreSQL tools get the connection from DATABASE_URL as a libpq connection string without
the password; the password goes to the child process in PGPASSWORD only, never on a command
line (which `ps` shows to every user) nor in anything printed.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from sopbot.engine.errors import SopbotError
from sopbot.storage.database import Database
from sopbot.storage.models import DocumentRow, SopDraftRow

SQLITE_FILE = "database.sqlite3"
"""The name of a SQLite database's copy in a backup."""

POSTGRES_FILE = "database.pgdump"
"""The name of a PostgreSQL database's dump (custom format) in a backup."""

PG_DUMP = "pg_dump"
PG_RESTORE = "pg_restore"

# How long the SQLite connections wait for a lock the bot holds (its busy timeout too).
_SQLITE_TIMEOUT_SECONDS = 30.0


class DatabaseKind(enum.StrEnum):
    """The databases sopbot runs on."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"

    @property
    def snapshot_file(self) -> str:
        """The name of this kind's snapshot in a backup."""
        return SQLITE_FILE if self is DatabaseKind.SQLITE else POSTGRES_FILE


class BackupRefused(SopbotError):
    """A backup or restore that cannot be done as asked; nothing was changed. The message is
    one line for the operator, saying why and what to do."""


@dataclass(frozen=True, slots=True)
class DatabaseSnapshot:
    """A database written into a backup folder, and what it holds."""

    kind: DatabaseKind
    file_name: str  # in the backup folder
    schema_revision: str  # Alembic's
    postgresql_schema: str | None  # the schema dumped (PostgreSQL only)
    document_keys: frozenset[str]  # the document store keys its rows name


def kind_of(database: Database) -> DatabaseKind:
    """The kind of a database; BackupRefused for a backend sopbot does not run on."""
    backend = database.url.get_backend_name()
    try:
        return DatabaseKind(backend)
    except ValueError:
        raise BackupRefused(
            f"DATABASE_URL names a {backend} database: sopbot backs up SQLite and PostgreSQL"
        ) from None


def require_tool(name: str) -> str:
    """The path of a PostgreSQL client program; BackupRefused when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            f"{name} was not found on PATH: install the PostgreSQL client programs of the "
            f"server's major version or newer (Debian/Ubuntu: apt install postgresql-client)"
        )
    return found


# --- taking a snapshot ------------------------------------------------------------------------


def snapshot_database(database: Database, folder: Path) -> DatabaseSnapshot:
    """Write a consistent snapshot of the database into ``folder`` (which exists), as the bot
    goes on writing; BackupRefused when there is nothing of sopbot's to back up."""
    if kind_of(database) is DatabaseKind.SQLITE:
        return _snapshot_sqlite(_sqlite_path(database), folder / SQLITE_FILE)
    return _snapshot_postgres(database, folder / POSTGRES_FILE)


def _sqlite_path(database: Database) -> Path:
    name = database.url.database
    if not name or name == ":memory:":
        raise BackupRefused("DATABASE_URL names no SQLite file: an in-memory database")
    return Path(name)


def _snapshot_sqlite(source_path: Path, copy: Path) -> DatabaseSnapshot:
    if not source_path.is_file():
        raise BackupRefused(f"there is no SQLite database at {source_path} (DATABASE_URL)")
    with (
        contextlib.closing(sqlite3.connect(source_path, timeout=_SQLITE_TIMEOUT_SECONDS)) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        # All pages in one step: one read transaction, so the copy is one commit's database
        # however much the bot writes meanwhile (steps of a few pages would start over).
        source.backup(target)
        # The copy is one self-contained file: no WAL beside it, readable read-only.
        target.execute("PRAGMA journal_mode=DELETE")
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            revision = _revision(connection)
            keys = _document_keys(connection)
    finally:
        engine.dispose()
    return DatabaseSnapshot(DatabaseKind.SQLITE, SQLITE_FILE, revision, None, keys)


def _snapshot_postgres(database: Database, dump: Path) -> DatabaseSnapshot:
    pg_dump = require_tool(PG_DUMP)
    connection_string, environment = libpq_connection(database.url)
    with _connected(database), database.reading() as session:
        connection = session.connection()
        # pg_dump reads in this transaction's snapshot, so the dump, the revision and the
        # document keys read here are all of the same moment.
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = _current_schema(connection)
        revision = _revision(connection)
        keys = _document_keys(connection)
        _run_tool(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--file={dump}",
                f"--snapshot={snapshot}",
                # Only sopbot's schema: other schemas of the database are not ours to copy.
                f"--schema={_literal_pattern(schema)}",
                f"--dbname={connection_string}",
            ],
            environment,
            database.url,
        )
    return DatabaseSnapshot(DatabaseKind.POSTGRESQL, POSTGRES_FILE, revision, schema, keys)


def _revision(connection: Connection) -> str:
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise BackupRefused(
            "the database has no sopbot schema (never migrated): there is nothing to back up"
        )
    return revision


def _document_keys(connection: Connection) -> frozenset[str]:
    """The document store keys the rows name: attached documents, and the original files of
    SOP imports (their table came with migration 0013)."""
    keys = set(connection.execute(select(col(DocumentRow.storage_key))).scalars())
    if inspect(connection).has_table(str(SopDraftRow.__tablename__)):
        keys.update(connection.execute(select(col(SopDraftRow.storage_key))).scalars())
    return frozenset(keys)


def _current_schema(connection: Connection) -> str:
    schema: str | None = connection.execute(text("SELECT current_schema()")).scalar_one()
    if schema is None:
        raise BackupRefused(
            "DATABASE_URL's search_path names no schema that exists: create the schema first"
        )
    return schema


def _literal_pattern(name: str) -> str:
    """A name as a pg_dump pattern that matches it alone (no wildcards, case kept)."""
    return '"' + name.replace('"', '""') + '"'


# --- restoring --------------------------------------------------------------------------------


def require_empty_target(database: Database, kind: DatabaseKind, schema: str | None) -> None:
    """Refuse (BackupRefused) unless the database can take a restore of this kind: of the same
    kind, with no table at all (a new SQLite file, or an empty PostgreSQL database or schema),
    and on PostgreSQL with pg_restore installed and the backup's schema as its own."""
    target = kind_of(database)
    if target is not kind:
        raise BackupRefused(
            f"the backup holds a {kind.value} database and DATABASE_URL names a "
            f"{target.value} one: restore it into a {kind.value} database"
        )
    if target is DatabaseKind.SQLITE:
        _require_empty_sqlite(_sqlite_path(database))
        return
    require_tool(PG_RESTORE)
    with _connected(database), database.engine.connect() as connection:
        present = _current_schema(connection)
        inspector = inspect(connection)
        names = [
            *inspector.get_table_names(),
            *inspector.get_view_names(),
            *inspector.get_sequence_names(),
        ]
    if names:
        raise BackupRefused(
            f"the database DATABASE_URL names is not empty (schema {present} has "
            f"{_some(names, 'table(s) or sequence(s)')}): restore into a new, empty database "
            "or schema"
        )
    if present != schema:
        raise BackupRefused(
            f"the backup holds the PostgreSQL schema {schema!r} and DATABASE_URL's search_path "
            f"leads to {present!r}: restore into a database whose search_path schema is "
            f"{schema!r}"
        )


def _require_empty_sqlite(path: Path) -> None:
    if path.is_dir():
        raise BackupRefused(f"DATABASE_URL names {path}, which is a folder")
    if not path.exists() or (path.stat().st_size == 0 and not _wal_of(path).exists()):
        return
    try:
        # mode=rw: never creates the file; reads what a WAL beside it holds too.
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        ) as connection:
            names = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{path} is not an empty SQLite database ({error})") from None
    if names:
        raise BackupRefused(
            f"the SQLite database {path} is not empty ({_some(names, 'table(s)')}): restore "
            "into a new file (DATABASE_URL)"
        )


def _wal_of(path: Path) -> Path:
    return path.with_name(f"{path.name}-wal")


def _some(names: Sequence[str], what: str) -> str:
    """How many there are, and the first few names."""
    shown = ", ".join(sorted(names)[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"{len(names)} {what}: {shown}{more}"


def restore_database(
    database: Database, snapshot: Path, kind: DatabaseKind, schema: str | None
) -> None:
    """Load a snapshot into the database that `require_empty_target` accepted, all or nothing:
    SQLite through the backup API (one transaction on the target), PostgreSQL with pg_restore
    in a single transaction."""
    if kind is DatabaseKind.SQLITE:
        _restore_sqlite(snapshot, _sqlite_path(database))
    else:
        _restore_postgres(database, snapshot, schema)


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    created = not target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            contextlib.closing(
                sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)
            ) as source,
            contextlib.closing(sqlite3.connect(target, timeout=_SQLITE_TIMEOUT_SECONDS)) as copy,
        ):
            source.backup(copy)
    except BaseException:
        if created:  # leave no file behind that was not there
            for leftover in (target, target.with_name(f"{target.name}-journal")):
                leftover.unlink(missing_ok=True)
        raise


def _restore_postgres(database: Database, dump: Path, schema: str | None) -> None:
    pg_restore = require_tool(PG_RESTORE)
    connection_string, environment = libpq_connection(database.url)
    listed = _run_tool([pg_restore, "--list", str(dump)], environment, database.url)
    with tempfile.TemporaryDirectory(prefix="sopbot-restore-") as scratch:
        contents = Path(scratch) / "contents.list"
        contents.write_text("".join(_without_schema_itself(listed, schema)), encoding="utf-8")
        _run_tool(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                # All or nothing: a failure half-way leaves the database as empty as it was.
                "--single-transaction",
                "--no-password",
                f"--use-list={contents}",
                f"--dbname={connection_string}",
                str(dump),
            ],
            environment,
            database.url,
        )


def _without_schema_itself(listing: str, schema: str | None) -> Iterator[str]:
    """The dump's table of contents without the schema's own CREATE SCHEMA and COMMENT: the
    target's schema exists already (require_empty_target saw it), and creating it again
    would fail, as would commenting on a schema the restoring user may not own."""
    if schema is None:
        yield from listing.splitlines(keepends=True)
        return
    name = re.escape(schema)
    itself = re.compile(rf"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA ){name} ")
    for line in listing.splitlines(keepends=True):
        if not itself.match(line):
            yield line


# --- the PostgreSQL tools ---------------------------------------------------------------------


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the PostgreSQL tools (everything in the URL but the
    password), and the environment they run in: ours, with the password as PGPASSWORD."""
    parameters: dict[str, str] = {}
    if url.host:
        parameters["host"] = url.host
    if url.port:
        parameters["port"] = str(url.port)
    if url.username:
        parameters["user"] = url.username
    if url.database:
        parameters["dbname"] = url.database
    # The query's parameters are libpq's (sslmode, options, a socket folder as host...), as
    # psycopg passes them on.
    for name, value in url.query.items():
        parameters[name] = value if isinstance(value, str) else " ".join(value)
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return " ".join(f"{name}={_quoted(value)}" for name, value in parameters.items()), environment


def _quoted(value: str) -> str:
    """A value as a libpq connection string holds it: in single quotes, escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run_tool(command: list[str], environment: dict[str, str], url: URL) -> str:
    """Run a PostgreSQL client program; its output, or BackupRefused with its complaint."""
    finished = subprocess.run(  # noqa: S603 - our own argument list, no shell
        command, env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        said = " ".join(finished.stderr.split()) or f"exit code {finished.returncode}"
        if url.password:  # never shown, even if a tool were to echo it
            said = said.replace(str(url.password), "***")
        raise BackupRefused(f"{Path(command[0]).name} failed: {said}")
    return finished.stdout


@contextlib.contextmanager
def _connected(database: Database) -> Iterator[None]:
    """Turn a database out of reach into a one-line refusal."""
    try:
        yield
    except OperationalError as error:
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        shown = database.url.render_as_string(hide_password=True)
        raise BackupRefused(f"cannot use the database {shown}: {first}") from None
