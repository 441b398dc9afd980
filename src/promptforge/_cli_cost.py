"""``promptforge batch --estimate`` and ``--budget``, and the cost lines of its summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._budget import Estimate
from ._cli_input import BatchFile
from ._cli_types import positive
from ._cost import CostTally
from ._pipeline import Pipeline


def add_cost_arguments(parser: argparse.ArgumentParser) -> None:
    """``--budget USD`` and ``--estimate``."""
    parser.add_argument("--budget", type=positive("an amount of USD"), metavar="USD", default=None,
                        help="never start an item that would take the batch past USD")  # fmt: skip
    parser.add_argument("--estimate", action="store_true",
                        help="print the estimated cost of the whole job; send nothing")  # fmt: skip


def print_estimate(
    pipe: Pipeline, source: BatchFile, args: argparse.Namespace, options: dict[str, Any]
) -> int:
    """Print what the batch would cost, with no request sent; exit 0."""
    items = (line.item for line in source.lines())
    estimate = pipe.estimate(items, style=args.style, **options)
    if getattr(args, "json", False):
        document = {"file": str(args.file), **estimate.model_dump(mode="json")}
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    models = {"enhance": pipe.enhancer.model, "generate": pipe.generator.model}
    print(f"estimate for {args.file}: {estimate.items} items (no request sent)")
    for stage, used in estimate.usage.items():
        images = ", ".join(f"{size}: {count}" for size, count in sorted(used.images.items()))
        tokens = (
            f"~{used.input_tokens:,} in, {used.output_tokens:,} out, "
            f"{used.thinking_tokens:,} thinking tokens"
        )
        what = (f"{used.image_count} images ({images}); " if images else "") + tokens
        usd = estimate.stages.get(stage)
        cost = "" if usd is None else f"${usd:,.4f}"
        print(f"  {stage:<10}{models.get(stage) or '-':<24}{cost:>11}  {what}")
    print(f"  {'total':<10}{'':<24}{_total(estimate):>11}")
    print(f"  {_basis(estimate)}")
    return 0


def _total(estimate: Estimate) -> str:
    return "unknown" if estimate.usd is None else f"${estimate.usd:,.4f}"


def _basis(estimate: Estimate) -> str:
    if estimate.usd is None:
        return (
            f"unknown: {estimate.missing}; the shipped catalogue has no prices yet: set them "
            "in a file named by PROMPTFORGE_MODELS (see docs/cost.md)"
        )
    dated = f"prices as of {estimate.prices_as_of}" if estimate.prices_as_of else "offline: free"
    return f"{dated}; images counted exactly, tokens an allowance (see docs/cost.md)"


def cost_rows(tally: CostTally) -> list[tuple[str, str, str]]:
    """The summary's cost lines: what the batch spent, and items the budget held back."""
    total = tally.total()
    note = f"{total.unpriced} more at an unknown price" if total.unpriced else ""
    if total.prices_as_of and not note:
        note = f"estimated; prices as of {total.prices_as_of}"
    rows = [("cost", f"${total.usd:,.4f}", note)]
    if total.over_budget:
        rows.append(("budget", str(total.over_budget), "items not started: over the budget"))
    return rows


def cost_json(tally: CostTally) -> dict[str, Any]:
    """The summary's cost, for ``--json``."""
    return {"cost": tally.total().model_dump(mode="json")}
