from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from promptforge import (
    ContentBlockedError,
    EnhancedPrompt,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    TransientError,
)
from promptforge.testing import FakeEnhancer, FakeGenerator


def fail_some(prompt: EnhancedPrompt, options: ImageOptions) -> None:
    number = int(prompt.original.split()[-1])
    if number % 7 == 0:
        raise ContentBlockedError(f"prompt {number} refused", reasons=["policy"])
    if number % 10 == 3:
        raise TransientError("503 unavailable", status=503)


def test_run_many_returns_every_result_in_input_order(waits: list[float]) -> None:
    prompts = [f"prompt {i}" for i in range(50)]
    generator = FakeGenerator(respond=fail_some)
    results = Pipeline(FakeEnhancer(), generator).run_many(prompts, concurrency=8)
    assert [r.index for r in results] == list(range(50))
    assert [r.request.prompt for r in results if r.request] == prompts
    blocked = [r for r in results if r.error and r.error.type == "ContentBlockedError"]
    transient = [r for r in results if r.error and r.error.type == "TransientError"]
    assert [r.index for r in blocked] == [0, 7, 14, 21, 28, 35, 42, 49]
    assert [r.index for r in transient] == [3, 13, 23, 33, 43]
    assert all(not r.ok and r.images == () for r in blocked + transient)
    assert transient[0].error is not None
    assert transient[0].error.retryable
    assert transient[0].error.stage == "generate"
    assert transient[0].error.status == 503
    assert transient[0].stages["generate"].attempts == 5  # retried up to the policy
    assert sum(r.ok for r in results) == 50 - 8 - 5
    assert all(len(r.images) == 1 for r in results if r.ok)


async def test_stream_yields_in_completion_order() -> None:
    latencies = {"slow": 0.2, "medium": 0.1, "fast": 0.0}

    async def respond(prompt: EnhancedPrompt, options: ImageOptions) -> None:
        await asyncio.sleep(latencies[prompt.original])

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(respond=respond))
    seen = [r.request.prompt async for r in pipe.stream(latencies, concurrency=3) if r.request]
    assert seen == ["fast", "medium", "slow"]


@pytest.mark.parametrize("concurrency", [1, 3, 8])
async def test_concurrency_never_exceeds_the_bound(concurrency: int) -> None:
    enhancer = FakeEnhancer(latency=0.002)
    generator = FakeGenerator(latency=0.005)
    pipe = Pipeline(enhancer, generator)
    results = await pipe.arun_many([f"p{i}" for i in range(40)], concurrency=concurrency)
    assert len(results) == 40
    assert all(r.ok for r in results)
    assert generator.max_in_flight == concurrency
    assert enhancer.max_in_flight <= concurrency


async def test_inputs_are_drawn_lazily() -> None:
    drawn: list[int] = []

    def prompts():  # type: ignore[no-untyped-def]
        for i in range(100):
            drawn.append(i)
            yield f"p{i}"

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(latency=0.001))
    stream = pipe.stream(prompts(), concurrency=4)
    first = await anext(stream)
    await stream.aclose()
    assert first.ok
    assert len(drawn) <= 5


async def test_leaving_the_stream_cancels_work_in_flight() -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def respond(prompt: EnhancedPrompt, options: ImageOptions) -> None:
        started.append(prompt.original)
        if prompt.original != "quick":
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(prompt.original)
                raise

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(respond=respond))
    prompts = ["slow a", "quick", "slow b"]
    async with aclosing(pipe.stream(prompts, concurrency=3)) as results:
        async for result in results:
            assert result.request is not None
            assert result.request.prompt == "quick"
            break
    assert sorted(cancelled) == ["slow a", "slow b"]  # cancelled as the block closed
    cancelled.clear()
    async for _ in pipe.stream(prompts, concurrency=3):
        break
    await asyncio.sleep(0.05)  # a bare break closes the stream when it is collected
    assert sorted(cancelled) == ["slow a", "slow b"]


async def test_cancelling_the_caller_cancels_the_batch() -> None:
    generator = FakeGenerator(latency=10)
    pipe = Pipeline(FakeEnhancer(), generator)
    task = asyncio.create_task(pipe.arun_many(["a", "b", "c"], concurrency=2))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert generator.in_flight == 0


def test_items_may_carry_their_own_options() -> None:
    generator = FakeGenerator()
    results = Pipeline(FakeEnhancer(), generator).run_many(
        ["plain", {"prompt": "wide", "aspect_ratio": "16:9", "style": "anime"}],
        aspect_ratio="1:1",
        n=2,
    )
    plain, wide = results
    assert plain.request
    assert plain.request.options.aspect_ratio == "1:1"
    assert wide.request
    assert wide.request.options.aspect_ratio == "16:9"
    assert wide.request.options.n == 2
    assert wide.prompt
    assert wide.prompt.style == "anime"


def test_a_bad_item_is_a_failed_result_not_an_exception() -> None:
    results = Pipeline(FakeEnhancer(), FakeGenerator()).run_many(
        ["good", "", {"prompt": "x", "aspect_ratio": "2:9"}, {"n": 2}]
    )
    assert [r.ok for r in results] == [True, False, False, False]
    assert [r.error.message.split(":")[0] for r in results[1:] if r.error] == [
        "prompt", "aspect_ratio", "prompt",
    ]  # fmt: skip
    assert results[3].error is not None
    assert results[3].error.message == "prompt: missing from the batch item"
    assert results[1].request is None


def test_shared_options_and_concurrency_are_checked_up_front() -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(), generator)
    with pytest.raises(InvalidRequestError, match="n:"):
        pipe.run_many(["a", "b"], n=99)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InvalidRequestError, match="concurrency"):
            pipe.run_many(["a"], concurrency=bad)  # type: ignore[arg-type]
    assert generator.calls == []


def test_a_bug_in_one_item_is_captured_too() -> None:
    def respond(prompt: EnhancedPrompt, options: ImageOptions) -> None:
        if prompt.original == "bug":
            raise ZeroDivisionError("oops")

    results = Pipeline(FakeEnhancer(), FakeGenerator(respond=respond)).run_many(["ok", "bug"])
    assert results[1].error is not None
    assert (results[1].error.type, results[1].error.retryable) == ("ZeroDivisionError", False)
    assert results[0].ok
