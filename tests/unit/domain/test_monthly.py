"""Monthly kudos rules: a calendar month after the last payment, the day clamped, missed months not paid."""

from __future__ import annotations

import datetime as dt

from horde.queue.domain import monthly


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def test_a_month_later_keeps_the_day_or_the_months_last() -> None:
    assert monthly.add_month(at(2026, 1, 15)) == at(2026, 2, 15)
    assert monthly.add_month(at(2026, 1, 31)) == at(2026, 2, 28)
    assert monthly.add_month(at(2028, 1, 31)) == at(2028, 2, 29)
    assert monthly.add_month(at(2026, 12, 31)) == at(2027, 1, 31)
    assert monthly.add_month(at(2026, 1, 31), 3) == at(2026, 4, 30)


def test_due_at_once_then_a_month_after_the_last() -> None:
    assert monthly.is_due(None, at(2026, 3, 1))
    assert not monthly.is_due(at(2026, 1, 31, 12), at(2026, 2, 28, 11))
    assert monthly.is_due(at(2026, 1, 31, 12), at(2026, 2, 28, 12))


def test_the_date_recorded_keeps_the_anniversary() -> None:
    now = at(2026, 3, 5)
    assert monthly.received_at(None, now) == now
    assert monthly.received_at(at(2026, 2, 3), now) == at(2026, 3, 3)
    assert monthly.received_at(at(2025, 11, 3), now) == at(2026, 3, 3)  # months missed: one payment, no drift


def test_the_amount_adds_the_moderators_grant() -> None:
    assert monthly.amount_milli(5000, moderator=False, moderator_grant_milli=300_000_000) == 5000
    assert monthly.amount_milli(5000, moderator=True, moderator_grant_milli=300_000_000) == 300_005_000
    assert monthly.amount_milli(0, moderator=True, moderator_grant_milli=0) == 0
