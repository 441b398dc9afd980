"""``LegacyImagenGenerator``: ``ImagenGenerator``'s contract on the Vertex AI SDK."""

from __future__ import annotations

import asyncio
import base64
import threading
from typing import TYPE_CHECKING, Any

from .. import _guard
from .._errors import ConfigurationError
from .._google._errors import translate
from .._google._imagen import Prediction, imagen_config, imagen_output
from .._google._models import announce, image_capabilities, info_for
from .._google._redact import token_of
from .._google._settings import resolve
from .._image import GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ..generators._base import Generator, GeneratorCapabilities
from ..models._resolve import first_choice
from ._sdk import VISION, load, quietly

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

# google-genai's GenerateImagesConfig names -> the :predict request's parameter names.
_PARAMETERS = {
    "number_of_images": "sampleCount",
    "aspect_ratio": "aspectRatio",
    "negative_prompt": "negativePrompt",
    "seed": "seed",
    "guidance_scale": "guidanceScale",
    "add_watermark": "addWatermark",
    "include_rai_reason": "includeRaiReason",
    "image_size": "sampleImageSize",
    "enhance_prompt": "enhancePrompt",
    "safety_filter_level": "safetySetting",
    "person_generation": "personGeneration",
}
_OUTPUT_OPTIONS = {
    "output_mime_type": "mimeType",
    "output_compression_quality": "compressionQuality",
}
_LOWERCASE = {"safety_filter_level", "person_generation"}  # the values the old SDK documents


class LegacyImagenGenerator(Generator):
    """Imagen through google-cloud-aiplatform's ``ImageGenerationModel``.

    The same capability table, adaptations and answers as ``ImagenGenerator``. The model is
    loaded with ``ImageGenerationModel.from_pretrained``; the request goes through its
    endpoint's ``predict`` rather than ``generate_images``, which raises on a prediction that
    carries only a filter reason (losing the images beside it), turns the watermark on by
    default (so a seed is refused) and cannot ask for filter reasons, output format, size or
    Imagen's prompt rewriter. Request labels cannot be sent; they are dropped with a warning.

    The old SDK keeps one configuration per process (``vertexai.init``). Without connection
    arguments the generator uses it as the app set it; with them it calls ``vertexai.init``.

    Args:
        model: the Imagen model (default: the catalogue's ``imagen`` role).
        project, location: Vertex AI project and region (else ``GOOGLE_CLOUD_PROJECT``,
            ``GOOGLE_CLOUD_LOCATION``).
        credentials: google-auth credentials (else application default credentials).
        api_endpoint, api_transport: ``vertexai.init``'s endpoint and ``"rest"``/``"grpc"``.
        timeout: seconds per request.

    Raises:
        ConfigurationError: connection arguments without a project, or the SDK is missing.
    """

    requires_network = True
    model: str

    def __init__(
        self,
        *,
        model: str | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        api_endpoint: str | None = None,
        api_transport: str | None = None,
        timeout: float | None = 120.0,
    ) -> None:
        model = model or first_choice("imagen")
        self.model = model
        self.timeout = timeout
        self._info = info_for(model, "imagen")
        self._vision = load(VISION)
        given = {
            "credentials": credentials,
            "api_endpoint": api_endpoint,
            "api_transport": api_transport,
        }
        if project or location or any(value is not None for value in given.values()):
            settings = resolve(project=project, location=location, vertexai=True, vertex_only=True)
            if settings.project is None:  # Vertex AI express mode: not in the old SDK
                raise ConfigurationError(
                    "the Vertex AI SDK needs a project: pass project=... or set "
                    "GOOGLE_CLOUD_PROJECT (an API key alone is not enough)"
                )
            import vertexai  # type: ignore[import-untyped]

            vertexai.init(
                project=settings.project,
                location=settings.location,
                **{key: value for key, value in given.items() if value is not None},
            )
        self._loaded: Any = None
        self._lock = threading.Lock()
        announce(self._info)

    def __repr__(self) -> str:
        return f"LegacyImagenGenerator(model={self.model!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return image_capabilities(self._info)

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        _guard.check_backend(self)
        config, notes = imagen_config(options, self.capabilities)
        parameters = _parameters(config, notes)
        with translate(model=self.model, secrets=self._secrets()):
            response = await asyncio.to_thread(self._predict, prompt.text, parameters)
        predictions = (
            Prediction(
                base64.b64decode(item["bytesBase64Encoded"])
                if item.get("bytesBase64Encoded")
                else None,
                item.get("prompt"),
                item.get("raiFilteredReason"),
            )
            for item in response.predictions or []
        )
        return imagen_output(self.model, predictions, seed=options.seed, notes=notes)

    def _secrets(self) -> list[str | None]:
        """The tokens to mask: the SDK's configured credentials' (read without loading them)."""
        from google.cloud.aiplatform import initializer

        return [token_of(getattr(initializer.global_config, "_credentials", None))]

    def _predict(self, text: str, parameters: dict[str, Any]) -> Any:
        endpoint = self._image_model()._endpoint  # generate_images' own endpoint, see above
        return endpoint.predict(
            instances=[{"prompt": text}], parameters=parameters, timeout=self.timeout
        )

    def _image_model(self) -> Any:
        """``ImageGenerationModel.from_pretrained`` once (it looks the model up)."""
        with self._lock:
            if self._loaded is None:
                try:
                    with quietly(VISION):
                        self._loaded = self._vision.ImageGenerationModel.from_pretrained(self.model)
                except Exception as exc:
                    raise _unwrapped(exc, self.model) from None
            return self._loaded


def _parameters(config: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The ``:predict`` parameters for ``GenerateImagesConfig`` arguments."""
    parameters: dict[str, Any] = {}
    for key, value in config.items():
        if key in _PARAMETERS:
            parameters[_PARAMETERS[key]] = value.lower() if key in _LOWERCASE else value
        elif key in _OUTPUT_OPTIONS:
            parameters.setdefault("outputOptions", {})[_OUTPUT_OPTIONS[key]] = value
        else:
            notes.append(f"{key} dropped: the Vertex AI SDK's predict call cannot send it")
    return parameters


def _unwrapped(exc: Exception, model: str) -> Exception:
    """What ``from_pretrained`` hid: it re-raises every auth failure as a bare
    ``GoogleAuthError`` and reports a missing project or a wrong model as ``ValueError``."""
    cause: BaseException = exc
    while type(cause).__name__ == "GoogleAuthError" and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, ValueError):
        return ConfigurationError(
            f"{model}: the Vertex AI SDK could not load it ({' '.join(str(cause).split())}); "
            "call vertexai.init(project=..., location=...) or pass project=..."
        )
    return cause if isinstance(cause, Exception) else exc
