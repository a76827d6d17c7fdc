"""``Connection``: what the store uses of a connection from ``Database.read()`` or ``write()``.

SQLite's is an ``InlineConnection`` (statements run inline on the event loop), PostgreSQL's a ``PgConnection``
(SQLAlchemy's asyncpg connection in autocommit mode inside an asyncpg transaction). Both run SQLAlchemy Core
statements and hand out the driver connection for the hot-path statements (``driver.Raw``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from horde.queue.store import driver

#: the parameters of one statement, or of one ``executemany``
Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
#: the result of a statement: rows of any shape
Result = sa.CursorResult[*tuple[Any, ...]]


class Connection(Protocol):
    """One connection inside a ``Database.read()`` or ``write()`` block."""

    @property
    def dialect(self) -> sa.Dialect: ...

    async def driver(self) -> driver.Raw:
        """The driver connection underneath, in the same transaction (``driver.raw``)."""
        ...

    async def execute(self, statement: sa.Executable, parameters: Parameters = None) -> Result: ...

    async def scalar(self, statement: sa.Executable, parameters: Mapping[str, Any] | None = None) -> Any: ...
