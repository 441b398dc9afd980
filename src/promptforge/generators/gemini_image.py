"""``GeminiImageGenerator``: Gemini native image models through ``generate_content``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .._conversation import Conversation, Turn
from .._errors import ContentBlockedError
from .._google._connection import GoogleConnection
from .._google._models import image_capabilities, info_for
from .._google._responses import finish_reason, raise_if_blocked, usage_of
from .._google._turns import continues, drawn, model_turn, replay, to_contents, user_turn
from .._image import GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from ._base import Generator, GeneratorCapabilities

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client, types


class GeminiImageGenerator(Generator):
    """Gemini native image models: the default Google generator, replacing Imagen.

    One image per call (the pipeline makes ``n`` concurrent calls); each model's aspect
    ratios (1:1 to 21:9, and 1:8 to 8:1 on the newest flash models), ``image_size`` (512 to
    4K) and ``thinking`` levels where it has them, from the model catalogue
    (``promptforge models``); no negative prompt (the pipeline folds it into the prompt
    with a warning). Text the model returns beside the image is kept as
    ``GeneratedImage.metadata["note"]``, its thought text (with ``thinking`` set) as
    ``metadata["thoughts"]``; interim thought images are dropped. An answer without an
    image (a refusal or a safety block) raises ``ContentBlockedError``.

    References go as inline images, each after a label naming its role, before the prompt;
    ones larger than the model's input are downscaled first (said in ``warnings``). Each
    image keeps its ``conversation`` (the turns, thought signatures included), so
    ``edit`` continues it as Google requires, also after ``GenerationResult.load``.

    Works with an API key or Vertex AI (location defaults to ``global``), configured like
    google-genai: arguments first, then the environment.

    Without ``model=`` (and without ``PROMPTFORGE_IMAGE_MODEL``) the model is the first of
    the catalogue's ``image`` preferences these credentials can use, found by one
    ``models.list`` call on the first ``generate`` (no network call at construction);
    until then ``model`` and ``capabilities`` are the first preference's.

    Args:
        model: the Gemini image model, used as is (default: resolved by role, see above).
        client: a ready ``google.genai.Client``, used as is.
        api_key, vertexai, project, location, credentials: connection settings.
        base_url: a different endpoint (a proxy, or a local server in tests).
        timeout: seconds one request may take, start to end (default 60: Flash image
            models answer in 5-20 s; raise it for a Pro image model at 4K); ``None``
            for no limit.

    Raises:
        ConfigurationError: no credentials could be found (names what to set).
    """

    requires_network = True

    def __init__(
        self,
        *,
        model: str | None = None,
        client: Client | None = None,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        base_url: str | None = None,
        timeout: float | None = 60.0,
    ) -> None:
        self._google = GoogleConnection(
            self,
            model=model,
            role="image",
            family="gemini-image",
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
        self.model = self._google.model
        self._info = info_for(self.model, "gemini-image")

    async def aclose(self) -> None:
        await self._google.aclose()

    def __repr__(self) -> str:
        return f"GeminiImageGenerator(model={self.model!r}, service={self._google.service!r})"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return image_capabilities(self._info)

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        options = await self._resolve(options)
        turn, warnings = await asyncio.to_thread(user_turn, prompt.text, options.references)
        return await self._answer((), turn, options, warnings, options.aspect_ratio)

    async def edit(
        self, image: GeneratedImage, instruction: str, options: ImageOptions
    ) -> GenerationOutput:
        """Edit ``image``: continue its conversation when this model made it, else send it."""
        options = await self._resolve(options)
        model = self._google.model
        held = continues(image, type(self).__name__, model)
        warnings = []
        if held is None and image.conversation is not None:
            warnings.append(
                f"the image was made by {image.conversation.model}; its conversation cannot "
                f"continue on {model} (thought signatures are per model), so it was sent as "
                "an image instead"
            )
        earlier: tuple[Turn, ...] = ()
        if held is not None:
            try:
                earlier = await asyncio.to_thread(replay, held, image)
            except (ValueError, OSError) as exc:
                warnings.append(
                    f"the image's conversation cannot be continued ({exc}), so the image was "
                    "sent as an image to edit instead"
                )
                held = None
        turn, fitted = await asyncio.to_thread(
            user_turn, instruction, options.references, image=None if held else image
        )
        shape = options.aspect_ratio if "aspect_ratio" in options.model_fields_set else None
        return await self._answer(earlier, turn, options, [*warnings, *fitted], shape)

    async def _answer(
        self,
        earlier: tuple[Turn, ...],
        turn: Turn,
        options: ImageOptions,
        warnings: list[str],
        aspect_ratio: str | None,
    ) -> GenerationOutput:
        model = self._google.model
        async with self._google.request() as client:
            response = await client.aio.models.generate_content(
                model=model,
                contents=to_contents([*earlier, turn]),
                config=image_config(options, aspect_ratio),
            )
        return read_answer(
            response, type(self).__name__, model, (*earlier, turn), options, warnings
        )

    async def _resolve(self, options: ImageOptions) -> ImageOptions:
        """Settle the model on first use; options checked against the first preference are
        checked again when another model was chosen.

        Raises:
            InvalidRequestError: the chosen model cannot take ``options``.
        """
        model = await self._google.resolved_model()
        if model == self.model:
            return options
        from .._adapt import plan

        self.model, self._info = model, info_for(model, "gemini-image")
        return plan(options, self.capabilities, strict=False).options


def image_config(options: ImageOptions, aspect_ratio: str | None) -> types.GenerateContentConfig:
    """The ``generate_content`` config of one image call (also what Batch Mode sends)."""
    from google.genai import types

    thinking = (
        types.ThinkingConfig(
            thinking_level=types.ThinkingLevel(options.thinking.upper()),
            include_thoughts=True,
        )
        if options.thinking
        else None
    )
    return types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio=aspect_ratio, image_size=options.image_size),
        seed=options.seed,
        candidate_count=1,
        labels=options.labels,
        thinking_config=thinking,
    )


def read_answer(
    response: types.GenerateContentResponse,
    backend: str,
    model: str,
    sent: tuple[Turn, ...],
    options: ImageOptions,
    warnings: list[str],
) -> GenerationOutput:
    """An image model's answer to the turns ``sent`` (the last one the user's new turn).

    Raises:
        ContentBlockedError: the prompt or the answer was withheld, or no image came back.
    """
    raise_if_blocked(response, model)
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    parts = (content.parts or []) if content else []
    answer = [p for p in parts if not p.thought]
    note = " ".join(p.text.strip() for p in answer if p.text and p.text.strip())
    blobs = [p.inline_data.data for p in answer if p.inline_data and p.inline_data.data]
    if not blobs:
        reason = finish_reason(response) or "NO_IMAGE"
        said = f": {note}" if note else ""
        raise ContentBlockedError(
            f"{model} answered without an image ({reason}){said}",
            reasons=[reason, *([note] if note else [])],
        )
    said_back, thoughts = model_turn(parts)
    metadata = {"note": note} if note else {}
    if thoughts:
        metadata["thoughts"] = thoughts
    images = [
        GeneratedImage.from_bytes(
            data,
            seed=options.seed,
            metadata=metadata,
            conversation=Conversation(
                backend=backend, model=model, turns=(*sent, drawn(said_back, data))
            ),
        )
        for data in blobs[: options.n]
    ]
    return GenerationOutput(images=images, warnings=warnings, usage=usage_of(response))
