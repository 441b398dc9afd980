"""What a run used and cost, a batch under a budget, provenance in the files, the run log.

Offline: the fakes stand in for Gemini models, and a catalogue file of example prices
(``PROMPTFORGE_MODELS``) prices them as if they were, because the shipped catalogue has no
prices yet (see docs/cost.md). The figures below are an example, not Google's prices.

Usage:
    python examples/cost_and_provenance.py OUT_DIR

Writes the price file, the results and a run log into OUT_DIR. What it prints is also
asserted, so the example cannot drift from the library.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

EXAMPLE_PRICES = {
    "sources": {"example": {"title": "example figures, not Google's prices", "date": "2026-11-30"}},
    "models": {
        "gemini-3-pro-image": {
            "price": {"per_image": {"default": 0.134, "2K": 0.134, "4K": 0.24}},
            "cite": {"price": "example"},
        }
    },
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    prices = out / "example-prices.json"
    prices.write_text(json.dumps(EXAMPLE_PRICES, indent=2), "utf-8")
    os.environ["PROMPTFORGE_MODELS"] = str(prices)  # before the catalogue is first read

    from promptforge import GeneratorCapabilities, Pipeline, read_provenance, total_cost
    from promptforge._runlog import RunLog
    from promptforge.models import get
    from promptforge.testing import FakeEnhancer, FakeGenerator

    image_model = get("gemini-3-pro-image")
    capabilities = image_model.capabilities
    assert isinstance(capabilities, GeneratorCapabilities)
    generator = FakeGenerator(capabilities=capabilities.model_copy(update={"max_images": 4}))
    generator.model = image_model.name  # priced like the model it stands in for
    log = RunLog(out / "runs.sqlite3")
    pipe = Pipeline(FakeEnhancer(), generator, log=log)

    # One run: usage per stage and its cost.
    result = pipe.run("fluffy corgi wearing a tiny crown", n=2, image_size="4K", seed=7)
    assert result.cost is not None
    print(f"images by size: {dict(result.usage['generate'].images)}")
    print(f"cost: ${result.cost.usd:.3f} (prices as of {result.cost.prices_as_of})")
    assert result.cost.usd == 2 * 0.24

    # A batch: estimate it, then run it under a budget that holds the last item back.
    ideas = ["a red fox in the snow", "an owl at night", "a lighthouse in a storm"]
    estimate = pipe.estimate(ideas)
    print(f"estimate for {estimate.items} ideas: ${estimate.usd:.3f}")
    results = pipe.run_many(ideas, budget=0.30, concurrency=1, out_dir=out / "batch")
    print("batch:", ", ".join(r.error.type if r.error else "ok" for r in results))
    spent = total_cost(results)
    print(f"spent: ${spent.usd:.3f}, over budget: {spent.over_budget}")
    assert [r.ok for r in results] == [True, True, False]
    assert len(generator.calls) == 3  # the first run's call, and one per item started

    # Provenance travels inside the image file.
    saved = next(r for r in results if r.ok)
    file = out / "batch" / saved.id / f"image-0{saved.images[0].extension}"
    facts = read_provenance(file)
    assert facts is not None
    print(f"provenance: idea={facts.idea!r} model={facts.generator_model} id={facts.result_id}")
    assert facts.result_id == saved.id

    # The run log: every run above, searchable.
    found = log.search("owl")
    print(f"log: {len(log)} runs; search 'owl' -> {[entry.idea for entry in found]}")
    assert [entry.idea for entry in found] == ["an owl at night"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    main(parser.parse_args().out)
