"""Many prompts at once: ``run_many`` (input order) and ``stream`` (completion order).

A batch never raises for one item: a failed item is a ``GenerationResult`` with
``ok=False`` and ``error`` set (type, message, stage, retryable), so one bad prompt does not
sink the rest. Here ``FakeGenerator(respond=...)`` scripts the failures:

- prompts mentioning a logo are refused by the "safety filter" (``ContentBlockedError``,
  never retried);
- prompts mentioning a crowd get every image withheld (all ``filtered``, which the pipeline
  turns into ``ContentBlockedError``);
- the first call for a lighthouse fails with a 503 (``TransientError``), which the retry
  policy retries; ``instant_retries()`` skips the real wait;
- one item asks for an aspect ratio the generator does not offer (``InvalidRequestError``,
  refused before any backend call).

Usage:
    python examples/batch.py [OUT_DIR]

Nothing is written unless OUT_DIR is given; then the streamed results are saved there as
they finish. What it prints is also asserted, so the example cannot drift from the library.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from promptforge import (
    ContentBlockedError,
    EnhancedPrompt,
    FilteredImage,
    GenerationOutput,
    GenerationResult,
    ImageOptions,
    Pipeline,
    TransientError,
)
from promptforge.testing import FakeEnhancer, FakeGenerator, instant_retries

PROMPTS: list[str | Mapping[str, Any]] = [
    "fluffy corgi wearing a tiny crown",
    "a lighthouse in a storm at night",
    "the Acme logo on a coffee mug",
    "a red fox curled up in fresh snow",
    "a crowd of fans in a stadium",
    {"prompt": "a paper boat on a puddle", "style": "watercolor", "n": 3},
    "a robot reading a newspaper",
    {"prompt": "a panorama of the Alps", "aspect_ratio": "21:9"},
    "a bowl of ramen, top-down",
    "an astronaut tending a tomato plant",
]

# index -> why it fails: the logo and the crowd are blocked, 21:9 is refused before any call
EXPECTED_FAILURES = {
    2: "ContentBlockedError",
    4: "ContentBlockedError",
    7: "InvalidRequestError",
}

_failed_once: set[str] = set()


async def respond(prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput | None:
    """The fake generator's behaviour once its script is empty; None = default images."""
    idea = prompt.original.lower()
    await asyncio.sleep(0.002 * len(idea))  # uneven latency, so completion order differs
    if "logo" in idea:
        raise ContentBlockedError("prompt refused: trademarked logo", reasons=["trademark"])
    if "crowd" in idea:
        return GenerationOutput(filtered=[FilteredImage(reason="identifiable people")] * options.n)
    if "lighthouse" in idea and idea not in _failed_once:
        _failed_once.add(idea)
        raise TransientError("503 Service Unavailable", status=503)
    return None


def make_pipeline() -> tuple[Pipeline, FakeGenerator]:
    generator = FakeGenerator(respond=respond)
    return Pipeline(enhancer=FakeEnhancer(), generator=generator), generator


def summary(results: list[GenerationResult]) -> None:
    print(f"{'#':>2}  {'ok':<3} {'images':>6} {'calls':>5}  {'prompt':<36} error")
    for r in results:
        prompt = r.request.prompt if r.request else "?"
        calls = r.stages["generate"].attempts if "generate" in r.stages else 0
        error = f"{r.error.type} ({r.error.stage or 'before any call'})" if r.error else ""
        ok = "yes" if r.ok else "no"
        row = f"{r.index:>2}  {ok:<3} {len(r.images):>6} {calls:>5}  {prompt[:36]:<36} {error}"
        print(row.rstrip())
    failed = [r for r in results if not r.ok]
    images = sum(len(r.images) for r in results)
    print(f"{len(results) - len(failed)} ok, {len(failed)} failed, {images} images")


async def stream_all(out: Path | None) -> None:
    pipe, generator = make_pipeline()
    order: list[int | None] = []
    async for r in pipe.stream(PROMPTS, concurrency=3, seed=1):
        order.append(r.index)
        if r.ok and out is not None:
            r.save(out)  # written as each result finishes, not at the end
        elif r.error is not None:
            print(f"  item {r.index}: {r.error.type}: {r.error.message}")
    print(f"completion order: {order}; peak concurrent generate calls: {generator.max_in_flight}")
    assert sorted(i for i in order if i is not None) == list(range(len(PROMPTS)))
    assert generator.max_in_flight <= 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="save streamed results here")
    out: Path | None = parser.parse_args(argv).out

    with instant_retries() as waits:  # no real sleeping between retries in this demo
        print("run_many (results in input order):")
        pipe, generator = make_pipeline()
        results = pipe.run_many(PROMPTS, concurrency=4)
        summary(results)
        print(f"peak concurrent generate calls: {generator.max_in_flight}; retry waits: {waits}")
        assert [r.index for r in results] == list(range(len(PROMPTS)))  # input order
        assert {r.index: r.error.type for r in results if r.error} == EXPECTED_FAILURES
        assert sum(len(r.images) for r in results) == 9  # the paper boat asked for 3
        assert results[1].stages["generate"].attempts == 2  # the 503, retried once
        assert len(waits) == 1
        assert generator.max_in_flight <= 4

        print("\nstream (results as they finish):")
        _failed_once.clear()
        asyncio.run(stream_all(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
