"""How long a call takes to fail against a server that never answers (or trickles a byte at a
time), through the real google-genai client and the local Google wire-format server.

Not part of ``make bench`` (the default policy takes two minutes by design); run it alone:
``uv run --frozen python benchmarks/bench_timeouts.py``.
"""

from __future__ import annotations

import time

from _common import Row
from tests.google_backends import server as wire
from tests.google_backends.server import GoogleServer

from promptforge import Pipeline, PromptforgeError, RetryPolicy
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator


def _fail_time(reply: wire.Reply, retry: RetryPolicy | None, **timeout: float) -> tuple[float, str]:
    """Seconds until ``pipe.run`` fails when every request gets ``reply``, and its error."""
    with GoogleServer() as server:
        server.default("generateContent", reply)
        pipe = Pipeline(
            GeminiEnhancer(api_key="bench", base_url=server.url, **timeout),
            GeminiImageGenerator(api_key="bench", base_url=server.url, **timeout),
            retry=retry,
        )
        start = time.perf_counter()
        try:
            pipe.run("a red fox")
        except PromptforgeError as error:
            return time.perf_counter() - start, str(error)
        raise AssertionError("the call succeeded against a server that never answers")


def timeouts() -> list[Row]:
    silent = wire.Reply(wire.spec(subject="x").body, delay=3600)
    trickle = wire.Reply(wire.spec(subject="a red fox " * 100).body, trickle=1.0)
    cases = [
        ("never answers, default policy", silent, None, {}, 130.0),
        ("never answers, deadline=10", silent, RetryPolicy(deadline=10), {}, 11.0),
        ("1 byte/s, timeout=2 deadline=3", trickle, RetryPolicy(deadline=3), {"timeout": 2}, 4.0),
    ]
    rows = []
    for name, reply, retry, limit, target in cases:
        seconds, error = _fail_time(reply, retry, **limit)
        print(f"  {name}: {seconds:.1f} s: {error}")
        rows.append(Row(f"fails: {name}", f"{seconds:.1f} s", f"<{target:g} s", seconds < target))
    return rows


if __name__ == "__main__":
    for row in timeouts():
        print(f"{row.name:<45} {row.figure:>8}  {row.target:>7}  {'yes' if row.met else 'NO'}")
