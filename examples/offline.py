"""The offline backends end to end: ``RuleEnhancer`` writes the prompt, ``PreviewGenerator``
renders a labelled composition card at the real output size. No network, no credentials.

1. a dry run (``enhance``) shows the levers the rules found in the words;
2. a run with a style preset renders two 16:9 preview cards;
3. ``refine`` applies feedback ("the crown looks too large") and renders again;
4. a small batch streams results to disk as they finish, then a re-run of the same batch
   on the same folder resumes every item (``result.resumed``) instead of rendering again.

Each step asserts what it prints, so the example fails rather than drift from the library.

Usage:
    python examples/offline.py [OUT_DIR]

OUT_DIR defaults to ``out/``; the batch writes to a new ``OUT_DIR/batch-*/`` folder each time.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path

from promptforge import GenerationResult, Pipeline
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator

IDEA = "fluffy corgi wearing a tiny crown, sitting on a deep crimson velvet cushion"
BATCH: list[str | dict[str, str]] = [
    "a red fox curled up in fresh snow",
    {"prompt": "a lighthouse in a storm at night", "style": "oil-painting"},
    {"prompt": "a paper boat on a puddle", "style": "watercolor", "aspect_ratio": "3:4"},
]


def show(label: str, outcome: GenerationResult, out: Path) -> None:
    result = outcome.raise_for_error()  # typed as a success: `result.prompt` is set
    folder = result.save(out)
    sizes = ", ".join(f"{i.width}x{i.height}" for i in result.images)
    print(f"{label}: {result.prompt.text}")
    print(f"{'':>8}negative: {result.prompt.negative_prompt}")
    print(f"{'':>8}{len(result.images)} preview(s) [{sizes}] -> {folder}")


async def batch(pipe: Pipeline, out: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="batch-", dir=out))  # a fresh folder per run
    expected = {"first run": "done", "re-run": "resumed"}
    for attempt, status in expected.items():
        statuses = []
        async for result in pipe.stream(BATCH, concurrency=3, out_dir=folder):
            statuses.append("resumed" if result.resumed else "done" if result.ok else "failed")
        print(f"batch {attempt}: {', '.join(statuses)} -> {folder}")
        assert statuses == [status] * len(BATCH), statuses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out", type=Path, help="default: out/")
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)

    pipe = Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())

    prompt = pipe.enhance(IDEA)
    assert prompt.spec is not None  # RuleEnhancer always fills a spec
    print("levers:", prompt.spec.model_dump(exclude_defaults=True, exclude={"negative"}))
    spec = prompt.spec
    assert (spec.subject, spec.attributes, spec.action, spec.setting) == (
        "fluffy corgi",
        ("a tiny crown",),
        "sitting",
        "on a deep crimson velvet cushion",
    )

    first = pipe.run(IDEA, n=2, aspect_ratio="16:9", style="photorealistic", seed=7)
    show("run", first, out)
    print(f"{'':>8}metadata: {first.images[0].metadata}")
    assert [(i.width, i.height) for i in first.images] == [(1408, 768)] * 2  # 16:9
    assert first.images[0].metadata["preview"] == "true"

    second = pipe.refine(first, "the crown looks too large")
    show("refine", second, out)
    print(f"{'':>8}parent_id == first.id: {second.parent_id == first.id}")
    assert second.parent_id == first.id
    prompt = second.raise_for_error().prompt
    assert "large crown" in prompt.negative_terms
    assert "noticeably smaller crown" in prompt.text

    asyncio.run(batch(pipe, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
