"""Every Google model choice in one place: defaults, capabilities, retirements.

A model swap is a one-line change here (the defaults) or one argument at the call site
(``GeminiImageGenerator(model="gemini-3-pro-image")``). Dates are the discontinuation
dates Google published; after one, calls to that model answer 404 and promptforge names
the replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..generators._base import GeneratorCapabilities

DEFAULT_ENHANCER_MODEL = "gemini-2.5-flash"
"""Gemini text model that writes the prompt: a current stable flash model."""
DEFAULT_JUDGE_MODEL = DEFAULT_ENHANCER_MODEL
"""Gemini text model that looks at images for ``GeminiJudge`` (role "judge"); until the
model catalogue resolves roles, the enhancer's text model, which takes image input."""
DEFAULT_IMAGE_MODEL = "gemini-2.5-flash-image"
"""Default Google image model (``GeminiImageGenerator``): generally available."""
DEFAULT_IMAGEN_MODEL = "imagen-4.0-generate-001"
"""Default for ``ImagenGenerator``, kept for projects that still have Imagen access."""

IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
GEMINI_IMAGE_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")

Family = Literal["imagen", "gemini-image"]


@dataclass(frozen=True)
class ImageModel:
    """What promptforge knows about one Google image model."""

    name: str
    family: Family
    capabilities: GeneratorCapabilities
    retires: date | None = None
    """Google's discontinuation date; calls fail with 404 after it."""
    replacement: str | None = None
    """The model Google recommends instead."""

    def retired(self, today: date | None = None) -> bool:
        """Whether the discontinuation date has passed."""
        return self.retires is not None and (today or date.today()) >= self.retires


def _imagen(
    name: str,
    *,
    max_images: int = 4,
    negative_prompt: bool = False,
    image_sizes: tuple[Literal["1K", "2K", "4K"], ...] = (),
    rewriter: bool = True,
    guidance: bool = False,
    retires: date | None,
    replacement: str,
) -> ImageModel:
    caps = GeneratorCapabilities(
        max_images=max_images,
        aspect_ratios=IMAGEN_RATIOS,
        negative_prompt=negative_prompt,
        seed=True,  # honoured only with the watermark off; the generator turns it off
        output_mime_types=("image/png", "image/jpeg"),
        image_sizes=image_sizes,
        prompt_rewriter=rewriter,
        guidance_scale=guidance,
        safety_filter_level=True,
        person_generation=True,
        watermark=True,
    )
    return ImageModel(name, "imagen", caps, retires, replacement)


def _gemini_image(
    name: str,
    *,
    image_sizes: tuple[Literal["1K", "2K", "4K"], ...] = (),
    objects: int = 10,
    characters: int = 4,
    thinking_levels: tuple[Literal["minimal", "high"], ...] = ("minimal", "high"),
) -> ImageModel:
    caps = GeneratorCapabilities(
        max_images=1,  # one image per call; n images are n concurrent calls
        aspect_ratios=GEMINI_IMAGE_RATIOS,
        negative_prompt=False,
        seed=True,
        output_mime_types=("image/png",),
        image_sizes=image_sizes,
        max_references=14,  # input images in all, the one being edited included
        reference_limits={"object": objects, "character": characters},
        edit=True,
        thinking_levels=thinking_levels,
    )
    return ImageModel(name, "gemini-image", caps)


_IMAGEN_3_END = date(2026, 6, 30)
_IMAGEN_4_END = date(2026, 8, 17)

IMAGE_MODELS: dict[str, ImageModel] = {
    model.name: model
    for model in (
        _imagen(
            "imagen-3.0-generate-001",
            negative_prompt=True,
            rewriter=False,
            guidance=True,
            retires=_IMAGEN_3_END,
            replacement="gemini-2.5-flash-image",
        ),
        _imagen(
            "imagen-3.0-fast-generate-001",
            negative_prompt=True,
            rewriter=False,
            guidance=True,
            retires=_IMAGEN_3_END,
            replacement="gemini-2.5-flash-image",
        ),
        _imagen(
            "imagen-3.0-generate-002",
            retires=_IMAGEN_3_END,
            replacement="gemini-2.5-flash-image",
        ),
        _imagen(
            "imagen-4.0-generate-001",
            image_sizes=("1K", "2K"),
            retires=_IMAGEN_4_END,
            replacement="gemini-3.1-flash-image",
        ),
        _imagen(
            "imagen-4.0-ultra-generate-001",
            max_images=1,
            image_sizes=("1K", "2K"),
            retires=_IMAGEN_4_END,
            replacement="gemini-3-pro-image",
        ),
        _imagen(
            "imagen-4.0-fast-generate-001",
            retires=_IMAGEN_4_END,
            replacement="gemini-3.1-flash-image",
        ),
        _gemini_image("gemini-2.5-flash-image"),
        _gemini_image("gemini-3.1-flash-image", image_sizes=("1K", "2K", "4K")),
        _gemini_image(
            "gemini-3-pro-image",
            image_sizes=("1K", "2K", "4K"),
            objects=6,
            characters=5,
            thinking_levels=(),  # always thinks; the level is not adjustable
        ),
    )
}


def image_model(name: str, family: Family) -> ImageModel:
    """The table entry for ``name``; an unknown model of ``family`` gets its family's
    conservative defaults, so a new model works before this table learns about it."""
    known = IMAGE_MODELS.get(name)
    if known is not None:
        return known
    if family == "imagen":
        return _imagen(name, retires=None, replacement=DEFAULT_IMAGE_MODEL)
    return _gemini_image(name)
