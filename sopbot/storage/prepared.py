"""Queries compiled once per database dialect and run on the driver's cursor.

SQLAlchemy Core finds a statement's compiled form in its cache, but each execution still
builds an execution context, processes parameters through the compiled statement and wraps
the cursor in a result: about 70 µs of CPU a statement, against about 5 µs for sqlite3 running
the same SQL (bench/findings.md). The reads every update makes (who is writing, their open
tasks, the stored update itself) are `PreparedQuery`s: compiled once per dialect (and per
length of each IN list), with their parameter and result conversions looked up once, then run
on the DB-API connection inside a transaction opened by `Database.snapshot` or by a session
(`connection_of`). The conversions are SQLAlchemy's own, so a value reads back exactly as
through SQLAlchemy (UUIDs, UTC datetimes, JSON).

The writes of a transition (its step runs, dispositions, audit and outbox rows) are
`PreparedWrite`s in the same way: an INSERT, UPDATE or DELETE compiled once per dialect and set
of columns given, run with the DB-API's execute or executemany in the session's transaction.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Connection,
    Delete,
    Dialect,
    Insert,
    Select,
    Update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.schema import ScalarElementColumnDefault
from sqlalchemy.sql.visitors import iterate
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class RawConnection:
    """A DB-API connection inside an open transaction, and the dialect that compiles for it.

    `announce_to` is the SQLAlchemy connection it belongs to, if any: its
    `before_cursor_execute` listeners are told of each statement run here, as SQLAlchemy tells
    them (statement counters, tracing); a listener cannot rewrite a prepared statement.
    """

    dbapi: Any
    dialect: Dialect
    announce_to: Connection | None = None

    def execute(self, sql: str, parameters: Any, *, many: bool = False, fetch: bool = False) -> Any:
        """Run one statement (`many`: executemany) on a new cursor; its rows when `fetch`,
        else the rows it wrote as the driver counts them. Listeners are told first, and a
        driver error is raised as SQLAlchemy raises it (IntegrityError, OperationalError ...),
        so that callers handle a prepared statement's failure as any other's."""
        cursor = self.dbapi.cursor()
        try:
            if self.announce_to is not None and self.announce_to.dispatch.before_cursor_execute:
                for listener in self.announce_to.dispatch.before_cursor_execute:
                    listener(self.announce_to, cursor, sql, parameters, None, many)
            error_type = self.dialect.loaded_dbapi.Error
            try:
                if many:
                    cursor.executemany(sql, parameters)
                else:
                    cursor.execute(sql, parameters)
                return cursor.fetchall() if fetch else cursor.rowcount
            except error_type as error:
                raise DBAPIError.instance(
                    sql, parameters, error, error_type, dialect=self.dialect
                ) from error
        finally:
            cursor.close()


_RAW_KEY = "sopbot.prepared.raw_connection"


def _ready(target: RawConnection | Session) -> RawConnection:
    """The connection to run on; in a session, pending ORM changes are flushed first, as an
    ORM query would (unless autoflush is off), so the statement sees what the caller added."""
    if isinstance(target, Session):
        if target.autoflush:
            target.flush()
        return connection_of(target)
    return target


def connection_of(session: Session) -> RawConnection:
    """The session's connection, in the session's transaction (begun here if not yet).

    Kept in the session for as long as its outermost transaction lasts: a transition runs
    about twenty prepared statements, and asking the session for its connection each time was
    a sixth of their cost. Savepoints run on the same connection.
    """
    transaction = session.get_transaction()
    if transaction is not None:
        kept = session.info.get(_RAW_KEY)
        if kept is not None and kept[0] is transaction and transaction.is_active:
            raw: RawConnection = kept[1]
            return raw
    connection = session.connection()
    raw = RawConnection(connection.connection.dbapi_connection, connection.dialect, connection)
    session.info[_RAW_KEY] = (session.get_transaction(), raw)
    return raw


# Where a placeholder's value comes from: a caller's parameter, one element of a caller's
# list, or a value fixed in the statement.
_CALLERS, _ELEMENT, _FIXED = 0, 1, 2
# (placeholder, where from, the caller's parameter, element index, bind processor, fixed value)
_Source = tuple[str, int, str, int, Processor, Any]


class _Binder:
    """Builds the driver's parameters from the caller's, placeholder by placeholder.

    The plan is flat tuples walked in one loop: this runs for every statement of every
    transition, where a method call per placeholder was a tenth of a transition's CPU.
    """

    __slots__ = ("_names", "_plan", "_positional")

    def __init__(self, sources: list[_Source], positional: bool) -> None:
        self._positional = positional
        self._names = tuple(source[0] for source in sources)
        self._plan = tuple(source[1:] for source in sources)

    def __call__(self, parameters: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values: list[Any] = []
        append = values.append
        for kind, name, index, process, fixed in self._plan:
            if kind == _FIXED:
                append(fixed)
                continue
            value = parameters[name] if kind == _CALLERS else parameters[name][index]
            append(value if process is None or value is None else process(value))
        if self._positional:
            return tuple(values)
        return dict(zip(self._names, values, strict=True))


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    bind: _Binder
    # (column index, converter) of the columns whose values SQLAlchemy converts
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]
    make_row: Callable[[Any], tuple[Any, ...]]


class PreparedQuery:
    """A SELECT built once with bind parameters, run on the cursor of a `RawConnection` or in
    a session's transaction.

    Parameters are passed by name; a bind parameter made with `expanding=True` takes a list.
    Rows are named tuples: `row.id`, as with SQLAlchemy's rows (a name that repeats, or that is
    not an identifier, is only reachable by position).
    """

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._expanding = tuple(
            sorted(bind.key for bind in _caller_binds(statement) if bind.expanding)
        )
        self._compiled: dict[tuple[str, tuple[int, ...]], _Compiled] = {}

    def rows(
        self, target: RawConnection | Session, parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row the query returns, with SQLAlchemy's conversions applied.

        In a session, pending ORM changes are flushed first, as an ORM query would (unless
        autoflush is off), so the query sees what the caller added before it.
        """
        connection = _ready(target)
        parameters = parameters or {}
        lengths = tuple(len(parameters[name]) for name in self._expanding)
        compiled = self._compiled.get((connection.dialect.name, lengths))
        if compiled is None:
            compiled = self._compile(connection.dialect, lengths)
        fetched = connection.execute(compiled.sql, compiled.bind(parameters), fetch=True)
        converted = compiled.converted
        make_row = compiled.make_row
        if not converted:
            return [make_row(row) for row in fetched]
        # Only the converted columns are visited: instance loads read rows of a dozen
        # columns, of which the plain ones (text, integers) are most.
        rows = []
        for row in fetched:
            values = list(row)
            for index, process in converted:
                value = values[index]
                if value is not None:
                    values[index] = process(value)
            rows.append(make_row(values))
        return rows

    def first(
        self, target: RawConnection | Session, parameters: Mapping[str, Any] | None = None
    ) -> Any | None:
        """The first row, or None."""
        rows = self.rows(target, parameters)
        return rows[0] if rows else None

    def _compile(self, dialect: Dialect, lengths: tuple[int, ...]) -> _Compiled:
        variable = {bind.key for bind in _caller_binds(self.statement)}
        # IN lists are written out as one placeholder per element; every other variable is
        # given a stand-in so that the compiler will do that now (its value is not used).
        stand_ins: dict[str, Any] = dict.fromkeys(variable)
        for name, length in zip(self._expanding, lengths, strict=True):
            stand_ins[name] = [None] * length
        compiled = self.statement.params(stand_ins).compile(
            dialect=dialect, compile_kwargs={"render_postcompile": True}
        )
        binder = _binder(
            compiled, dialect, variable, dict(zip(self._expanding, lengths, strict=True))
        )
        columns = self.statement.selected_columns
        processors = (
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        converted = tuple(
            (index, process) for index, process in enumerate(processors) if process is not None
        )
        row_type = namedtuple("PreparedRow", list(columns.keys()), rename=True)  # type: ignore[misc]
        prepared = _Compiled(compiled.string, binder, converted, row_type._make)
        self._compiled[(dialect.name, lengths)] = prepared
        return prepared


def _binder(
    compiled: SQLCompiler,
    dialect: Dialect,
    variable: set[str],
    lengths: Mapping[str, int],
    defaults: Mapping[str, Any] | None = None,
) -> _Binder:
    """Where each placeholder of a compiled statement takes its value from, in its order.

    `variable` are the caller's parameters, `lengths` those that are IN lists (one placeholder
    per element), `defaults` the values of columns an INSERT fills when the caller does not.
    """
    binds = compiled.binds
    elements = {
        f"{name}_{index + 1}": (name, index)
        for name, length in lengths.items()
        for index in range(length)
    }
    names = compiled.positiontup if dialect.positional else list(compiled.params)
    if names is None:
        raise ValueError("a positional dialect compiled without a parameter order")
    sources: list[_Source] = []
    for name in names:
        if name in elements:
            base, index = elements[name]
            process = _processor(binds[base], dialect)
            sources.append((name, _ELEMENT, base, index, process, None))
        elif name in variable:
            sources.append((name, _CALLERS, name, 0, _processor(binds[name], dialect), None))
        else:
            # A value written in the statement, e.g. one element of a literal IN list
            # (named after its list: "state_1_2" is element 2 of "state_1"), or a column's
            # default.
            bind = binds[name] if name in binds else binds[name.rsplit("_", 1)[0]]
            process = _processor(bind, dialect)
            value = defaults[name] if defaults and name in defaults else compiled.params[name]
            if process is not None and value is not None:
                value = process(value)
            sources.append((name, _FIXED, name, 0, None, value))
    return _Binder(sources, dialect.positional)


@dataclass(frozen=True, slots=True)
class _CompiledWrite:
    sql: str
    values: _Binder


class PreparedWrite:
    """An INSERT, UPDATE or DELETE built once, run on the cursor in a session's transaction.

    As with SQLAlchemy Core, the columns an INSERT writes or an UPDATE sets are the keys of
    the parameters given (the first set's, for several), and an INSERT fills a column left out
    with its scalar default. Several parameter sets run as one executemany, in their order.
    Pending ORM changes are flushed first, as for a `PreparedQuery` in a session.
    """

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._binds = frozenset(bind.key for bind in _caller_binds(statement))
        self._compiled: dict[tuple[str, frozenset[str]], _CompiledWrite] = {}

    def run(
        self,
        session: Session,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    ) -> int:
        """Execute once per parameter set; the number of rows written (as the driver counts)."""
        sets: Sequence[Mapping[str, Any]] = (
            [parameters] if isinstance(parameters, Mapping) else parameters
        )
        if not sets:
            return 0
        connection = _ready(session)
        keys = frozenset(sets[0])
        compiled = self._compiled.get((connection.dialect.name, keys))
        if compiled is None:
            compiled = self._compile(connection.dialect, keys)
        if len(sets) == 1:
            count: int = connection.execute(compiled.sql, compiled.values(sets[0]))
        else:
            many = [compiled.values(one) for one in sets]
            count = connection.execute(compiled.sql, many, many=True)
        return count

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _CompiledWrite:
        # for_executemany: no RETURNING of the new key, which nothing here reads back.
        compiled = self.statement.compile(
            dialect=dialect, column_keys=sorted(keys), for_executemany=True
        )
        assert isinstance(compiled, SQLCompiler)  # noqa: S101 - a DML statement compiles so
        defaults: dict[str, Any] = {}
        for column in [*compiled.insert_prefetch, *compiled.update_prefetch]:
            default = column.default if column in compiled.insert_prefetch else column.onupdate
            if not isinstance(default, ScalarElementColumnDefault):
                raise NotImplementedError(
                    f"{column} has a default that is not a constant: run this statement "
                    "through SQLAlchemy"
                )
            defaults[column.key] = default.arg
        binder = _binder(compiled, dialect, set(keys) | self._binds, {}, defaults)
        prepared = _CompiledWrite(compiled.string, binder)
        self._compiled[(dialect.name, keys)] = prepared
        return prepared


def _caller_binds(
    statement: Select[Any] | CompoundSelect[Any] | Insert | Update | Delete,
) -> list[BindParameter[Any]]:
    """The statement's bind parameters whose values the caller gives at each run."""
    return [
        element
        for element in iterate(statement)
        if isinstance(element, BindParameter) and element.value is None and element.callable is None
    ]


def _processor(bind: BindParameter[Any], dialect: Dialect) -> Processor:
    process: Processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
    return process
