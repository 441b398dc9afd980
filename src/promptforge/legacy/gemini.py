"""``LegacyGeminiEnhancer``: ``GeminiEnhancer``'s contract on google-generativeai."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from .. import _guard
from .._errors import ConfigurationError
from .._google._errors import translate
from .._google._models import announce, info_for, pick
from .._google._redact import is_credential_header, token_of
from .._google._settings import resolve
from ..enhancers._gemini_base import SYSTEM_INSTRUCTION, GeminiSpecEnhancer
from ._generativeai import response_schema, to_genai
from ._sdk import GENERATIVEAI, load

if TYPE_CHECKING:
    from google.genai import types


class LegacyGeminiEnhancer(GeminiSpecEnhancer):
    """Gemini writes a ``PromptSpec`` through google-generativeai's ``GenerativeModel``.

    The same instructions, delimiting, block and finish-reason checks, re-asks, token usage
    and ``refine`` as ``GeminiEnhancer``; only the SDK differs. The SDK's own retries are
    off (it retries 503 for up to 600 s unless told not to), so ``RetryPolicy`` governs.
    google-generativeai serves the Gemini Developer API only (an API key).

    Args:
        model: the Gemini text model (default: ``PROMPTFORGE_ENHANCER_MODEL``, else the
            catalogue's first ``enhancer`` preference; this SDK cannot list models).
        client: a ready ``google.ai.generativelanguage.GenerativeServiceClient``, used as
            is (e.g. with OAuth credentials).
        api_key: the Gemini API key (else ``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``).
        api_endpoint: a different endpoint (a proxy, or a local server in tests).
        transport: ``"rest"`` (default) or ``"grpc"``, for the client built here.

    With none of ``client``, ``api_key``, ``api_endpoint``, ``transport``, the configuration
    the app made with ``genai.configure(...)`` is used as it is (its key or credentials,
    transport, endpoint and default metadata); without one, ``GOOGLE_API_KEY`` over REST.
        timeout: seconds per request.
        temperature: sampling temperature for the spec.
        max_output_tokens: the answer's token budget; x4 once on ``MAX_TOKENS``.

    Raises:
        ConfigurationError: no API key, configuration or client, or google-generativeai is
            missing.
    """

    requires_network = True

    def __init__(
        self,
        *,
        model: str | None = None,
        client: Any = None,
        api_key: str | None = None,
        api_endpoint: str | None = None,
        transport: Literal["rest", "grpc"] | None = None,
        timeout: float | None = 60.0,
        temperature: float = 0.4,
        max_output_tokens: int = 2048,
    ) -> None:
        self.model, named = pick(model, "enhancer")
        if named:
            announce(info_for(self.model, "gemini-text"))
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.timeout = timeout
        genai = load(GENERATIVEAI)
        self._key: str | None = None
        if client is None and api_key is None and api_endpoint is None and transport is None:
            client = _configured_client(self.model)
        if client is None:
            client = self._own_client(api_key, api_endpoint, transport or "rest")
        self._client = client
        self._model = genai.GenerativeModel(self.model, system_instruction=SYSTEM_INSTRUCTION)
        # GenerativeModel takes no client argument (only the process-wide genai.configure);
        # the package is frozen upstream, so its attribute is a stable place to put ours.
        self._model._client = client

    def _own_client(self, api_key: str | None, api_endpoint: str | None, transport: str) -> Any:
        try:
            self._key = resolve(api_key=api_key, vertexai=False).api_key
        except ConfigurationError:
            raise ConfigurationError(
                "google-generativeai needs a Gemini API key: set GOOGLE_API_KEY (or "
                "GEMINI_API_KEY), pass api_key=..., call genai.configure(...), or pass a "
                "ready client=..."
            ) from None
        from google.ai import generativelanguage

        options = {"api_key": self._key}
        if api_endpoint:
            options["api_endpoint"] = api_endpoint
        return generativelanguage.GenerativeServiceClient(
            transport=transport, client_options=options
        )

    def _secrets(self) -> list[str | None]:
        """The key and token to mask, read from the client in use (whoever configured it)."""
        options = getattr(self._client, "_client_options", None)
        credentials = getattr(getattr(self._client, "_transport", None), "_credentials", None)
        from google.generativeai import client as sdk

        metadata = [
            str(value)
            for name, value in sdk._client_manager.default_metadata
            if is_credential_header(name)
        ]
        return [self._key, getattr(options, "api_key", None), token_of(credentials), *metadata]

    def __repr__(self) -> str:
        return f"LegacyGeminiEnhancer(model={self.model!r})"

    async def _generate(self, contents: str, budget: int) -> types.GenerateContentResponse:
        _guard.check_backend(self)
        config = {
            "response_mime_type": "application/json",
            "response_schema": response_schema(),
            "temperature": self.temperature,
            "max_output_tokens": budget,
        }
        # retry=None: no silent api_core retries behind RetryPolicy's back.
        options = {"retry": None, "timeout": self.timeout}
        with translate(model=self.model, secrets=self._secrets()):
            response = await asyncio.to_thread(
                self._model.generate_content,
                contents,
                generation_config=config,
                request_options=options,
            )
        return to_genai(response)


def _configured_client(model: str) -> Any:
    """The client ``genai.configure(...)`` describes, as the SDK itself would build it
    (transport, endpoint, key or credentials, default metadata); None if never called."""
    from google.generativeai import client as sdk

    manager = sdk._client_manager
    if not manager.client_config:
        return None
    with translate(model=model):  # credentials google-auth cannot find: ConfigurationError
        return manager.get_default_client("generative")  # type: ignore[no-untyped-call]
