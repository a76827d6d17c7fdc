"""The rate limiter's cost per call stays flat and its memory bounded, whatever keys an attacker sends (issue 14,
defect 4: after 104,000 random request ids every call rescanned every entry)."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import pytest

from horde.webapp import ratelimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **kwargs: Any) -> ratelimit.RateLimiter:
    made = ratelimit.RateLimiter(ratelimit.parse("on"), **kwargs)
    made._clock = clock
    return made


def opcodes_of(call: Any) -> int:
    """Bytecodes executed inside ``horde.webapp.ratelimit`` during ``call()``: the work done, not wall time."""
    count = 0
    filename = ratelimit.__file__

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if frame.f_code.co_filename != filename:
            return None
        frame.f_trace_opcodes = True
        if event == "opcode":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def check_call(lim: ratelimit.RateLimiter, n: int, ip: str = "198.51.100.1") -> None:
    lim.check("check", ip=ip, api_key=None, path=f"/api/v2/generate/check/{n:032x}")


def test_cost_per_call_stays_flat_after_a_flood_of_distinct_ids() -> None:
    clock = Clock()
    lim = limiter(clock)
    baseline = max(opcodes_of(lambda n=n: check_call(lim, n)) for n in range(5))
    for n in range(5, 101_000):  # one attacker, 101,000 random request ids, 10 a millisecond
        clock.now += 0.0001
        check_call(lim, n)
    costs = []
    for n in range(101_000, 101_050):
        clock.now += 0.0001
        costs.append(opcodes_of(lambda n=n: check_call(lim, n)))
    assert max(costs) <= 2 * baseline, (baseline, max(costs))


def test_memory_is_bounded_and_expired_buckets_go_a_few_at_a_time() -> None:
    clock = Clock()
    lim = limiter(clock, max_entries=500)
    for n in range(5_000):  # all inside one second: nothing has expired, the oldest are pushed out
        check_call(lim, n)
    assert len(lim) == 500
    before = lim.evicted
    clock.now += 2  # every window is over: each later call drops a few expired buckets, never all of them
    check_call(lim, 10**9)
    assert 1 <= lim.evicted - before <= ratelimit.EVICT_PER_CALL
    for n in range(200):
        check_call(lim, 10**9 + n + 1)
    assert len(lim) <= 201


def test_limits_still_hold_for_an_active_caller_during_a_flood() -> None:
    clock = Clock()
    lim = limiter(clock, max_entries=1000)
    for _ in range(10):
        lim.check("pop", ip="192.0.2.1", api_key=None, path="/api/v2/generate/pop")
    for n in range(900):  # others flood distinct ids; the worker's bucket is still there
        check_call(lim, n, ip=f"10.0.{n // 250}.{n % 250}")
    for _ in range(50):
        lim.check("pop", ip="192.0.2.1", api_key=None, path="/api/v2/generate/pop")
    with pytest.raises(ratelimit.RateLimitExceededError):
        lim.check("pop", ip="192.0.2.1", api_key=None, path="/api/v2/generate/pop")
    clock.now += 1
    lim.check("pop", ip="192.0.2.1", api_key=None, path="/api/v2/generate/pop")  # a new window
