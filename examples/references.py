"""References and edits, offline: the knight from a character sheet, the crown made smaller.

1. draw a small character sheet (``knight.png``) to stand in for your own;
2. run with it as a ``character`` reference: the card shows it as a thumbnail;
3. edit the result ("make the crown smaller"), then edit the edit: each is a new result
   whose ``parent_id`` is the one before, and the chain survives ``save`` / ``load``.

With ``GeminiImageGenerator`` in place of ``PreviewGenerator`` the same code sends the
reference as an inline image and each edit continues the model's conversation.

Usage:
    python examples/references.py [OUT_DIR]

OUT_DIR defaults to ``out/``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from promptforge import GenerationResult, Pipeline, Reference
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator


def character_sheet(path: Path) -> Path:
    """A simple knight with a large crown, drawn with Pillow."""
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", (512, 512), (236, 230, 214))
    draw = ImageDraw.Draw(sheet)
    draw.rounded_rectangle((176, 210, 336, 430), radius=30, fill=(150, 156, 170))  # armour
    draw.ellipse((196, 110, 316, 230), fill=(226, 190, 160))  # face
    draw.polygon(  # a crown far too large
        [(176, 130), (196, 40), (226, 100), (256, 20), (286, 100), (316, 40), (336, 130)],
        fill=(222, 170, 30),
    )
    draw.rectangle((150, 430, 362, 470), fill=(90, 60, 40))  # the horse's back, roughly
    sheet.save(path)
    return path


def show(label: str, result: GenerationResult, out: Path) -> Path:
    folder = result.save(out)
    said = result.instruction or (result.prompt.text if result.prompt else "")
    print(f"{label:<8} {result.id}  parent={result.parent_id or '-'}")
    print(f"{'':<8} {said}")
    print(f"{'':<8} -> {folder}/image-0.png")
    return folder


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out", type=Path)
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    sheet = character_sheet(out / "knight.png")

    with Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator()) as pipe:
        knight = Reference.from_file(sheet, role="character", note="the knight")
        result = pipe.run("the knight rides through a misty forest", references=[knight])
        folder = show("run", result, out)

        edited = pipe.edit(GenerationResult.load(folder), "make the crown smaller")
        show("edit 1", edited, out)
        again = pipe.edit(edited, "smaller still: a thin circlet")
        show("edit 2", again, out)
        print("edits kept:", again.images[0].metadata["edits"].replace("\n", " | "))


if __name__ == "__main__":
    main()
