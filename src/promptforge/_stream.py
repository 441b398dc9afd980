"""``Pipeline.stream``: many inputs at bounded concurrency, each saved, resumed, budgeted
and logged as it finishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Iterable, Mapping
from contextlib import ExitStack, aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ._adapt import plan
from ._batch import (
    BatchItem,
    as_completed,
    check_concurrency,
    check_prompts,
    check_shared,
    item_request,
)
from ._result import GenerationResult
from ._rounds import check_rounds, split_item
from ._run import RunState

if TYPE_CHECKING:
    from ._budget import Spender
    from ._pipeline import Pipeline
    from ._store import ResultStore

T = TypeVar("T")


async def stream_results(
    pipe: Pipeline,
    prompts: Iterable[BatchItem],
    *,
    concurrency: object,
    style: object,
    out_dir: str | Path | ResultStore | None,
    keep_images: bool,
    rounds: Mapping[str, Any],
    budget: float | None,
    options: Mapping[str, Any],
) -> AsyncGenerator[GenerationResult, None]:
    """See ``Pipeline.stream``. Every shared argument is checked before any item starts.

    Raises:
        InvalidRequestError: bad shared arguments, an unknowable budget, or ``out_dir``
            locked by another batch.
    """
    limit = check_concurrency(concurrency)
    items = check_prompts(prompts)
    base = check_shared(style, options)  # fail fast on shared options
    check_rounds(pipe.judge_backend, **rounds)
    spender = _spender(pipe, budget, base.options) if budget is not None else None
    with ExitStack() as exit_stack:
        store: ResultStore | None = None
        if out_dir is not None:
            from ._store import ResultStore

            # a folder: this stream opens (and locks) it, and closes it at the end
            store = (
                out_dir
                if isinstance(out_dir, ResultStore)
                else exit_stack.enter_context(ResultStore(out_dir))
            )
        maker = pipe._made_by() if store is not None else ""

        async def run(index: int, item: BatchItem) -> GenerationResult:
            state = RunState(None, index=index)
            try:
                fields, own = split_item(item)
                state.request = item_request(fields, style, options)
                item_rounds = check_rounds(pipe.judge_backend, **{**rounds, **own})
                run_plan = pipe._plan(state.request)
                if store is not None:
                    judged = pipe.judge_backend is not None
                    done = store.take(state.request, maker, lazy=not keep_images, judged=judged)
                    if done is not None:
                        return store.resumed(done, index)
                if spender is not None:
                    spender.admit(index, run_plan)
                await pipe._execute(state, run_plan)
                result = await pipe._rounds(state.result(), item_rounds)
            except Exception as exc:  # one item's failure never sinks the batch
                return state.result(error=exc)
            if store is None:
                return result
            return await _finish(asyncio.to_thread(store.save, result, keep_images=keep_images))

        async def one(index: int, item: BatchItem) -> GenerationResult:
            result = await run(index, item)
            if not result.resumed:
                if spender is not None:
                    spender.settle(index, result.cost.usd if result.cost else None, result.usage)
                saved = store.root / result.id if store is not None and result.ok else None
                await pipe._record(result, saved)
            return result

        async with aclosing(as_completed(one, items, limit)) as results:
            async for result in results:
                yield result


def _spender(pipe: Pipeline, budget: float, options: Any) -> Spender:
    """The budget keeper of one batch; refuses a budget no estimate can keep."""
    from ._budget import Estimator, Spender, check_budget

    check_budget(budget)
    spender = Spender(float(budget), Estimator(pipe._stagers()))
    spender.check(plan(options, pipe.generator.capabilities, strict=pipe.strict))
    return spender


async def _finish(work: Awaitable[T]) -> T:
    """Await ``work`` to the end even if cancelled meanwhile (then re-raise the cancel):
    an image already paid for is written to disk before a cancelled batch stops."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
