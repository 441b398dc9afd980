"""``ImagenGenerator``: Vertex AI Imagen through google-genai ``generate_images``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .._google._connection import GoogleConnection
from .._google._imagen import Prediction, imagen_config, imagen_output
from .._google._models import announce, image_capabilities, info_for
from .._image import GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ..models._resolve import first_choice
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client


class ImagenGenerator(Generator):
    """Imagen on Vertex AI (google-genai serves Imagen on Vertex only).

    The model catalogue's capabilities drive validation and adaptation: sample counts, aspect
    ratios, negative prompt (rejected by all but the first Imagen 3 models: the pipeline
    folds it into the prompt), seed (needs the watermark off: turned off with a warning),
    image size, and Imagen's own prompt rewriter, whose rewritten prompt is kept as
    ``GeneratedImage.revised_prompt``.

    Google shut the Imagen endpoints down in 2026 (see ``promptforge.models``); a retired
    model is announced once in the log and its 404 names the shutdown date and the
    replacement. New code should use ``GeminiImageGenerator``.

    Args:
        model: the Imagen model (default: the catalogue's ``imagen`` role).
        client: a ready ``google.genai.Client`` made with ``vertexai=True``, used as is.
        vertexai: always ``True`` (accepted as google-genai's backends take it); ``False``
            raises ``ConfigurationError``.
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
        model: str | None = None,
        client: Client | None = None,
        vertexai: bool = True,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = 120.0,
    ) -> None:
        model = model or first_choice("imagen")
        self.model = model
        self._info = info_for(model, "imagen")
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
            vertex_only=True,
        )
        announce(self._info)

    async def aclose(self) -> None:
        await self._google.aclose()

    def __repr__(self) -> str:
        return f"ImagenGenerator(model={self.model!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return image_capabilities(self._info)

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        from google.genai import types

        config, notes = imagen_config(options, self.capabilities)
        with self._google.errors():
            response = await _generate_images(self._google.client())(
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


def _generate_images(client: Client) -> Callable[..., Awaitable[Any]]:
    """``generate_images`` without google-genai's deprecation warning: the method under its
    once-only warning wrapper. The retirement is said by ``announce`` when the generator is built,
    with the fix, and the app's warning filters are never touched."""
    method = client.aio.models.generate_images
    plain = getattr(method, "__wrapped__", None)  # set by functools.wraps on the wrapper
    return partial(plain, client.aio.models) if plain is not None else method
