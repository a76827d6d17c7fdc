"""Hot-path statements straight to the database driver (sqlite3 or asyncpg), inside the caller's transaction.

SQLAlchemy Core costs 15-35 µs of Python per execution (cache keys, parameter and result processing) against
about 6 µs for an indexed sqlite3 statement, so the statements of a pop, a submit and a status poll are written
as SQL once (``Sql``, ``$1``-style placeholders, turned into ``?1`` for SQLite) and run through ``Raw``.
``RowReader`` turns driver rows into objects shaped like SQLAlchemy rows of the same table: attribute access,
aware UTC datetimes, booleans and parsed JSON on both databases.

Everything else keeps SQLAlchemy; both run on the same connection and in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

import sqlalchemy as sa

from horde.queue.store import tables

if TYPE_CHECKING:  # the protocol names ``Raw``, defined here
    from horde.queue.store.connection import Connection

_PLACEHOLDER = re.compile(r"\$(\d+)")
RowT = TypeVar("RowT", bound=NamedTuple)


class Sql:
    """One statement's text for each driver."""

    __slots__ = ("pg", "sqlite")

    def __init__(self, text: str, *, sqlite: str | None = None) -> None:
        self.pg = text
        self.sqlite = _PLACEHOLDER.sub(r"?\1", sqlite if sqlite is not None else text)


class KeysSql:
    """A statement over a list of keys: ``{keys}`` in its text becomes ``= ANY($1)`` on PostgreSQL (one prepared
    statement whatever the number of keys) and ``IN (?1, …, ?n)`` on SQLite (one text per number of keys)."""

    __slots__ = ("_text", "pg")

    def __init__(self, text: str, *, sqlite: str | None = None) -> None:
        self._text = sqlite if sqlite is not None else text
        self.pg = text.replace("{keys}", "= ANY($1)")

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few module-level statements, each kept for good
    def sqlite(self, count: int) -> str:
        return self._text.replace("{keys}", "IN (" + ", ".join(f"?{i + 1}" for i in range(count)) + ")")


class Raw(Protocol):
    """The driver connection of a ``Database.write()`` or ``read()`` block."""

    is_sqlite: bool

    async def fetch_keys(self, sql: KeysSql, keys: Sequence[Any]) -> list[Any]:
        """The rows of a statement over a list of keys (none for an empty list)."""
        ...

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of arguments, in order: one call into the driver (SQLite's loop runs in
        C; asyncpg pipelines the rows in one round trip)."""
        ...

    async def fetch(self, sql: Sql, *args: Any) -> list[Any]: ...

    async def fetchrow(self, sql: Sql, *args: Any) -> Any | None: ...

    async def one(self, sql: Sql, *args: Any) -> Any:
        """The single row of a statement that always returns one (an aggregate, an UPDATE … RETURNING by key)."""
        ...

    async def execute(self, sql: Sql, *args: Any) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    def time(self, value: dt.datetime | None) -> Any:
        """A datetime as this driver binds it."""
        ...


class SqliteRaw:
    is_sqlite = True

    def __init__(self, dbapi: sqlite3.Connection) -> None:
        self._dbapi = dbapi

    def _cursor(self, sql: Sql, args: tuple[Any, ...]) -> sqlite3.Cursor:
        return self._dbapi.execute(sql.sqlite, args)  # plain tuples: read by position or by a RowReader

    async def fetch(self, sql: Sql, *args: Any) -> list[Any]:
        return self._cursor(sql, args).fetchall()

    async def fetch_keys(self, sql: KeysSql, keys: Sequence[Any]) -> list[Any]:
        if not keys:
            return []
        return self._dbapi.execute(sql.sqlite(len(keys)), tuple(keys)).fetchall()

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._dbapi.executemany(sql.sqlite, rows)

    async def fetchrow(self, sql: Sql, *args: Any) -> Any | None:
        cursor = self._cursor(sql, args)
        row = cursor.fetchone()
        cursor.close()
        return row

    async def one(self, sql: Sql, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    async def execute(self, sql: Sql, *args: Any) -> int:
        cursor = self._cursor(sql, args)
        if cursor.description is not None:  # RETURNING: the rows must be read for the count
            cursor.fetchall()
        return cursor.rowcount

    def time(self, value: dt.datetime | None) -> Any:
        """SQLAlchemy's storage format for DateTime on SQLite: ``2026-11-25 14:26:57.123456`` in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class PgRaw:
    is_sqlite = False

    def __init__(self, driver: Any) -> None:
        self._driver = driver  # an asyncpg connection (JSON is text in, Python objects out: SQLAlchemy's codecs)

    async def fetch(self, sql: Sql, *args: Any) -> list[Any]:
        rows: list[Any] = await self._driver.fetch(sql.pg, *args)
        return rows

    async def fetchrow(self, sql: Sql, *args: Any) -> Any | None:
        return await self._driver.fetchrow(sql.pg, *args)

    async def fetch_keys(self, sql: KeysSql, keys: Sequence[Any]) -> list[Any]:
        if not keys:
            return []
        rows: list[Any] = await self._driver.fetch(sql.pg, list(keys))
        return rows

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._driver.executemany(sql.pg, rows)

    async def one(self, sql: Sql, *args: Any) -> Any:
        row = await self._driver.fetchrow(sql.pg, *args)
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    async def execute(self, sql: Sql, *args: Any) -> int:
        status: str = await self._driver.execute(sql.pg, *args)  # "UPDATE 3"
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    def time(self, value: dt.datetime | None) -> Any:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def transaction(self) -> Any:
        return self._driver.transaction()


