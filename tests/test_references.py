"""References: the type, the limits checked before any request, and how they travel."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from promptforge import (
    GenerationResult,
    GeneratorCapabilities,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    Reference,
)
from promptforge.testing import FakeEnhancer, FakeGenerator, check_generator, image_bytes

KNIGHT = image_bytes(40, 30)


def caps(**fields: object) -> GeneratorCapabilities:
    return GeneratorCapabilities.model_validate(fields)


def test_reads_format_and_size_from_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "knight.jpg"
    path.write_bytes(image_bytes(40, 30, "image/jpeg"))
    ref = Reference.from_file(path, role="character", note="Sir Ash")
    assert (ref.mime_type, ref.size, ref.role, ref.note) == (
        "image/jpeg",
        (40, 30),
        "character",
        "Sir Ash",
    )
    assert repr(ref) == "Reference(character, image/jpeg, 40x30, 'Sir Ash')"
    assert Reference(KNIGHT).role == "subject"  # the pinned positional form


def test_a_file_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an image")
    with pytest.raises(InvalidRequestError, match=r"notes.txt' is not an image") as raised:
        Reference.from_file(path)
    assert raised.value.field == "references"
    with pytest.raises(InvalidRequestError, match=r"cannot read .*missing.png"):
        Reference.from_file(tmp_path / "missing.png")
    with pytest.raises(ValidationError, match="not a PNG, JPEG, WebP or GIF"):
        Reference(b"junk")


def test_a_bad_role_names_the_roles(tmp_path: Path) -> None:
    path = tmp_path / "k.png"
    path.write_bytes(KNIGHT)
    with pytest.raises(InvalidRequestError, match="style, subject, character, object") as raised:
        Reference.from_file(path, role="hero")  # type: ignore[arg-type]
    assert raised.value.allowed == ("style", "subject", "character", "object")


def test_options_take_a_list_keep_a_tuple_and_round_trip_json() -> None:
    options = ImageOptions(references=[Reference(KNIGHT, role="style")])  # type: ignore[arg-type]
    assert isinstance(options.references, tuple)
    assert ImageOptions.model_validate_json(options.model_dump_json()) == options
    assert "Reference(style, image/png, 40x30)" in repr(options)
    assert "base64" not in repr(options)
    assert len(repr(options)) < 600


def test_reference_limits_are_read_only_and_serialise() -> None:
    limits = caps(max_references=14, reference_limits={"object": 10, "character": 4})
    with pytest.raises(TypeError):
        limits.reference_limits["object"] = 99  # type: ignore[index]
    assert limits.model_dump()["reference_limits"] == {"object": 10, "character": 4}
    assert GeneratorCapabilities.model_validate_json(limits.model_dump_json()) == limits


def test_references_reach_the_generator_in_run_and_run_many() -> None:
    generator = FakeGenerator()
    pipe = Pipeline(FakeEnhancer(), generator)
    ref = Reference(KNIGHT, role="character")
    result = pipe.run("the knight rides through a misty forest", references=[ref])
    assert generator.calls[0].references == (ref,)
    assert result.request is not None
    assert result.request.options.references == (ref,)
    pipe.run_many(["a", "b"], references=[ref])
    assert [call.references for call in generator.calls[1:]] == [(ref,), (ref,)]


def test_saved_result_keeps_its_references(tmp_path: Path) -> None:
    ref = Reference(KNIGHT, role="character", note="Sir Ash")
    result = Pipeline(FakeEnhancer(), FakeGenerator()).run("a knight", references=[ref])
    loaded = GenerationResult.load(result.save(tmp_path))
    assert loaded.request == result.request


@pytest.mark.parametrize(
    ("limits", "refs", "message"),
    [
        ({}, ["subject"], r"takes no reference images \(max_references=0\), got 1"),
        ({"max_references": 2}, ["subject"] * 3, r"3 images, .* at most 2 \(max_references=2\)"),
        (
            {"max_references": 14, "reference_limits": {"character": 4}},
            ["character"] * 5,
            r"5 with role 'character', .* at most 4 \(reference_limits\['character'\]=4\)",
        ),
    ],
)
def test_over_the_limit_is_refused_before_any_request(
    limits: dict[str, object], refs: list[str], message: str
) -> None:
    enhancer, generator = FakeEnhancer(), FakeGenerator(capabilities=caps(**limits))
    references = [Reference(KNIGHT, role=role) for role in refs]  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match=message) as raised:
        Pipeline(enhancer, generator).run("a knight", references=references)
    assert raised.value.field == "references"
    assert enhancer.calls == []
    assert generator.calls == []


def test_a_batch_item_over_the_limit_fails_without_a_request() -> None:
    generator = FakeGenerator(capabilities=caps())
    pipe = Pipeline(FakeEnhancer(), generator)
    (result,) = pipe.run_many(["a"], references=[Reference(KNIGHT)])
    assert result.error is not None
    assert result.error.type == "InvalidRequestError"
    assert "max_references=0" in result.error.message
    assert generator.calls == []


def test_thinking_level_is_checked_or_dropped() -> None:
    thinking = FakeGenerator(capabilities=caps(thinking_levels=("minimal", "high")))
    with pytest.raises(InvalidRequestError, match=r"thinking: 'low' .* allowed: minimal, high"):
        Pipeline(FakeEnhancer(), thinking).run("a", thinking="low")
    assert Pipeline(FakeEnhancer(), thinking).run("a", thinking="high").ok
    result = Pipeline(FakeEnhancer(), FakeGenerator(capabilities=caps())).run("a", thinking="high")
    assert "thinking='high' is not supported by this generator; ignored" in result.warnings
    with pytest.raises(InvalidRequestError, match="thinking: not supported"):
        Pipeline(FakeEnhancer(), FakeGenerator(capabilities=caps()), strict=True).run(
            "a", thinking="high"
        )


def test_check_generator_calls_with_a_reference() -> None:
    generator = FakeGenerator()
    check_generator(generator)
    assert any(call.references for call in generator.calls)
    assert generator.edit_calls  # edit is declared, so it is checked
