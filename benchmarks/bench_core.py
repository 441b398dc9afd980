"""Import cost and pipeline overhead: promptforge's own cost, with zero-latency fakes."""

from __future__ import annotations

import asyncio
import time

from _common import Row, fresh_process_seconds

from promptforge import Pipeline
from promptforge.testing import FakeEnhancer, FakeGenerator


def imports() -> list[Row]:
    ours = fresh_process_seconds("import promptforge")
    pydantic = fresh_process_seconds("from pydantic import BaseModel")
    genai = fresh_process_seconds("import google.genai")
    return [
        Row("import promptforge (median of 9)", f"{ours * 1000:.0f} ms"),
        Row(
            "  / from pydantic import BaseModel",
            f"{ours / pydantic:.2f}",
            "<= 2.0",
            ours / pydantic <= 2.0,
        ),
        Row("  / import google.genai", f"{ours / genai:.2f}", "<= 0.5", ours / genai <= 0.5),
    ]


def overhead() -> list[Row]:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator(long_side=8))
    pipe.run("warm-up")  # builds the pydantic schemas and the fake's image once
    prompts = [f"prompt {i}" for i in range(2000)]
    start = time.perf_counter()
    results = asyncio.run(pipe.arun_many(prompts, concurrency=16))
    batch = (time.perf_counter() - start) / len(prompts)
    assert all(r.ok for r in results)
    start = time.perf_counter()
    for _ in range(500):
        pipe.run("a corgi")
    sync = (time.perf_counter() - start) / 500
    return [
        Row(
            "overhead per item, arun_many x2000",
            f"{batch * 1000:.3f} ms",
            "< 0.5 ms",
            batch < 0.0005,
        ),
        Row("  items/s", f"{1 / batch:,.0f}", ">= 2,000", 1 / batch >= 2000),
        Row("overhead per call, sync run x500", f"{sync * 1000:.3f} ms"),
    ]