async def raw(conn: Connection) -> Raw:
    """The driver connection under a connection from ``Database.write()`` or ``read()``."""
    result: Raw = await conn.driver()
    return result


def to_json(value: Any) -> str:
    return json.dumps(value)


def _from_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _from_time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    result: dt.datetime = value.astimezone(dt.UTC)
    return result


def _from_bool(value: Any) -> bool:
    return bool(value)


def _converter(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    if isinstance(column.type, tables.UtcDateTime):
        return _from_time
    if isinstance(column.type, sa.JSON):
        return _from_json
    if isinstance(column.type, sa.Boolean):
        return _from_bool
    return None


@functools.lru_cache(maxsize=128)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int, suffix: str) -> Sql:
    width = len(columns)
    values = ", ".join("(" + ", ".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows))
    return Sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{suffix}")


def _binder(column: sa.Column[Any], raw: Raw) -> Callable[[Any], Any]:
    if isinstance(column.type, tables.UtcDateTime):
        return raw.time
    if isinstance(column.type, sa.JSON):
        return lambda value: None if value is None else to_json(value)
    return lambda value: value


def _default(column: sa.Column[Any]) -> Any:
    default = column.default
    return default.arg if isinstance(default, sa.ColumnDefault) and default.is_scalar else None


async def insert(raw: Raw, table: sa.Table, rows: Sequence[dict[str, Any]], *, suffix: str = "") -> None:
    """INSERT whole rows of ``table`` in one statement, binding values as the driver wants them (JSON as text,
    SQLite times in SQLAlchemy's format); a column a row leaves out gets its scalar default, as SQLAlchemy does.
    ``suffix`` follows the VALUES list (an ``ON CONFLICT`` clause). No rows: no statement."""
    if not rows:
        return
    names = tuple(dict.fromkeys(name for row in rows for name in row))
    columns = [table.c[name] for name in names]
    defaults = [c.name for c in table.c if c.name not in names and _default(c) is not None]
    all_names = names + tuple(defaults)
    binders = [_binder(c, raw) for c in columns] + [lambda value: value] * len(defaults)
    args: list[Any] = []
    for row in rows:
        values = [row.get(name) for name in names] + [_default(table.c[name]) for name in defaults]
        args += [bind(value) for bind, value in zip(binders, values, strict=True)]
    await raw.execute(_insert_sql(table.name, all_names, len(rows), suffix), *args)


class RowReader(Generic[RowT]):
    """Reads the driver rows of ``SELECT <columns>`` into a ``NamedTuple`` class whose fields name the columns
    (in order) and carry their Python types: the service gets typed rows, at the cost of one ``_make``."""

    def __init__(self, row_type: type[RowT], table: sa.Table, *, booleans: bool = True) -> None:
        """``booleans=False`` leaves SQLite's 0/1 as they are, for rows read many at a time and only tested for
        truth (the pop's candidates)."""
        self.names: tuple[str, ...] = row_type._fields
        columns = [table.c[name] for name in self.names]  # a field that is no column fails here, at import
        self.columns = ", ".join(self.names)  #: for the SELECT or RETURNING list
        self._make: Callable[[Iterable[Any]], RowT] = row_type._make
        self._converters = [
            (i, convert)
            for i, column in enumerate(columns)
            if (convert := _converter(column)) and (booleans or convert is not _from_bool)
        ]

    def __call__(self, row: Sequence[Any]) -> RowT:
        if not self._converters:
            return self._make(row)
        values = list(row)
        for i, convert in self._converters:
            values[i] = convert(values[i])
        return self._make(values)

    def one(self, row: Sequence[Any] | None) -> RowT | None:
        return None if row is None else self(row)
