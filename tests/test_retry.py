from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from pydantic import ValidationError

from promptforge import (
    BackendError,
    ContentBlockedError,
    EnhancedPrompt,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    RateLimitedError,
    RetryPolicy,
    TransientError,
    _clock,
)
from promptforge.testing import FakeEnhancer, FakeGenerator


class Flaky:
    """Fails with the given errors, then returns "ok"; counts calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_hint_is_waited_exactly(waits: list[float]) -> None:
    flaky = Flaky(RateLimitedError("q", retry_after=2.0), RateLimitedError("q", retry_after=3.0))
    attempts: list[int] = []
    assert await RetryPolicy().call(flaky, on_attempt=attempts.append) == "ok"
    assert attempts == [1, 2, 3]
    assert waits == [2.0, 3.0]


async def test_hint_is_capped_by_max_delay(waits: list[float]) -> None:
    flaky = Flaky(RateLimitedError("q", retry_after=120))
    await RetryPolicy(max_delay=10).call(flaky)
    assert waits == [10.0]


async def test_backoff_doubles_and_caps_without_jitter(waits: list[float]) -> None:
    flaky = Flaky(*[TransientError("503")] * 5)
    policy = RetryPolicy(max_attempts=6, initial_delay=1, max_delay=5, jitter=False)
    await policy.call(flaky)
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_jitter_shortens_by_at_most_a_quarter(waits: list[float]) -> None:
    await RetryPolicy(max_attempts=4, initial_delay=4).call(Flaky(*[TransientError("x")] * 3))
    for wait, full in zip(waits, [4.0, 8.0, 16.0], strict=True):
        assert 0.75 * full <= wait <= full


@pytest.mark.parametrize(
    "error",
    [
        InvalidRequestError("bad", field="n"),
        ContentBlockedError("unsafe"),
        BackendError("401 unauthorized", status=401),
        BackendError("404 no such model", status=404),
        ValueError("a bug"),
    ],
)
async def test_permanent_errors_are_attempted_once(
    error: BaseException, waits: list[float]
) -> None:
    flaky = Flaky(error)
    with pytest.raises(type(error)):
        await RetryPolicy().call(flaky)
    assert flaky.calls == 1
    assert waits == []


async def test_gives_up_after_max_attempts_with_the_last_error(waits: list[float]) -> None:
    flaky = Flaky(TransientError("a"), TransientError("b"), TransientError("c"))
    with pytest.raises(TransientError, match=r"^c$"):
        await RetryPolicy(max_attempts=3).call(flaky)
    assert flaky.calls == 3


async def test_hint_past_the_deadline_fails_at_once(waits: list[float]) -> None:
    flaky = Flaky(RateLimitedError("q", retry_after=20))
    with pytest.raises(RateLimitedError):
        await RetryPolicy(deadline=10).call(flaky)
    assert (flaky.calls, waits) == (1, [])


async def test_deadline_stops_retrying_part_way(waits: list[float]) -> None:
    # instant_retries advances the retry clock by each skipped wait: after waits of 4 s and
    # 4 s, a third would end at 12 s, past the 10 s deadline, so the policy stops there.
    flaky = Flaky(*[RateLimitedError("q", retry_after=4)] * 5)
    with pytest.raises(RateLimitedError):
        await RetryPolicy(deadline=10, max_attempts=10).call(flaky)
    assert (flaky.calls, waits) == (3, [4.0, 4.0])


async def test_retries_are_logged_with_reason_and_delay(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="promptforge"):
        await RetryPolicy().call(Flaky(RateLimitedError("quota exceeded", retry_after=1.5)))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "attempt 1/5 failed (RateLimitedError: quota exceeded); retrying in 1.50s"
    )


def test_policy_is_immutable_data() -> None:
    policy = RetryPolicy(max_attempts=3)
    with pytest.raises(ValidationError):
        policy.max_attempts = 4  # type: ignore[misc]
    assert RetryPolicy.none().max_attempts == 1
    with pytest.raises(ValidationError, match="initial_delay"):
        RetryPolicy(initial_delay=10, max_delay=1)
    with pytest.raises(ValidationError):
        RetryPolicy(max_attempts=0)


# -- the deadline bounds the whole call -------------------------------------------------


class Slow:
    """Takes ``seconds`` on the retry clock per call (skipped under instant_retries, but
    the clock moves), after failing with the given errors; records the calls that ended."""

    def __init__(self, seconds: float, *errors: BaseException) -> None:
        self.seconds = seconds
        self.errors = list(errors)
        self.calls = 0
        self.finished = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        await _clock.sleep(self.seconds)
        self.finished += 1
        return "late"


async def test_deadline_cancels_the_attempt_in_flight(waits: list[float]) -> None:
    slow = Slow(100)
    with pytest.raises(TransientError) as caught:
        await RetryPolicy(deadline=10).call(slow)
    assert str(caught.value) == "no result within the 10 s deadline (1 attempt)"
    assert caught.value.retryable
    assert (slow.calls, slow.finished) == (1, 0)


async def test_deadline_error_counts_attempts_and_names_the_last_failure(
    waits: list[float],
) -> None:
    slow = Slow(100, TransientError("503 unavailable"), TransientError("503 unavailable"))
    policy = RetryPolicy(deadline=10, initial_delay=1, jitter=False)
    with pytest.raises(TransientError) as caught:
        await policy.call(slow)
    assert str(caught.value) == (
        "no result within the 10 s deadline (3 attempts; the last failure: 503 unavailable)"
    )
    assert waits[:2] == [1.0, 2.0]
    assert slow.finished == 0


async def test_deadline_really_cancels_a_call_that_never_returns() -> None:
    cancelled = asyncio.Event()

    async def hang() -> str:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "never"

    with pytest.raises(TransientError, match=r"no result within the 0\.05 s deadline"):
        await RetryPolicy(deadline=0.05).call(hang)
    assert cancelled.is_set()


async def test_an_attempt_within_the_deadline_is_kept(waits: list[float]) -> None:
    assert await RetryPolicy(deadline=10).call(Slow(9)) == "late"


async def test_a_timeout_error_of_the_attempt_is_not_the_deadline(waits: list[float]) -> None:
    async def broken() -> str:
        raise TimeoutError("a bug in a backend")

    with pytest.raises(TimeoutError, match="a bug in a backend"):
        await RetryPolicy(deadline=10).call(broken)


async def test_cancelling_the_caller_still_cancels(waits: list[float]) -> None:
    started = asyncio.Event()

    async def hang() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    task = asyncio.ensure_future(RetryPolicy(deadline=10).call(hang))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_deadline_reaches_the_pipeline_error(waits: list[float]) -> None:
    class SlowGenerator(FakeGenerator):
        async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> Any:
            await _clock.sleep(60)
            return await super().generate(prompt, options)

    pipe = Pipeline(FakeEnhancer(), SlowGenerator(), retry=RetryPolicy(deadline=10))
    with pytest.raises(TransientError, match="no result within the 10 s deadline") as caught:
        await pipe.arun("a fox")
    assert caught.value.stage == "generate"


def test_the_default_policy_gives_up_within_two_minutes() -> None:
    assert RetryPolicy().deadline == 120.0
