"""The store's typed rows: one ``NamedTuple`` per shape the service reads, and the ``driver.RowReader`` of each.

A row class's fields are its columns, in order, with their Python types; ``RowReader`` checks at import that each
field is a column of its table. Values come back as the service expects them on both databases: aware UTC
datetimes, booleans, parsed JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from horde.queue.store import driver, tables


class JobRow(NamedTuple):
    """A whole ``jobs`` row."""

    id: str
    request_id: str
    position: int
    state: str
    worker_id: str | None
    model: str | None
    seed: int
    attempts: int
    popped_at: dt.datetime | None
    deadline: dt.datetime | None
    finished_at: dt.datetime | None
    result_state: str | None
    result_key: str | None
    result_text: str | None
    gen_metadata: list[dict[str, Any]] | None
    reward_milli: int
    charge_milli: int
    favourite: bool
    public: bool


class RequestRow(NamedTuple):
    """A whole ``generation_requests`` row."""

    id: str
    kind: str
    user_id: int
    shared_key_id: str | None
    prompt: str
    params: dict[str, Any]
    models: list[str]
    n: int
    nsfw: bool
    censor_nsfw: bool
    trusted_workers: bool
    slow_workers: bool
    worker_ids: list[str]
    worker_blacklist: bool
    r2: bool
    shared: bool
    source_processing: str | None
    source_image_key: str | None
    source_mask_key: str | None
    style_id: str | None
    state: str
    priority: float
    rank: float
    things: float
    base_cost_milli: int
    estimate_milli: int
    upfront_milli: int
    charged_milli: int
    faults: int
    kept: bool
    ip: str | None
    client_agent: str | None
    warnings: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime


class UserRow(NamedTuple):
    """A whole ``users`` row."""

    id: int
    username: str
    kind: str
    flagged: bool
    suspended: bool
    api_key_hash: str | None
    external_id: str | None
    kudos_milli: int
    concurrency: int
    contact: str | None
    created_at: dt.datetime
    last_active_at: dt.datetime | None
    trusted: bool
    customizer: bool
    vpn: bool
    service: bool
    education: bool
    special: bool
    moderator: bool
    admin: bool
    worker_invited: int
    admin_comment: str | None
    deleted_at: dt.datetime | None


class WorkerRow(NamedTuple):
    """A whole ``workers`` row."""

    id: str
    name: str
    owner_id: int
    kind: str
    models: list[str]
    max_pixels: int
    capabilities: dict[str, Any]
    nsfw: bool
    maintenance: bool
    maintenance_msg: str | None
    paused: bool
    threads: int
    bridge_agent: str | None
    info: str | None
    team_id: str | None
    ip: str | None
    created_at: dt.datetime
    last_check_in: dt.datetime
    uptime_seconds: float
    uptime_unpaid_seconds: float
    kudos_earned_milli: int
    jobs_done: int
    jobs_aborted: int
    things_done: float
    seconds_busy: float
    drops_recent: int
    drops_since: dt.datetime | None


class RequestWork(NamedTuple):
    """What pops and submits read of a request: not its bookkeeping (warnings, client agent, created and updated times)."""

    id: str
    kind: str
    user_id: int
    shared_key_id: str | None
    prompt: str
    params: dict[str, Any]
    models: list[str]
    nsfw: bool
    censor_nsfw: bool
    trusted_workers: bool
    slow_workers: bool
    worker_ids: list[str]
    worker_blacklist: bool
    source_processing: str | None
    source_image_key: str | None
    source_mask_key: str | None
    state: str
    priority: float
    rank: float
    things: float
    base_cost_milli: int
    estimate_milli: int
    upfront_milli: int
    expires_at: dt.datetime


class Popper(NamedTuple):
    """What a pop reads of its worker."""

    id: str
    name: str
    owner_id: int
    kind: str
    maintenance: bool
    maintenance_msg: str | None
    paused: bool
    last_check_in: dt.datetime
    uptime_seconds: float
    uptime_unpaid_seconds: float
    models: list[str]
    max_pixels: int
    capabilities: dict[str, Any]
    nsfw: bool
    threads: int
    bridge_agent: str | None
    ip: str | None
    drops_recent: int
    drops_since: dt.datetime | None


class Holder(NamedTuple):
    """What a submit reads of the worker holding its job."""

    id: str
    owner_id: int
    jobs_aborted: int
    drops_recent: int
    drops_since: dt.datetime | None
    paused: bool


JOB = driver.RowReader(JobRow, tables.jobs)
REQUEST = driver.RowReader(RequestRow, tables.generation_requests)
USER = driver.RowReader(UserRow, tables.users)
WORKER = driver.RowReader(WorkerRow, tables.workers)
REQUEST_WORK = driver.RowReader(RequestWork, tables.generation_requests)
POPPER = driver.RowReader(Popper, tables.workers)
HOLDER = driver.RowReader(Holder, tables.workers)
