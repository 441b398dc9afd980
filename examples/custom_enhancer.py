"""Two ways to write your own enhancer, each run end to end (sync and async) and checked.

1. A plain function wrapped in ``FunctionEnhancer`` (``def`` or ``async def``, returning a
   ``str`` or a ``PromptSpec``).
2. An ``Enhancer`` subclass: one required async method, ``enhance``, plus an optional
   ``refine`` that ``Pipeline.refine`` uses.

Both run against ``FakeGenerator``, offline. ``check_enhancer`` then verifies each honours
the contract (style presets and negative prompts reach the result, the user's words are kept).

Usage:
    python examples/custom_enhancer.py [OUT_DIR]

Nothing is written unless OUT_DIR is given; then every result is saved under it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

from promptforge import (
    EnhancedPrompt,
    Enhancer,
    EnhanceRequest,
    FunctionEnhancer,
    GenerationResult,
    Pipeline,
    PromptSpec,
)
from promptforge.testing import FakeGenerator, check_enhancer

# -- 1. a plain function ---------------------------------------------------------------------


def studio_portrait(request: EnhanceRequest) -> PromptSpec:
    """Fill the levers from a fixed studio recipe. Style and negatives are applied for us."""
    return PromptSpec(
        subject=request.prompt,
        attributes=["crisp detail"],
        composition="centered head-and-shoulders portrait on a seamless grey backdrop",
        lighting="large softbox key light with a subtle rim light",
        negative=["cluttered background"],
    )


async def one_liner(request: EnhanceRequest) -> str:
    """An ``async def`` returning plain text works too (e.g. a call to your own LLM service)."""
    await asyncio.sleep(0)  # stands in for awaiting a network call
    return f"{request.prompt}, highly detailed, golden hour"


# -- 2. an Enhancer subclass -----------------------------------------------------------------


# keyword -> (setting, lighting)
SCENES = {
    "corgi": ("on a deep crimson velvet cushion", "soft window light from the left"),
    "fox": ("in a snowy birch forest", "cold blue morning light"),
    "robot": ("in a cluttered workshop", "warm desk-lamp glow"),
}


class KeywordEnhancer(Enhancer):
    """Chooses setting and lighting from keywords in the idea; a stand-in for an LLM."""

    model = "keywords-v1"  # reported in result.stages["enhance"].model

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        words = request.prompt.lower()
        setting, lighting = next(
            (scene for key, scene in SCENES.items() if key in words), (None, None)
        )
        spec = PromptSpec(
            subject=request.prompt.strip(),
            setting=setting,
            lighting=lighting,
            mood="whimsical",
            negative=["text", "watermark"],
        )
        # from_spec applies the request's style preset and negative prompt, the same way
        # every enhancer does, then renders the spec into the prompt text.
        return EnhancedPrompt.from_spec(request, spec)

    async def refine(self, prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
        """Optional: fold the feedback in as one more attribute and re-render."""
        spec = prompt.spec or PromptSpec(subject=prompt.original)
        spec = spec.model_copy(update={"attributes": [*spec.attributes, feedback]})
        return prompt.model_copy(update={"spec": spec, "text": spec.render()})


# -- running them ----------------------------------------------------------------------------


def report(label: str, result: GenerationResult, out: Path | None) -> None:
    prompt = result.raise_for_error().prompt  # typed: a successful run always has its prompt
    assert result.images, "every run here makes at least one image"
    saved = f" -> {result.save(out)}" if out is not None else ""
    print(f"{label:<30} {len(result.images)} image(s): {prompt.text}{saved}")


async def run_async(pipes: dict[str, Pipeline], out: Path | None) -> None:
    for name, pipe in pipes.items():
        result = await pipe.arun("a robot reading a newspaper", style="watercolor")
        report(f"{name} (async)", result, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="save results here (default: don't)")
    out: Path | None = parser.parse_args(argv).out

    pipes = {
        "def function": Pipeline(
            enhancer=FunctionEnhancer(studio_portrait), generator=FakeGenerator()
        ),
        # A bare function works too: Pipeline wraps it in FunctionEnhancer for you.
        "async def function": Pipeline(enhancer=one_liner, generator=FakeGenerator()),
        "KeywordEnhancer": Pipeline(enhancer=KeywordEnhancer(), generator=FakeGenerator()),
    }

    # Sync: one call each, fine in scripts, Jupyter and inside async apps alike.
    for name, pipe in pipes.items():
        result = pipe.run("fluffy corgi wearing a tiny crown", n=2, style="photorealistic")
        report(f"{name} (sync)", result, out)

    # Async: the same pipelines, awaited.
    asyncio.run(run_async(pipes, out))

    # refine(): KeywordEnhancer implements it; the others re-enhance with the feedback appended.
    keyword = pipes["KeywordEnhancer"]
    first = keyword.run("a fox curled up asleep")
    second = keyword.refine(first, "a red scarf around its neck")
    report("KeywordEnhancer (refine)", second, out)
    print(f"{'':<30} parent_id == first.id: {second.parent_id == first.id}")
    assert second.parent_id == first.id
    assert "a red scarf around its neck" in second.raise_for_error().prompt.text

    # Contract checks: raise promptforge.testing.ContractError listing every problem found.
    for name, pipe in pipes.items():
        check_enhancer(pipe.enhancer)
        print(f"check_enhancer({name}): ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
