"""How well a series item keeps the anchor's look: a pixel statistic, or a judge's checks.

``pixel_coherence`` needs only Pillow: colour histograms and palettes of small thumbnails.
With a judge on the pipeline, the series asks it ``bible_prompt``'s questions (shared
style, palette, lighting, mood, each recurring subject's look) about the item's image,
under the judge's retry policy and rate limit. Both give a score from 0 to 1.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from ._bible import Bible, subject_name
from ._prompt import EnhancedPrompt, PromptSpec

if TYPE_CHECKING:
    from PIL.Image import Image

Method: TypeAlias = Literal["pixels", "judge"]
THUMB = 64
"""Side of the square thumbnail both images are reduced to before comparing."""
LEVELS = 8
"""Histogram levels per channel (8 x 8 x 8 colour bins)."""
PALETTE = 6
"""Colours in each image's palette (median cut)."""
_FARTHEST = (3 * 255**2) ** 0.5


@dataclass(frozen=True)
class Score:
    """One item's coherence: the score, how it was found, and the checks that failed."""

    value: float
    method: Method
    failed: tuple[str, ...] = ()


def pixel_coherence(anchor: bytes, image: bytes) -> float:
    """How close ``image``'s colours are to ``anchor``'s, from 0 (unrelated) to 1 (same).

    The mean of two statistics on 64x64 thumbnails: the intersection of their colour
    histograms (8 levels per channel), and one minus the distance between their palettes
    (each palette colour matched to the nearest colour of the other, weighted by how much
    of the image it covers, both ways). Same image, 1.0.
    """
    first, second = _thumbnail(anchor), _thumbnail(image)
    overlap = _histogram_overlap(first, second)
    distance = (_palette_distance(first, second) + _palette_distance(second, first)) / 2
    return round((overlap + 1 - distance) / 2, 4)


def bible_prompt(bible: Bible) -> EnhancedPrompt:
    """The bible as a prompt a judge can check an image against: one question per shared
    lever and per recurring subject's look."""
    subject = ", ".join(subject_name(s) for s in bible.subjects) or "the series' subject"
    spec = PromptSpec(
        subject=subject,
        attributes=list(bible.subjects),
        style=", ".join(filter(None, (bible.style, bible.palette))) or None,
        composition=bible.lens,
        lighting=bible.lighting,
        mood=bible.mood,
        negative=list(bible.negative),
    )
    return EnhancedPrompt(original="the series bible", text=spec.render(), spec=spec)


def _thumbnail(data: bytes) -> Image:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        return opened.convert("RGB").resize((THUMB, THUMB), Image.Resampling.BOX)


def _histogram_overlap(first: Image, second: Image) -> float:
    def histogram(image: Image) -> list[int]:
        counts = [0] * LEVELS**3
        step = 256 // LEVELS
        raw = image.tobytes()
        for r, g, b in zip(raw[0::3], raw[1::3], raw[2::3], strict=True):
            counts[(r // step * LEVELS + g // step) * LEVELS + b // step] += 1
        return counts

    shared = sum(map(min, histogram(first), histogram(second)))
    return shared / (THUMB * THUMB)


def _palette(image: Image) -> list[tuple[float, tuple[int, int, int]]]:
    """``(share, rgb)`` for the image's main colours."""
    from PIL import Image

    quantized = image.quantize(colors=PALETTE, method=Image.Quantize.MEDIANCUT)
    flat = quantized.getpalette() or []
    total = THUMB * THUMB
    colours: list[tuple[float, tuple[int, int, int]]] = []
    for count, index in quantized.getcolors() or []:
        at = int(index)  # type: ignore[arg-type]  # a palette image's colours are indices
        colours.append((count / total, (flat[3 * at], flat[3 * at + 1], flat[3 * at + 2])))
    return colours


def _palette_distance(first: Image, second: Image) -> float:
    """How far ``first``'s colours are from ``second``'s nearest, 0 to 1, weighted by share."""
    theirs = [rgb for _, rgb in _palette(second)]
    total = 0.0
    for share, rgb in _palette(first):
        nearest = min(
            sum((a - b) ** 2 for a, b in zip(rgb, other, strict=True)) for other in theirs
        )
        total += share * nearest**0.5 / _FARTHEST
    return min(1.0, total)
