from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from promptforge import ConfigurationError, EnhanceRequest, Pipeline, TransientError
from promptforge._errors import BackendError
from promptforge._google._errors import map_error
from promptforge._google._settings import configured, resolve
from promptforge.enhancers import Enhancer, GeminiEnhancer
from promptforge.generators import GeminiImageGenerator, Generator, ImagenGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

from . import server as wire
from .conftest import API_KEY, NO_ADC

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

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
    with pytest.raises(TransientError, match="connection failed"):
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
    assert str(missing).startswith("no application default credentials found for Vertex AI")
    assert "gcloud auth application-default login" in str(missing)
    refused = map_error(exceptions.RefreshError("invalid_grant"), model="m")
    assert isinstance(refused, BackendError)
    assert not refused.retryable
    flaky = map_error(exceptions.TransportError("dns"), model="m")
    assert isinstance(flaky, TransientError)


def test_other_errors_are_not_mapped() -> None:
    assert map_error(ValueError("a bug"), model="m") is None
    assert isinstance(map_error(TimeoutError("slow"), model="m"), TransientError)


def _token() -> Credentials:
    from google.oauth2.credentials import Credentials

    return Credentials(token="t0k")  # type: ignore[no-untyped-call]


def test_imagen_takes_the_documented_vertexai_argument(server: GoogleServer) -> None:
    server.script("predict", wire.predictions([image_bytes(8, 8)]))
    generator = ImagenGenerator(
        vertexai=True, project="p", credentials=_token(), base_url=server.url
    )
    assert Pipeline(FakeEnhancer(), generator).run("a corgi").ok
    with pytest.raises(ConfigurationError, match="Vertex AI only"):
        ImagenGenerator(vertexai=False, api_key=API_KEY)


@pytest.mark.parametrize(
    "build",
    [
        lambda url: GeminiEnhancer(api_key=API_KEY, base_url=url),
        lambda url: GeminiImageGenerator(api_key=API_KEY, base_url=url),
        lambda url: ImagenGenerator(project="p", credentials=_token(), base_url=url),
    ],
    ids=["GeminiEnhancer", "GeminiImageGenerator", "ImagenGenerator"],
)
def test_building_and_using_a_backend_leaves_the_warning_filters_alone(
    server: GoogleServer, build: Callable[[str], Enhancer | Generator]
) -> None:
    server.default("predict", wire.imagen_for_request)
    server.default("generateContent", wire.gemini_image_for_request)
    before = list(warnings.filters)
    backend = build(server.url)
    if isinstance(backend, ImagenGenerator):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            assert Pipeline(FakeEnhancer(), backend).run("a corgi").ok
        assert [str(w.message) for w in said] == []  # google-genai's deprecation: not ours to say
    assert warnings.filters == before


VERTEX_ENV = {
    "GOOGLE_GENAI_USE_VERTEXAI": "true",
    "GOOGLE_CLOUD_PROJECT": "p",
    "GOOGLE_CLOUD_LOCATION": "europe-west4",
}


@pytest.mark.parametrize("backend", [GeminiEnhancer, GeminiImageGenerator, ImagenGenerator])
def test_vertex_without_adc_fails_at_construction_naming_the_cause(
    monkeypatch: pytest.MonkeyPatch, backend: Callable[[], object]
) -> None:
    for name, value in VERTEX_ENV.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        backend()
    message = str(raised.value)
    assert message.startswith("no application default credentials found for Vertex AI")
    assert "gcloud auth application-default login" in message
    assert str(NO_ADC) in message  # google-auth's own reason: the file it looked for
    assert "set GOOGLE_API_KEY" not in message


def test_adc_found_at_construction_are_the_ones_used(
    server: GoogleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth

    looked_up: list[object] = []

    def default(**kwargs: object) -> tuple[Credentials, str]:
        looked_up.append(kwargs)
        return _token(), "adc-project"

    monkeypatch.setattr(google.auth, "default", default)
    server.script("generateContent", wire.spec(subject="a fox"))
    enhancer = GeminiEnhancer(project="p", base_url=server.url)
    assert looked_up == [{"scopes": ["https://www.googleapis.com/auth/cloud-platform"]}]
    Pipeline(enhancer, FakeGenerator()).enhance("a fox")
    assert server.requests[0].headers["authorization"] == "Bearer t0k"
    assert len(looked_up) == 1


def test_explicit_credentials_or_an_api_key_need_no_adc(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth

    def default(**kwargs: object) -> None:
        raise AssertionError("ADC looked up")

    monkeypatch.setattr(google.auth, "default", default)
    GeminiEnhancer(project="p", credentials=_token())
    GeminiEnhancer(vertexai=True, api_key=API_KEY)  # Vertex AI express mode
    GeminiEnhancer(api_key=API_KEY)


def test_the_command_line_names_the_missing_adc(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(VERTEX_ENV, GOOGLE_APPLICATION_CREDENTIALS=str(NO_ADC))
    done = subprocess.run(
        [sys.executable, "-m", "promptforge", "enhance", "a fox"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 5  # configuration
    assert done.stderr.startswith(
        "promptforge: error: no application default credentials found for Vertex AI "
        "(project p, location europe-west4): run `gcloud auth application-default login`"
    )
    assert done.stderr.count("\n") == 1


def test_an_unknown_error_without_a_secret_passes_as_itself() -> None:
    from promptforge._google._errors import translate

    bug = ValueError("a bug")
    with (
        pytest.raises(ValueError, match="a bug") as raised,
        translate(model="m", secrets=(API_KEY,)),
    ):
        raise bug
    assert raised.value is bug
