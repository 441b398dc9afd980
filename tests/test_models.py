from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from pydantic import ValidationError

from promptforge import (
    EnhancedPrompt,
    EnhanceRequest,
    FilteredImage,
    GeneratedImage,
    GenerationResult,
    ImageOptions,
    PromptSpec,
    Request,
    StageReport,
)
from promptforge._imageinfo import sniff
from promptforge.styles import get_style
from promptforge.testing import image_bytes

CORGI = PromptSpec(
    subject="fluffy corgi",
    attributes=["golden fur", "a tiny ornate crown"],
    action="sitting regally",
    setting="on a deep crimson velvet cushion",
    style="photorealistic photograph",
    composition="close-up with a softly blurred background",
    lighting="soft window light from the left",
    mood="regal and playful",
    negative=["large crown"],
)


def test_render_reads_as_sentences_not_a_comma_dump() -> None:
    assert CORGI.render() == (
        "Fluffy corgi with golden fur and a tiny ornate crown, sitting regally on a deep "
        "crimson velvet cushion. Photorealistic photograph. Close-up with a softly blurred "
        "background. Soft window light from the left. Regal and playful mood."
    )
    assert PromptSpec(subject="a lighthouse").render() == "A lighthouse."
    assert "mood mood" not in PromptSpec(subject="x", mood="calm mood").render()
    walking = PromptSpec(subject="a fox", action="walking", setting="snowy forest at dusk")
    assert walking.render() == "A fox, walking, snowy forest at dusk."
    assert PromptSpec(subject="a lighthouse", setting="in a storm").render() == (
        "A lighthouse in a storm."
    )


