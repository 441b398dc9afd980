"""``ImagenGenerator``: Vertex AI Imagen through google-genai ``generate_images``."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

from .._errors import ContentBlockedError
from .._google._connection import GoogleConnection
from .._google._models import DEFAULT_IMAGEN_MODEL, image_model
from .._image import FilteredImage, GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client

logger = logging.getLogger("promptforge")
_announced: set[str] = set()


class ImagenGenerator(Generator):
    """Imagen on Vertex AI (google-genai serves Imagen on Vertex only).

    A per-model capability table drives validation and adaptation: sample counts, aspect
    ratios, negative prompt (rejected by imagen-3.0-generate-002 and later: the pipeline
    folds it into the prompt), seed (needs the watermark off: turned off with a warning),
    image size, and Imagen's own prompt rewriter, whose rewritten prompt is kept as
    ``GeneratedImage.revised_prompt``.

    Google discontinued the Imagen endpoints during 2026 (see ``promptforge._google.
    _models``); a retired model is announced once in the log and its 404 names the
    replacement. New code should use ``GeminiImageGenerator``.

    Args:
        model: the Imagen model (default ``DEFAULT_IMAGEN_MODEL``).
        client: a ready ``google.genai.Client`` made with ``vertexai=True``, used as is.
        project, location, credentials: Vertex AI settings (else the environment).
        base_url: a different endpoint (a proxy, or a local server in tests).
        timeout: seconds per HTTP request.

    Raises:
        ConfigurationError: no Vertex AI project or credentials (names what to set).
    """

    requires_network = True

    def __init__(
        self,
        *,
        model: str = DEFAULT_IMAGEN_MODEL,
        client: Client | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = 120.0,
    ) -> None:
        self.model = model
        self._info = image_model(model, "imagen")
        self._google = GoogleConnection(
            self,
            model=model,
            client=client,
            api_key=api_key,
            vertexai=True,
            project=project,
            location=location,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            vertex_only=True,
        )
        # google-genai warns on every generate_images call; we say it once, with the fix.
        warnings.filterwarnings("ignore", message="The generate_images method is deprecated")
        if self._info.retired() and model not in _announced:
            _announced.add(model)
            logger.warning(
                "%s was retired by Google on %s; calls will fail with 404. Use "
                "GeminiImageGenerator(model=%r) instead.",
                model,
                self._info.retires,
                self._info.replacement,
            )

    def __repr__(self) -> str:
        return f"ImagenGenerator(model={self.model!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return self._info.capabilities

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        from google.genai import types

        config, notes = _config(options, self.capabilities)
        with self._google.errors():
            response = await self._google.client().aio.models.generate_images(
                model=self._google.model,
                prompt=prompt.text,
                config=types.GenerateImagesConfig(**config),
            )
        images: list[GeneratedImage] = []
        filtered: list[FilteredImage] = []
        for item in response.generated_images or []:
            data = item.image.image_bytes if item.image else None
            if data:
                revised = item.enhanced_prompt
                images.append(
                    GeneratedImage.from_bytes(data, revised_prompt=revised, seed=options.seed)
                )
            else:
                filtered.append(FilteredImage(reason=item.rai_filtered_reason or "filtered"))
        if not images and not filtered:
            raise ContentBlockedError(
                f"{self.model} returned no images: every image was withheld by its safety filter",
                reasons=["all images filtered"],
            )
        return GenerationOutput(images=images, filtered=filtered, warnings=notes)


def _config(options: ImageOptions, caps: GeneratorCapabilities) -> tuple[dict[str, Any], list[str]]:
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
