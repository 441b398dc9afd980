"""Image options: what the caller asks of a generator, beside the prompt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias, TypedDict

from pydantic import ConfigDict, Field

from ._model import Model
from ._reference import Reference

MAX_IMAGES = 16
"""The most images one request may ask for; larger jobs belong in ``run_many``."""
MAX_PROMPT_CHARS = 4_000
"""The longest prompt, negative prompt or feedback accepted, in characters (code points).

An idea is a few sentences; 4,000 characters is some 700 English words, well past what
an image model reads (Imagen takes up to 480 tokens, about 2,000 characters) and far
inside what the Gemini models take as input.
"""

SafetyFilterLevel: TypeAlias = Literal[
    "block_low_and_above", "block_medium_and_above", "block_only_high", "block_none"
]
PersonGeneration: TypeAlias = Literal["dont_allow", "allow_adult", "allow_all"]
MimeType: TypeAlias = Literal["image/png", "image/jpeg", "image/webp"]
ImageSize: TypeAlias = Literal["512", "1K", "2K", "4K"]
ThinkingLevel: TypeAlias = Literal["minimal", "low", "medium", "high"]


class ImageOptions(Model):
    """How to render: count, shape, seed and the generator's knobs.

    ``None`` means "the generator's default". The pipeline checks every option against the
    generator's ``GeneratorCapabilities`` before any request: unsupported values are either
    adapted (and said so in ``GenerationResult.warnings``) or refused with
    ``InvalidRequestError``.

    Options are strict: a string is not a number, a bool is not a count, and ``inf`` or
    ``nan`` is not a scale.
    """

    model_config = ConfigDict(strict=True)

    n: int = Field(default=1, ge=1, le=MAX_IMAGES)
    """How many images to make (1 to 16); split across calls when a generator makes fewer."""
    aspect_ratio: str = Field(default="1:1", pattern=r"^[0-9]{1,2}:[0-9]{1,2}$")
    """Width:height, e.g. ``"16:9"``; the generator's ``aspect_ratios`` lists what it takes."""
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    """Fixes the noise so the same request repeats the same image, where supported."""
    negative_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    """What to keep out of the image, comma-separated (e.g. ``"large crown, blurry"``)."""
    safety_filter_level: SafetyFilterLevel | None = None
    """How strictly the generator's safety filter blocks output."""
    person_generation: PersonGeneration | None = None
    """Whether people may be generated."""
    output_mime_type: MimeType | None = None
    """Image encoding of the output."""
    output_compression_quality: int | None = Field(default=None, ge=0, le=100)
    """JPEG quality (0-100) when ``output_mime_type`` is ``"image/jpeg"``."""
    image_size: ImageSize | None = None
    """Output resolution class (``"512"`` to ``"4K"``), where the model offers several."""
    guidance_scale: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    """How closely the image follows the prompt (higher = more literal), where supported."""
    enhance_prompt: bool | None = None
    """Let the generator rewrite the prompt itself (Imagen's prompt rewriter)."""
    add_watermark: bool | None = None
    """Embed an invisible watermark (SynthID); some models need it off to honour ``seed``."""
    labels: dict[str, str] | None = None
    """Billing labels passed to the backend."""
    references: tuple[Reference, ...] = Field(default=(), strict=False)
    """Images to take from (a character sheet, an object, a style); a list is accepted.
    Checked against the generator's ``max_references`` and ``reference_limits``."""
    thinking: ThinkingLevel | None = None
    """How much the model reasons before drawing, where it can be set
    (``capabilities.thinking_levels``); its thought text is kept on the image's metadata."""


class ImageOptionsDict(TypedDict, total=False):
    """``ImageOptions`` as keyword arguments, so ``run(prompt, n=2, ...)`` is type-checked."""

    n: int
    aspect_ratio: str
    seed: int | None
    negative_prompt: str | None
    safety_filter_level: SafetyFilterLevel | None
    person_generation: PersonGeneration | None
    output_mime_type: MimeType | None
    output_compression_quality: int | None
    image_size: ImageSize | None
    guidance_scale: float | None
    enhance_prompt: bool | None
    add_watermark: bool | None
    labels: dict[str, str] | None
    references: Sequence[Reference]
    thinking: ThinkingLevel | None
