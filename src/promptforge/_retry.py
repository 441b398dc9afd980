"""``RetryPolicy``: immutable settings turned into a fresh tenacity controller per call."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Self, TypeVar

from pydantic import Field, model_validator

from . import _clock
from ._errors import PromptforgeError, RateLimitedError, TransientError
from ._model import Model

if TYPE_CHECKING:  # tenacity is imported by the first call, not by ``import promptforge``
    from tenacity import AsyncRetrying, RetryCallState

T = TypeVar("T")
logger = logging.getLogger("promptforge")
logger.addHandler(logging.NullHandler())  # the app decides where logs go


class _stop:
    """Stop after ``attempts`` attempts, or when the coming wait would end past the
    deadline (no sleeping into it): a tenacity stop condition."""

    def __init__(self, attempts: int, seconds: float | None) -> None:
        self.attempts = attempts
        self.ends = None if seconds is None else _clock.now() + seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.attempts:
            return True
        return self.ends is not None and _clock.now() + retry_state.upcoming_sleep > self.ends


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, PromptforgeError) and exc.retryable


class RetryPolicy(Model):
    """When and how long to retry a failed backend call.

    Only errors marked retryable are retried (``RateLimitedError``, ``TransientError``,
    ``BackendError(retryable=True)``); bad input, safety blocks and 400/401/403/404 fail at
    once. Waits grow exponentially from ``initial_delay`` up to ``max_delay``; a server's
    hint (``RateLimitedError.retry_after``) is waited instead, also capped by ``max_delay``.
    The ``deadline`` (two minutes by default) bounds the whole call: a wait that would end
    past it fails at once with the last error, and an attempt still running when it passes
    is cancelled (``TransientError``: "no result within the 10 s deadline (3 attempts)").
    Each retry is logged (logger ``promptforge``, WARNING) with the attempt, the wait and
    the reason.

    Example:
        >>> RetryPolicy(max_attempts=3, deadline=60)
        RetryPolicy(max_attempts=3, initial_delay=1.0, max_delay=30.0, jitter=True, deadline=60.0)
    """

    max_attempts: int = Field(default=5, ge=1)
    """Attempts in all, the first included; 1 disables retries."""
    initial_delay: float = Field(default=1.0, ge=0)
    """Seconds before the first retry; doubled for each one after."""
    max_delay: float = Field(default=30.0, ge=0)
    """Cap on any single wait, server hints included."""
    jitter: bool = True
    """Shorten each backoff wait by up to 25% at random, so clients do not retry in step."""
    deadline: float | None = Field(default=120.0, gt=0)
    """Seconds the whole call may take from its first attempt, waits and attempts included;
    ``None`` for no bound (then ``max_attempts`` times the backend's timeout, plus waits)."""

    @model_validator(mode="after")
    def _delays_ordered(self) -> Self:
        if self.initial_delay > self.max_delay:
            raise ValueError("initial_delay must not exceed max_delay")
        return self

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def delay_for(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) with ``error``."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(max(float(error.retry_after), 0.0), self.max_delay)
        delay: float = min(self.initial_delay * 2.0 ** (attempt - 1), self.max_delay)
        return delay * (1 - 0.25 * random.random()) if self.jitter else delay

    async def call(
        self, fn: Callable[[], Awaitable[T]], *, on_attempt: Callable[[int], None] | None = None
    ) -> T:
        """Await ``fn()`` until it succeeds or the policy gives up; re-raise the last error.

        ``on_attempt`` is told each attempt's number as it starts.

        Raises:
            TransientError: the ``deadline`` passed with an attempt still running.
        """
        attempts, last = 0, None
        try:
            async with _clock.timeout(self.deadline) as window:
                async for attempt in self._controller():
                    with attempt:
                        attempts = attempt.retry_state.attempt_number
                        if on_attempt is not None:
                            on_attempt(attempts)
                        try:
                            return await fn()
                        except PromptforgeError as exc:
                            last = exc
                            raise
        except TimeoutError:
            if not window.expired():  # raised by fn itself, not the deadline
                raise
            raise self._too_late(attempts, last) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _too_late(self, attempts: int, last: PromptforgeError | None) -> TransientError:
        said = f"; the last failure: {last}" if last is not None else ""
        plural = "" if attempts == 1 else "s"
        return TransientError(
            f"no result within the {self.deadline:g} s deadline ({attempts} attempt{plural}{said})"
        )

    def _controller(self) -> AsyncRetrying:
        from tenacity import AsyncRetrying, retry_if_exception

        return AsyncRetrying(
            stop=_stop(self.max_attempts, self.deadline),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
            sleep=_clock.sleep,
            before_sleep=self._log,
        )

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return self.delay_for(state.attempt_number, error)

    def _log(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "attempt %d/%d failed (%s: %s); retrying in %.2fs",
            state.attempt_number,
            self.max_attempts,
            type(error).__name__,
            error,
            state.upcoming_sleep,
        )
