"""What the Imagen generators share: option mapping, and answers read into outputs.

``ImagenGenerator`` (google-genai) and ``LegacyImagenGenerator`` (google-cloud-aiplatform)
send the same request and read the same answer; only the SDK call differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from .._errors import ContentBlockedError
from .._image import FilteredImage, GeneratedImage, GenerationOutput
from .._options import ImageOptions
from ..generators._base import GeneratorCapabilities


class Prediction(NamedTuple):
    """One item of an Imagen answer: an image, or the reason it was withheld."""

    data: bytes | None
    revised_prompt: str | None = None
    filtered_reason: str | None = None


def imagen_config(
    options: ImageOptions, caps: GeneratorCapabilities
) -> tuple[dict[str, Any], list[str]]:
    """``GenerateImagesConfig`` arguments for ``options``, and the adaptations made."""
    notes: list[str] = []
    config: dict[str, Any] = {
        "number_of_images": options.n,
        "aspect_ratio": options.aspect_ratio,
        "include_rai_reason": True,
        "negative_prompt": options.negative_prompt if caps.negative_prompt else None,
        "output_mime_type": options.output_mime_type,
        "output_compression_quality": options.output_compression_quality,
        "image_size": options.image_size,
        "enhance_prompt": options.enhance_prompt,
        "guidance_scale": options.guidance_scale,
        "labels": options.labels,
        "add_watermark": options.add_watermark,
        "seed": options.seed,
    }
    if options.safety_filter_level:
        config["safety_filter_level"] = options.safety_filter_level.upper()
    if options.person_generation:
        config["person_generation"] = options.person_generation.upper()
    if options.seed is not None:
        if options.add_watermark:
            config["seed"] = None
            notes.append(
                "seed needs add_watermark=False, but the watermark was asked for; seed dropped"
            )
        else:
            config["add_watermark"] = False
            if options.add_watermark is None:
                notes.append("seed needs the watermark off; add_watermark set to False")
    return {key: value for key, value in config.items() if value is not None}, notes


def imagen_output(
    model: str, predictions: Iterable[Prediction], *, seed: int | None, notes: list[str]
) -> GenerationOutput:
    """The output for an Imagen answer; an answer with no image at all is a block.

    Raises:
        ContentBlockedError: the answer held no image, only (or not even) filter reasons.
    """
    images: list[GeneratedImage] = []
    filtered: list[FilteredImage] = []
    for item in predictions:
        if item.data:
            images.append(
                GeneratedImage.from_bytes(item.data, revised_prompt=item.revised_prompt, seed=seed)
            )
        else:
            filtered.append(FilteredImage(reason=item.filtered_reason or "filtered"))
    if not images and not filtered:
        raise ContentBlockedError(
            f"{model} returned no images: every image was withheld by its safety filter",
            reasons=["all images filtered"],
        )
    return GenerationOutput(images=images, filtered=filtered, warnings=notes)
