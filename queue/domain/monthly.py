"""Monthly kudos (reference §2.5): an amount an admin sets on an account, plus a grant for moderators, paid once a
month and recorded as ``recurring``. Pure rules: when a payment is due, what it pays, and when the next one is.

A payment is due a calendar month after the last one (31 January → 28 or 29 February → 28 or 29 March: the day is
clamped, then kept). The first is due at once. A month the horde missed (it was down) is not paid later: the next
payment keeps the anniversary, a month after the latest one that has passed.
"""

from __future__ import annotations

import calendar
import datetime as dt

MIN_MONTH = dt.timedelta(days=28)  #: no calendar month is shorter: a grant received later than this ago may be due


def add_month(when: dt.datetime, months: int = 1) -> dt.datetime:
    """``when`` moved by whole calendar months, its day clamped to the target month's last day."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


def is_due(last_received: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a month has passed since the last payment (or there was none)."""
    return last_received is None or now >= add_month(last_received)


def received_at(last_received: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """What a payment due at ``now`` records as its date: ``now`` for the first, else the latest anniversary of
    the first that is not after ``now`` (so the schedule never drifts, and missed months are not paid twice)."""
    if last_received is None:
        return now
    months = 1
    while add_month(last_received, months + 1) <= now:
        months += 1
    return add_month(last_received, months)


def amount_milli(set_milli: int, *, moderator: bool, moderator_grant_milli: int) -> int:
    """A month's payment: the amount an admin set, plus the moderators' grant for moderators and admins."""
    return max(0, set_milli) + (max(0, moderator_grant_milli) if moderator else 0)
