"""A Google backend's connection: settings, one google-genai client per event loop."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Hashable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from .. import _clock, _guard
from ..models._resolve import choose, listed_models
from ..models._schema import Role
from ._errors import translate
from ._models import announce, info_for, pick
from ._redact import client_secrets, token_of
from ._settings import GoogleSettings, application_default_credentials, resolve

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.genai import Client


class GoogleConnection:
    """Builds and keeps the google-genai clients of one backend.

    An app's ``client`` is used as is. Otherwise the settings are resolved at once, Vertex
    AI's application default credentials included (so a missing credential fails at
    construction, naming the cause and the fix), and a client is built
    per event loop on first use: loop-bound HTTP connections never cross loops. A client
    lives as long as this connection, or until its loop has closed. google-genai's own retries are
    turned off; ``RetryPolicy`` is the only retry layer. ``timeout`` bounds each request
    whole (``request()``), whichever client is used.

    With ``role``, the backend serves that role: the ``model`` the app named (or the
    role's environment variable) is kept, and announced once if retired or deprecated
    (looked up in ``family``); without one, ``model`` is provisional (the role's first
    preference) and the first call to ``resolved_model`` replaces it by the first preferred
    model these credentials can use (one ``models.list`` per credentials per process).
    """

    def __init__(
        self,
        owner: object,
        *,
        model: str | None,
        client: Client | None = None,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        vertex_only: bool = False,
        default_location: str = "us-central1",
        role: Role | None = None,
        family: str | None = None,
    ) -> None:
        self._owner = owner
        named = role is None
        if role is not None:
            model, named = pick(model, role)
        assert model is not None, "a model, or a role to choose one for"
        if role is not None and named and family is not None:  # checked before any set-up
            announce(info_for(model, family))
        self.model = model
        self._role = None if named else role
        self._given = client
        self._credentials = credentials
        self._base_url = base_url
        self._timeout = timeout
        self.settings: GoogleSettings | None = None
        if client is None:
            self.settings = resolve(
                api_key=api_key,
                vertexai=vertexai,
                project=project,
                location=location,
                default_location=default_location,
                vertex_only=vertex_only,
            )
            if credentials is None and self.settings.project:  # Vertex AI, credentials from ADC
                self._credentials = application_default_credentials(self.settings)
        elif vertex_only and not client.vertexai:
            from .._errors import ConfigurationError

            raise ConfigurationError(
                f"{model} is served on Vertex AI only; pass a client made with vertexai=True"
            )
        self._clients: dict[asyncio.AbstractEventLoop, Client] = {}

    @property
    def service(self) -> str:
        """``"vertex"`` or ``"gemini-api"``."""
        if self._given is not None:
            return "vertex" if self._given.vertexai else "gemini-api"
        assert self.settings is not None
        return self.settings.service

    def client(self) -> Client:
        """The client for the running event loop, built on first use."""
        _guard.check_backend(self._owner)
        if self._given is not None:
            return self._given
        # A client keeps its loop alive, so forget the clients of loops that have ended.
        for ended in [loop for loop in self._clients if loop.is_closed()]:
            del self._clients[ended]
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._build()
        return client

    async def resolved_model(self) -> str:
        """The model to call: the named one, or the role's choice, resolved once."""
        if self._role is not None:
            self.model = await self.resolve(self._role)
            self._role = None
        return self.model

    async def resolve(self, role: Role) -> str:
        """The first model of ``role``'s preferences these credentials can use."""
        return choose(role, await self.listed())

    async def listed(self) -> frozenset[str] | None:
        """The models these credentials can call (listed once per process), or None when
        listing failed."""
        return await listed_models(self.client(), self._listing_key())

    def _listing_key(self) -> Hashable | None:
        """Who is asking: the same credentials at the same endpoint share one listing (an
        app's client: that client, ``None``)."""
        if self._given is not None:
            return None
        assert self.settings is not None
        settings = self.settings
        key = hashlib.sha256(settings.api_key.encode()).hexdigest() if settings.api_key else None
        endpoint = self._base_url or os.environ.get(
            "GOOGLE_VERTEX_BASE_URL" if settings.vertexai else "GOOGLE_GEMINI_BASE_URL"
        )
        return (settings.service, key, settings.project, settings.location, endpoint)

    def _build(self) -> Client:
        from google import genai
        from google.genai import types

        assert self.settings is not None
        options: dict[str, Any] = {"retry_options": types.HttpRetryOptions(attempts=1)}
        if self._base_url:
            options["base_url"] = self._base_url
        if self._timeout is not None:
            options["timeout"] = int(self._timeout * 1000)
        settings = self.settings
        return genai.Client(
            vertexai=settings.vertexai,
            api_key=settings.api_key,
            project=settings.project,
            location=settings.location if settings.project else None,
            credentials=self._credentials,
            http_options=types.HttpOptions(**options),
        )

    async def aclose(self) -> None:
        """Close the clients this connection built (an app's own client is left alone):
        the running loop's fully, the others' sync halves (their loops cannot be awaited
        from here). The next call builds a fresh client."""
        clients, self._clients = self._clients, {}
        running = asyncio.get_running_loop()
        for loop, client in clients.items():
            if loop is running:
                await client.aio.aclose()
            client.close()

    @asynccontextmanager
    async def request(self) -> AsyncIterator[Client]:
        """The client for one request, with errors translated and the request bounded as a
        whole by ``timeout`` (from the moment it is sent: building the client is not counted).

        google-genai's own timeout applies to each socket read, so a server trickling a byte
        at a time would hold a call for ever; this bound counts from the start.

        Raises:
            TransientError: no complete answer within ``timeout`` ("no answer within 30 s").
        """
        with self.errors():  # maps the bound's TimeoutError too, naming ``timeout``
            client = self.client()
            async with _clock.timeout(self._timeout):
                yield client

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate google-genai and transport errors into the promptforge tree, with this
        connection's secrets masked."""
        with translate(model=self.model, secrets=self.secrets(), timeout=self._timeout):
            yield

    def secrets(self) -> list[str | None]:
        """What must never be shown: the key, and whatever key or token each client holds
        (an app's own client included; tokens are read now, as they refresh)."""
        found = [self.settings.api_key if self.settings else None, token_of(self._credentials)]
        for client in [self._given] if self._given is not None else self._clients.values():
            found += client_secrets(client)
        return found
