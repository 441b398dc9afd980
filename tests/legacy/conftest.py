"""The legacy adapters run through the real old SDKs against the Google test server.

``tests/`` is on ``sys.path`` (it has no ``__init__``), so the server and its fixtures are
imported from ``google_backends`` and reused as they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from google_backends import conftest as google_backends
from google_backends import server as wire
from google_backends.conftest import API_KEY
from promptforge.legacy import LegacyGeminiEnhancer, LegacySDKWarning
from promptforge.legacy._sdk import GENERATIVEAI, VISION, load

if TYPE_CHECKING:
    from google_backends.server import GoogleServer

# The Google backends' fixtures, registered here too: the local server, no Google variables
# from the environment, and real (networked) backends allowed since every call stays local.
server = google_backends.server
_no_google_environment = google_backends._no_google_environment
_no_real_backends = google_backends._no_real_backends


@pytest.fixture(autouse=True)
def _announced_elsewhere() -> None:
    """The once-per-process deprecation warning is tested in ``test_sdk``; quiet here."""
    warnings.filterwarnings("ignore", category=LegacySDKWarning)


@pytest.fixture(autouse=True)
def genai_config() -> Iterator[None]:
    """Each test starts with google-generativeai unconfigured (no ``genai.configure`` made),
    and the process-wide configuration is restored after it."""
    load(GENERATIVEAI)  # imports the SDK with its import-time warnings handled
    from google.generativeai import client

    manager = client._client_manager
    saved = (manager.client_config, manager.default_metadata, manager.clients)
    manager.client_config, manager.default_metadata, manager.clients = {}, (), {}
    yield
    manager.client_config, manager.default_metadata, manager.clients = saved


@pytest.fixture
def gemini(server: GoogleServer) -> LegacyGeminiEnhancer:
    """A LegacyGeminiEnhancer (google-generativeai, REST) pointed at the local server."""
    return LegacyGeminiEnhancer(api_key=API_KEY, api_endpoint=server.url)


@pytest.fixture
def vertex_config() -> Iterator[None]:
    """Restore the Vertex AI SDK's process-wide configuration after the test."""
    load(VISION)  # imports the SDK with its import-time warnings handled
    from google.cloud.aiplatform import initializer

    saved = dict(vars(initializer.global_config))
    yield
    vars(initializer.global_config).clear()
    vars(initializer.global_config).update(saved)


@pytest.fixture
def vertex(server: GoogleServer, vertex_config: None) -> GoogleServer:
    """``vertexai.init`` pointed at the local server over REST, as an app would call it."""
    import vertexai
    from google.oauth2.credentials import Credentials

    server.default("getPublisherModel", wire.publisher_model)
    vertexai.init(
        project="test-project",
        location="us-central1",
        credentials=Credentials(token="test-token"),  # type: ignore[no-untyped-call]
        api_endpoint=server.url,
        api_transport="rest",
    )
    return server
