"""Collecting a Google Batch Mode job from the local server: 200 vs 2,000 images.

The server (``tests/google_backends/batch_server.py``) runs in a process of its own and
answers every request with the same ~64 KB incompressible PNG, in a JSONL output file (a
file job, as promptforge sends any job over 50 requests). Each collector runs in a fresh
process (``python bench_batchmode.py collect URL N``): it submits N prompts (FakeEnhancer,
the real google-genai client), waits for the job, then times ``collect(keep_images=False)``
(download, parse, one result folder per image) and reports its peak RSS.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from typing import Any

from _common import ROOT, Row, peak_rss_kib

IMAGE_SIDE = 148  # 148 x 148 RGB, stored: ~64 KB per image


def _serve() -> None:
    """Run the server until stdin closes; print its URL first."""
    from PIL import Image
    from tests.google_backends.batch_server import BatchService
    from tests.google_backends.server import GoogleServer, b64

    noise = Image.frombytes("RGB", (IMAGE_SIDE, IMAGE_SIDE), bytes(range(256)) * 257)
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    part = {"inlineData": {"mimeType": "image/png", "data": b64(buffer.getvalue())}}
    response = {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 1290},
    }

    def answer(key: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"response": response}

    with GoogleServer(keep_alive=True) as server:
        service = BatchService(server)
        service.timeline = ("SUCCEEDED",)
        service.answer = answer
        print(server.url, flush=True)
        sys.stdin.read()


def _collect(url: str, count: int) -> None:
    from google import genai
    from google.genai import types

    from promptforge import Pipeline
    from promptforge.generators import GeminiImageGenerator
    from promptforge.testing import FakeEnhancer

    client = genai.Client(
        api_key="bench",
        http_options=types.HttpOptions(
            base_url=url, retry_options=types.HttpRetryOptions(attempts=1), timeout=600_000
        ),
    )
    pipe = Pipeline(
        FakeEnhancer(), GeminiImageGenerator(model="gemini-nano-banana-2.1", client=client)
    )
    with tempfile.TemporaryDirectory() as out:
        job = pipe.submit([f"corgi {i}" for i in range(count)], out_dir=out, concurrency=32)
        job.wait(poll=0.01)
        before_kib = peak_rss_kib()
        start = time.perf_counter()
        results = job.collect(keep_images=False)
        seconds = time.perf_counter() - start
        assert sum(r.ok for r in results) == count
    peak_kib = peak_rss_kib()
    print(seconds, before_kib, peak_kib)


def _run(url: str, count: int) -> tuple[float, int, int]:
    done = subprocess.run(
        [sys.executable, __file__, "collect", url, str(count)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    seconds, before, peak = done.stdout.split()
    return float(seconds), int(before), int(peak)


def batchmode() -> list[Row]:
    server = subprocess.Popen(
        [sys.executable, __file__, "serve"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert server.stdout is not None
    assert server.stdin is not None
    try:
        url = server.stdout.readline().strip()
        small_seconds, _, small = _run(url, 200)
        large_seconds, submitted, large = _run(url, 2000)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    per_result = (large - submitted) / 2000
    return [
        Row("batch mode: collect 200 images (~64 KB each)", f"{small_seconds:.2f} s"),
        Row(
            "batch mode: collect 2,000 images",
            f"{large_seconds:.2f} s",
            "< 60 s",
            large_seconds < 60,
        ),
        Row("  per image", f"{large_seconds / 2000 * 1000:.1f} ms"),
        Row("  peak RSS, 200 / 2,000 images", f"{small / 1024:.0f} / {large / 1024:.0f} MiB"),
        Row("  RSS added per result returned", f"{per_result:.0f} KiB"),
    ]


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "serve":
        _serve()
    elif sys.argv[1] == "collect":
        _collect(sys.argv[2], int(sys.argv[3]))
    else:
        for row in batchmode():
            print(row)
