"""Defaults by role through the real google-genai client: listing, overrides, fallbacks,
named and retired models, thinking levels."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from promptforge import BackendError, InvalidRequestError, Pipeline
from promptforge._google import _models
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

from . import server as wire
from .conftest import API_KEY
from .test_cli_google import answer, run

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer

PNG = image_bytes(64, 64)


def google_pipeline(server: GoogleServer) -> Pipeline:
    return Pipeline(
        GeminiEnhancer(api_key=API_KEY, base_url=server.url),
        GeminiImageGenerator(api_key=API_KEY, base_url=server.url),
    )


def test_generate_resolves_current_models_and_records_them(
    server: GoogleServer, tmp_path: Path
) -> None:
    server.default("generateContent", answer)
    done = run(server, tmp_path, "generate", "a fox", "--json")
    assert done.returncode == 0, done.stderr
    stages = json.loads(done.stdout)["stages"]
    assert stages["enhance"]["model"] == "gemini-3.8-flash"
    assert stages["generate"]["model"] == "gemini-nano-banana-2.1"
    (listing,) = server.calls("listModels")
    assert "/models?" in listing.path
    assert "publishers" not in listing.path
    assert listing.headers["x-goog-api-key"] == API_KEY
    assert [c.model for c in server.calls("generateContent")] == [
        "gemini-3.8-flash",
        "gemini-nano-banana-2.1",
    ]


def test_resolution_picks_the_first_preference_that_is_listed(server: GoogleServer) -> None:
    server.listed = ["gemini-3.5-flash-lite", "gemini-3-pro-image", "gemini-3.6-flash"]
    server.default("generateContent", answer)
    pipe = google_pipeline(server)
    assert pipe.generator.model == "gemini-nano-banana-2.1"  # provisional: nothing sent yet
    assert server.requests == []
    result = pipe.run("a fox", n=2)
    assert result.stages["enhance"].model == "gemini-3.6-flash"
    assert result.stages["generate"].model == "gemini-3-pro-image"
    assert pipe.generator.model == "gemini-3-pro-image"
    assert len(server.calls("listModels")) == 1  # both roles, both concurrent image calls
    assert {c.model for c in server.calls("generateContent")} == {
        "gemini-3.6-flash",
        "gemini-3-pro-image",
    }


def test_vertex_ai_lists_publisher_models(server: GoogleServer, vertex_client: Client) -> None:
    server.listed = ["gemini-3.1-flash-lite-image"]
    server.default("generateContent", wire.gemini_image_for_request)
    result = Pipeline(FakeEnhancer(), GeminiImageGenerator(client=vertex_client)).run("a fox")
    assert result.stages["generate"].model == "gemini-3.1-flash-lite-image"
    (listing,) = server.calls("listModels")
    assert "/publishers/google/models" in listing.path


def test_an_environment_override_wins_without_listing(
    server: GoogleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTFORGE_IMAGE_MODEL", "gemini-3-pro-image")
    monkeypatch.setenv("PROMPTFORGE_ENHANCER_MODEL", "gemini-3.1-flash-lite")
    server.default("generateContent", answer)
    pipe = google_pipeline(server)
    assert pipe.generator.model == "gemini-3-pro-image"
    result = pipe.run("a fox", image_size="4K")
    assert result.stages["generate"].model == "gemini-3-pro-image"
    assert result.stages["enhance"].model == "gemini-3.1-flash-lite"
    assert server.calls("listModels") == []


def test_a_listing_error_falls_back_to_the_first_preference(
    server: GoogleServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("listModels", wire.error(403, "PERMISSION_DENIED", "no list for you"))
    server.default("generateContent", answer)
    with caplog.at_level(logging.DEBUG, logger="promptforge"):
        result = google_pipeline(server).run("a fox")
    assert result.ok
    assert result.stages["generate"].model == "gemini-nano-banana-2.1"
    assert result.stages["enhance"].model == "gemini-3.8-flash"
    assert len(server.calls("listModels")) == 1  # the failure is remembered too
    (record,) = [r for r in caplog.records if "listing models failed" in r.getMessage()]
    assert record.levelno == logging.DEBUG
    assert "403" in record.getMessage()
    assert API_KEY not in caplog.text


def test_when_no_preference_is_listed_the_first_one_is_tried(server: GoogleServer) -> None:
    server.listed = ["gemini-2.5-flash"]
    server.default("generateContent", wire.gemini_image_for_request)
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url)
    Pipeline(FakeEnhancer(), generator).run("a fox")
    assert generator.model == "gemini-nano-banana-2.1"


def test_options_are_checked_again_against_the_model_chosen(server: GoogleServer) -> None:
    server.listed = ["gemini-3-pro-image"]
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url)
    with pytest.raises(InvalidRequestError, match="aspect_ratio: '1:8'") as raised:
        Pipeline(FakeEnhancer(), generator).run("a fox", aspect_ratio="1:8")
    assert raised.value.field == "aspect_ratio"
    assert server.calls("generateContent") == []


def test_a_named_retired_model_is_kept_warned_once_and_its_404_names_the_replacement(
    server: GoogleServer,
    api_client: Client,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_models, "_announced", set())
    server.script("generateContent", wire.error(404, "NOT_FOUND", "models/x is not found"))
    with caplog.at_level(logging.WARNING, logger="promptforge"):
        generator = GeminiImageGenerator(model="gemini-2.5-flash-image", client=api_client)
        GeminiImageGenerator(model="gemini-2.5-flash-image", client=api_client)
    (warning,) = caplog.records
    assert "gemini-2.5-flash-image was retired on 2026-10-02" in warning.getMessage()
    assert "GeminiImageGenerator(model='gemini-nano-banana-2.1')" in warning.getMessage()
    with pytest.raises(BackendError) as raised:
        Pipeline(FakeEnhancer(), generator).run("a fox")
    assert raised.value.status == 404
    assert "retired on 2026-10-02" in str(raised.value)
    assert "use GeminiImageGenerator(model='gemini-nano-banana-2.1') instead" in str(raised.value)
    assert [c.model for c in server.requests] == ["gemini-2.5-flash-image"]  # never swapped


def test_a_deprecated_text_model_is_kept_and_its_shutdown_announced(
    server: GoogleServer,
    api_client: Client,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_models, "_announced", set())
    server.script("generateContent", wire.spec(subject="a fox"))
    with caplog.at_level(logging.WARNING, logger="promptforge"):
        enhancer = GeminiEnhancer(model="gemini-2.5-flash", client=api_client)
    assert "shuts down on 2026-12-01" in caplog.text
    assert "GeminiEnhancer(model='gemini-3.8-flash')" in caplog.text
    Pipeline(enhancer, FakeGenerator()).enhance("a fox")
    (call,) = server.requests
    assert call.model == "gemini-2.5-flash"
    assert "thinkingConfig" not in call.body["generationConfig"]  # no levels on this model


def test_a_new_model_works_with_its_familys_capabilities(
    server: GoogleServer, api_client: Client
) -> None:
    server.script("generateContent", wire.image(PNG))
    generator = GeminiImageGenerator(model="gemini-9-flash-image", client=api_client)
    assert generator.capabilities.max_images == 1
    assert generator.capabilities.image_sizes == ()
    assert Pipeline(FakeEnhancer(), generator).run("a fox").ok
    assert server.requests[0].model == "gemini-9-flash-image"


def test_a_text_model_for_the_image_generator_is_refused(api_client: Client) -> None:
    with pytest.raises(InvalidRequestError, match="text model") as raised:
        GeminiImageGenerator(model="gemini-3.8-flash", client=api_client)
    assert raised.value.field == "model"
    assert "gemini-nano-banana-2.1" in raised.value.allowed


def test_a_user_catalogue_model_is_used_with_its_capabilities(
    server: GoogleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({
        "roles": {"image": ["gemini-4-flash-image", "gemini-nano-banana-2.1"]},
        "models": {"gemini-4-flash-image": {
            "family": "gemini-image", "status": "current",
            "capabilities": {"aspect_ratios": ["1:1", "2:1"], "image_sizes": ["2K"]},
        }},
    }))  # fmt: skip
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(path))
    server.listed = ["gemini-4-flash-image", "gemini-nano-banana-2.1"]
    server.default("generateContent", wire.gemini_image_for_request)
    generator = GeminiImageGenerator(api_key=API_KEY, base_url=server.url)
    result = Pipeline(FakeEnhancer(), generator).run("a fox", aspect_ratio="2:1", image_size="2K")
    assert result.stages["generate"].model == "gemini-4-flash-image"
    config = server.calls("generateContent")[0].body["generationConfig"]["imageConfig"]
    assert config == {"aspectRatio": "2:1", "imageSize": "2K"}


def test_image_thinking_and_the_512_size_where_offered(
    server: GoogleServer, api_client: Client
) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    pipe = Pipeline(
        FakeEnhancer(), GeminiImageGenerator(model="gemini-nano-banana-2.1", client=api_client)
    )
    pipe.run("a fox", thinking="high", image_size="512", aspect_ratio="8:1")
    config = server.requests[0].body["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "8:1", "imageSize": "512"}
    assert "HIGH" in config["thinkingConfig"].values()  # under the key google-genai sends
    with pytest.raises(InvalidRequestError, match=r"thinking: 'low'.*allowed: minimal, high"):
        pipe.run("a fox", thinking="low")
    pro = Pipeline(
        FakeEnhancer(), GeminiImageGenerator(model="gemini-3-pro-image", client=api_client)
    )
    with pytest.raises(InvalidRequestError, match="image_size: '512'"):
        pro.run("a fox", image_size="512")
    assert len(server.requests) == 1
    dropped = pro.run("a fox", thinking="high")  # not adjustable on this model: dropped
    assert any("thinking" in w for w in dropped.warnings)
    assert "thinkingConfig" not in server.requests[1].body["generationConfig"]


def test_the_enhancer_thinks_low_and_counts_thinking_tokens(
    server: GoogleServer, api_client: Client
) -> None:
    reply = wire.spec(subject="a fox")
    assert isinstance(reply.body, dict)
    reply.body["usageMetadata"] = {
        "promptTokenCount": 100, "candidatesTokenCount": 40, "thoughtsTokenCount": 25,
    }  # fmt: skip
    server.script("generateContent", reply)
    enhancer = GeminiEnhancer(model="gemini-3.8-flash", client=api_client)
    prompt = Pipeline(enhancer, FakeGenerator()).enhance("a fox")
    assert prompt.usage == {"prompt": 100, "output": 65, "thinking": 25}
    thinking = server.requests[0].body["generationConfig"]["thinkingConfig"]
    assert list(thinking.values()) == ["LOW"]  # as google-genai sends it


def test_models_available_marks_what_the_key_can_call(server: GoogleServer, tmp_path: Path) -> None:
    server.listed = ["gemini-3.6-flash", "gemini-nano-banana-2.1", "gemini-2.5-flash"]
    done = run(server, tmp_path, "models", "--available")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[-1] == "AVAILABLE"
    row = {line.split()[0]: line.split()[-1] for line in lines[1:] if line.startswith("gemini")}
    assert row["gemini-3.6-flash"] == "yes"
    assert row["gemini-3.8-flash"] == "no"
    assert "enhancer: gemini-3.6-flash" in done.stdout
    assert "image:    gemini-nano-banana-2.1" in done.stdout
    assert API_KEY not in done.stdout + done.stderr
    assert len(server.calls("listModels")) == 1


def test_models_available_as_json_and_when_listing_fails(
    server: GoogleServer, tmp_path: Path
) -> None:
    server.script("listModels", wire.error(500, "INTERNAL", "boom"))
    done = run(server, tmp_path, "models", "--available", "--kind", "image")
    assert done.returncode == 0, done.stderr
    assert "could not list the models" in done.stdout
    assert "image:    gemini-nano-banana-2.1" in done.stdout
    server.listed = ["gemini-3-pro-image"]
    done = run(server, tmp_path, "models", "--available", "--json")
    document = json.loads(done.stdout)
    assert document["listed"] is True
    assert document["roles"]["image"] == "gemini-3-pro-image"
    available = {m["name"] for m in document["models"] if m["available"]}
    assert available == {"gemini-3-pro-image"}


def test_models_shows_prices_from_a_user_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": {
        "gemini-3-pro-image": {"price": {"per_image": 0.134}},
        "gemini-3.8-flash": {"price": {"input_per_mtok": 0.5, "output_per_mtok": 3}},
    }}))  # fmt: skip
    env = {**os.environ, "PROMPTFORGE_MODELS": str(path)}
    done = subprocess.run(
        [sys.executable, "-m", "promptforge", "models"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    assert "$0.134/image" in done.stdout
    assert "$0.5/M in, $3/M out" in done.stdout
