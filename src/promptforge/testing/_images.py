"""Small real images for the fakes: valid PNG/JPEG/WebP bytes at a requested aspect ratio."""

from __future__ import annotations

import io
from functools import lru_cache


def size_for(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """Pixel size with ``long_side`` on the longer edge and the exact ratio, rounded."""
    width, height = (int(part) for part in aspect_ratio.split(":"))
    if width >= height:
        return long_side, max(1, round(long_side * height / width))
    return max(1, round(long_side * width / height)), long_side


@lru_cache(maxsize=256)
def image_bytes(width: int, height: int, mime_type: str = "image/png", shade: int = 0) -> bytes:
    """An encoded solid-colour image; ``shade`` varies the colour so images differ."""
    from PIL import Image

    colour = ((37 * shade + 90) % 256, (91 * shade + 140) % 256, (53 * shade + 200) % 256)
    buffer = io.BytesIO()
    fmt = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}[mime_type]
    Image.new("RGB", (width, height), colour).save(buffer, fmt)
    return buffer.getvalue()
