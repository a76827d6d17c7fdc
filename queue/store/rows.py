"""One ``driver.RowReader`` per table whose whole rows the hot paths read, shared by every store module."""

from __future__ import annotations

from horde.queue.store import driver, tables

JOB = driver.RowReader(tables.jobs)
REQUEST = driver.RowReader(tables.generation_requests)
USER = driver.RowReader(tables.users)
WORKER = driver.RowReader(tables.workers)
