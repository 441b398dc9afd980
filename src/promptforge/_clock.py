"""The time retries and rate limits wait by: real by default, virtual in tests.

``promptforge.testing.instant_retries`` swaps both functions so waits are skipped and
recorded while deadlines and rate-limit schedules still see time move.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_sleep: Sleep = asyncio.sleep
_now: Clock = time.monotonic


def now() -> float:
    """Seconds on the current clock (``time.monotonic`` unless swapped)."""
    return _now()


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` on the current clock."""
    await _sleep(seconds)


def set_clock(sleep: Sleep, now: Clock) -> tuple[Sleep, Clock]:
    """Replace the sleep and the clock; return the previous pair."""
    global _sleep, _now
    previous = (_sleep, _now)
    _sleep, _now = sleep, now
    return previous
