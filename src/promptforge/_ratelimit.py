"""``RateLimit``: requests per minute, spread evenly, shared by every task of a pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import Field

from . import _clock
from ._errors import RateLimitedError
from ._model import Model

T = TypeVar("T")


class RateLimit(Model):
    """At most ``rpm`` requests per minute to one backend, evenly spaced (no burst at the
    top of each minute). Retries spend quota too, and a 429 pauses every task, not only
    the one that got it.

    Example:
        >>> Pipeline(enhancer, generator, generate_rate_limit=RateLimit(rpm=60))
    """

    rpm: float = Field(gt=0)
    """Requests per minute allowed."""
    burst: int = Field(default=1, ge=1)
    """Requests that may start together after a quiet spell (1: perfectly even spacing)."""


class Limiter:
    """The running state of a ``RateLimit``: a schedule of start times, first come first
    served. ``clock`` and ``sleep`` default to the shared clock (``_clock``), which
    ``promptforge.testing.instant_retries`` makes virtual."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.limit = limit
        self.interval = 60.0 / limit.rpm
        self._clock = clock or _clock.now
        self._sleep = sleep or _clock.sleep
        self._next = -float("inf")
        """The earliest time the next request may start."""
        self._epoch = 0
        """Bumped by each 429: a caller that slept through one queues again."""
        self._resume_at = -float("inf")
        """When the latest 429's pause ends."""

    async def acquire(self) -> None:
        """Wait for this caller's slot. Slots are handed out in call order; a caller whose
        slot is overtaken by a 429 queues again behind the pause, in the same order."""
        while True:
            epoch = self._epoch
            now = self._clock()
            earliest = now - (self.limit.burst - 1) * self.interval
            slot = max(self._next, earliest)
            self._next = slot + self.interval
            if slot > now:
                await self._sleep(slot - now)
            if epoch == self._epoch:
                return

    def penalize(self, error: BaseException) -> None:
        """After a 429, start the schedule again once the server's hint has passed: every
        waiting caller re-queues behind it, spaced as before (no herd at the pause's end)."""
        if isinstance(error, RateLimitedError):
            pause = error.retry_after if error.retry_after is not None else self.interval
            self._epoch += 1
            self._resume_at = max(self._resume_at, self._clock() + pause)
            self._next = self._resume_at  # earlier slots are void: their holders re-queue

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """``fn()`` in its turn; a 429 from it slows every task."""
        await self.acquire()
        try:
            return await fn()
        except RateLimitedError as exc:
            self.penalize(exc)
            raise
