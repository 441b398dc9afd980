"""What a Gemini conversation costs on disk and in memory.

1. A ~1 MB image drawn with 3 references (~256 KB each) through the real google-genai client
   against the local Google server, then edited 1 and 3 times (each edit continues the
   conversation): the size of each saved ``result.json`` and of its whole folder.
2. 2,000 saved Gemini results (~64 KB images, the conversation of one turn) loaded with
   ``GenerationResult.load(lazy=True)`` and held, as a batch with ``keep_images=False``
   holds them: the RSS that adds, in a fresh process (``python bench_conversation.py hold
   DIR``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, Row

HELD = 2000


def _noise(side: int, shade: int) -> bytes:
    """An incompressible PNG of ``side`` x ``side`` pixels (``side * side * 3`` bytes)."""
    from PIL import Image

    pixels = bytes((i * 7 + shade * 131 + (i >> 9)) % 256 for i in range(side * side * 3))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _chain(out: Path) -> list[tuple[int, int, int]]:
    """(edits, result.json bytes, folder bytes) after 0, 1 and 3 edits; and the image size."""
    from google import genai
    from google.genai import types
    from tests.google_backends import server as wire

    from promptforge import Pipeline, Reference
    from promptforge.generators import GeminiImageGenerator
    from promptforge.testing import FakeEnhancer

    drawn = [_noise(580, shade) for shade in range(4)]  # ~1 MB each
    refs = [Reference(_noise(292, 10 + shade), role="object") for shade in range(3)]
    found: list[tuple[int, int, int]] = []
    with wire.GoogleServer() as server:
        replies = [
            wire.signed_image(data, f"sig-{k}".encode() * 40) for k, data in enumerate(drawn)
        ]
        server.default("generateContent", wire.by_turn(*replies))
        client = genai.Client(
            api_key="bench",
            http_options=types.HttpOptions(
                base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
            ),
        )
        pipe = Pipeline(
            FakeEnhancer(), GeminiImageGenerator(model="gemini-3.1-flash-image", client=client)
        )
        result = pipe.run("a knight with a crown", references=refs)
        for edits in range(4):
            if edits:
                result = pipe.edit(result, f"edit number {edits}")
            if edits in (0, 1, 3):
                folder = result.save(out)
                found.append(
                    (edits, (folder / "result.json").stat().st_size, _folder_bytes(folder))
                )
    return found


def _hold(root: str) -> None:
    """Load every result under ``root`` lazily and hold them; print the RSS before and
    after, and the peak (KiB; from ``/proc``: ``ru_maxrss`` carries a parent's peak)."""
    from promptforge import GenerationResult

    folders = sorted(Path(root).iterdir())
    GenerationResult.load(folders[0], lazy=True)  # imports and schema builds, not counted
    before = _status("VmRSS")
    held = [GenerationResult.load(folder, lazy=True) for folder in folders]
    assert len(held) == HELD
    print(before, _status("VmRSS"), _status("VmHWM"))


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(key)


def _saved_results(root: Path) -> None:
    """``HELD`` copies of one saved Gemini result (a ~64 KB image), each its own id."""
    from google import genai
    from google.genai import types
    from tests.google_backends import server as wire

    from promptforge import GenerationResult, Pipeline
    from promptforge.generators import GeminiImageGenerator
    from promptforge.testing import FakeEnhancer

    with wire.GoogleServer() as server:
        server.default("generateContent", wire.by_turn(wire.signed_image(_noise(148, 1), b"s")))
        client = genai.Client(
            api_key="bench",
            http_options=types.HttpOptions(
                base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
            ),
        )
        pipe = Pipeline(
            FakeEnhancer(), GeminiImageGenerator(model="gemini-3.1-flash-image", client=client)
        )
        first = pipe.run("a corgi")
    seed = first.save(root / "seed")
    for number in range(HELD):
        copy = GenerationResult.load(seed).model_copy(update={"id": f"r{number:05d}"})
        copy.save(root / "all")


def conversation() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as out:
        for edits, json_bytes, folder_bytes in _chain(Path(out)):
            rows.append(
                Row(
                    f"1 MB Gemini image, 3 refs, after {edits} edits: result.json / folder",
                    f"{json_bytes / 1e6:.2f} / {folder_bytes / 1e6:.2f} MB",
                )
            )
    with tempfile.TemporaryDirectory() as out:
        _saved_results(Path(out))
        done = subprocess.run(
            [sys.executable, __file__, "hold", str(Path(out) / "all")],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        shutil.rmtree(out, ignore_errors=True)
    before, after, peak = (int(value) for value in done.stdout.split())
    rows += [
        Row(
            f"holding {HELD:,} lazily loaded Gemini results (~64 KB images): peak RSS",
            f"{peak / 1024:.0f} MiB",
        ),
        Row("  RSS added per result held", f"{(after - before) / HELD:.1f} KiB"),
    ]
    return rows


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if len(sys.argv) > 2 and sys.argv[1] == "hold":
        _hold(sys.argv[2])
    else:
        for row in conversation():
            print(row)
