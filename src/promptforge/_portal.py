"""The persistent background event loop behind every sync call.

Each sync method runs its coroutine here and blocks the calling thread for the answer. One
loop for the whole process means sync calls work where a loop is already running (Jupyter,
an async app), and loop-bound clients (HTTP connection pools) survive between calls, which
``asyncio.run`` per call would break.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _get_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            _loop = asyncio.new_event_loop()
            _thread = threading.Thread(
                target=_loop.run_forever, name="promptforge-portal", daemon=True
            )
            _thread.start()
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop and wait for its result in this thread.

    Raises:
        RuntimeError: when called from the background loop's own thread (from inside an
            async backend or callback), which would deadlock; await the async twin there.
    """
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError(
            "a promptforge sync method was called from promptforge's own event loop, "
            "which would deadlock; await the async twin (e.g. `await pipe.arun(...)`) instead"
        )
    future = asyncio.run_coroutine_threadsafe(coro, _get_loop())
    try:
        return future.result()
    except BaseException:
        # Ctrl-C or another interruption in the waiting thread: stop the work too.
        future.cancel()
        raise
