"""Peak memory of a batch written to disk with image bytes dropped: 200 vs 2,000 images.

Each size runs in a fresh process (``python bench_memory.py N DIR``) so ``ru_maxrss`` is
that batch's own peak. Images are ~1 MB of incompressible PNG, a fresh copy per image.
"""

from __future__ import annotations

import asyncio
import io
import resource
import subprocess
import sys
import tempfile

from _common import Row


def _child(count: int, out: str) -> None:
    from PIL import Image

    from promptforge import GeneratedImage, GenerationOutput, ImageOptions, Pipeline
    from promptforge.testing import FakeEnhancer, FakeGenerator

    noise = Image.frombytes("RGB", (600, 600), bytes(range(256)) * 4218 + bytes(192))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    png = buffer.getvalue()

    def respond(prompt: object, options: ImageOptions) -> GenerationOutput:
        return GenerationOutput(images=[GeneratedImage.from_bytes(bytes(bytearray(png)))])

    pipe = Pipeline(FakeEnhancer(), FakeGenerator(respond=respond))
    prompts = (f"corgi {i}" for i in range(count))
    results = asyncio.run(pipe.arun_many(prompts, concurrency=16, out_dir=out, keep_images=False))
    assert sum(r.ok for r in results) == count
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(peak_kib, len(png))


def _peak(count: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, __file__, str(count), out], capture_output=True, text=True, check=True
        )
    peak, size = done.stdout.split()
    return int(peak), int(size)


def memory() -> list[Row]:
    small, size = _peak(200)
    large, _ = _peak(2000)
    growth = large / small - 1
    return [
        Row(f"peak RSS, 200 images of {size / 1e6:.2f} MB to disk", f"{small / 1024:.0f} MiB"),
        Row("peak RSS, 2,000 images", f"{large / 1024:.0f} MiB"),
        Row("  growth 200 -> 2,000", f"{growth:+.1%}", "< 20%", growth < 0.2),
    ]


if __name__ == "__main__":
    _child(int(sys.argv[1]), sys.argv[2])
