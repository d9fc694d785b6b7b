"""The hot path's statements: compiled once per database dialect, run on the driver's cursor.

SQLAlchemy Core finds a statement's compiled form in its cache, but each execution still
builds an execution context, processes the parameters and wraps the cursor in a result: more
CPU than the driver running the same SQL (bench/findings.md). The statements every update or
transition runs (who is writing, their open tasks, loading and saving an instance, the audit
chain's head, the outbox rows) are built once with SQLAlchemy and then run here:

* compiled once per dialect with named placeholders (`:name` on SQLite, `%(name)s` on
  PostgreSQL), so the parameters go to the driver as a dict by name, in no order to track;
* the caller's values converted by the column types' own `bind_processor`, and the results by
  their `result_processor`, looked up once: a value reads back exactly as through SQLAlchemy
  (UUIDs, UTC datetimes, JSON);
* on the DB-API connection of a session's transaction (`connection_of`) or of a read-only
  snapshot (`Database.snapshot`); driver errors are raised as SQLAlchemy's (IntegrityError for
  a key taken by a concurrent command), and the database's statement observers are told of each
  statement first (`Database.observe_statements`).

Only SQLAlchemy's public API is used: `compile()` and its `string` and `construct_params()`,
the types' processors, the columns' defaults. An IN list is written as one placeholder per
element (`PreparedQuery(..., lists=("ids",))`, compiled once per length).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    CompoundSelect,
    Delete,
    Dialect,
    Insert,
    Select,
    Update,
    bindparam,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.sql.visitors import iterate
from sqlmodel import Session

Processor = Callable[[Any], Any]
StatementObserver = Callable[[str, Any, bool], None]
"""Told of a statement before it runs: (SQL, parameters, whether it is an executemany)."""

OBSERVERS_KEY = "sopbot.statement_observers"
"""Where a session's `info` keeps its database's statement observers."""


@dataclass(frozen=True, slots=True)
class RawConnection:
    """A DB-API connection inside an open transaction, the dialect that compiles for it, and
    the observers to tell of each statement (tests and the benchmarks count and replay them)."""

    dbapi: Any
    dialect: Dialect
    observers: Sequence[StatementObserver] = ()

    def execute(self, sql: str, parameters: Any, *, many: bool = False, fetch: bool = False) -> Any:
        """Run one statement (`many`: executemany) on a new cursor; its rows when `fetch`,
        else the rows it wrote as the driver counts them."""
        for observe in self.observers:
            observe(sql, parameters, many)
        cursor = self.dbapi.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            return cursor.fetchall() if fetch else cursor.rowcount
        except self.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(self.dialect, sql, parameters, error) from error
        finally:
            cursor.close()


def _as_sqlalchemy_error(dialect: Dialect, sql: str, parameters: Any, error: Any) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it, so that callers handle a prepared
    statement's failure as any other's."""
    driver = dialect.loaded_dbapi
    if isinstance(error, driver.IntegrityError):
        return IntegrityError(sql, parameters, error)
    if isinstance(error, driver.OperationalError):
        return OperationalError(sql, parameters, error)
    return DBAPIError(sql, parameters, error)


_RAW_KEY = "sopbot.prepared.raw_connection"


def connection_of(session: Session) -> RawConnection:
    """The session's connection, in the session's transaction (begun here if not yet).

    Pending ORM changes are flushed first, as an ORM query would (unless autoflush is off), so
    a statement sees what the caller added. The connection is kept in the session for as long
    as its outermost transaction lasts: a transition runs about twenty prepared statements.
    """
    if session.autoflush:
        session.flush()
    transaction = session.get_transaction()
    if transaction is not None:
        kept = session.info.get(_RAW_KEY)
        if kept is not None and kept[0] is transaction and transaction.is_active:
            raw: RawConnection = kept[1]
            return raw
    connection = session.connection()
    observers = session.info.get(OBSERVERS_KEY, ())
    raw = RawConnection(connection.connection.dbapi_connection, connection.dialect, observers)
    session.info[_RAW_KEY] = (session.get_transaction(), raw)
    return raw


def _ready(target: RawConnection | Session) -> RawConnection:
    return connection_of(target) if isinstance(target, Session) else target


_NAMED_DIALECTS: dict[type[Dialect], Dialect] = {}


