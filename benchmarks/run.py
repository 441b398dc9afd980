"""promptforge benchmarks: `make bench` prints one table; each figure is measured in this run.

1. import cost: fresh interpreters, median of 9, against `from pydantic import BaseModel`
   and `import google.genai`.
2. pipeline overhead per item with zero-latency fakes: `arun_many` over 2,000 items and
   sync `run` called 500 times.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from promptforge import Pipeline
from promptforge.testing import FakeEnhancer, FakeGenerator


def import_seconds(statement: str, runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_item(label: str, count: int, body: Callable[[], None]) -> tuple[str, str, str]:
    start = time.perf_counter()
    body()
    seconds = time.perf_counter() - start
    return label, f"{seconds / count * 1000:.3f} ms/item", f"{count / seconds:,.0f} items/s"


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    ours = import_seconds("import promptforge")
    pydantic = import_seconds("from pydantic import BaseModel")
    genai = import_seconds("import google.genai")
    rows.append(("import promptforge", f"{ours * 1000:.0f} ms", ""))
    rows.append(
        ("  vs pydantic BaseModel", f"{pydantic * 1000:.0f} ms", f"ratio {ours / pydantic:.2f}")
    )
    rows.append(("  vs google.genai", f"{genai * 1000:.0f} ms", f"ratio {ours / genai:.2f}"))

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(long_side=8))
    pipe.run("warm-up")  # first use builds the pydantic schemas and encodes the image once
    prompts = [f"prompt {i}" for i in range(2000)]

    def batch() -> None:
        results = asyncio.run(pipe.arun_many(prompts, concurrency=16))
        assert all(r.ok for r in results)

    rows.append(per_item("arun_many, 2,000 items", len(prompts), batch))
    rows.append(per_item("sync run, 500 calls", 500, lambda: [pipe.run("a") for _ in range(500)]))

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'figure':>16}  {'':>18}")
    for label, figure, extra in rows:
        print(f"{label:<{width}}  {figure:>16}  {extra:>18}")


if __name__ == "__main__":
    main()
