"""Peak memory of a batch written to disk with image bytes dropped: 200 vs 2,000 images.

Each size runs in a fresh process (``python bench_memory.py MODE N DIR``) so the peak
is that batch's own peak. Images are ~1 MB of incompressible PNG, a fresh copy per image.
``stream`` drops each result once counted: memory must stay flat. ``run_many`` returns the
list of every (lazy) result, so it grows by what one result holds without its bytes.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import tempfile

from _common import Row, peak_rss_kib


def _child(mode: str, count: int, out: str) -> None:
    from PIL import Image

    from promptforge import GeneratedImage, GenerationOutput, ImageOptions, Pipeline
    from promptforge.testing import FakeEnhancer, FakeGenerator

    noise = Image.frombytes("RGB", (600, 600), bytes(range(256)) * 4218 + bytes(192))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    png = buffer.getvalue()

    enhancer = FakeEnhancer()

    def respond(prompt: object, options: ImageOptions) -> GenerationOutput:
        enhancer.calls.clear()  # the fakes record every call; a real backend keeps nothing
        generator.calls.clear()
        return GenerationOutput(images=[GeneratedImage.from_bytes(bytes(bytearray(png)))])

    generator = FakeGenerator(respond=respond)
    pipe = Pipeline(enhancer, generator)
    prompts = (f"corgi {i}" for i in range(count))

    async def streamed() -> int:
        stream = pipe.stream(prompts, concurrency=16, out_dir=out, keep_images=False)
        return sum([r.ok async for r in stream])

    if mode == "stream":
        assert asyncio.run(streamed()) == count
    else:
        results = asyncio.run(
            pipe.arun_many(prompts, concurrency=16, out_dir=out, keep_images=False)
        )
        assert sum(r.ok for r in results) == count
    peak_kib = peak_rss_kib()
    print(peak_kib, len(png))


def _peak(mode: str, count: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, mode, str(count), out]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    peak, size = done.stdout.split()
    return int(peak), int(size)


def memory() -> list[Row]:
    small, size = _peak("stream", 200)
    large, _ = _peak("stream", 2000)
    growth = large / small - 1
    held_small, _ = _peak("run_many", 200)
    held_large, _ = _peak("run_many", 2000)
    per_result = (held_large - held_small) / 1800
    return [
        Row(f"stream, peak RSS, 200 images of {size / 1e6:.2f} MB", f"{small / 1024:.0f} MiB"),
        Row("stream, peak RSS, 2,000 images", f"{large / 1024:.0f} MiB"),
        Row("  growth 200 -> 2,000", f"{growth:+.1%}", "< 10%", growth < 0.1),
        Row(
            "run_many (keeps every result), 200 / 2,000",
            f"{held_small / 1024:.0f} / {held_large / 1024:.0f} MiB",
        ),
        Row(
            "  RSS per result held (bytes on disk)",
            f"{per_result:.1f} KiB",
            "< 20 KiB",
            per_result < 20,
        ),
    ]


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3])
