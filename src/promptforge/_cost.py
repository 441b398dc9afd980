"""What a run cost: usage priced from the model catalogue, never from a guessed price."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from pydantic import Field

from ._errors import InvalidRequestError
from ._model import FrozenMap, Model
from ._usage import Usage

if TYPE_CHECKING:
    from ._result import GenerationResult
    from .models import ModelInfo

K = TypeVar("K", bound=str)


class Cost(Model):
    """The estimated cost of a result in USD, from the catalogue's list prices.

    ``result.cost`` is None when a price it needed is unknown (the shipped catalogue has no
    prices yet: set them with ``PROMPTFORGE_MODELS``, see ``docs/cost.md``).
    """

    usd: float = Field(ge=0)
    """The total, every stage together."""
    stages: FrozenMap[str, float] = Field(default_factory=dict)
    """USD per stage (``"enhance"``, ``"generate"``, ``"edit"``)."""
    prices_as_of: date | None = None
    """The date of the oldest price used (None when every stage ran offline, for free)."""


@dataclass(frozen=True)
class Priced:
    """A price worked out, or why it could not be: ``usd`` None and ``missing`` says what."""

    usd: float | None
    as_of: date | None = None
    missing: str | None = None


FREE = Priced(0.0)


def price_stage(
    model: str | None, usage: Usage, *, offline: bool, batch_mode: bool = False
) -> Priced:
    """Price ``usage`` of ``model`` from the catalogue.

    A model the catalogue prices is priced (also when a fake or offline backend stands in
    for it); otherwise an offline backend is free and any other is unknown.
    """
    info = _model_info(model)
    if info is None or info.price is None:
        if offline:
            return FREE
        return Priced(None, missing=f"no price for {model or 'the model'} in the model catalogue")
    price = info.price
    usd, dates = 0.0, []
    tokens = (
        ("input_per_mtok", usage.input_tokens),
        ("output_per_mtok", usage.output_tokens),
        ("thinking_per_mtok", usage.thinking_tokens),
    )
    for field, count in tokens:
        if not count:
            continue
        rate = getattr(price, field)
        if rate is None:
            return Priced(None, missing=f"{info.name}: price.{field} is unknown")
        usd += count * rate / 1_000_000
        dates.append(info.price_date(field))
    for size, count in usage.images.items():
        each = price.image_price(size)
        if each is None:
            where = "per_image" if not isinstance(price.per_image, Mapping) else "per_image." + size
            return Priced(None, missing=f"{info.name}: price.{where} is unknown")
        usd += count * each
        dates.append(info.price_date("per_image"))
    if batch_mode and usd:
        if price.batch_discount is None:
            return Priced(None, missing=f"{info.name}: price.batch_discount is unknown")
        usd *= 1 - price.batch_discount
        dates.append(info.price_date("batch_discount"))
    known = [day for day in dates if day is not None]
    return Priced(usd, min(known) if known else None)


def price_stages(
    usage: Mapping[str, Usage],
    models: Mapping[str, str | None],
    offline: Iterable[str],
    *,
    batch_mode: bool = False,
) -> Priced:
    """Every stage of ``usage`` priced and added up; unknown as soon as one stage is."""
    free = set(offline)
    total, dates = 0.0, []
    for stage, used in usage.items():
        priced = price_stage(models.get(stage), used, offline=stage in free, batch_mode=batch_mode)
        if priced.usd is None:
            return priced
        total += priced.usd
        dates.append(priced.as_of)
    known = [day for day in dates if day is not None]
    return Priced(total, min(known) if known else None)


def cost_of(
    usage: Mapping[K, Usage],
    models: Mapping[str, str | None],
    offline: Iterable[str],
    batch: Iterable[str] = (),
) -> Cost | None:
    """The ``Cost`` of a run, or None when a price it needs is unknown. Stages in ``batch``
    ran in Google Batch Mode and are priced with the model's ``batch_discount``."""
    free, discounted = set(offline), set(batch)
    stages: dict[str, float] = {}
    dates: list[date] = []
    for stage, used in usage.items():
        priced = price_stage(
            models.get(stage), used, offline=stage in free, batch_mode=stage in discounted
        )
        if priced.usd is None:
            return None
        stages[stage] = round(priced.usd, 6)
        dates += [priced.as_of] if priced.as_of else []
    return Cost(
        usd=round(sum(stages.values()), 6),
        stages=stages,
        prices_as_of=min(dates) if dates else None,
    )


def add_costs(costs: Iterable[Cost | None]) -> Cost | None:
    """Costs added up stage by stage (rounds of one run); None if any is unknown."""
    stages: dict[str, float] = {}
    dates: list[date] = []
    for cost in costs:
        if cost is None:
            return None
        for stage, usd in cost.stages.items():
            stages[stage] = round(stages.get(stage, 0.0) + usd, 6)
        dates += [cost.prices_as_of] if cost.prices_as_of else []
    return Cost(
        usd=round(sum(stages.values()), 6), stages=stages, prices_as_of=min(dates, default=None)
    )


def _model_info(model: str | None) -> ModelInfo | None:
    """The catalogue's entry for ``model``, or None when it has none (or no family)."""
    if not model:
        return None
    from . import models as catalogue

    try:
        return catalogue.get(model)
    except InvalidRequestError:  # not a catalogued model, nor one of a known family
        return None


class TotalCost(Model):
    """What a batch spent: ``total_cost(results)``."""

    usd: float = 0.0
    """The cost of the results whose cost is known."""
    unpriced: int = 0
    """Results run whose cost is unknown (a price was missing): not in ``usd``."""
    over_budget: int = 0
    """Items not started because they would have passed the budget."""
    prices_as_of: date | None = None
    """The date of the oldest price used."""


class CostTally:
    """Adds up a batch's cost as its results arrive (``total_cost`` at the end)."""

    def __init__(self) -> None:
        self.usd, self.unpriced, self.over_budget = 0.0, 0, 0
        self.dates: set[date] = set()

    def add(self, result: GenerationResult) -> None:
        """Count ``result``; one resumed from an earlier run costs nothing now."""
        if result.resumed:
            return
        if result.error is not None and result.error.type == "BudgetExceededError":
            self.over_budget += 1
        elif result.cost is None:
            self.unpriced += 1
        else:
            self.usd += result.cost.usd
            self.dates |= {result.cost.prices_as_of} if result.cost.prices_as_of else set()

    def total(self) -> TotalCost:
        """The sum so far."""
        return TotalCost(
            usd=round(self.usd, 6),
            unpriced=self.unpriced,
            over_budget=self.over_budget,
            prices_as_of=min(self.dates, default=None),
        )


def total_cost(results: Iterable[GenerationResult]) -> TotalCost:
    """Add up the cost of a batch's results (``run_many`` / ``stream``); results resumed
    from an earlier run cost nothing now and are left out."""
    tally = CostTally()
    for result in results:
        tally.add(result)
    return tally.total()
