"""Statements built once, compiled once per database dialect, run through the driver.

SQLAlchemy Core builds every statement (so the SQL stays portable and readable), but building, caching-keying
and compiling a Core statement costs several times more than SQLite takes to answer one of our indexed reads.
On the hot path a statement is therefore compiled once into SQL text and then run with ``exec_driver_sql``, which
still fires the engine's events (statement counting and time budgets keep working) but skips the per-request
compilation. Every value is still a bound parameter; lists travel as one JSON array parameter so that a statement
has the same text whatever the number of values.
"""

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Dialect, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnClause, ColumnElement, Grouping
from sqlalchemy.sql.selectable import Join
from sqlalchemy.types import NullType

# Skipping SQLAlchemy's type processing means the driver binds dates itself: as ISO text, the form SQLAlchemy
# stores them in on SQLite (an explicit adapter; Python 3.12 deprecates the implicit one).
sqlite3.register_adapter(date, date.isoformat)


class InJsonArray(ColumnElement[bool]):
    """``column IN (the values of a JSON array parameter)``."""

    inherit_cache = True
    # Not Boolean: on SQLite SQLAlchemy would render a Boolean expression as `(...) = 1`, which hides the IN
    # from the query planner and turns an index search into a full scan.
    type = NullType()  # type: ignore[assignment]

    def __init__(self, column: Any, parameter: BindParameter[Any]) -> None:
        self.column = column
        self.parameter = parameter


@compiles(InJsonArray)
def _in_json_array_sqlite(element: InJsonArray, compiler: SQLCompiler, **kw: Any) -> str:
    column, parameter = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT value FROM json_each({parameter}))"


@compiles(InJsonArray, "postgresql")
def _in_json_array_postgresql(element: InJsonArray, compiler: SQLCompiler, **kw: Any) -> str:
    column, parameter = compiler.process(element.column, **kw), compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT jsonb_array_elements_text(CAST({parameter} AS jsonb)))"


class DaysBefore(ColumnElement[Any]):
    """The date ``days`` days before the date parameter ``parameter`` (``days`` a scalar subquery), or 0001-01-02
    if that is earlier: the day after 0001-01-01, how an unbounded earliest day is stored, so that the bound also
    leaves out the open-started facts (found apart: ``params.LaterEnd``) and is the one bound the index seeks."""

    inherit_cache = True
    type = NullType()

    def __init__(self, parameter: BindParameter[Any], days: Any) -> None:
        self.parameter = parameter
        self.days = days


@compiles(DaysBefore)
def _days_before_sqlite(element: DaysBefore, compiler: SQLCompiler, **kw: Any) -> str:
    parameter, days = compiler.process(element.parameter, **kw), compiler.process(element.days, **kw)
    # ISO text, as SQLite stores dates; before year 1, date() is null.
    return f"max(coalesce(date({parameter}, '-' || {days} || ' days'), '0001-01-02'), '0001-01-02')"


@compiles(DaysBefore, "postgresql")
def _days_before_postgresql(element: DaysBefore, compiler: SQLCompiler, **kw: Any) -> str:
    parameter, days = compiler.process(element.parameter, **kw), compiler.process(element.days, **kw)
    day = f"CAST({parameter} AS date)"
    return f"GREATEST({day} - LEAST({days}, {day} - DATE '0001-01-01'), DATE '0001-01-02')"  # year 0: an error


class BytewiseOrder(ColumnElement[Any]):
    """``column`` compared byte by byte, as Python compares strings: SQLite's default, PostgreSQL's ``"C"``
    collation (its database default, e.g. en_US, ignores hyphens at first: ``a-c`` after ``ab``)."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(BytewiseOrder)
def _bytewise_sqlite(element: BytewiseOrder, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(BytewiseOrder, "postgresql")
def _bytewise_postgresql(element: BytewiseOrder, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.column, **kw)} COLLATE "C"'


class Unindexed(ColumnElement[Any]):
    """``column``, or a condition, kept from choosing an index: SQLite's unary ``+`` (a no-op on the value), which
    leaves the planner free to find the rows through another condition's index and sort them, rather than walk this
    column's index testing every row; a condition's columns (in parentheses) then find no row at all, but test
    those another index finds. PostgreSQL's planner weighs both itself: the column as it is."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        condition = isinstance(column, ColumnElement) and not isinstance(column, ColumnClause)
        self.column = Grouping(column) if condition else column
        # Not Boolean for a condition: see InJsonArray.
        self.type = NullType() if condition else column.type


@compiles(Unindexed)
def _unindexed_sqlite(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


@compiles(Unindexed, "postgresql")
def _unindexed_postgresql(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


class LeftFirst(Join):
    """``left JOIN right ON onclause``, read from ``left``: SQLite's CROSS JOIN, whose left side is always the outer
    loop, so the rows are found the way ``left`` finds them whatever index a condition on ``right`` offers (the
    planner would otherwise rather seek an equality's index than a range's). PostgreSQL: a JOIN (its planner weighs
    both ways itself)."""

    inherit_cache = True


def _join(element: LeftFirst, compiler: SQLCompiler, join: str, **kw: Any) -> str:
    kw.pop("asfrom", None)
    assert element.onclause is not None
    left = compiler.process(element.left, asfrom=True, **kw)
    right = compiler.process(element.right, asfrom=True, **kw)
    return f"{left} {join} {right} ON {compiler.process(element.onclause, **kw)}"


@compiles(LeftFirst)
def _left_first_sqlite(element: LeftFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return _join(element, compiler, "CROSS JOIN", **kw)


@compiles(LeftFirst, "postgresql")
def _left_first_postgresql(element: LeftFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return _join(element, compiler, "JOIN", **kw)


def in_values(column: Any, name: str) -> InJsonArray:
    """``column`` is one of the values given as parameter ``name`` (pass them through ``values()``)."""
    return InJsonArray(column, bindparam(name))


def values(items: Sequence[Any] | set[Any]) -> str:
    """A list parameter for ``in_values``."""
    return orjson.dumps(sorted(items) if isinstance(items, set) else list(items)).decode()


@dataclass(frozen=True)
class CompiledSQL:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order, for drivers with positional placeholders
    constants: dict[str, Any]  # values SQLAlchemy bound itself (e.g. SQLite's OFFSET 0 beside a bound LIMIT)


def compile_sql(statement: ClauseElement, dialect: Dialect) -> CompiledSQL:
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    return CompiledSQL(str(compiled), positions, {k: v for k, v in compiled.params.items() if v is not None})


def run(connection: Connection, compiled: CompiledSQL, params: Mapping[str, Any]) -> Sequence[Any]:
    if compiled.positions is None:
        args: Any = {**compiled.constants, **params}
    else:
        args = tuple(params[name] if name in params else compiled.constants[name] for name in compiled.positions)
    return connection.exec_driver_sql(compiled.sql, args).all()


class Prepared:
    """A fixed statement: built on first use, compiled once per dialect."""

    def __init__(self, build: Callable[[], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, CompiledSQL] = {}

    def __call__(self, connection: Connection, **params: Any) -> Sequence[Any]:
        """The rows (named tuples)."""
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = compile_sql(self._build(), dialect)
        return run(connection, compiled, params)


def json_value(stored: Any) -> Any:
    """A JSON column as read by the driver, ready to embed: SQLite hands back the stored text, which goes into
    the response as is (no parse and re-serialize); drivers that parse JSON hand back the value."""
    return orjson.Fragment(stored) if isinstance(stored, str | bytes) else stored
