from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from promptforge import (
    BackendError,
    ContentBlockedError,
    InvalidRequestError,
    RateLimitedError,
    RetryPolicy,
    TransientError,
)


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
