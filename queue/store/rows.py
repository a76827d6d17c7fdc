"""One ``driver.RowReader`` per table whose whole rows the hot paths read, shared by every store module."""

from __future__ import annotations

from horde.queue.store import driver, tables

JOB = driver.RowReader(tables.jobs)
REQUEST = driver.RowReader(tables.generation_requests)
USER = driver.RowReader(tables.users)
WORKER = driver.RowReader(tables.workers)

#: what pops and submits read of a request: not its bookkeeping (warnings, client agent, created and updated times)
REQUEST_WORK = driver.RowReader(
    tables.generation_requests,
    [
        "id", "kind", "user_id", "shared_key_id", "prompt", "params", "models", "nsfw", "censor_nsfw",
        "trusted_workers", "slow_workers", "worker_ids", "worker_blacklist", "source_processing", "source_image_key",
        "source_mask_key", "state", "priority", "rank", "things", "base_cost_milli", "estimate_milli",
        "upfront_milli", "expires_at",
    ],
)  # fmt: skip
#: what a pop reads of its worker
POPPER = driver.RowReader(
    tables.workers,
    [
        "id", "name", "owner_id", "kind", "maintenance", "maintenance_msg", "paused", "last_check_in",
        "uptime_seconds", "uptime_unpaid_seconds", "models", "max_pixels", "capabilities", "nsfw", "threads",
        "bridge_agent", "ip",
    ],
)  # fmt: skip
#: what a submit reads of the worker holding its job
HOLDER = driver.RowReader(tables.workers, ["id", "owner_id", "jobs_aborted"])
