"""``Pipeline.edit``: targets, the new result, checks before any request, refine's edit path."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptforge import (
    ContentBlockedError,
    GeneratedImage,
    GenerationOutput,
    GenerationResult,
    Generator,
    GeneratorCapabilities,
    InvalidRequestError,
    Pipeline,
    Reference,
    TransientError,
)
from promptforge.testing import (
    ContractError,
    FakeEnhancer,
    FakeGenerator,
    check_generator,
    image_bytes,
)


def pipe(generator: FakeGenerator | None = None) -> Pipeline:
    return Pipeline(FakeEnhancer(), generator or FakeGenerator())


def test_edit_of_a_result_is_a_new_result_linked_to_it() -> None:
    generator = FakeGenerator()
    first = pipe(generator).run("a knight with a crown", aspect_ratio="16:9")
    edited = pipe(generator).edit(first, "make the crown smaller")
    assert edited.ok
    assert edited.parent_id == first.id
    assert edited.id != first.id
    assert edited.instruction == "make the crown smaller"
    assert list(edited.stages) == ["edit"]
    assert edited.stages["edit"].backend == "FakeGenerator"
    assert edited.stages["edit"].attempts == 1
    (call,) = generator.edit_calls
    assert call.image == first.images[0]
    assert call.instruction == "make the crown smaller"
    (image,) = edited.images
    assert (image.width, image.height) == (first.images[0].width, first.images[0].height)


def test_edit_of_an_edit_keeps_the_chain(tmp_path: Path) -> None:
    generator = FakeGenerator()
    first = pipe(generator).run("a knight")
    second = pipe(generator).edit(first, "make the crown smaller")
    third = pipe(generator).edit(GenerationResult.load(second.save(tmp_path)), "smaller still")
    assert (second.parent_id, third.parent_id) == (first.id, second.id)
    assert generator.edit_calls[1].image.metadata == {"edit": "make the crown smaller"}


@pytest.mark.parametrize("kind", ["image", "bytes", "file", "folder", "file-in-folder"])
def test_targets(kind: str, tmp_path: Path) -> None:
    generator = FakeGenerator()
    first = pipe(generator).run("a knight")
    folder = first.save(tmp_path / "out")
    loose = tmp_path / "loose.png"
    loose.write_bytes(first.images[0].data)
    target = {
        "image": first.images[0],
        "bytes": first.images[0].data,
        "file": loose,
        "folder": str(folder),
        "file-in-folder": folder / "image-0.png",
    }[kind]
    edited = pipe(generator).edit(target, "make the crown smaller")
    assert edited.ok
    assert generator.edit_calls[0].image.read() == first.images[0].data
    knows_parent = kind in ("folder", "file-in-folder")
    assert edited.parent_id == (first.id if knows_parent else None)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (b"junk", "target: the bytes are not an image"),
        (42, "target: expected a GenerationResult, GeneratedImage, bytes or a path, got int"),
        ("missing.png", "target: cannot read 'missing.png'"),
    ],
)
def test_bad_targets_are_refused_before_any_request(target: object, message: str) -> None:
    generator = FakeGenerator()
    with pytest.raises(InvalidRequestError, match=message):
        pipe(generator).edit(target, "make it smaller")  # type: ignore[arg-type]
    assert generator.edit_calls == []


def test_a_folder_that_is_not_a_result_and_a_failed_result(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"without result.json"):
        pipe().edit(tmp_path, "x")
    with pytest.raises(InvalidRequestError, match="has no image to edit"):
        pipe().edit(GenerationResult(), "x")
    with pytest.raises(InvalidRequestError, match="instruction: must be a non-empty str"):
        pipe().edit(image_bytes(8, 8), "  ")


def test_a_generator_that_cannot_edit_is_refused_by_name() -> None:
    generator = FakeGenerator(capabilities=GeneratorCapabilities())
    with pytest.raises(InvalidRequestError, match=r"FakeGenerator cannot edit .*capabilities.edit"):
        pipe(generator).edit(image_bytes(8, 8), "make it smaller")
    assert generator.edit_calls == []


def test_edit_counts_the_image_against_the_reference_limit() -> None:
    caps = GeneratorCapabilities(edit=True, max_references=2)
    generator = FakeGenerator(capabilities=caps)
    refs = [Reference(image_bytes(8, 8)), Reference(image_bytes(8, 8))]
    with pytest.raises(InvalidRequestError, match=r"3 images \(with the image being edited\)"):
        pipe(generator).edit(image_bytes(8, 8), "add these", references=refs)
    pipe(generator).edit(image_bytes(8, 8), "add this", references=refs[:1])
    assert generator.edit_calls[0].options.references == tuple(refs[:1])


def test_edit_retries_and_folds_negatives(waits: list[float]) -> None:
    caps = GeneratorCapabilities(edit=True, negative_prompt=False)
    generator = FakeGenerator([TransientError("503"), None], capabilities=caps)
    edited = pipe(generator).edit(
        image_bytes(8, 8), "make it smaller", negative_prompt="large crown"
    )
    assert edited.stages["edit"].attempts == 2
    assert len(waits) == 1
    assert generator.edit_calls[-1].instruction == "make it smaller Avoid: large crown."
    assert any("folded" in w for w in edited.warnings)


def test_an_edit_withheld_by_the_filter_is_blocked() -> None:
    generator = FakeGenerator([GenerationOutput(filtered=[{"reason": "SAFETY"}])])  # type: ignore[list-item]
    with pytest.raises(ContentBlockedError) as raised:
        pipe(generator).edit(image_bytes(8, 8), "x")
    assert raised.value.stage == "edit"


def test_n_edits_split_by_max_images_keep_what_succeeded(waits: list[float]) -> None:
    caps = GeneratorCapabilities(edit=True, max_images=1)
    generator = FakeGenerator([None, ContentBlockedError("no")], capabilities=caps)
    edited = pipe(generator).edit(image_bytes(8, 8), "x", n=2)
    assert len(edited.images) == 1
    assert len(generator.edit_calls) == 2
    assert any("an edit call failed" in w for w in edited.warnings)


def test_refine_edits_when_asked_and_possible() -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator()
    pipeline = Pipeline(enhancer, generator)
    first = pipeline.run("a knight with a crown")
    edited = pipeline.refine(first, "make the crown smaller", fix="edit")
    assert edited.instruction == "make the crown smaller"
    assert edited.parent_id == first.id
    assert enhancer.refine_calls == []
    assert len(generator.edit_calls) == 1
    refined = pipeline.refine(first, "make the crown smaller")  # default: today's path
    assert refined.instruction is None
    assert enhancer.refine_calls


def test_refine_fix_edit_without_an_editor_says_so() -> None:
    generator = FakeGenerator(capabilities=GeneratorCapabilities())
    pipeline = pipe(generator)
    first = pipeline.run("a knight")
    refined = pipeline.refine(first, "make the crown smaller", fix="edit")
    assert "fix='edit': this generator cannot edit images; refined the prompt instead" in (
        refined.warnings
    )
    assert pipeline.refine(first, "smaller", fix="auto").warnings == ()
    with pytest.raises(InvalidRequestError, match="fix: 'redo' is not one of auto, edit, refine"):
        pipeline.refine(first, "x", fix="redo")  # type: ignore[arg-type]


class NoEdit(Generator):
    @property
    def capabilities(self) -> GeneratorCapabilities:
        return GeneratorCapabilities(edit=True)

    async def generate(self, prompt: object, options: object) -> GenerationOutput:  # type: ignore[override]
        return GenerationOutput(images=[GeneratedImage.from_bytes(image_bytes(64, 64))])


def test_check_generator_catches_a_declared_but_missing_edit() -> None:
    with pytest.raises(ContractError, match=r"capabilities.edit is True but edit"):
        check_generator(NoEdit())


def test_a_damaged_saved_folder_is_an_input_error_naming_it(tmp_path: Path) -> None:
    folder = pipe().run("a knight").save(tmp_path)
    (folder / "result.json").write_text('{"images": [{"path": "../../etc/passwd"}]}', "utf-8")
    for target in (folder, folder / "image-0.png"):
        with pytest.raises(InvalidRequestError, match="not a readable saved result"):
            pipe().edit(target, "make the crown smaller")
