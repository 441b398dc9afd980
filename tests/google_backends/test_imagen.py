from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from promptforge import (
    BackendError,
    ConfigurationError,
    ContentBlockedError,
    InvalidRequestError,
    Pipeline,
    RateLimitedError,
    RetryPolicy,
    TransientError,
)
from promptforge.generators import ImagenGenerator
from promptforge.testing import FakeEnhancer, check_generator, image_bytes

from . import server as wire

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer

PNG = image_bytes(64, 36)


def pipe(client: Client, model: str = "imagen-4.0-generate-001", **kw: object) -> Pipeline:
    return Pipeline(FakeEnhancer(), ImagenGenerator(model=model, client=client), **kw)  # type: ignore[arg-type]


def test_generates_with_the_full_option_set(server: GoogleServer, vertex_client: Client) -> None:
    server.script("predict", wire.predictions([PNG, PNG], rewritten="A corgi, rewritten"))
    result = pipe(vertex_client).run(
        "a corgi",
        n=2,
        aspect_ratio="16:9",
        seed=7,
        safety_filter_level="block_only_high",
        person_generation="allow_adult",
        output_mime_type="image/png",
        image_size="2K",
        enhance_prompt=True,
        labels={"team": "catalogue"},
    )
    assert [(i.width, i.height, i.revised_prompt) for i in result.images] == [
        (64, 36, "A corgi, rewritten"),
    ] * 2
    (call,) = server.calls("predict")
    assert call.model == "imagen-4.0-generate-001"
    assert "/projects/test-project/locations/us-central1/" in call.path
    assert call.body["instances"] == [{"prompt": "A corgi."}]
    parameters = call.body["parameters"]
    assert parameters["sampleCount"] == 2
    assert parameters["aspectRatio"] == "16:9"
    assert parameters["seed"] == 7
    assert parameters["addWatermark"] is False
    assert parameters["safetySetting"] == "BLOCK_ONLY_HIGH"
    assert parameters["personGeneration"] == "ALLOW_ADULT"
    assert parameters["sampleImageSize"] == "2K"
    assert parameters["enhancePrompt"] is True
    assert parameters["includeRaiReason"] is True
    assert parameters["outputOptions"]["mimeType"] == "image/png"
    assert call.body["labels"] == {"team": "catalogue"}
    assert any("watermark" in w for w in result.warnings)


def test_negative_prompt_is_folded_for_models_that_reject_it(
    server: GoogleServer, vertex_client: Client
) -> None:
    server.script("predict", wire.predictions([PNG]))
    result = pipe(vertex_client).run("a corgi", negative_prompt="large crown")
    parameters = server.calls("predict")[0].body["parameters"]
    assert "negativePrompt" not in parameters
    assert server.calls("predict")[0].body["instances"][0]["prompt"].endswith("Avoid: large crown.")
    assert any("folded" in w for w in result.warnings)


def test_negative_prompt_is_sent_to_models_that_take_it(
    server: GoogleServer, vertex_client: Client
) -> None:
    server.script("predict", wire.predictions([PNG]))
    pipe(vertex_client, "imagen-3.0-generate-001").run("a corgi", negative_prompt="large crown")
    assert server.calls("predict")[0].body["parameters"]["negativePrompt"] == "large crown"


def test_strict_mode_refuses_the_fold_before_any_request(
    server: GoogleServer, vertex_client: Client
) -> None:
    with pytest.raises(InvalidRequestError, match="negative_prompt"):
        pipe(vertex_client, strict=True).run("a corgi", negative_prompt="large crown")
    assert server.requests == []


def test_more_images_than_a_call_allows_are_split(
    server: GoogleServer, vertex_client: Client
) -> None:
    server.default("predict", wire.imagen_for_request)
    result = pipe(vertex_client).run("a corgi", n=6)
    assert len(result.images) == 6
    assert sorted(c.body["parameters"]["sampleCount"] for c in server.calls("predict")) == [2, 4]
    ultra = pipe(vertex_client, "imagen-4.0-ultra-generate-001").run("a corgi", n=2)
    assert len(ultra.images) == 2


def test_an_explicit_watermark_beats_the_seed(server: GoogleServer, vertex_client: Client) -> None:
    server.script("predict", wire.predictions([PNG]))
    result = pipe(vertex_client).run("a corgi", seed=3, add_watermark=True)
    parameters = server.calls("predict")[0].body["parameters"]
    assert "seed" not in parameters
    assert parameters["addWatermark"] is True
    assert any("seed dropped" in w for w in result.warnings)


def test_some_filtered_images_are_reported(server: GoogleServer, vertex_client: Client) -> None:
    server.script("predict", wire.predictions([PNG], filtered=["39322892: person"]))
    result = pipe(vertex_client).run("a corgi", n=2)
    assert len(result.images) == 1
    assert [f.reason for f in result.filtered] == ["39322892: person"]


@pytest.mark.parametrize(
    "reply",
    [wire.predictions(filtered=["56562880: violence", "56562880: violence"]), wire.Reply({})],
)
def test_all_filtered_is_content_blocked(
    server: GoogleServer, vertex_client: Client, reply: wire.Reply
) -> None:
    server.script("predict", reply)
    with pytest.raises(ContentBlockedError) as raised:
        pipe(vertex_client).run("a corgi", n=2)
    assert raised.value.stage == "generate"
    assert len(server.requests) == 1


