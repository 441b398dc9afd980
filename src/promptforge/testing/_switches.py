"""Switches for tests: instant retries, and no real backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import _clock, _guard


@contextmanager
def instant_retries() -> Iterator[list[float]]:
    """Skip the waits between retries; yield the list of delays that would have been slept.

    Time still moves: each skipped wait advances the clock that retries, rate limits and
    timeouts share by its length, so ``RetryPolicy(deadline=...)`` and ``RateLimit``
    schedules behave as they would in real time; a wait that carries the clock past a
    deadline cancels the attempt in flight at once, as the deadline would have. The clock
    is one for all tasks, so the waits of concurrent tasks add up: in a large concurrent
    batch a deadline passes sooner than it would in real time.

    Example:
        >>> with instant_retries() as waits:
        ...     result = pipe.run("a fox")
        >>> waits            # e.g. [2.0, 2.0] when the server asked for 2 s twice
    """
    waits: list[float] = []
    skipped = 0.0

    async def record(seconds: float) -> None:
        nonlocal skipped
        waits.append(seconds)
        skipped += seconds
        await _clock.moved()

    def now() -> float:
        return time.monotonic() + skipped

    previous = _clock.set_clock(record, now)
    try:
        yield waits
    finally:
        _clock.set_clock(*previous)


@contextmanager
def forbid_real_backends() -> Iterator[None]:
    """Make every backend with ``requires_network`` refuse to run (``ConfigurationError``).

    Put it in an autouse fixture so a test can never spend money by accident::

        @pytest.fixture(autouse=True)
        def _no_network():
            with forbid_real_backends():
                yield
    """
    previous = _guard.allow_real_backends(False)
    try:
        yield
    finally:
        _guard.allow_real_backends(previous)
