"""Bounded concurrency over many inputs, yielding results as they finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeAlias, TypeVar

from ._errors import InvalidRequestError
from ._request import Request, make_request

BatchItem: TypeAlias = str | Mapping[str, Any]
"""A batch input: the prompt, or a mapping with ``prompt`` plus per-item ``style``/options."""
Item = TypeVar("Item")
Out = TypeVar("Out")


def check_concurrency(concurrency: object) -> int:
    """``concurrency`` if it is a positive int, else ``InvalidRequestError``."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise InvalidRequestError(
            f"concurrency: must be an int >= 1, got {concurrency!r}", field="concurrency"
        )
    return concurrency


def item_request(item: object, style: object, options: Mapping[str, Any]) -> Request:
    """The request for one batch input; its own ``style`` and options override the shared."""
    if not isinstance(item, Mapping):
        return make_request(item, style, options)
    fields = dict(item)
    if "prompt" not in fields:
        raise InvalidRequestError("prompt: missing from the batch item", field="prompt")
    prompt, style = fields.pop("prompt"), fields.pop("style", style)
    return make_request(prompt, style, {**options, **fields})


async def as_completed(
    work: Callable[[int, Item], Awaitable[Out]], items: Iterable[Item], concurrency: int
) -> AsyncGenerator[Out, None]:
    """Run ``work(index, item)`` for each item, at most ``concurrency`` at once.

    Items are drawn from ``items`` only as slots free up, so a long (or endless) iterable
    is never held in memory. Results come out in completion order. Closing or cancelling
    the iterator cancels the work in flight and waits for it to unwind.
    """
    pending: set[asyncio.Task[Out]] = set()
    try:
        for index, item in enumerate(items):
            pending.add(asyncio.ensure_future(work(index, item)))
            if len(pending) >= concurrency:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
