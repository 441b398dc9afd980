"""The time retries, rate limits and timeouts go by: real by default, virtual in tests.

``promptforge.testing.instant_retries`` swaps the sleep and the clock so waits are skipped
and recorded while deadlines, timeouts and rate-limit schedules still see time move: a
skipped wait that carries the clock past a ``timeout`` fires it at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_sleep: Sleep = asyncio.sleep
_now: Clock = time.monotonic
_timers: dict[asyncio.Timeout, tuple[float, asyncio.AbstractEventLoop]] = {}
"""The ``timeout`` windows open now: when each ends on the clock, and its event loop."""


def now() -> float:
    """Seconds on the current clock (``time.monotonic`` unless swapped)."""
    return _now()


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` on the current clock."""
    await _sleep(seconds)


@asynccontextmanager
async def timeout(seconds: float | None) -> AsyncIterator[asyncio.Timeout]:
    """Cancel the body once ``seconds`` have passed on the current clock (``None``: never);
    like ``asyncio.timeout``, the expiry surfaces as ``TimeoutError`` and the yielded
    ``Timeout`` tells whether it was this window that expired (``.expired()``)."""
    async with asyncio.timeout(seconds) as window:
        if seconds is not None:
            _timers[window] = (now() + seconds, asyncio.get_running_loop())
        try:
            yield window
        finally:
            _timers.pop(window, None)


async def moved() -> None:
    """Bring the open ``timeout`` windows in line after the clock jumped ahead (a virtual
    clock calls this from its sleep): the windows now past their end fire before this
    returns (cancelling the sleeper, if it is inside one), the others are brought forward."""
    loop = asyncio.get_running_loop()
    due = []
    for window, (ends, owner) in list(_timers.items()):
        if owner is loop:
            left = ends - now()
            window.reschedule(loop.time() + max(left, 0.0))
            if left <= 0:
                due.append(window)
    # Their callbacks run on the loop's next turns; yield until each has (or its body ended).
    while any(window in _timers and not window.expired() for window in due):  # noqa: ASYNC110
        await asyncio.sleep(0)


def set_clock(sleep: Sleep, now: Clock) -> tuple[Sleep, Clock]:
    """Replace the sleep and the clock; return the previous pair."""
    global _sleep, _now
    previous = (_sleep, _now)
    _sleep, _now = sleep, now
    return previous
