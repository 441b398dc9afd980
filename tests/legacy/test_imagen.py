"""LegacyImagenGenerator through the real Vertex AI SDK (REST), no network."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from google_backends import server as wire
from promptforge import (
    BackendError,
    ConfigurationError,
    ContentBlockedError,
    Pipeline,
    RateLimitedError,
    RetryPolicy,
    TransientError,
)
from promptforge.legacy import LegacyImagenGenerator
from promptforge.testing import FakeEnhancer, check_generator, image_bytes

if TYPE_CHECKING:
    from google_backends.server import GoogleServer

PNG = image_bytes(64, 36)


def pipe(model: str = "imagen-4.0-generate-001", **kw: object) -> Pipeline:
    return Pipeline(FakeEnhancer(), LegacyImagenGenerator(model=model), **kw)  # type: ignore[arg-type]


def test_generates_with_the_full_option_set(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.predictions([PNG, PNG], rewritten="A corgi, rewritten"))
    result = pipe().run(
        "a corgi",
        n=2,
        aspect_ratio="16:9",
        seed=7,
        safety_filter_level="block_only_high",
        person_generation="allow_adult",
        output_mime_type="image/jpeg",
        output_compression_quality=80,
        image_size="2K",
        enhance_prompt=True,
        labels={"team": "catalogue"},
    )
    assert [(i.width, i.height, i.revised_prompt) for i in result.images] == [
        (64, 36, "A corgi, rewritten"),
    ] * 2
    lookup, call = vertex.requests
    assert lookup.method == "getPublisherModel"
    assert lookup.path.startswith("/v1/publishers/google/models/imagen-4.0-generate-001")
    assert call.path.startswith(
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/"
        "imagen-4.0-generate-001:predict"
    )
    assert call.headers["authorization"] == "Bearer test-token"
    assert call.body["instances"] == [{"prompt": "A corgi."}]
    parameters = call.body["parameters"]
    assert parameters["sampleCount"] == 2
    assert parameters["aspectRatio"] == "16:9"
    assert parameters["seed"] == 7
    assert parameters["addWatermark"] is False  # generate_images would have sent True
    assert parameters["safetySetting"] == "block_only_high"
    assert parameters["personGeneration"] == "allow_adult"
    assert parameters["sampleImageSize"] == "2K"
    assert parameters["enhancePrompt"] is True
    assert parameters["includeRaiReason"] is True
    assert parameters["outputOptions"] == {"mimeType": "image/jpeg", "compressionQuality": 80}
    assert any("watermark" in w for w in result.warnings)
    assert any("labels dropped" in w for w in result.warnings)


def test_without_a_seed_the_watermark_is_left_to_the_service(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.predictions([PNG]))
    pipe().run("a corgi")
    assert "addWatermark" not in vertex.calls("predict")[0].body["parameters"]


def test_an_explicit_watermark_beats_the_seed(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.predictions([PNG]))
    result = pipe().run("a corgi", seed=3, add_watermark=True)
    parameters = vertex.calls("predict")[0].body["parameters"]
    assert "seed" not in parameters
    assert parameters["addWatermark"] is True
    assert any("seed dropped" in w for w in result.warnings)


def test_negative_prompt_follows_the_capability_table(vertex: GoogleServer) -> None:
    vertex.default("predict", wire.predictions([PNG]))
    folded = pipe().run("a corgi", negative_prompt="large crown")
    first = vertex.calls("predict")[0].body
    assert "negativePrompt" not in first["parameters"]
    assert first["instances"][0]["prompt"].endswith("Avoid: large crown.")
    assert any("folded" in w for w in folded.warnings)
    pipe("imagen-3.0-generate-001").run("a corgi", negative_prompt="large crown")
    assert vertex.calls("predict")[1].body["parameters"]["negativePrompt"] == "large crown"


def test_more_images_than_a_call_allows_are_split(vertex: GoogleServer) -> None:
    vertex.default("predict", wire.imagen_for_request)
    result = pipe().run("a corgi", n=6)
    assert len(result.images) == 6
    assert sorted(c.body["parameters"]["sampleCount"] for c in vertex.calls("predict")) == [2, 4]
    assert len(vertex.calls("getPublisherModel")) == 1  # the model is looked up once


def test_some_filtered_images_are_reported(vertex: GoogleServer) -> None:
    answer = wire.predictions([PNG], filtered=["39322892: person"])
    vertex.script("predict", answer)
    result = pipe().run("a corgi", n=2)
    assert len(result.images) == 1
    assert [f.reason for f in result.filtered] == ["39322892: person"]


def test_the_sdk_alone_loses_the_images_beside_a_filtered_one(vertex: GoogleServer) -> None:
    """What the adapter works around: ``generate_images`` raises on a filter-only item."""
    from vertexai.preview.vision_models import ImageGenerationModel

    vertex.script("predict", wire.predictions([PNG], filtered=["39322892: person"]))
    model = ImageGenerationModel.from_pretrained("imagen-4.0-generate-001")
    with pytest.raises(ValueError, match="image_bytes or gcs_uri"):
        model.generate_images("a corgi", number_of_images=2)
    assert vertex.calls("predict")[0].body["parameters"]["addWatermark"] is True


@pytest.mark.parametrize(
    "reply",
    [wire.predictions(filtered=["56562880: violence", "56562880: violence"]), wire.Reply({})],
)
def test_all_filtered_is_content_blocked(vertex: GoogleServer, reply: wire.Reply) -> None:
    vertex.script("predict", reply)
    with pytest.raises(ContentBlockedError) as raised:
        pipe().run("a corgi", n=2)
    assert raised.value.stage == "generate"
    assert len(vertex.calls("predict")) == 1


def test_responsible_ai_400_is_a_block_not_bad_input(vertex: GoogleServer) -> None:
    message = (
        "Image generation failed with the following error: The prompt could not be submitted. "
        "This prompt contains sensitive words that violate Google's Responsible AI practices. "
        "Try rephrasing the prompt. Support codes: 42876398"
    )
    vertex.script("predict", wire.error(400, "INVALID_ARGUMENT", message))
    with pytest.raises(ContentBlockedError, match="Support codes: 42876398"):
        pipe().run("something unsafe")
    assert len(vertex.calls("predict")) == 1


def test_rate_limit_then_success_honours_the_hint(vertex: GoogleServer, waits: list[float]) -> None:
    vertex.script(
        "predict", wire.rate_limited("3s"), wire.rate_limited("3s"), wire.predictions([PNG])
    )
    result = pipe().run("a corgi")
    assert result.stages["generate"].attempts == 3
    assert waits == [3.0, 3.0]


def test_rate_limited_error_carries_retry_after_from_header(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.rate_limited(None, retry_after="11"))
    with pytest.raises(RateLimitedError) as raised:
        pipe(retry=RetryPolicy.none()).run("a corgi")
    assert raised.value.retry_after == 11.0


@pytest.mark.parametrize(
    ("reply", "error", "attempts"),
    [
        (wire.error(503, "UNAVAILABLE", "try later"), TransientError, 5),
        (wire.error(400, "INVALID_ARGUMENT", "sampleCount out of range"), BackendError, 1),
        (wire.error(403, "PERMISSION_DENIED", "Vertex AI API not enabled"), BackendError, 1),
    ],
)
def test_errors_after_retries(
    vertex: GoogleServer,
    waits: list[float],
    reply: wire.Reply,
    error: type[Exception],
    attempts: int,
) -> None:
    vertex.default("predict", reply)
    with pytest.raises(error) as raised:
        pipe().run("a corgi")
    assert type(raised.value) is error
    assert len(vertex.calls("predict")) == attempts  # the SDK itself never retried


def test_a_dropped_connection_is_transient(vertex: GoogleServer, waits: list[float]) -> None:
    vertex.script("predict", wire.Reply(drop=True), wire.predictions([PNG]))
    result = pipe().run("a corgi")
    assert result.stages["generate"].attempts == 2


def test_a_retired_model_404_names_the_replacement(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.error(404, "NOT_FOUND", "Publisher Model was not found"))
    with pytest.raises(BackendError) as raised:
        pipe("imagen-4.0-ultra-generate-001").run("a corgi")
    assert raised.value.status == 404
    assert "retired on 2026-08-17" in str(raised.value)
    assert "GeminiImageGenerator(model='gemini-3-pro-image')" in str(raised.value)


def test_a_model_the_lookup_does_not_know_is_a_permanent_404(vertex: GoogleServer) -> None:
    vertex.script("getPublisherModel", wire.error(404, "NOT_FOUND", "not found"))
    with pytest.raises(BackendError) as raised:
        pipe("imagen-3.0-generate-002").run("a corgi")
    assert raised.value.status == 404
    assert not raised.value.retryable
    assert "gemini-nano-banana-2.1" in str(raised.value)


def test_a_model_that_is_not_an_image_model_is_a_configuration_error(
    vertex: GoogleServer,
) -> None:
    def text_model(request: wire.Recorded) -> wire.Reply:
        reply = wire.publisher_model(request)
        assert isinstance(reply.body, dict)
        reply.body["predictSchemata"]["instanceSchemaUri"] = "gs://schema/text_1.0.0.yaml"
        return reply

    vertex.default("getPublisherModel", text_model)
    with pytest.raises(ConfigurationError, match="could not load it"):
        pipe().run("a corgi")


def test_refused_credentials_are_a_permanent_401(server: GoogleServer, vertex_config: None) -> None:
    from google.oauth2.credentials import Credentials

    server.default("getPublisherModel", wire.publisher_model)
    generator = LegacyImagenGenerator(
        project="p",
        credentials=Credentials(token=None),  # type: ignore[no-untyped-call]
        api_endpoint=server.url,
        api_transport="rest",
    )
    with pytest.raises(BackendError, match="credentials were refused") as raised:
        Pipeline(FakeEnhancer(), generator).run("a corgi")
    assert raised.value.status == 401
    assert server.requests == []


def test_its_own_settings_call_vertexai_init(server: GoogleServer, vertex_config: None) -> None:
    from google.oauth2.credentials import Credentials

    server.default("getPublisherModel", wire.publisher_model)
    server.script("predict", wire.predictions([PNG]))
    generator = LegacyImagenGenerator(
        model="imagen-3.0-generate-002",
        project="my-project",
        location="europe-west4",
        credentials=Credentials(token="t0k"),  # type: ignore[no-untyped-call]
        api_endpoint=server.url,
        api_transport="rest",
    )
    assert repr(generator) == "LegacyImagenGenerator(model='imagen-3.0-generate-002')"
    assert Pipeline(FakeEnhancer(), generator).run("a corgi").ok
    (call,) = server.calls("predict")
    assert "/projects/my-project/locations/europe-west4/" in call.path
    assert call.headers["authorization"] == "Bearer t0k"


def test_the_project_may_come_from_the_environment(
    server: GoogleServer, vertex_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.oauth2.credentials import Credentials

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "asia-northeast1")
    server.default("getPublisherModel", wire.publisher_model)
    server.script("predict", wire.predictions([PNG]))
    generator = LegacyImagenGenerator(
        credentials=Credentials(token="t"),  # type: ignore[no-untyped-call]
        api_endpoint=server.url,
        api_transport="rest",
    )
    Pipeline(FakeEnhancer(), generator).run("a corgi")
    assert "/projects/env-project/locations/asia-northeast1/" in server.calls("predict")[0].path


@pytest.mark.parametrize("env", [{}, {"GOOGLE_API_KEY": "AIza-only-a-key"}])
def test_own_settings_need_a_project(
    vertex_config: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        LegacyImagenGenerator(location="us-central1")


def test_passes_the_generator_contract(vertex: GoogleServer) -> None:
    vertex.default("predict", wire.imagen_for_request)
    check_generator(LegacyImagenGenerator())


def test_the_timeout_reaches_the_request(vertex: GoogleServer) -> None:
    vertex.script("predict", wire.Reply(wire.predictions([PNG]).body, delay=1.0))
    generator = LegacyImagenGenerator()
    generator.timeout = 0.2
    with pytest.raises(TransientError):
        Pipeline(FakeEnhancer(), generator, retry=RetryPolicy.none()).run("a corgi")


def test_a_retired_model_is_announced_once(
    vertex: GoogleServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from promptforge._google import _models

    monkeypatch.setattr(_models, "_announced", set())
    with caplog.at_level(logging.WARNING, logger="promptforge"):
        LegacyImagenGenerator(model="imagen-3.0-fast-generate-001")
        LegacyImagenGenerator(model="imagen-3.0-fast-generate-001")
    assert len(caplog.records) == 1
    assert "GeminiImageGenerator(model='gemini-nano-banana-2.1')" in caplog.text
