"""Jobs a worker drops (lets time out, reports faulted, or answers with something that is not the image) count
against it, as upstream's "too many jobs aborted": a few in an hour and it gets one job at a time; more and it is
paused, so one bad worker cannot hoard jobs and fault other people's requests."""

from __future__ import annotations

import datetime as dt

WINDOW = dt.timedelta(hours=1)
THROTTLE_AT = 3  #: drops in the window from which the worker gets one job per pop
PAUSE_AT = 10  #: drops in the window that pause the worker (upstream: 20; hoarding 20 at a time is the attack)


def recent(drops: int, since: dt.datetime | None, now: dt.datetime) -> int:
    """Drops within the current window (none once it has passed)."""
    return drops if since is not None and now - since < WINDOW else 0


def after_drop(drops: int, since: dt.datetime | None, now: dt.datetime) -> tuple[int, dt.datetime]:
    """The window's count and start after one more drop at ``now``."""
    if since is None or now - since >= WINDOW:
        return 1, now
    return drops + 1, since


def throttled(drops: int, since: dt.datetime | None, now: dt.datetime) -> bool:
    return recent(drops, since, now) >= THROTTLE_AT


def must_pause(drops: int) -> bool:
    return drops >= PAUSE_AT
