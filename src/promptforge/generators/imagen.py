"""``ImagenGenerator``: Vertex AI Imagen through google-genai ``generate_images``."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .._google._connection import GoogleConnection
from .._google._imagen import Prediction, announce_retirement, imagen_config, imagen_output
from .._google._models import DEFAULT_IMAGEN_MODEL, image_model
from .._image import GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client


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
        timeout: seconds one request may take, start to end (default 60); ``None`` for no
            limit.

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
        timeout: float | None = 60.0,
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
        announce_retirement(self._info)

    async def aclose(self) -> None:
        await self._google.aclose()

    def __repr__(self) -> str:
        return f"ImagenGenerator(model={self.model!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return self._info.capabilities

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        from google.genai import types

        config, notes = imagen_config(options, self.capabilities)
        async with self._google.request() as client:
            response = await client.aio.models.generate_images(
                model=self._google.model,
                prompt=prompt.text,
                config=types.GenerateImagesConfig(**config),
            )
        predictions = (
            Prediction(
                item.image.image_bytes if item.image else None,
                item.enhanced_prompt,
                item.rai_filtered_reason,
            )
            for item in response.generated_images or []
        )
        return imagen_output(self._google.model, predictions, seed=options.seed, notes=notes)
