from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from promptforge import Pipeline, RateLimit, RateLimitedError, TransientError
from promptforge._ratelimit import Limiter
from promptforge.testing import FakeEnhancer, FakeGenerator


class VirtualClock:
    """Time that moves only when a task sleeps; records who started when."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


def limiter(rpm: float, burst: int = 1) -> tuple[Limiter, VirtualClock]:
    clock = VirtualClock()
    return Limiter(RateLimit(rpm=rpm, burst=burst), clock=clock, sleep=clock.sleep), clock


async def test_requests_are_spaced_evenly_in_call_order() -> None:
    gate, clock = limiter(rpm=60)  # one a second
    started: list[tuple[int, float]] = []

    async def request(number: int) -> None:
        await gate.acquire()
        started.append((number, clock.now))

    await asyncio.gather(*(request(n) for n in range(5)))
    assert [number for number, _ in started] == [0, 1, 2, 3, 4]  # first come, first served
    assert [at for _, at in started] == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])


async def test_burst_lets_a_few_start_together_after_a_quiet_spell() -> None:
    gate, clock = limiter(rpm=60, burst=3)
    clock.now = 100.0
    starts = []
    for _ in range(5):
        await gate.acquire()
        starts.append(clock.now)
    assert starts == pytest.approx([100.0, 100.0, 100.0, 101.0, 102.0])


async def test_a_429_pauses_every_task_including_those_already_waiting() -> None:
    gate, clock = limiter(rpm=600)  # 0.1 s apart
    started: list[float] = []

    async def request() -> None:
        await gate.acquire()
        started.append(clock.now)

    waiting = [asyncio.ensure_future(request()) for _ in range(3)]
    await asyncio.sleep(0)  # all three hold slots at 0.0, 0.1, 0.2
    gate.penalize(RateLimitedError("quota", retry_after=5.0))
    await asyncio.gather(*waiting)
    assert started[0] == 0.0  # it had already started
    assert started[1:] == pytest.approx([5.0, 5.1])  # waited out the hint, still spaced
    await gate.acquire()
    assert clock.now >= 5.0


async def test_only_rate_limits_pause() -> None:
    gate, clock = limiter(rpm=60)
    gate.penalize(TransientError("503"))
    await gate.acquire()
    assert clock.now == 0.0


async def test_call_spends_a_slot_per_attempt_and_penalizes_on_429() -> None:
    gate, clock = limiter(rpm=60)

    async def quota() -> None:
        raise RateLimitedError("quota", retry_after=30)

    with pytest.raises(RateLimitedError):
        await gate.call(quota)
    await gate.acquire()
    assert clock.now == pytest.approx(30.0)


def test_rate_limit_is_validated() -> None:
    with pytest.raises(ValidationError):
        RateLimit(rpm=0)


async def test_pipeline_limits_generate_calls_across_concurrent_tasks(
    waits: list[float],
) -> None:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(), generate_rate_limit=RateLimit(rpm=120))
    results = await pipe.arun_many([f"p{i}" for i in range(6)], concurrency=6)
    assert all(r.ok for r in results)
    # Slots go out every 0.5 s: after the first call, each one waits its half second
    # (instant_retries skips the waits and advances the clock by them).
    assert waits == pytest.approx([0.5] * 5, abs=0.01)


async def test_retries_spend_quota_and_a_429_slows_everyone(waits: list[float]) -> None:
    generator = FakeGenerator([RateLimitedError("quota", retry_after=10)])
    pipe = Pipeline(FakeEnhancer(), generator, generate_rate_limit=RateLimit(rpm=6000))
    results = await pipe.arun_many(["a", "b", "c"], concurrency=3)
    assert all(r.ok for r in results)
    assert len(generator.calls) == 4  # the retried call went through the limiter again
    assert max(waits) >= 10.0
