"""``GeminiImageGenerator``: Gemini native image models through ``generate_content``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import ContentBlockedError
from .._google._connection import GoogleConnection
from .._google._models import DEFAULT_IMAGE_MODEL, image_model
from .._google._responses import answer_parts, finish_reason, raise_if_blocked
from .._image import GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client


class GeminiImageGenerator(Generator):
    """Gemini image models (``gemini-2.5-flash-image``, ``gemini-3.1-flash-image``,
    ``gemini-3-pro-image``): the default Google generator, replacing Imagen.

    One image per call (the pipeline makes ``n`` concurrent calls); aspect ratios from 1:1
    to 21:9; ``image_size`` 1K/2K/4K where the model has them; no negative prompt (the
    pipeline folds it into the prompt with a warning). Text the model returns beside the
    image is kept as ``GeneratedImage.metadata["note"]``. An answer without an image
    (a refusal or a safety block) raises ``ContentBlockedError`` with the reason.

    Works with an API key or Vertex AI (location defaults to ``global``), configured like
    google-genai: arguments first, then the environment.

    Args:
        model: the Gemini image model (default ``DEFAULT_IMAGE_MODEL``).
        client: a ready ``google.genai.Client``, used as is.
        api_key, vertexai, project, location, credentials: connection settings.
        base_url: a different endpoint (a proxy, or a local server in tests).
        timeout: seconds one request may take, start to end (default 60: Flash image
            models answer in 5-20 s; raise it for ``gemini-3-pro-image`` at 4K); ``None``
            for no limit.

    Raises:
        ConfigurationError: no credentials could be found (names what to set).
    """

    requires_network = True

    def __init__(
        self,
        *,
        model: str = DEFAULT_IMAGE_MODEL,
        client: Client | None = None,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        base_url: str | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        self.model = model
        self._info = image_model(model, "gemini-image")
        self._google = GoogleConnection(
            self,
            model=model,
            client=client,
            api_key=api_key,
            vertexai=vertexai,
            project=project,
            location=location,
            credentials=credentials,
            base_url=base_url,
            timeout=timeout,
            default_location="global",
        )

    async def aclose(self) -> None:
        await self._google.aclose()

    def __repr__(self) -> str:
        return f"GeminiImageGenerator(model={self.model!r}, service={self._google.service!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return self._info.capabilities

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        from google.genai import types

        config = types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(
                aspect_ratio=options.aspect_ratio, image_size=options.image_size
            ),
            seed=options.seed,
            candidate_count=1,
            labels=options.labels,
        )
        model = self._google.model
        async with self._google.request() as client:
            response = await client.aio.models.generate_content(
                model=model, contents=prompt.text, config=config
            )
        raise_if_blocked(response, model)
        parts = answer_parts(response)
        note = " ".join(p.text.strip() for p in parts if p.text and p.text.strip())
        blobs = [p.inline_data for p in parts if p.inline_data and p.inline_data.data]
        if not blobs:
            reason = finish_reason(response) or "NO_IMAGE"
            said = f": {note}" if note else ""
            raise ContentBlockedError(
                f"{model} answered without an image ({reason}){said}",
                reasons=[reason, *([note] if note else [])],
            )
        metadata = {"note": note} if note else {}
        images = [
            GeneratedImage.from_bytes(blob.data, seed=options.seed, metadata=metadata)
            for blob in blobs
            if blob.data
        ]
        return GenerationOutput(images=images[: options.n])
