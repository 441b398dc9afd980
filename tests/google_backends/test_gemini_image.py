from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from promptforge import ContentBlockedError, InvalidRequestError, Pipeline
from promptforge.generators import GeminiImageGenerator
from promptforge.testing import FakeEnhancer, check_generator, image_bytes

from . import server as wire
from .conftest import API_KEY

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer

PNG = image_bytes(64, 36)


def pipe(client: Client, model: str = "gemini-2.5-flash-image") -> Pipeline:
    return Pipeline(FakeEnhancer(), GeminiImageGenerator(model=model, client=client))


def test_generates_an_image_and_keeps_the_models_note(
    server: GoogleServer, api_client: Client
) -> None:
    server.script("generateContent", wire.image(PNG, note="A corgi on a cushion."))
    result = pipe(api_client).run("a corgi", aspect_ratio="16:9", seed=5)
    (image,) = result.images
    assert (image.width, image.height, image.mime_type) == (64, 36, "image/png")
    assert image.metadata == {"note": "A corgi on a cushion."}
    assert image.seed == 5
    (call,) = server.requests
    assert call.model == "gemini-2.5-flash-image"
    config = call.body["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9"}
    assert config["seed"] == 5
    assert call.body["contents"][0]["parts"][0]["text"] == "A corgi."
    assert call.headers["x-goog-api-key"] == API_KEY


def test_n_images_are_n_concurrent_calls(server: GoogleServer, api_client: Client) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    server.latency = 1.0  # long enough that the three calls are in the server together
    result = pipe(api_client).run("a corgi", n=3, aspect_ratio="21:9")
    assert len(result.images) == 3
    assert len(server.requests) == 3
    assert result.stages["generate"].attempts == 3
    assert server.max_in_flight["generateContent"] == 3  # concurrent, not one after another


def test_negative_prompt_is_folded_with_a_warning(server: GoogleServer, api_client: Client) -> None:
    server.script("generateContent", wire.image(PNG))
    result = pipe(api_client).run("a corgi", negative_prompt="large crown")
    assert (
        server.requests[0].body["contents"][0]["parts"][0]["text"].endswith("Avoid: large crown.")
    )
    assert any("folded" in w for w in result.warnings)


def test_image_size_where_the_model_has_it(server: GoogleServer, api_client: Client) -> None:
    with pytest.raises(InvalidRequestError, match="image_size") as raised:
        pipe(api_client).run("a corgi", image_size="2K")
    assert raised.value.field == "image_size"
    assert server.requests == []
    server.script("generateContent", wire.image(PNG))
    pipe(api_client, "gemini-3-pro-image").run("a corgi", image_size="4K")
    assert server.requests[0].body["generationConfig"]["imageConfig"]["imageSize"] == "4K"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (wire.text("I can't create images of real people."), "STOP"),
        (wire.content([], "IMAGE_SAFETY"), "IMAGE_SAFETY"),
        (wire.prompt_blocked("SAFETY"), "SAFETY"),
        (wire.content([], "PROHIBITED_CONTENT"), "PROHIBITED_CONTENT"),
    ],
)
def test_an_answer_without_an_image_is_content_blocked(
    server: GoogleServer, api_client: Client, reply: wire.Reply, reason: str
) -> None:
    server.script("generateContent", reply)
    with pytest.raises(ContentBlockedError) as raised:
        pipe(api_client).run("a famous person")
    assert raised.value.reasons[0] == reason
    assert len(server.requests) == 1


def test_a_refusal_note_is_in_the_error(server: GoogleServer, api_client: Client) -> None:
    server.script("generateContent", wire.text("I can't create images of real people."))
    with pytest.raises(ContentBlockedError, match="real people"):
        pipe(api_client).run("a famous person")


def test_vertex_defaults_to_the_global_location(server: GoogleServer) -> None:
    from google.oauth2.credentials import Credentials

    server.script("generateContent", wire.image(PNG))
    generator = GeminiImageGenerator(
        vertexai=True,
        project="p1",
        credentials=Credentials(token="tok"),  # type: ignore[no-untyped-call]
        base_url=server.url,
    )
    assert Pipeline(FakeEnhancer(), generator).run("a corgi").ok
    assert (
        "/projects/p1/locations/global/publishers/google/models/"
        in server.calls("generateContent")[0].path
    )


def test_environment_configuration(server: GoogleServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    server.script("generateContent", wire.image(PNG))
    generator = GeminiImageGenerator(base_url=server.url)
    assert API_KEY not in repr(generator)
    assert Pipeline(FakeEnhancer(), generator).run("a corgi").ok
    assert server.calls("generateContent")[0].headers["x-goog-api-key"] == API_KEY


def test_one_client_per_event_loop(server: GoogleServer) -> None:
    import asyncio

    server.default("generateContent", wire.gemini_image_for_request)
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url)
    pipeline = Pipeline(FakeEnhancer(), generator)
    pipeline.run("on the portal loop")
    asyncio.run(pipeline.arun("on a loop of its own"))
    pipeline.run("on the portal loop again")
    assert len(generator._google._clients) == 1  # the asyncio.run loop's client went with it
    assert len(server.calls("generateContent")) == 3


def test_passes_the_generator_contract(server: GoogleServer, api_client: Client) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    check_generator(GeminiImageGenerator(client=api_client))


async def test_closing_the_pipeline_closes_the_clients_it_built(server: GoogleServer) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url)
    async with Pipeline(FakeEnhancer(), generator) as pipeline:
        await pipeline.arun("a corgi")
        (client,) = generator._google._clients.values()
    assert generator._google._clients == {}
    assert client.aio._api_client._async_httpx_client.is_closed
    again = await pipeline.arun("a corgi")  # a new client, built on demand
    assert again.ok
    await pipeline.aclose()


def test_an_apps_own_client_is_left_open(server: GoogleServer, api_client: Client) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    with Pipeline(FakeEnhancer(), GeminiImageGenerator(client=api_client)) as pipeline:
        pipeline.run("a corgi")
    assert not api_client._api_client._httpx_client.is_closed
