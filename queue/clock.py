"""The one place Horde reads the wall clock. Everything else takes ``now`` as a parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def epoch_seconds(moment: dt.datetime) -> float:
    """Seconds since the Unix epoch of an aware datetime."""
    return moment.timestamp()


class FrozenClock:
    """A clock for tests and simulations: time moves only when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> dt.datetime:
        self.current += dt.timedelta(seconds=seconds)
        return self.current
