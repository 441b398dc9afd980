"""Helpers shared by the benchmarks: timing, the local Google server, a result row."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the local Google wire-format server lives with the tests
    sys.path.insert(0, str(ROOT))


def peak_rss_kib() -> int:
    """This process's own peak resident memory, KiB.

    ``/proc/self/status`` ``VmHWM`` on Linux: ``ru_maxrss`` survives ``exec``, so a child
    started by a bigger parent (the benchmark runner) would report the parent's peak.
    Elsewhere ``ru_maxrss`` (KiB on Linux and BSD, bytes on macOS).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


@dataclass
class Row:
    """One line of the table: what was measured, the figure, the target, and whether met."""

    name: str
    figure: str
    target: str = ""
    met: bool | None = None


def fresh_process_seconds(statement: str, runs: int = 9) -> float:
    """Median wall time of ``python -c statement`` in fresh interpreters."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def vertex_client(url: str):  # type: ignore[no-untyped-def]
    """A real google-genai Vertex client pointed at the local server (retries off)."""
    from google import genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    return genai.Client(
        vertexai=True,
        project="bench",
        location="us-central1",
        credentials=Credentials(token="bench"),
        http_options=types.HttpOptions(
            base_url=url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
