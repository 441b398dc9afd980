"""Switches for tests: instant retries, and no real backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import _guard, _retry


@contextmanager
def instant_retries() -> Iterator[list[float]]:
    """Skip the waits between retries; yield the list of delays that would have been slept.

    Time still moves for deadlines: each skipped wait advances the retry clock by its
    length, so ``RetryPolicy(deadline=...)`` behaves as it would in real time.

    Example:
        >>> with instant_retries() as waits:
        ...     result = pipe.run("a fox")
        >>> waits            # e.g. [2.0, 2.0] when the server asked for 2 s twice
    """
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    def now() -> float:
        return time.monotonic() + sum(waits)

    previous = _retry.set_clock(record, now)
    try:
        yield waits
    finally:
        _retry.set_clock(*previous)


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
