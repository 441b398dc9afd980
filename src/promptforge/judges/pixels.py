"""``PixelJudge``: an offline judge that measures what pixels can show, and says so.

It cannot see what an image depicts (no corgi, no crown); it measures the colours the
prompt names, brightness against the prompt's mood and lighting, and shape and size. Its
verdicts are labelled as such (``Verdict.judge``), so the judge-and-fix loop runs with no
network and no credentials (the command line's ``--judge`` without Google, ``make demo``).
"""

from __future__ import annotations

import asyncio
import io
import math
import re
from dataclasses import dataclass, field

from .._image import GeneratedImage
from .._prompt import EnhancedPrompt
from ..generators._palette import RGB, palette_from_text
from ._base import Check, Judge, Verdict, verdict_from

LABEL = (
    "PixelJudge: pixel measurements only (named colours, brightness, shape, size); "
    "it cannot see what the image depicts"
)
DARK_WORDS = frozenset(
    ["dark", "moody", "night", "nocturnal", "gloomy", "noir", "shadowy", "dim", "sombre",
     "somber", "midnight", "candlelit", "low-key", "mysterious", "ominous"]
)  # fmt: skip
BRIGHT_WORDS = frozenset(
    ["bright", "sunny", "airy", "cheerful", "high-key", "luminous", "radiant", "sunlit",
     "daylight", "joyful", "vibrant"]
)  # fmt: skip
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")


class PixelJudge(Judge):
    """Measures colours, brightness, shape and size; no model, no network.

    Checks, each a yes/no ``Check`` with its measurement as evidence:

    - each colour the prompt names ("crimson", "deep blue") covers at least
      ``colour_share`` of the image (pixels within a distance of that colour);
    - when the mood or lighting calls for a dark image ("moody", "night") or a bright one
      ("sunny", "airy"), the mean brightness agrees (below 0.4, above 0.55);
    - with ``aspect_ratio``, the image has that shape (within 5%);
    - the long side is at least ``min_side`` pixels.

    Args:
        aspect_ratio: the shape asked for, e.g. ``"16:9"``; not checked when None.
        min_side: the smallest acceptable long side, in pixels.
        colour_share: the share of pixels a named colour must cover.
    """

    model = "pixels"

    def __init__(
        self, *, aspect_ratio: str | None = None, min_side: int = 512, colour_share: float = 0.01
    ) -> None:
        self.aspect_ratio = aspect_ratio
        self.min_side = min_side
        self.colour_share = colour_share

    def __repr__(self) -> str:
        return f"PixelJudge(aspect_ratio={self.aspect_ratio!r}, min_side={self.min_side})"

    async def judge(self, prompt: EnhancedPrompt, image: GeneratedImage) -> Verdict:
        return await asyncio.to_thread(self.measure, prompt, image)

    def measure(self, prompt: EnhancedPrompt, image: GeneratedImage) -> Verdict:
        """``judge`` without the event loop."""
        from PIL import Image

        with Image.open(io.BytesIO(image.read())) as opened:
            small = opened.convert("RGB")
        small.thumbnail((96, 96))
        raw = small.tobytes()
        pixels: list[RGB] = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
        found = _Findings()
        for name, rgb in _named_colours(prompt):
            share = sum(1 for p in pixels if _distance(p, rgb) < 60) / len(pixels)
            evidence = f"{share:.1%} of pixels are near {name} {rgb}"
            found.add(f"Is there {name} in the image?", "colour", share >= self.colour_share,
                      evidence, f"add more {name}")  # fmt: skip
        mood = _mood_check(prompt, _brightness(pixels))
        if mood is not None:
            darker = "dark" in mood.question
            fix = "make the image darker" if darker else "make the image brighter"
            found.keep(mood, fix, "overexposed" if darker else "underexposed")
        size = f"{image.width}x{image.height}"
        if self.aspect_ratio:
            want_w, want_h = (int(x) for x in self.aspect_ratio.split(":"))
            error = abs(image.width / image.height / (want_w / want_h) - 1)
            found.add(f"Is the image {self.aspect_ratio}?", "shape", error <= 0.05, size,
                      f"reframe the image to {self.aspect_ratio}")  # fmt: skip
        found.add(f"Is the long side at least {self.min_side} pixels?", "size",
                  max(image.width, image.height) >= self.min_side, size,
                  f"render at least {self.min_side} pixels on the long side")  # fmt: skip
        return verdict_from(found.checks, fixes=found.fixes, negative=found.negative, judge=LABEL)


@dataclass
class _Findings:
    """The checks made so far, and the fixes and negatives the failed ones ask for."""

    checks: list[Check] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)

    def add(self, question: str, lever: str, passed: bool, evidence: str, fix: str) -> None:
        self.keep(Check(question=question, lever=lever, passed=passed, evidence=evidence), fix)

    def keep(self, check: Check, fix: str, avoid: str | None = None) -> None:
        self.checks.append(check)
        if not check.passed:
            self.fixes.append(fix)
            self.negative += [avoid] if avoid else []


def _named_colours(prompt: EnhancedPrompt) -> list[tuple[str, RGB]]:
    """The colours the prompt names (a derived palette's ``#hex`` fill is not named)."""
    return [(name, rgb) for name, rgb in palette_from_text(prompt.text) if not name.startswith("#")]


def _distance(first: RGB, second: RGB) -> float:
    return math.dist(first, second)


def _brightness(pixels: list[RGB]) -> float:
    """Mean relative luminance, 0 (black) to 1 (white)."""
    total = sum(0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in pixels)
    return total / len(pixels) / 255


def _mood_check(prompt: EnhancedPrompt, brightness: float) -> Check | None:
    """Whether the brightness agrees with the first of mood, lighting, subject and setting
    that calls for a dark or a bright image ("moody", "at night", "sunny")."""
    spec = prompt.spec
    for lever in ("mood", "lighting", "subject", "setting"):
        text = (getattr(spec, lever) if spec else None) or ""
        words = set(_WORD.findall(text.lower()))
        dark, bright = bool(words & DARK_WORDS), bool(words & BRIGHT_WORDS)
        if dark == bright:
            continue
        want = "dark" if dark else "bright"
        passed = brightness < 0.4 if dark else brightness > 0.55
        return Check(
            question=f"Is the image {want}, as the {lever} '{text.strip()}' asks?",
            lever="brightness",
            passed=passed,
            evidence=f"mean brightness {brightness:.2f} (0 black, 1 white)",
        )
    return None
