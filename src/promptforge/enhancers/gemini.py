"""``GeminiEnhancer``: Gemini writes the prompt, with ``PromptSpec`` as its response schema."""

from __future__ import annotations

import copy
from functools import cache
from typing import TYPE_CHECKING, Any

from .._google._connection import GoogleConnection
from .._google._models import DEFAULT_ENHANCER_MODEL
from .._prompt import PromptSpec
from ._gemini_base import SYSTEM_INSTRUCTION, GeminiSpecEnhancer

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client, types

__all__ = ["SYSTEM_INSTRUCTION", "GeminiEnhancer"]


class GeminiEnhancer(GeminiSpecEnhancer):
    """Gemini turns the idea into a ``PromptSpec`` (structured output), then a prompt.

    Works with the Gemini Developer API (API key) or Vertex AI, configured like
    google-genai: arguments first, then ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``,
    ``GOOGLE_GENAI_USE_VERTEXAI``, ``GOOGLE_CLOUD_PROJECT``, ``GOOGLE_CLOUD_LOCATION``.

    Args:
        model: the Gemini text model (default: ``DEFAULT_ENHANCER_MODEL``).
        client: a ready ``google.genai.Client``, used as is.
        api_key, vertexai, project, location, credentials: connection settings.
        base_url: a different endpoint (a proxy, or a local server in tests).
        timeout: seconds one request may take, start to end (default 30: Gemini Flash
            answers a spec in a few seconds); ``None`` for no limit.
        temperature: sampling temperature for the spec.
        max_output_tokens: the answer's token budget; doubled (x4) once if the model
            runs out (``MAX_TOKENS``).

    Raises:
        ConfigurationError: no credentials could be found (names what to set).
    """

    requires_network = True

    def __init__(
        self,
        *,
        model: str = DEFAULT_ENHANCER_MODEL,
        client: Client | None = None,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        temperature: float = 0.4,
        max_output_tokens: int = 2048,
    ) -> None:
        self.model = model
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
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
        )

    async def aclose(self) -> None:
        await self._google.aclose()

    def __repr__(self) -> str:
        return f"GeminiEnhancer(model={self.model!r}, service={self._google.service!r})"

    async def _generate(self, contents: str, budget: int) -> types.GenerateContentResponse:
        from google.genai import types

        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_schema=_response_schema(),
            temperature=self.temperature,
            max_output_tokens=budget,
        )
        async with self._google.request() as client:
            return await client.aio.models.generate_content(
                model=self._google.model, contents=contents, config=config
            )


@cache
def _spec_schema() -> dict[str, Any]:
    return PromptSpec.model_json_schema()


def _response_schema() -> dict[str, Any]:
    """``PromptSpec``'s JSON schema, built once (google-genai would rebuild it per call from
    the class) and copied, since google-genai edits the schema it is given."""
    return copy.deepcopy(_spec_schema())
