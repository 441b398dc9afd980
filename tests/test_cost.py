"""Usage and cost on results, estimates, and budgets that stop a batch in time."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from promptforge import (
    BudgetExceededError,
    GenerationResult,
    GeneratorCapabilities,
    InvalidRequestError,
    Pipeline,
    Usage,
)
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.models import get
from promptforge.testing import FakeEnhancer, FakeGenerator

IMAGE_MODEL = "gemini-3-pro-image"


def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, price: dict[str, object]) -> None:
    """A user catalogue file that prices the image model, named by PROMPTFORGE_MODELS."""
    path = tmp_path / "models.json"
    document = {
        "sources": {"pricing": {"title": "pricing page (test figures)", "date": "2026-11-28"}},
        "models": {IMAGE_MODEL: {"price": price, "cite": {"price": "pricing"}}},
    }
    path.write_text(json.dumps(document), "utf-8")
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(path))


def priced_pipe(**kwargs: object) -> tuple[Pipeline, FakeGenerator]:
    capabilities = get(IMAGE_MODEL).capabilities
    assert isinstance(capabilities, GeneratorCapabilities)
    generator = FakeGenerator(capabilities=capabilities.model_copy(update={"max_images": 4}))
    generator.model = IMAGE_MODEL  # priced from the catalogue like the real model
    return Pipeline(FakeEnhancer(), generator, **kwargs), generator  # type: ignore[arg-type]


PRICE = {"input_per_mtok": 2.0, "output_per_mtok": 12.0, "per_image": 0.10}


def test_the_shipped_catalogue_has_no_invented_prices() -> None:
    assert get(IMAGE_MODEL).price is None


def test_offline_runs_cost_nothing_and_count_their_images() -> None:
    result = Pipeline(RuleEnhancer(), PreviewGenerator()).run("a fox", n=2)
    assert result.usage["generate"] == Usage(images={"default": 2})
    assert result.usage["enhance"] == Usage()
    assert result.cost is not None
    assert (result.cost.usd, result.cost.prices_as_of) == (0.0, None)


def test_cost_by_image_size_with_the_prices_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue(tmp_path, monkeypatch, {"per_image": {"1K": 0.039, "2K": 0.134, "default": 0.039}})
    pipe, _ = priced_pipe()
    for size, each in (("1K", 0.039), ("2K", 0.134), (None, 0.039)):
        options = {"image_size": size} if size else {}
        result = pipe.run("a fox", n=3, **options)  # type: ignore[arg-type]
        assert result.cost is not None
        assert result.cost.usd == pytest.approx(3 * each)
        assert result.cost.stages == {"enhance": 0.0, "generate": pytest.approx(3 * each)}
        assert result.cost.prices_as_of == date(2026, 11, 28)
    assert pipe.run("a fox", image_size="4K").cost is None  # no 4K price: unknown, not guessed


def test_an_uncatalogued_offline_backend_is_free_and_an_unpriced_online_one_unknown() -> None:
    from promptforge._cost import price_stage

    usage = Usage(input_tokens=1_000_000, images={"default": 2})
    assert price_stage("fake-model", usage, offline=True).usd == 0.0
    unknown = price_stage(IMAGE_MODEL, usage, offline=False)
    assert unknown.usd is None
    assert unknown.missing == f"no price for {IMAGE_MODEL} in the model catalogue"


def test_batch_mode_prices_half(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptforge._cost import price_stage

    catalogue(tmp_path, monkeypatch, {**PRICE, "batch_discount": 0.5})
    usage = Usage(input_tokens=500_000, images={"default": 2})
    assert price_stage(IMAGE_MODEL, usage, offline=False).usd == pytest.approx(1.0 + 0.2)
    assert price_stage(IMAGE_MODEL, usage, offline=False, batch_mode=True).usd == pytest.approx(0.6)


def test_usage_and_cost_survive_save_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue(tmp_path, monkeypatch, PRICE)
    result = priced_pipe()[0].run("a fox", n=2)
    assert result.cost is not None
    loaded = GenerationResult.load(result.save(tmp_path / "out"))
    assert loaded == result
    assert loaded.usage["generate"].image_count == 2


def test_a_result_json_without_usage_or_cost_still_loads(tmp_path: Path) -> None:
    folder = Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox").save(tmp_path)
    document = json.loads((folder / "result.json").read_text("utf-8"))
    del document["usage"], document["cost"]
    (folder / "result.json").write_text(json.dumps(document), "utf-8")
    loaded = GenerationResult.load(folder)
    assert (dict(loaded.usage), loaded.cost) == ({}, None)


def test_estimate_counts_images_exactly_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue(tmp_path, monkeypatch, PRICE)
    pipe, generator = priced_pipe()
    estimate = pipe.estimate(["a fox", {"prompt": "an owl", "n": 3}], n=2)
    assert estimate.items == 2
    assert estimate.usage["generate"].images == {"default": 5}
    assert estimate.usage["generate"].input_tokens == 0  # a fake reports no tokens
    assert estimate.usd == pytest.approx(5 * 0.10)
    assert estimate.prices_as_of == date(2026, 11, 28)
    assert generator.calls == []


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_budget_stops_the_batch_before_the_item_that_would_pass_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, concurrency: int
) -> None:
    catalogue(tmp_path, monkeypatch, PRICE)
    pipe, generator = priced_pipe()
    prompts = [f"fox {number}" for number in range(5)]
    results = pipe.run_many(prompts, concurrency=concurrency, budget=0.35)
    assert [r.ok for r in results] == [True, True, True, False, False]
    assert len(generator.calls) == 3  # nothing was sent for the items over budget
    for refused in results[3:]:
        assert refused.error is not None
        assert refused.error.type == "BudgetExceededError"
        assert "would pass the budget of $0.35" in refused.error.message
        assert refused.cost is not None
        assert refused.cost.usd == 0.0
        with pytest.raises(BudgetExceededError):
            refused.raise_for_error()
    assert sum(r.cost.usd for r in results if r.cost) == pytest.approx(0.30)


@pytest.mark.parametrize("budget", [0, -1, "5", True, float("nan"), float("inf")])
def test_a_budget_must_be_a_positive_number(budget: object) -> None:
    pipe = Pipeline(RuleEnhancer(), PreviewGenerator())
    with pytest.raises(InvalidRequestError, match="budget"):
        pipe.run_many(["a fox"], budget=budget)  # type: ignore[arg-type]


def test_offline_batches_keep_any_budget() -> None:
    results = Pipeline(RuleEnhancer(), PreviewGenerator()).run_many(["a", "b"], budget=0.01)
    assert all(r.ok for r in results)


def test_a_user_price_must_cite_a_source_or_is_cited_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": {IMAGE_MODEL: {"price": {"per_image": 0.2}}}}))
    monkeypatch.setenv("PROMPTFORGE_MODELS", str(path))
    info = get(IMAGE_MODEL)
    assert info.price is not None
    assert info.price.image_price("2K") == 0.2
    assert info.cite["price"].source == f"PROMPTFORGE_MODELS={path}"


def test_rounds_add_their_usage_and_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptforge.testing import FakeJudge, scripted_verdict

    catalogue(tmp_path, monkeypatch, PRICE)
    pipe, generator = priced_pipe(judge=FakeJudge([scripted_verdict(0.4, fix="shrink the crown")]))
    best = pipe.run("a corgi with a crown", target=0.8, max_rounds=2)
    assert len(best.rounds) == 2
    assert (len(generator.calls), len(generator.edit_calls)) == (1, 1)  # a render, an edit
    assert best.usage["generate"].image_count == 1
    assert best.usage["edit"].image_count == 1
    assert best.cost is not None
    assert best.cost.usd == pytest.approx(2 * 0.10)
    assert best.cost.stages == {"enhance": 0.0, "generate": 0.1, "edit": 0.1, "judge": 0.0}
    assert best.usage["judge"].empty  # FakeJudge reports no tokens: an offline judge is free
