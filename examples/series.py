"""A four-image storyboard with one look, offline: the bible, the anchor, coherence, the page.

1. the enhancer writes the bible once: the levers every image shares;
2. the first idea runs first; its image is the anchor, passed to the others as a style
   reference (and as a character reference for Biscuit);
3. every item is scored against the anchor; items under ``min_coherence`` are made again;
4. ``save`` writes a folder per item, ``series.json``, ``contact.png`` and ``index.html``.

The third idea names a neon magenta sign on purpose: its card is off-palette and scores
lowest. With ``GeminiEnhancer`` and ``GeminiImageGenerator`` the same code makes real images.

Usage:
    python examples/series.py [OUT_DIR]

OUT_DIR defaults to ``out/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from promptforge import Pipeline
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator

STORYBOARD = [
    "Biscuit the corgi wearing a tiny gold crown, sitting in a sunny attic",
    "Biscuit the corgi digging in the sand at the beach",
    "Biscuit the corgi sleeping under a neon magenta sign",
    "Biscuit the corgi sailing a paper boat on a pond",
]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out", type=Path)
    out = parser.parse_args(argv).out

    with Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator()) as pipe:
        series = pipe.series(STORYBOARD, style="watercolor", min_coherence=0.7, max_rounds=2)
    print("bible:")
    for lever, text in series.bible.levers():
        print(f"  {lever:<9} {text}")
    for item in series.items:
        score = "anchor" if item.index == series.anchor_index else f"{item.coherence:.2f}"
        print(f"#{item.index + 1} {score:>6}  rounds={item.rounds}  {item.idea}")
    coherence = series.coherence
    print(f"mean {coherence.mean:.2f}, worst #{(coherence.worst or 0) + 1}")
    folder = series.save(out)
    print(f"saved: {folder}/index.html and {folder}/contact.png")


if __name__ == "__main__":
    main()
