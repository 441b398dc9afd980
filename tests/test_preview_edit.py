"""``PreviewGenerator`` with references and edits: offline cards that show both."""

from __future__ import annotations

from promptforge import GeneratedImage, ImageOptions, Pipeline, Reference, strip_provenance
from promptforge.enhancers import RuleEnhancer
from promptforge.generators import PreviewGenerator
from promptforge.testing import check_generator, image_bytes

KNIGHT = image_bytes(60, 90, shade=2)


def test_references_are_drawn_and_the_card_stays_deterministic() -> None:
    pipe = Pipeline(RuleEnhancer(), PreviewGenerator())
    plain = pipe.run("a knight with a golden crown").images[0]
    refs = [Reference(KNIGHT, role="character"), Reference(image_bytes(30, 30), role="style")]
    with_refs = pipe.run("a knight with a golden crown", references=refs).images[0]
    again = pipe.run("a knight with a golden crown", references=refs).images[0]
    assert with_refs.data != plain.data
    assert strip_provenance(with_refs.data) == strip_provenance(again.data)
    assert with_refs.metadata["subject"] == "a knight"
    assert with_refs.metadata["prompt"].startswith("A knight with a golden crown.")


def test_many_references_fit_the_row() -> None:
    refs = [Reference(KNIGHT, role="object")] * 14
    out = PreviewGenerator().render_edit(
        GeneratedImage.from_bytes(image_bytes(400, 300)), "x", ImageOptions(references=refs)
    )
    assert out.images[0].width == 400


def test_an_edit_card_keeps_the_size_and_the_chain() -> None:
    pipe = Pipeline(RuleEnhancer(), PreviewGenerator())
    first = pipe.run("a knight with a golden crown", aspect_ratio="16:9")
    second = pipe.edit(first, "make the crown smaller")
    third = pipe.edit(second, "smaller still, a thin circlet")
    image = third.images[0]
    assert (image.width, image.height) == (first.images[0].width, first.images[0].height)
    assert image.metadata["preview"] == "true"
    assert image.metadata["edits"] == "make the crown smaller\nsmaller still, a thin circlet"
    assert image.metadata["subject"] == "a knight"
    assert image.metadata["palette"] == first.images[0].metadata["palette"]  # same colours
    assert image.to_pil().info["Description"] == "edit: smaller still, a thin circlet"
    assert second.images[0].data != third.images[0].data
    square = pipe.edit(first, "make the crown smaller", aspect_ratio="1:1")
    assert (square.images[0].width, square.images[0].height) == (1024, 1024)


def test_an_outside_image_gets_a_card_too() -> None:
    edited = Pipeline(RuleEnhancer(), PreviewGenerator()).edit(KNIGHT, "add a shield")
    assert (edited.images[0].width, edited.images[0].height) == (60, 90)
    assert edited.images[0].metadata["edits"] == "add a shield"


def test_the_contract_holds_with_references_and_edit() -> None:
    check_generator(PreviewGenerator())
