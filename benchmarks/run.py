"""promptforge benchmarks: `make bench` prints one table; every figure is measured in this run.

1. import cost against pydantic and google-genai (fresh processes, median of 9);
2. pipeline overhead per item with zero-latency fakes;
3. batch efficiency through the real google-genai client against a local Google wire-format
   server with injected latency, and the most requests in flight it saw;
4. quota use under a rate limit, with the server enforcing it (429s counted);
5. fault tolerance: 20% 429s and 5% 503s injected; nothing lost or duplicated;
6. peak memory of 200 vs 2,000 ~1 MB images written to disk;
7. peak memory of the ``promptforge batch`` command at 200 vs 10,000 items.
8. RuleEnhancer on long prompts: 16 KB, 64 KB and the prompt cap (linear, not quadratic);
9. collecting a Google Batch Mode job of 200 and 2,000 images from the local server;
10. a Gemini conversation on disk (a 1 MB image, 3 references, 0-3 edits) and in memory
    (2,000 lazily loaded results).
"""

from __future__ import annotations

import sys
import time

import bench_batchmode
import bench_cli_memory
import bench_conversation
import bench_core
import bench_memory
import bench_rules
import bench_server
from _common import Row


def main() -> int:
    rows: list[Row] = []
    for bench in (
        bench_core.imports,
        bench_core.overhead,
        bench_server.efficiency,
        bench_server.quota,
        bench_server.faults,
        bench_memory.memory,
        bench_cli_memory.memory,
        bench_rules.rules,
        bench_batchmode.batchmode,
        bench_conversation.conversation,
    ):
        start = time.perf_counter()
        rows += bench()
        print(
            f"  ran {bench.__module__}.{bench.__name__} in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
    width = max(len(row.name) for row in rows)
    print(f"{'benchmark':<{width}}  {'figure':>28}  {'target':>9}  met")
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        print(f"{row.name:<{width}}  {row.figure:>28}  {row.target:>9}  {met}")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
