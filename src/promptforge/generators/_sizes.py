"""Output pixel sizes per aspect ratio, as Imagen renders them; shared by generators."""

from __future__ import annotations

from .._errors import InvalidRequestError

IMAGEN_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
"""Width and height in pixels for each aspect ratio Imagen offers (its 1K size)."""


def pixel_size(
    aspect_ratio: str, table: dict[str, tuple[int, int]] = IMAGEN_SIZES
) -> tuple[int, int]:
    """``(width, height)`` for ``aspect_ratio``.

    Raises:
        InvalidRequestError: the table has no such aspect ratio; lists the ones it has.
    """
    if aspect_ratio not in table:
        raise InvalidRequestError(
            f"aspect_ratio: {aspect_ratio!r} is not one of {', '.join(table)}",
            field="aspect_ratio",
            allowed=list(table),
        )
    return table[aspect_ratio]
