"""What a run consumed: tokens and images per stage, as the backends reported them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import Field

from ._model import FrozenMap, Model

K = TypeVar("K", bound=str)

DEFAULT_SIZE = "default"
"""The ``Usage.images`` key for images made without an ``image_size`` (the model's default)."""


class Usage(Model):
    """Tokens and images one stage consumed, summed over its calls, retries, rounds and edits.

    Token counts are what the backend reported (Gemini's ``usage_metadata``); backends that
    report none (offline ones, Imagen) leave them 0. Images are counted by the pipeline.
    """

    input_tokens: int = Field(default=0, ge=0)
    """Prompt tokens sent: text, and images such as references."""
    output_tokens: int = Field(default=0, ge=0)
    """Text tokens the model wrote, thinking excluded."""
    thinking_tokens: int = Field(default=0, ge=0)
    """Tokens the model spent thinking (billed as output by Google)."""
    image_tokens: int = Field(default=0, ge=0)
    """Image output tokens the model reported (Gemini image models); images are priced per
    image, so these are for reference."""
    images: FrozenMap[str, int] = Field(default_factory=dict)
    """Images returned, by image size (``"1K"``...; ``"default"`` when none was asked)."""

    @property
    def image_count(self) -> int:
        """Images returned, every size together."""
        return sum(self.images.values())

    @property
    def empty(self) -> bool:
        """True when nothing was consumed."""
        return self == Usage()

    def __add__(self, other: Usage) -> Usage:
        images = dict(self.images)
        for size, count in other.images.items():
            images[size] = images.get(size, 0) + count
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            thinking_tokens=self.thinking_tokens + other.thinking_tokens,
            image_tokens=self.image_tokens + other.image_tokens,
            images=images,
        )

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Usage:
        """From an ``EnhancedPrompt.usage`` mapping: ``prompt``, ``output`` (thinking
        included, as Gemini bills it) and ``thinking``."""
        thinking = counts.get("thinking", 0)
        return cls(
            input_tokens=counts.get("prompt", 0),
            output_tokens=max(counts.get("output", 0) - thinking, 0),
            thinking_tokens=thinking,
        )

    @classmethod
    def of_images(cls, count: int, image_size: str | None) -> Usage:
        """``count`` images of ``image_size`` (None: the model's default size)."""
        return cls(images={image_size or DEFAULT_SIZE: count} if count else {})


def add_usage(*parts: Mapping[K, Usage]) -> dict[K, Usage]:
    """Per-stage usage summed over ``parts`` (e.g. a result's rounds): stage by stage."""
    total: dict[K, Usage] = {}
    for part in parts:
        for stage, usage in part.items():
            total[stage] = total.get(stage, Usage()) + usage
    return total


def total_usage(usages: Iterable[Usage]) -> Usage:
    """Every usage in ``usages`` added up."""
    return sum(usages, Usage())
