"""The main job behind ``make demo``: enhance one idea, render it, save the result.

It runs offline with the fake backends from ``promptforge.testing``: ``FakeEnhancer``
replays the spec an LLM enhancer would write, ``FakeGenerator`` returns small real images.
For real images swap in the Google backends (``GeminiEnhancer`` with ``ImagenGenerator`` or
``GeminiImageGenerator``): see ``examples/google_backends.py`` and ``docs/google.md``.
Each line it prints is also asserted, so the example cannot drift from the library.

Usage:
    python examples/quickstart.py [OUT_DIR]

OUT_DIR defaults to ``$PROMPTFORGE_OUT``, else ``out/``. The result lands in
``OUT_DIR/<result id>/`` (two PNG files and ``result.json``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from promptforge import GenerationResult, Pipeline, PromptSpec
from promptforge.testing import FakeEnhancer, FakeGenerator

IDEA = "fluffy corgi wearing a tiny crown, sitting on a velvet cushion"

# What an LLM enhancer would answer for IDEA: the levers a prompt engineer pulls.
# FakeEnhancer replays it, then applies the style preset and negatives like a real one.
CORGI = PromptSpec(
    subject="fluffy corgi",
    attributes=["a tiny golden crown set slightly askew", "thick cream-and-tan fur"],
    action="sitting upright with a proud, regal expression",
    setting="on a deep crimson velvet cushion with gold tassels",
    composition="close-up portrait at the dog's eye level, shallow depth of field",
    lighting="soft window light from the left",
    mood="regal and playful",
    negative=["large crown", "human hands"],
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out",
        nargs="?",
        default=os.environ.get("PROMPTFORGE_OUT", "out"),
        help="folder to save the result under (default: $PROMPTFORGE_OUT or out/)",
    )
    args = parser.parse_args(argv)

    pipe = Pipeline(enhancer=FakeEnhancer([CORGI]), generator=FakeGenerator(long_side=512))
    # raise_for_error(): the run's error as an exception, else the result typed as a
    # success, so `result.prompt` needs no None check.
    result = pipe.run(IDEA, n=2, style="photorealistic", seed=7).raise_for_error()
    folder = result.save(args.out)

    print(f"idea:            {IDEA}")
    print(f"prompt:          {result.prompt.text}")
    print(f"negative prompt: {result.prompt.negative_prompt}")
    for image in result.images:
        print(f"image:           {image.width}x{image.height} {image.mime_type} seed={image.seed}")
    for name, stage in result.stages.items():
        print(f"{name + ':':<17}{stage.backend}, {stage.attempts} call(s), {stage.seconds:.3f}s")
    for warning in result.warnings:
        print(f"warning:         {warning}")
    print(f"saved to:        {folder}")
    same = GenerationResult.load(folder) == result
    print(f"reads back equal: {same}")

    assert same
    assert result.prompt.text.startswith("Fluffy corgi with a tiny golden crown set slightly askew")
    assert result.prompt.negative_terms[:2] == ["large crown", "human hands"]
    assert [(i.width, i.height, i.seed) for i in result.images] == [(512, 512, 7)] * 2
    assert {name: stage.attempts for name, stage in result.stages.items()} == {
        "enhance": 1,
        "generate": 1,
    }
    assert result.warnings == ()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