def test_responsible_ai_400_is_a_block_not_bad_input(
    server: GoogleServer, vertex_client: Client
) -> None:
    message = (
        "Image generation failed with the following error: The prompt could not be submitted. "
        "This prompt contains sensitive words that violate Google's Responsible AI practices. "
        "Try rephrasing the prompt. Support codes: 42876398"
    )
    server.script("predict", wire.error(400, "INVALID_ARGUMENT", message))
    with pytest.raises(ContentBlockedError, match="Support codes: 42876398"):
        pipe(vertex_client).run("something unsafe")
    assert len(server.requests) == 1


def test_rate_limit_then_success_honours_the_hint(
    server: GoogleServer, vertex_client: Client, waits: list[float]
) -> None:
    server.script(
        "predict", wire.rate_limited("3s"), wire.rate_limited("3s"), wire.predictions([PNG])
    )
    result = pipe(vertex_client).run("a corgi")
    assert result.stages["generate"].attempts == 3
    assert waits == [3.0, 3.0]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (wire.error(503, "UNAVAILABLE", "try later"), TransientError),
        (wire.error(400, "INVALID_ARGUMENT", "sampleCount out of range"), BackendError),
        (wire.error(403, "PERMISSION_DENIED", "Vertex AI API not enabled"), BackendError),
    ],
)
def test_errors_after_retries(
    server: GoogleServer,
    vertex_client: Client,
    waits: list[float],
    reply: wire.Reply,
    error: type[Exception],
) -> None:
    server.default("predict", reply)
    with pytest.raises(error):
        pipe(vertex_client).run("a corgi")
    expected = 5 if error is TransientError else 1
    assert len(server.requests) == expected


def test_a_dropped_connection_is_transient(
    server: GoogleServer, vertex_client: Client, waits: list[float]
) -> None:
    server.script("predict", wire.Reply(drop=True), wire.predictions([PNG]))
    result = pipe(vertex_client).run("a corgi")
    assert result.stages["generate"].attempts == 2


def test_a_retired_model_404_names_the_replacement(
    server: GoogleServer, vertex_client: Client
) -> None:
    server.script("predict", wire.error(404, "NOT_FOUND", "Publisher Model was not found"))
    with pytest.raises(BackendError) as raised:
        pipe(vertex_client, "imagen-4.0-ultra-generate-001").run("a corgi")
    assert raised.value.status == 404
    assert "retired on 2026-08-17" in str(raised.value)
    assert "GeminiImageGenerator(model='gemini-3-pro-image')" in str(raised.value)


def test_a_retired_model_is_announced_once(
    vertex_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="promptforge"):
        ImagenGenerator(model="imagen-3.0-fast-generate-001", client=vertex_client)
        ImagenGenerator(model="imagen-3.0-fast-generate-001", client=vertex_client)
    assert len(caplog.records) == 1
    assert "GeminiImageGenerator(model='gemini-nano-banana-2.1')" in caplog.text


def test_imagen_needs_vertex(api_client: Client) -> None:
    with pytest.raises(ConfigurationError, match="Vertex AI only"):
        ImagenGenerator(client=api_client)
    with pytest.raises(ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        ImagenGenerator()


def test_its_own_vertex_client(server: GoogleServer) -> None:
    from google.oauth2.credentials import Credentials

    server.script("predict", wire.predictions([PNG]))
    generator = ImagenGenerator(
        project="my-project",
        location="europe-west4",
        credentials=Credentials(token="t0k"),  # type: ignore[no-untyped-call]
        base_url=server.url,
    )
    assert Pipeline(FakeEnhancer(), generator).run("a corgi").ok
    (call,) = server.requests
    assert "/projects/my-project/locations/europe-west4/" in call.path
    assert call.headers["authorization"] == "Bearer t0k"


def test_passes_the_generator_contract(server: GoogleServer, vertex_client: Client) -> None:
    server.default("predict", wire.imagen_for_request)
    check_generator(ImagenGenerator(client=vertex_client))


def test_rate_limited_error_carries_retry_after_from_header(
    server: GoogleServer, vertex_client: Client
) -> None:
    server.script("predict", wire.rate_limited(None, retry_after="11"))
    with pytest.raises(RateLimitedError) as raised:
        pipe(vertex_client, retry=RetryPolicy.none()).run("a corgi")
    assert raised.value.retry_after == 11.0


def test_the_rate_limit_keeps_within_the_servers_quota(
    server: GoogleServer, vertex_client: Client
) -> None:
    from promptforge import RateLimit

    server.default("predict", wire.imagen_for_request)
    server.quota("predict", rpm=600)  # 10 a second
    prompts = [f"corgi {i}" for i in range(12)]
    generator = ImagenGenerator(client=vertex_client)
    unlimited = Pipeline(FakeEnhancer(), generator, retry=RetryPolicy.none())
    flooded = unlimited.run_many(prompts, concurrency=12)
    assert server.statuses["predict", 429] > 0  # without a limit the quota is exceeded
    assert not all(r.ok for r in flooded)
    server.statuses.clear()
    # A fresh bucket (the flood emptied the last one) that forgives a little bunching: on a
    # loaded machine a stalled client thread can release two spaced requests together.
    server.quota("predict", rpm=600, burst=3)
    limited = Pipeline(
        FakeEnhancer(),
        generator,
        retry=RetryPolicy.none(),
        generate_rate_limit=RateLimit(rpm=300),  # half the quota: a margin for jitter
    )
    results = limited.run_many(prompts, concurrency=12)
    assert all(r.ok for r in results)
    assert server.statuses["predict", 429] == 0
