"""Bounded concurrency over many inputs, yielding results as they finish."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, TypeAlias, TypeVar

from ._errors import InvalidRequestError
from ._request import BATCH_KEYWORDS, ITEM_KEYWORDS, Request, make_request, shown

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


def check_prompts(prompts: object) -> Iterator[BatchItem]:
    """An iterator over ``prompts`` if it is a collection of batch inputs.

    A bare ``str`` (or ``bytes``) is refused rather than run a character at a time, and a
    single batch item (a mapping with ``prompt``) rather than run key by key.
    """
    one = isinstance(prompts, str | bytes | bytearray)
    if one or (isinstance(prompts, Mapping) and "prompt" in prompts):
        kind = type(prompts).__name__ if one else "batch item (a mapping with 'prompt')"
        example = shown(prompts, limit=40)
        raise InvalidRequestError(
            f"prompts: got one {kind}, not a collection of prompts; "
            f"for one prompt use run(), or wrap it in a list: run_many([{example}])",
            field="prompts",
        )
    try:
        return iter(prompts)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        raise InvalidRequestError(
            "prompts: expected an iterable of prompts (a list or a generator of str or "
            f"mappings), got {type(prompts).__name__}",
            field="prompts",
        ) from None


def check_shared(style: object, options: Mapping[str, Any]) -> Request:
    """Check a batch's shared style and options once, before any item runs; the request
    an item with only a prompt would make."""
    return make_request("shared options", style, options, keywords=BATCH_KEYWORDS)


def item_request(item: object, style: object, options: Mapping[str, Any]) -> Request:
    """The request for one batch input; its own ``style`` and options override the shared."""
    if not isinstance(item, Mapping):
        return make_request(item, style, options)
    fields = dict(item)
    if "prompt" not in fields:
        close = difflib.get_close_matches("prompt", [str(key) for key in fields], n=1)
        hint = f"; did you mean 'prompt' (not {shown(close[0])})?" if close else ""
        raise InvalidRequestError(f"prompt: missing from the batch item{hint}", field="prompt")
    prompt, style = fields.pop("prompt"), fields.pop("style", style)
    return make_request(prompt, style, {**options, **fields}, keywords=ITEM_KEYWORDS)


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
