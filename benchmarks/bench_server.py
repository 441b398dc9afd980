"""Batches through the real google-genai client against the local Google wire-format server
(in its own process): efficiency against the latency-bound ideal, quota use under a rate
limit, and fault tolerance."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _common import ROOT, Row, vertex_client

from promptforge import Pipeline, RateLimit, RetryPolicy
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import ImagenGenerator

SERVER = ROOT / "tests" / "google_backends" / "server.py"


@contextmanager
def google_server(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run the server in a child process; yield its URL and, after the block, its stats."""
    child = subprocess.Popen(
        [sys.executable, str(SERVER), json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    url = child.stdout.readline().strip()
    stats: dict[str, Any] = {}
    try:
        yield url, stats
        with urllib.request.urlopen(url) as answer:
            stats.update(json.load(answer))
    finally:
        child.stdin.close()
        child.wait(timeout=10)


def _pipeline(url: str, **options: Any) -> Pipeline:
    client = vertex_client(url)
    return Pipeline(GeminiEnhancer(client=client), ImagenGenerator(client=client), **options)


def _count(stats: dict[str, Any], method: str | None = None, status: int | None = None) -> int:
    return sum(
        n
        for m, s, n in stats["statuses"]
        if (method is None or m == method) and (status is None or s == status)
    )


async def _raw_sdk(url: str, items: int, concurrency: int) -> None:
    """The same two calls per item with google-genai alone and a semaphore: the floor the
    SDK's own per-request cost sets on this machine."""
    from google.genai import types

    client = vertex_client(url)
    slots = asyncio.Semaphore(concurrency)

    async def one(number: int) -> None:
        async with slots:
            await client.aio.models.generate_content(
                model="gemini-2.5-flash",
                contents=f"corgi {number}",
                config=types.GenerateContentConfig(response_mime_type="application/json"),
            )
            await client.aio.models.generate_images(
                model="imagen-4.0-generate-001", prompt=f"corgi {number}"
            )

    await asyncio.gather(*(one(number) for number in range(items)))


def efficiency(items: int = 200, concurrency: int = 16) -> list[Row]:
    enhance, generate = 0.05, 0.3
    config = {"latency": {"generateContent": enhance, "predict": generate}}
    with google_server(config) as (url, stats):
        pipe = _pipeline(url)
        prompts = [f"corgi {i}" for i in range(items)]
        start = time.perf_counter()
        results = asyncio.run(pipe.arun_many(prompts, concurrency=concurrency))
        wall = time.perf_counter() - start
    with google_server(config) as (url, _):
        start = time.perf_counter()
        asyncio.run(_raw_sdk(url, items, concurrency))
        raw = time.perf_counter() - start
    ideal = math.ceil(items / concurrency) * (enhance + generate)
    peak = max(stats["max_in_flight"].values())
    ok = sum(r.ok for r in results) == items
    return [
        Row(
            f"batch {items} items, c={concurrency}, 50+300 ms", f"{wall:.2f} s (ideal {ideal:.2f})"
        ),
        Row("  efficiency ideal/wall", f"{ideal / wall:.3f}", ">= 0.9", ideal / wall >= 0.9),
        Row("  google-genai alone, same calls", f"{raw:.2f} s = {ideal / raw:.3f} of ideal"),
        Row("  promptforge / google-genai alone", f"{wall / raw:.3f}"),
        Row(
            "  max in flight seen by server",
            f"{peak}",
            f"<= {concurrency}",
            ok and peak <= concurrency,
        ),
    ]


def quota(items: int = 150, rpm: float = 1200) -> list[Row]:
    # Google counts quota per minute; the server holds one second's worth of it, so it
    # forgives network jitter but not a burst.
    config = {"latency": {"predict": 0.05}, "quota": {"predict": [rpm, int(rpm / 60)]}}
    with google_server(config) as (url, stats):
        pipe = _pipeline(url, generate_rate_limit=RateLimit(rpm=rpm))
        results = asyncio.run(pipe.arun_many([f"corgi {i}" for i in range(items)], concurrency=16))
    arrivals = sorted(stats["arrivals"]["predict"])
    achieved = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) * 60
    limited = _count(stats, "predict", 429)
    return [
        Row(f"quota: {items} images at rpm={rpm:.0f}", f"{achieved:,.0f} rpm achieved"),
        Row("  achieved / limit", f"{achieved / rpm:.3f}", ">= 0.95", achieved / rpm >= 0.95),
        Row("  429s provoked", f"{limited}", "0", limited == 0 and all(r.ok for r in results)),
    ]


def faults(items: int = 200, concurrency: int = 16) -> list[Row]:
    config = {
        "latency": {"generateContent": 0.01, "predict": 0.05},
        "faults": {"generateContent": [0.2, 0.05, 7], "predict": [0.2, 0.05, 11]},
    }
    with google_server(config) as (url, stats):
        pipe = _pipeline(url, retry=RetryPolicy(max_attempts=10, initial_delay=0.05, max_delay=0.5))
        results = asyncio.run(
            pipe.arun_many([f"corgi {i}" for i in range(items)], concurrency=concurrency)
        )
    ids = {r.id for r in results}
    made = _count(stats, "predict", 200)
    served = _count(stats)
    attempts = sum(r.stages["enhance"].attempts + r.stages["generate"].attempts for r in results)
    failed = served - _count(stats, status=200)
    complete = all(r.ok for r in results) and len(ids) == items
    return [
        Row(f"faults: 20% 429 + 5% 503, {items} items", f"{sum(r.ok for r in results)}/{items} ok"),
        Row(
            "  lost / duplicated",
            f"{items - len(ids)} / {made - items}",
            "0 / 0",
            complete and made == items,
        ),
        Row(
            "  attempts recorded / requests served",
            f"{attempts} / {served}",
            "equal",
            attempts == served,
        ),
        Row("  failed requests retried", f"{failed}"),
    ]