def test_models_are_frozen_and_strict() -> None:
    with pytest.raises(ValidationError):
        CORGI.subject = "cat"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        PromptSpec(subject="x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        PromptSpec(subject="")


def test_prompt_spec_schema_carries_the_lever_docstrings() -> None:
    schema = PromptSpec.model_json_schema()
    assert "user's own words" in schema["properties"]["subject"]["description"]
    assert set(schema["properties"]) == {
        "subject", "attributes", "action", "setting", "style", "composition", "lighting",
        "mood", "negative",
    }  # fmt: skip


def test_from_spec_applies_preset_and_user_negatives_once() -> None:
    preset = get_style("watercolor")
    request = EnhanceRequest(prompt="a fox", style=preset, negative_prompt="blurry, PHOTO")
    prompt = EnhancedPrompt.from_spec(request, PromptSpec(subject="a fox", negative=["text"]))
    assert prompt.spec is not None
    assert prompt.spec.style == ", ".join(preset.phrases)
    assert prompt.spec.lighting == preset.lighting  # filled because the spec had none
    assert prompt.negative_terms == ["text", "blurry", "PHOTO", "3d render", "hard outlines"]
    assert prompt.style == "watercolor"
    assert prompt.original == "a fox"
    assert prompt.text == prompt.spec.render()
    kept = EnhancedPrompt.from_spec(request, PromptSpec(subject="a fox", lighting="moonlight"))
    assert kept.spec is not None
    assert kept.spec.lighting == "moonlight"


def test_from_text_appends_missing_preset_phrases() -> None:
    preset = get_style("pixel-art")
    request = EnhanceRequest(prompt="a knight", style=preset)
    prompt = EnhancedPrompt.from_text(request, "A knight, pixel art.")
    assert prompt.text == "A knight, pixel art. 16-bit, limited color palette."
    assert prompt.spec is None
    assert prompt.negative_terms == preset.negative


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/webp"])
def test_generated_image_reads_format_and_size_from_bytes(mime: str) -> None:
    data = image_bytes(48, 27, mime)
    image = GeneratedImage.from_bytes(data, revised_prompt="a corgi")
    assert (image.mime_type, image.width, image.height) == (mime, 48, 27)
    assert image.to_pil().size == (48, 27)


def test_sniff_reads_gif_and_lossless_webp() -> None:
    for fmt, kwargs, mime in (("GIF", {}, "image/gif"), ("WEBP", {"lossless": True}, "image/webp")):
        buffer = io.BytesIO()
        Image.new("RGB", (30, 20)).save(buffer, fmt, **kwargs)
        assert sniff(buffer.getvalue()) == (mime, 30, 20)


def test_generated_image_refuses_lies_and_garbage() -> None:
    png = image_bytes(10, 20)
    with pytest.raises(ValidationError, match="width"):
        GeneratedImage(data=png, mime_type="image/png", width=11, height=20)
    with pytest.raises(ValidationError, match="mime_type"):
        GeneratedImage(data=png, mime_type="image/jpeg", width=10, height=20)
    with pytest.raises(ValidationError, match="not a PNG"):
        GeneratedImage.from_bytes(b"hello")
    with pytest.raises(ValidationError, match="truncated"):
        GeneratedImage.from_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")


def test_generated_image_repr_hides_bytes_and_save_adds_extension(tmp_path: Path) -> None:
    image = GeneratedImage.from_bytes(image_bytes(8, 8, "image/jpeg"))
    assert repr(image).startswith("GeneratedImage(image/jpeg, 8x8,")
    path = image.save(tmp_path / "nested" / "corgi")
    assert path == tmp_path / "nested" / "corgi.jpg"
    assert path.read_bytes() == image.data
    assert list(path.parent.iterdir()) == [path]  # no temp file left behind


def _result() -> GenerationResult:
    request = Request(prompt="corgi", style=get_style("cinematic"), options=ImageOptions(n=2))
    prompt = EnhancedPrompt.from_spec(EnhanceRequest(prompt="corgi", style=request.style), CORGI)
    return GenerationResult(
        request=request,
        prompt=prompt,
        images=[
            GeneratedImage.from_bytes(image_bytes(16, 9), seed=7),
            GeneratedImage.from_bytes(image_bytes(16, 9, "image/jpeg", 1), revised_prompt="r"),
        ],
        filtered=[FilteredImage(reason="person")],
        stages={"generate": StageReport(backend="Fake", attempts=2, seconds=0.25)},
        warnings=["seed dropped"],
    )


def test_result_json_round_trip_keeps_bytes() -> None:
    result = _result()
    text = result.model_dump_json()
    assert GenerationResult.model_validate_json(text) == result
    assert '"data":"iVBOR' in text  # PNG bytes travel as base64


def test_result_save_and_load(tmp_path: Path) -> None:
    result = _result()
    folder = result.save(tmp_path)
    assert folder == tmp_path / result.id
    assert sorted(p.name for p in folder.iterdir()) == ["image-0.png", "image-1.jpg", "result.json"]
    assert "iVBOR" not in (folder / "result.json").read_text()  # images are files, not base64
    assert GenerationResult.load(folder) == result
    assert [p.name for p in tmp_path.iterdir()] == [result.id]  # no staging folder left


def test_result_save_replaces_an_earlier_save(tmp_path: Path) -> None:
    result = _result()
    result.save(tmp_path)
    (tmp_path / result.id / "stray.txt").write_text("old")
    folder = result.save(tmp_path)
    assert not (folder / "stray.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == [result.id]


def test_result_ids_are_unique_and_sort_by_time() -> None:
    ids = [GenerationResult().id for _ in range(100)]
    assert len(set(ids)) == 100
    assert all(len(i) == 24 and i[8] == "T" for i in ids)


def test_request_key_is_stable_and_sensitive() -> None:
    a = Request(prompt="corgi", options=ImageOptions(n=2))
    assert a.key == Request(prompt="corgi", options=ImageOptions(n=2)).key
    assert a.key != Request(prompt="corgi", options=ImageOptions(n=3)).key


def test_image_json_that_lies_about_its_bytes_is_refused() -> None:
    image = GeneratedImage.from_bytes(image_bytes(10, 20))
    text = image.model_dump_json().replace('"width":10', '"width":11')
    with pytest.raises(ValidationError, match="do not match the image bytes"):
        GeneratedImage.model_validate_json(text)


def test_a_failed_save_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("promptforge._result.json.dump", disk_full)
    with pytest.raises(OSError, match="No space left"):
        _result().save(tmp_path)
    assert list(tmp_path.iterdir()) == []
