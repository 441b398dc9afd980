"""Usage read from Google's answers, summed per stage, and priced from the catalogue."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from promptforge import InvalidRequestError, Pipeline, RetryPolicy, Usage
from promptforge.enhancers import GeminiEnhancer
from promptforge.generators import GeminiImageGenerator
from promptforge.testing import image_bytes

from . import server as wire

if TYPE_CHECKING:
    from google.genai import Client

    from .server import GoogleServer, Recorded

PNG = image_bytes(64, 64)
SPEC = json.dumps({"subject": "corgi", "style": "watercolour"})
ENHANCER_USAGE = {"promptTokenCount": 500, "candidatesTokenCount": 200, "thoughtsTokenCount": 300}
PRICES = {
    "as_of": "2026-11-30",
    "sources": {"pricing": {"title": "Gemini API pricing (test figures)", "date": "2026-11-29"}},
    "models": {
        "gemini-3.8-flash": {
            "price": {"input_per_mtok": 0.5, "output_per_mtok": 3.0, "thinking_per_mtok": 3.0},
            "cite": {"price": "pricing"},
        },
        "gemini-3-pro-image": {
            "price": {
                "input_per_mtok": 2.0,
                "output_per_mtok": 12.0,
                "per_image": {"1K": 0.134, "2K": 0.134, "4K": 0.24, "default": 0.134},
            },
            "cite": {"price": "pricing"},
        },
    },
}


@pytest.fixture
def priced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(PRICES), "utf-8")
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(path))


def google_pipe(client: Client) -> Pipeline:
    return Pipeline(
        GeminiEnhancer(model="gemini-3.8-flash", client=client),
        GeminiImageGenerator(model="gemini-3-pro-image", client=client),
        retry=RetryPolicy(max_attempts=3, initial_delay=0, jitter=False),
    )


def test_usage_is_read_from_each_answer_and_summed_over_calls_and_retries(
    server: GoogleServer, api_client: Client, priced: None
) -> None:
    server.script(
        "generateContent",
        wire.content([{"text": SPEC}], usage_metadata=ENHANCER_USAGE),
        wire.error(503, "UNAVAILABLE", "try again"),  # a failed attempt reports nothing
        wire.image(PNG, note="One.", usage_metadata=wire.image_usage(40, 5, 1120, 60)),
        wire.image(PNG, note="Two.", usage_metadata=wire.image_usage(40, 7, 1120, 80)),
    )
    result = google_pipe(api_client).run("a corgi", n=2, image_size="4K")
    assert result.stages["generate"].attempts == 3
    assert result.usage["enhance"] == Usage(
        input_tokens=500, output_tokens=200, thinking_tokens=300
    )
    assert result.usage["generate"] == Usage(
        input_tokens=80, output_tokens=12, thinking_tokens=140, image_tokens=2240, images={"4K": 2}
    )
    assert result.prompt is not None
    assert result.prompt.usage == {"prompt": 500, "output": 500, "thinking": 300}
    # enhance: 500 x 0.5 + 200 x 3 + 300 x 3 per million; generate: 2 images at 4K, 80 in,
    # 12 out, and 140 thinking tokens with no thinking price... which the image model lacks
    assert result.cost is None


def test_cost_follows_the_catalogue_for_each_image_size(
    server: GoogleServer, api_client: Client, priced: None
) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    pipe = google_pipe(api_client)
    costs = {}
    for size in ("1K", "2K", "4K", None):
        server.script(
            "generateContent", wire.content([{"text": SPEC}], usage_metadata=ENHANCER_USAGE)
        )
        options = {"image_size": size} if size else {}
        result = pipe.run("a corgi", n=2, **options)  # type: ignore[arg-type]
        assert result.cost is not None
        assert result.cost.prices_as_of == date(2026, 11, 29)
        costs[size] = result.cost
    enhance = (500 * 0.5 + 200 * 3.0 + 300 * 3.0) / 1e6
    generate_tokens = (2 * 120 * 2.0 + 2 * 80 * 12.0) / 1e6  # wire.usage() per image call
    for size, each in (("1K", 0.134), ("2K", 0.134), ("4K", 0.24), (None, 0.134)):
        cost = costs[size]
        assert cost.stages["enhance"] == pytest.approx(enhance)
        assert cost.stages["generate"] == pytest.approx(2 * each + generate_tokens)
        assert cost.usd == pytest.approx(enhance + 2 * each + generate_tokens)


def test_an_edit_records_its_own_usage_and_cost(
    server: GoogleServer, api_client: Client, priced: None
) -> None:
    server.script(
        "generateContent",
        wire.content([{"text": SPEC}], usage_metadata=ENHANCER_USAGE),
        wire.image(PNG, usage_metadata=wire.image_usage(40, 0, 1120)),
        wire.image(PNG, usage_metadata=wire.image_usage(1400, 0, 1120)),
    )
    pipe = google_pipe(api_client)
    edited = pipe.edit(pipe.run("a corgi", image_size="2K"), "smaller crown", image_size="2K")
    assert set(edited.usage) == {"edit"}
    assert edited.usage["edit"] == Usage(input_tokens=1400, image_tokens=1120, images={"2K": 1})
    assert edited.cost is not None
    assert edited.cost.usd == pytest.approx(0.134 + 1400 * 2.0 / 1e6)


def test_without_prices_the_cost_is_unknown_not_guessed(
    server: GoogleServer, api_client: Client
) -> None:
    server.default("generateContent", wire.gemini_image_for_request)
    server.script("generateContent", wire.spec(subject="corgi"))
    result = google_pipe(api_client).run("a corgi")
    assert result.usage["generate"].image_count == 1
    assert result.cost is None


def test_a_budget_with_unknown_prices_is_refused_before_any_request(
    server: GoogleServer, api_client: Client
) -> None:
    pipe = google_pipe(api_client)
    estimate = pipe.estimate(["a corgi"])
    assert estimate.usd is None
    assert estimate.missing == "no price for gemini-3.8-flash in the model catalogue"
    with pytest.raises(InvalidRequestError, match="budget: cannot be checked: no price for"):
        pipe.run_many(["a corgi"], budget=5)
    assert server.requests == []


def test_a_budget_stops_a_google_batch_and_sends_nothing_for_the_rest(
    server: GoogleServer, api_client: Client, priced: None
) -> None:
    def answer(request: Recorded) -> wire.Reply:
        if request.model == "gemini-3.8-flash":
            return wire.content([{"text": SPEC}], usage_metadata=ENHANCER_USAGE)
        return wire.gemini_image_for_request(request)

    server.default("generateContent", answer)
    pipe = google_pipe(api_client)
    results = pipe.run_many(["a corgi", "an owl", "a fox"], concurrency=1, budget=0.3)
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error is not None
    assert results[2].error.type == "BudgetExceededError"
    assert len(server.requests) == 4  # two items x (enhance + image); none for the third
