"""Estimates before anything is spent, and the budget a batch never passes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from pydantic import Field

from ._adapt import Plan
from ._cost import Priced, price_stage
from ._errors import BudgetExceededError, InvalidRequestError
from ._model import FrozenMap, Model
from ._usage import Usage, add_usage

K = TypeVar("K", bound=str)

TYPICAL: dict[str, Usage] = {
    "enhance": Usage(input_tokens=900, output_tokens=400, thinking_tokens=1500),
    "generate": Usage(input_tokens=300, output_tokens=50),
}
"""Token allowances per item for a stage before this batch has measured any: a Gemini
enhancer call (instructions + idea in, a ``PromptSpec`` out, thinking) and an image call's
prompt. Once an item finishes, the batch uses the most any item has used instead."""
REFERENCE_TOKENS = 1100
"""Input tokens allowed per reference image, before any are measured."""


@dataclass(frozen=True)
class Stager:
    """A stage's backend as the estimate needs it: its model, and whether it is offline."""

    model: str | None
    offline: bool


class Estimate(Model):
    """What a job would cost, worked out before any request is sent."""

    items: int = 0
    """Inputs counted."""
    usage: FrozenMap[str, Usage] = Field(default_factory=dict)
    """The usage assumed, per stage (images exact; tokens an allowance, see ``TYPICAL``)."""
    stages: FrozenMap[str, float] = Field(default_factory=dict)
    """USD per stage; empty when a price is unknown."""
    usd: float | None = None
    """The total; None when a price it needs is unknown (``missing`` says which)."""
    prices_as_of: date | None = None
    """The date of the oldest price used."""
    missing: str | None = None
    """The unknown price, when there is one."""


class Estimator:
    """Estimates the cost of an item from its planned options and what items used so far."""

    def __init__(self, stages: dict[str, Stager]) -> None:
        self.stages = stages
        self.measured: dict[str, Usage] = {}

    def usage(self, run_plan: Plan) -> dict[str, Usage]:
        """The usage assumed for one item: its images exactly, tokens from what the
        batch has measured (the most any item used), else the ``TYPICAL`` allowance
        (none for an offline backend, which reports no tokens)."""
        options = run_plan.options
        generate = self.measured.get("generate")
        if generate is None:
            references = len(options.references) * REFERENCE_TOKENS
            generate = TYPICAL["generate"] + Usage(input_tokens=references)
        tokens = {
            "enhance": self.measured.get("enhance", TYPICAL["enhance"]),
            "generate": generate.model_copy(update={"images": {}}),
        }
        usage = {
            name: Usage() if stager.offline else tokens[name]  # offline: no tokens to count
            for name, stager in self.stages.items()
        }
        usage["generate"] += Usage.of_images(sum(run_plan.calls), options.image_size)
        return usage

    def price(self, usage: dict[str, Usage]) -> Priced:
        """``usage`` priced stage by stage."""
        total, dates = 0.0, []
        for name, used in usage.items():
            stager = self.stages[name]
            priced = price_stage(stager.model, used, offline=stager.offline)
            if priced.usd is None:
                return priced
            total += priced.usd
            dates += [priced.as_of] if priced.as_of else []
        return Priced(total, min(dates) if dates else None)

    def estimate(self, plans: Iterable[Plan]) -> Estimate:
        """The estimate for a job of ``plans`` (one per item), read one at a time."""
        usage: dict[str, Usage] = {}
        items = 0
        for run_plan in plans:
            usage = add_usage(usage, self.usage(run_plan))
            items += 1
        stages: dict[str, float] = {}
        dates: list[date] = []
        for name, used in usage.items():
            priced = self.price({name: used})
            if priced.usd is None:
                return Estimate(items=items, usage=usage, missing=priced.missing)
            stages[name] = round(priced.usd, 6)
            dates += [priced.as_of] if priced.as_of else []
        return Estimate(
            items=items,
            usage=usage,
            stages=stages,
            usd=round(sum(stages.values()), 6),
            prices_as_of=min(dates) if dates else None,
        )

    def measure(self, usage: Mapping[K, Usage]) -> None:
        """Remember an item's usage: later estimates allow the most any item used."""
        for name, used in usage.items():
            seen = self.measured.get(name, Usage())
            self.measured[name] = Usage(
                input_tokens=max(seen.input_tokens, used.input_tokens),
                output_tokens=max(seen.output_tokens, used.output_tokens),
                thinking_tokens=max(seen.thinking_tokens, used.thinking_tokens),
            )


def check_budget(budget: object) -> float | None:
    """``budget`` if it is None or a positive number of USD, else ``InvalidRequestError``."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget > 0:
        raise InvalidRequestError(
            f"budget: must be a number of USD above 0, got {budget!r}", field="budget"
        )
    if not math.isfinite(budget):
        raise InvalidRequestError(f"budget: must be finite, got {budget!r}", field="budget")
    return float(budget)


@dataclass
class Budget:
    """USD a batch may spend: each item reserves its estimate before it starts, and the
    reservation becomes what it cost once it finishes."""

    limit: float
    spent: float = 0.0
    reserved: float = 0.0
    refused: int = 0
    held: dict[int, float] = field(default_factory=dict)

    def reserve(self, index: int, usd: float) -> bool:
        """Reserve ``usd`` for item ``index``; False (nothing reserved) if it would pass
        the budget."""
        if self.spent + self.reserved + usd > self.limit * (1 + 1e-9):
            self.refused += 1
            return False
        self.held[index] = usd
        self.reserved += usd
        return True

    def settle(self, index: int, usd: float | None) -> None:
        """Item ``index`` finished having cost ``usd`` (its estimate when unknown)."""
        held = self.held.pop(index, 0.0)
        self.reserved -= held
        self.spent += held if usd is None else usd

    def refusal(self, usd: float) -> str:
        """Why an item of estimated ``usd`` was not started."""
        return (
            f"budget: not started; its estimated ${usd:.4f} would pass the budget of "
            f"${self.limit:.2f} (${self.spent:.4f} spent, ${self.reserved:.4f} in flight)"
        )


class Spender:
    """A batch's budget and estimator together: ``admit`` before an item starts,
    ``settle`` once it ended."""

    def __init__(self, limit: float, estimator: Estimator) -> None:
        self.budget = Budget(limit)
        self.estimator = estimator

    def check(self, run_plan: Plan) -> None:
        """Refuse the budget up front when the prices it needs are unknown.

        Raises:
            InvalidRequestError: a price an item needs is not in the catalogue.
        """
        priced = self.estimator.price(self.estimator.usage(run_plan))
        if priced.usd is None:
            raise InvalidRequestError(
                f"budget: cannot be checked: {priced.missing}; set the price in a model "
                "catalogue file named by PROMPTFORGE_MODELS (see docs/cost.md), or run "
                "without budget",
                field="budget",
            )

    def admit(self, index: int, run_plan: Plan) -> None:
        """Reserve item ``index``'s estimate.

        Raises:
            BudgetExceededError: it would pass the budget (nothing reserved).
            InvalidRequestError: its own options need a price that is unknown.
        """
        self.check(run_plan)
        usd = self.estimator.price(self.estimator.usage(run_plan)).usd
        assert usd is not None
        if not self.budget.reserve(index, usd):
            raise BudgetExceededError(self.budget.refusal(usd))

    def settle(self, index: int, cost: float | None, usage: Mapping[K, Usage]) -> None:
        """Item ``index`` ended having cost ``cost`` and used ``usage``."""
        self.budget.settle(index, cost)
        self.estimator.measure(usage)
