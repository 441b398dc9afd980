from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from promptforge import ConfigurationError, EnhanceRequest, Pipeline, TransientError
from promptforge._errors import BackendError
from promptforge._google._errors import map_error
from promptforge._google._settings import configured, resolve
from promptforge.enhancers import GeminiEnhancer
from promptforge.testing import FakeGenerator

from . import server as wire
from .conftest import API_KEY

if TYPE_CHECKING:
    from .server import GoogleServer


def test_api_key_from_arguments_then_environment() -> None:
    assert resolve(api_key="arg").api_key == "arg"
    assert resolve(environ={"GEMINI_API_KEY": "g"}).api_key == "g"
    both = {"GOOGLE_API_KEY": "first", "GEMINI_API_KEY": "second"}
    assert resolve(environ=both).api_key == "first"
    assert resolve(api_key="arg", environ=both).api_key == "arg"


def test_vertex_from_the_environment() -> None:
    env = {
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
        "GOOGLE_CLOUD_PROJECT": "proj",
        "GOOGLE_CLOUD_LOCATION": "europe-west4",
    }
    settings = resolve(environ=env)
    assert (settings.vertexai, settings.project, settings.location) == (
        True, "proj", "europe-west4",
    )  # fmt: skip
    assert resolve(environ={**env, "GOOGLE_CLOUD_LOCATION": ""}).location == "us-central1"
    assert resolve(project="p", environ={}).vertexai  # a project implies Vertex AI
    express = resolve(vertexai=True, environ={"GOOGLE_API_KEY": "k"})
    assert (express.vertexai, express.api_key, express.project) == (True, "k", None)


def test_missing_settings_say_what_to_set() -> None:
    with pytest.raises(ConfigurationError, match="set GOOGLE_API_KEY"):
        resolve(environ={})
    with pytest.raises(ConfigurationError, match="Vertex AI needs a project: set GOOGLE_CLOUD"):
        resolve(environ={"GOOGLE_GENAI_USE_VERTEXAI": "1"})
    with pytest.raises(ConfigurationError, match="Vertex AI only"):
        resolve(vertexai=False, vertex_only=True, environ={})
    assert not configured({})
    assert configured({"GOOGLE_API_KEY": "k"})


def test_settings_repr_hides_the_key() -> None:
    settings = resolve(api_key=API_KEY)
    assert API_KEY not in repr(settings)
    assert settings.service == "gemini-api"


def test_a_slow_server_times_out_as_transient(server: GoogleServer) -> None:
    from promptforge import RetryPolicy

    server.script("generateContent", wire.Reply(wire.spec(subject="x").body, delay=1.0))
    enhancer = GeminiEnhancer(api_key=API_KEY, base_url=server.url, timeout=0.2)
    pipe = Pipeline(enhancer, FakeGenerator(), retry=RetryPolicy.none())
    with pytest.raises(TransientError, match=r"no answer within 0\.2 s"):
        pipe.enhance("a corgi")


async def test_a_refused_connection_is_transient() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    enhancer = GeminiEnhancer(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError):
        await enhancer.enhance(EnhanceRequest(prompt="a corgi"))


def test_auth_errors_map_to_configuration_or_permanent() -> None:
    from google.auth import exceptions

    missing = map_error(exceptions.DefaultCredentialsError("no ADC"), model="m")
    assert isinstance(missing, ConfigurationError)
    assert "GOOGLE_CLOUD_PROJECT" in str(missing)
    refused = map_error(exceptions.RefreshError("invalid_grant"), model="m")
    assert isinstance(refused, BackendError)
    assert not refused.retryable
    flaky = map_error(exceptions.TransportError("dns"), model="m")
    assert isinstance(flaky, TransientError)


def test_other_errors_are_not_mapped() -> None:
    assert map_error(ValueError("a bug"), model="m") is None
    assert isinstance(map_error(TimeoutError("slow"), model="m"), TransientError)
