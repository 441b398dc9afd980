from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .server import GoogleServer

if TYPE_CHECKING:
    from google.genai import Client

API_KEY = "AIzaTEST-secret-key-0123456789"
NO_ADC = Path(tempfile.gettempdir()) / "promptforge-tests-no-such-adc.json"


@pytest.fixture(autouse=True)
def _no_real_backends() -> None:
    """Google backends may run here: every client points at the local server."""


@pytest.fixture(autouse=True)
def _no_google_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION", "GOOGLE_GENAI_USE_ENTERPRISE",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # Application default credentials come from a file that is not there: never the real
    # user's, and google-auth never probes the network (the GCE metadata server) for them.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(NO_ADC))


@pytest.fixture
def server() -> Iterator[GoogleServer]:
    with GoogleServer() as running:
        yield running


def _client(server: GoogleServer, *, vertex: bool) -> Client:
    from google import genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    options = types.HttpOptions(
        base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
    )
    if vertex:
        return genai.Client(
            vertexai=True,
            project="test-project",
            location="us-central1",
            credentials=Credentials(token="test-token"),  # type: ignore[no-untyped-call]
            http_options=options,
        )
    return genai.Client(api_key=API_KEY, http_options=options)


@pytest.fixture
def api_client(server: GoogleServer) -> Client:
    """A real google-genai client (Gemini Developer API) pointed at the local server."""
    return _client(server, vertex=False)


@pytest.fixture
def vertex_client(server: GoogleServer) -> Client:
    """A real google-genai client (Vertex AI) pointed at the local server."""
    return _client(server, vertex=True)
