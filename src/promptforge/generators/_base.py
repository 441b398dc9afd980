"""The generator interface and the capabilities a generator declares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from pydantic import Field, field_serializer, field_validator

from .._image import GeneratedImage, GenerationOutput
from .._model import Model
from .._options import ImageOptions, ImageSize, MimeType, ThinkingLevel
from .._prompt import EnhancedPrompt
from .._reference import ReferenceRole

COMMON_ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")


class GeneratorCapabilities(Model):
    """What a generator can do, so the pipeline checks a request before paying for it.

    Options a generator cannot honour are adapted with a warning (a negative prompt is
    folded into the prompt, a seed is dropped) or, for shape and format, refused with
    ``InvalidRequestError`` naming the allowed values.
    """

    max_images: int = Field(default=4, ge=1)
    """Images one call can return; larger ``n`` is split across calls."""
    aspect_ratios: tuple[str, ...] = COMMON_ASPECT_RATIOS
    """Aspect ratios accepted, e.g. ``("1:1", "16:9")``."""
    negative_prompt: bool = True
    """Whether ``negative_prompt`` is honoured (else it is folded into the prompt)."""
    seed: bool = True
    """Whether ``seed`` is honoured (else it is dropped with a warning)."""
    output_mime_types: tuple[MimeType, ...] = ("image/png",)
    """Encodings ``output_mime_type`` may ask for; the first is the default."""
    image_sizes: tuple[ImageSize, ...] = ()
    """Values ``image_size`` may take; empty when the model has one size."""
    prompt_rewriter: bool = False
    """Whether ``enhance_prompt`` (the generator's own prompt rewriter) is available."""
    guidance_scale: bool = False
    """Whether ``guidance_scale`` is honoured."""
    safety_filter_level: bool = False
    """Whether ``safety_filter_level`` is honoured."""
    person_generation: bool = False
    """Whether ``person_generation`` is honoured."""
    watermark: bool = False
    """Whether ``add_watermark`` can be set."""
    max_references: int = Field(default=0, ge=0)
    """Reference images one request may carry in all (0: none)."""
    reference_limits: Mapping[ReferenceRole, int] = Field(
        default_factory=lambda: MappingProxyType({})
    )
    """Per-role caps where the model has them, e.g. ``{"object": 10, "character": 4}``;
    a role not listed is limited by ``max_references`` only. Read-only."""
    edit: bool = False
    """Whether ``Generator.edit`` is implemented (edit an image from an instruction)."""
    thinking_levels: tuple[ThinkingLevel, ...] = ()
    """Values ``thinking`` may take; empty when the model's thinking is not adjustable."""

    @field_validator("reference_limits")
    @classmethod
    def _read_only(cls, limits: Mapping[ReferenceRole, int]) -> Mapping[ReferenceRole, int]:
        return MappingProxyType(dict(limits))

    @field_serializer("reference_limits")
    def _as_dict(self, limits: Mapping[ReferenceRole, int]) -> dict[ReferenceRole, int]:
        return dict(limits)


class Generator(ABC):
    """Renders an ``EnhancedPrompt`` into images. Implement ``generate``; the rest is optional."""

    model: str | None = None
    """The model behind the generator, reported in ``StageReport.model``."""
    requires_network: ClassVar[bool] = False
    """True for backends that call a remote service; ``promptforge.testing`` can forbid them."""

    @property
    def capabilities(self) -> GeneratorCapabilities:
        """What this generator supports; override to declare limits."""
        return GeneratorCapabilities()

    async def aclose(self) -> None:  # noqa: B027 - optional, a no-op unless overridden
        """Release connections and other resources (optional; ``Pipeline.aclose`` calls it)."""

    @abstractmethod
    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        """Render ``prompt`` with ``options``, already checked against ``capabilities``.

        ``options.n`` never exceeds ``capabilities.max_images``. Return every image the
        backend produced and every one it withheld (``filtered``); raise
        ``ContentBlockedError`` when the prompt itself was refused and ``BackendError`` (or
        its subclasses) for a failed call. ``options.references`` (already checked against
        ``max_references`` and ``reference_limits``) are images to take from.
        """

    async def edit(
        self, image: GeneratedImage, instruction: str, options: ImageOptions
    ) -> GenerationOutput:
        """Change ``image`` as ``instruction`` says (optional; declare ``capabilities.edit``).

        ``image`` may carry a ``conversation`` from the backend that made it: continue it
        rather than starting over. Return the edited image(s) as ``generate`` does.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement edit()")
