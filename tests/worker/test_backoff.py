from __future__ import annotations

import random

from hypothesis import given, strategies as st

from horde.worker.backoff import BackoffPolicy


def test_delays_grow_then_cap() -> None:
    policy = BackoffPolicy(base=1.0, factor=2.0, cap=8.0, max_attempts=10, rng=random.Random(1))
    delays = [policy.delay(attempt) for attempt in range(8)]
    assert delays[:4] == sorted(delays[:4])  # equal jitter never shrinks a delay before the cap
    assert all(4.0 <= d <= 8.0 for d in delays[3:])
    assert [policy.ceiling(a) for a in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_should_retry_counts_the_first_try() -> None:
    policy = BackoffPolicy(max_attempts=3)
    assert [policy.should_retry(a) for a in range(3)] == [True, True, False]


@given(attempt=st.integers(0, 50), seed=st.integers(0, 1000))
def test_delay_is_within_half_and_all_of_the_ceiling(attempt: int, seed: int) -> None:
    policy = BackoffPolicy(base=0.5, cap=30.0, rng=random.Random(seed))
    top = policy.ceiling(attempt)
    assert top / 2 <= policy.delay(attempt) <= top
