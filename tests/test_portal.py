from __future__ import annotations

import asyncio
import threading

import pytest

from promptforge import EnhancedPrompt, Enhancer, EnhanceRequest, Pipeline
from promptforge._portal import run_sync
from promptforge.testing import FakeEnhancer, FakeGenerator


def test_sync_calls_share_one_persistent_loop() -> None:
    async def current() -> tuple[asyncio.AbstractEventLoop, str]:
        return asyncio.get_running_loop(), threading.current_thread().name

    first, second = run_sync(current()), run_sync(current())
    assert first == second
    assert first[1] == "promptforge-portal"


async def test_sync_call_works_inside_a_running_loop() -> None:
    result = Pipeline(FakeEnhancer(), FakeGenerator()).run("a corgi")
    assert result.ok


def test_sync_call_from_the_portal_thread_fails_clearly_instead_of_deadlocking() -> None:
    class Reentrant(Enhancer):
        """Calls the sync API from inside the async engine: a classic deadlock."""

        async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
            return Pipeline(FakeEnhancer(), FakeGenerator()).enhance(request.prompt)

    with pytest.raises(RuntimeError, match="would deadlock; await the async twin"):
        Pipeline(Reentrant(), FakeGenerator()).run("a corgi")


def test_errors_cross_the_portal_unchanged() -> None:
    async def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_sync(boom())