def _named(dialect: Dialect) -> Dialect:
    """A dialect like this one that writes named placeholders (SQLite's default is `?`)."""
    if not dialect.positional:
        return dialect
    named = _NAMED_DIALECTS.get(type(dialect))
    if named is None:
        named = type(dialect)(paramstyle="named")  # type: ignore[call-arg]
        _NAMED_DIALECTS[type(dialect)] = named
    return named


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for one dialect: its SQL, the placeholders filled from the caller's
    parameters (with their converters), the values fixed in the statement, the converters of
    the result's columns and the row type."""

    sql: str
    variable: tuple[tuple[str, str, int, Processor | None], ...]  # (name, caller's, index, conv)
    fixed: Mapping[str, Any]
    generated: tuple[tuple[str, Callable[[], Any], Processor | None], ...]  # column defaults
    converted: tuple[tuple[int, Processor], ...] = ()
    make_row: Callable[[Any], tuple[Any, ...]] | None = None

    def values(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The driver's parameters, by placeholder name."""
        values = dict(self.fixed)
        for name, given, index, process in self.variable:
            value = parameters[given] if index < 0 else parameters[given][index]
            values[name] = value if process is None or value is None else process(value)
        for name, make, process in self.generated:
            value = make()
            values[name] = value if process is None or value is None else process(value)
        return values


class PreparedQuery:
    """A SELECT built once with bind parameters, run on the cursor of a `RawConnection` or in
    a session's transaction.

    Parameters are passed by name. For an IN list, give a builder instead of the statement and
    name its list parameters in `lists`, each with the column its elements are compared with
    (`lists={"ids": table.c.id}`): the builder gets, for each, the placeholders of one list
    (`builder(ids=[...])`), and the caller passes the list itself (`{"ids": [1, 2]}`).
    Rows are named tuples: `row.id`, as with SQLAlchemy's rows (a name that repeats, or that is
    not an identifier, is only reachable by position).
    """

    def __init__(
        self,
        statement: Select[Any]
        | CompoundSelect[Any]
        | Callable[..., Select[Any] | CompoundSelect[Any]],
        *,
        lists: Mapping[str, ColumnElement[Any]] | None = None,
    ) -> None:
        if lists and not callable(statement):
            raise TypeError("a query with IN lists is given as a builder of its statement")
        self._build = statement
        # Each list's name, and the column its elements are compared with (for their type).
        self._lists = tuple((lists or {}).keys())
        self._list_types = tuple(column.type for column in (lists or {}).values())
        self._plans: dict[tuple[str, tuple[int, ...]], _Plan] = {}

    def rows(
        self, target: RawConnection | Session, parameters: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Every row the query returns, with SQLAlchemy's conversions applied."""
        connection = _ready(target)
        parameters = parameters or {}
        lengths = tuple(len(parameters[name]) for name in self._lists) if self._lists else ()
        plan = self._plans.get((connection.dialect.name, lengths))
        if plan is None:
            plan = self._compile(connection.dialect, lengths)
        fetched = connection.execute(plan.sql, plan.values(parameters), fetch=True)
        make_row = plan.make_row
        assert make_row is not None  # noqa: S101 - a query's plan has its row type
        if not plan.converted:
            return [make_row(row) for row in fetched]
        # Only the converted columns are visited: instance loads read rows of a dozen
        # columns, of which the plain ones (text, integers) are most.
        rows = []
        for row in fetched:
            values = list(row)
            for index, process in plan.converted:
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

    def as_sqlalchemy(
        self, parameters: Mapping[str, Any]
    ) -> tuple[Select[Any] | CompoundSelect[Any], dict[str, Any]]:
        """The statement and parameters to run the same query through SQLAlchemy (tests
        compare the two): each IN list's elements as parameters of their own."""
        lengths = tuple(len(parameters[name]) for name in self._lists)
        flat = {k: v for k, v in parameters.items() if k not in self._lists}
        for name in self._lists:
            flat.update({f"{name}_{index}": value for index, value in enumerate(parameters[name])})
        return self._statement(lengths), flat

    def _statement(self, lengths: tuple[int, ...]) -> Select[Any] | CompoundSelect[Any]:
        if not self._lists:
            assert isinstance(self._build, Select | CompoundSelect)  # noqa: S101 - see __init__
            return self._build
        placeholders: dict[str, list[BindParameter[Any]]] = {
            name: [bindparam(f"{name}_{index}", type_=type_) for index in range(length)]
            for name, type_, length in zip(self._lists, self._list_types, lengths, strict=True)
        }
        built: Select[Any] | CompoundSelect[Any] = self._build(**placeholders)  # type: ignore[operator]
        return built

    def _compile(self, dialect: Dialect, lengths: tuple[int, ...]) -> _Plan:
        statement = self._statement(lengths)
        elements = {
            f"{name}_{index}": (name, index)
            for name, length in zip(self._lists, lengths, strict=True)
            for index in range(length)
        }
        binds = {bind.key: bind.type for bind in _caller_binds(statement)}
        # A literal IN list (`state.in_([...])`) is written out as one placeholder per element,
        # which SQLAlchemy does once every parameter has a value (stand-ins: not used).
        compiled = statement.params(dict.fromkeys(binds)).compile(
            dialect=_named(dialect), compile_kwargs={"render_postcompile": True}
        )
        variable = []
        for name, bind_type in binds.items():
            given, index = elements.get(name, (name, -1))
            variable.append((name, given, index, _bind_processor(bind_type, dialect)))
        columns = list(statement.selected_columns)
        processors = (_result_processor(column.type, dialect) for column in columns)
        converted = tuple(
            (index, process) for index, process in enumerate(processors) if process is not None
        )
        row_type = namedtuple("PreparedRow", [c.key or "_" for c in columns], rename=True)  # type: ignore[misc]
        plan = _Plan(
            compiled.string,
            tuple(variable),
            _fixed_values(compiled, binds, written_out=True),
            (),
            converted,
            row_type._make,
        )
        self._plans[(dialect.name, lengths)] = plan
        return plan


class PreparedWrite:
    """An INSERT, UPDATE or DELETE built once, run on the cursor in a session's transaction.

    As with SQLAlchemy Core, the columns an INSERT writes or an UPDATE sets are the keys of
    the parameters given (the first set's, for several); an INSERT fills a column left out with
    its default (a constant, or a Python function called for each row), and refuses, when it is
    compiled, to leave out a required column that has none (a SQLModel `default_factory` is not
    a column default: give such values in the parameters). Several parameter sets run as one
    executemany, in their order.
    """

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}

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
        connection = connection_of(session)
        keys = frozenset(sets[0])
        plan = self._plans.get((connection.dialect.name, keys))
        if plan is None:
            plan = self._compile(connection.dialect, keys)
        if len(sets) == 1:
            count: int = connection.execute(plan.sql, plan.values(sets[0]))
        else:
            many = [plan.values(one) for one in sets]
            count = connection.execute(plan.sql, many, many=True)
        return count

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Plan:
        statement = self.statement
        table = statement.table
        columns: dict[str, Any] = {c.key: c for c in table.columns}
        generated = _generated(statement, columns, keys, dialect)
        # Every value the statement takes is a placeholder: the caller's columns and binds,
        # and the defaults computed here (compiled in, they would be SQLAlchemy's to fill).
        binds = {bind.key: bind.type for bind in _caller_binds(statement)}
        written = sorted(keys - binds.keys() | {name for name, _, _ in generated})
        # for_executemany: no RETURNING of a new key, which nothing here reads back.
        compiled = statement.compile(
            dialect=_named(dialect), column_keys=written, for_executemany=True
        )
        types = {**{name: columns[name].type for name in written}, **binds}
        variable = tuple(
            (name, name, -1, _bind_processor(types[name], dialect))
            for name in sorted(keys)
            if name in types
        )
        unknown = keys - types.keys()
        if unknown:
            raise ValueError(f"{table}: no column or parameter named {sorted(unknown)}")
        plan = _Plan(
            compiled.string,
            variable,
            _fixed_values(compiled, {**types}),
            generated,
        )
        self._plans[(dialect.name, keys)] = plan
        return plan


def _generated(
    statement: Insert | Update | Delete,
    columns: Mapping[str, Column[Any]],
    keys: frozenset[str],
    dialect: Dialect,
) -> tuple[tuple[str, Callable[[], Any], Processor | None], ...]:
    """The columns left out whose values come from Python: an INSERT's defaults (a required
    column without one is refused here), an UPDATE's `onupdate`s."""
    if isinstance(statement, Delete):
        return ()
    inserting = isinstance(statement, Insert)
    generated = []
    for name, column in columns.items():
        if name in keys:
            continue
        default = column.default if inserting else column.onupdate
        if default is None:
            if inserting and _required(column):
                raise ValueError(
                    f"{column} is required and has no default the database knows: give it "
                    "in every row"
                )
            continue
        arg = default.arg  # type: ignore[attr-defined]
        make = (lambda arg=arg: arg(None)) if default.is_callable else (lambda arg=arg: arg)
        if not (default.is_scalar or default.is_callable):
            continue  # a SQL expression or sequence: the database computes it
        generated.append((name, make, _bind_processor(column.type, dialect)))
    return tuple(generated)


def _required(column: Column[Any]) -> bool:
    """Whether an INSERT must give the column: NOT NULL, no server default, not a key the
    database numbers itself."""
    if column.nullable or column.server_default is not None:
        return False
    return column is not column.table.autoincrement_column


def _fixed_values(
    compiled: Any, variable: Mapping[str, Any], *, written_out: bool = False
) -> dict[str, Any]:
    """The values written in the statement itself (a literal IN list, a LIMIT), by placeholder.

    They must be plain values the driver takes as they are: anything else is given as a
    parameter instead.
    """
    # A query was compiled with its IN lists written out and stand-ins given (`written_out`);
    # a write is given its stand-ins here.
    given = (
        compiled.construct_params()
        if written_out
        else compiled.construct_params(dict.fromkeys(variable))
    )
    fixed = {name: value for name, value in given.items() if name not in variable}
    for name, value in fixed.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise TypeError(
                f"{name}: a {type(value).__name__} written in a prepared statement; "
                "give it as a parameter"
            )
    return fixed


def _caller_binds(
    statement: Select[Any] | CompoundSelect[Any] | Insert | Update | Delete,
) -> Iterable[BindParameter[Any]]:
    """The statement's bind parameters whose values the caller gives at each run (made with
    `bindparam(name)` and no value)."""
    return [
        element
        for element in iterate(statement)
        if isinstance(element, BindParameter) and element.value is None and element.callable is None
    ]


def _bind_processor(type_: Any, dialect: Dialect) -> Processor | None:
    process: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return process


def _result_processor(type_: Any, dialect: Dialect) -> Processor | None:
    process: Processor | None = type_.dialect_impl(dialect).result_processor(dialect, None)
    return process
