"""Results that other programs can read: JSON, result.json, immutability, typed success."""

from __future__ import annotations

import base64
import copy
import json
import pickle
from pathlib import Path

import pytest
from pydantic import ValidationError

from promptforge import (
    BackendError,
    ContentBlockedError,
    EnhancedPrompt,
    ErrorInfo,
    GeneratedImage,
    GenerationOutput,
    GenerationResult,
    ImageOptions,
    InvalidRequestError,
    Pipeline,
    PromptforgeError,
    PromptSpec,
    RateLimitedError,
    StageReport,
)
from promptforge.testing import FakeEnhancer, FakeGenerator, image_bytes

# bytes whose base64 has '+' and '/' in the standard alphabet ('-' and '_' in the URL-safe one)
AWKWARD = image_bytes(33, 17) + b"\xfb\xff\xfe\xfb\xef\xbe"


def _result(**update: object) -> GenerationResult:
    pipe = Pipeline(FakeEnhancer(), FakeGenerator())
    return pipe.run("a corgi", n=2).model_copy(update=update)


def test_json_bytes_are_standard_base64_and_both_alphabets_are_read() -> None:
    image = GeneratedImage.from_bytes(AWKWARD)
    document = json.loads(image.model_dump_json())
    assert document["data"] == base64.b64encode(AWKWARD).decode()  # RFC 4648 section 4
    assert base64.b64decode(document["data"], validate=True) == AWKWARD
    urlsafe = base64.urlsafe_b64encode(AWKWARD).decode()
    assert urlsafe != document["data"]
    for text in (document["data"], urlsafe, urlsafe.rstrip("=")):
        again = GeneratedImage.model_validate_json(json.dumps({**document, "data": text}))
        assert again == image
    with pytest.raises(ValidationError, match="base64"):
        GeneratedImage.model_validate_json(json.dumps({**document, "data": "not base64!"}))
    assert GeneratedImage.model_json_schema()["properties"]["data"]["format"] == "base64"


def test_result_json_is_the_result_schema_with_a_version(tmp_path: Path) -> None:
    result = _result()
    folder = result.save(tmp_path)
    text = (folder / "result.json").read_text("utf-8")
    document = json.loads(text)
    assert document["version"] == 2
    assert [entry["path"] for entry in document["images"]] == ["image-0.png", "image-1.png"]
    assert all("data" not in entry for entry in document["images"])

    parsed = GenerationResult.model_validate_json(text)  # other programs: plain JSON
    assert parsed.id == result.id
    assert parsed.images[0].path == "image-0.png"  # relative to the result folder
    with pytest.raises(ValueError, match="relative to its result folder"):
        parsed.images[0].read()

    assert GenerationResult.load(folder / "result.json") == result  # the file path works
    assert GenerationResult.load(folder) == result


def test_lazy_results_serialise_paths_relative_to_their_folder(tmp_path: Path) -> None:
    folder = _result().save(tmp_path)
    lazy = GenerationResult.load(folder, lazy=True)
    assert lazy.images[0].path is not None
    assert Path(lazy.images[0].path).is_absolute()  # in memory: where the file is
    text = lazy.model_dump_json()
    assert str(tmp_path) not in text
    assert [e["path"] for e in json.loads(text)["images"]] == ["image-0.png", "image-1.png"]
    copied = lazy.save(tmp_path / "copy")  # a lazy result saves like any other
    assert GenerationResult.load(copied) == GenerationResult.load(folder)


def test_a_result_from_an_older_release_still_loads(tmp_path: Path) -> None:
    folder = _result().save(tmp_path)
    document = json.loads((folder / "result.json").read_text())
    del document["version"]
    for entry in document["images"]:
        entry["file"] = entry.pop("path")
    (folder / "result.json").write_text(json.dumps(document))
    assert len(GenerationResult.load(folder).images) == 2


def test_a_newer_schema_version_is_refused_by_name(tmp_path: Path) -> None:
    folder = _result().save(tmp_path)
    document = json.loads((folder / "result.json").read_text())
    (folder / "result.json").write_text(json.dumps({**document, "version": 3}))
    with pytest.raises(ValueError, match="version"):
        GenerationResult.load(folder)


def test_frozen_models_hold_immutable_collections() -> None:
    result = _result(warnings=["w"])
    assert isinstance(result.images, tuple)
    assert isinstance(result.warnings, tuple)  # model_copy(update=...) validates too
    assert isinstance(result.filtered, tuple)
    with pytest.raises(AttributeError):
        result.warnings.append("x")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="immutable"):
        result.stages["enhance"] = StageReport(backend="x")  # type: ignore[index]
    with pytest.raises(TypeError, match="immutable"):
        result.images[0].metadata["preview"] = "false"  # type: ignore[index]
    assert result.stages["generate"].backend == "FakeGenerator"
    assert result.stages == dict(result.stages)  # still compares like a dict

    spec = PromptSpec(subject="corgi", attributes=["crown"], negative=["blur"])  # lists in
    assert spec.attributes == ("crown",)
    assert spec.negative == ("blur",)
    assert spec.model_copy(update={"attributes": ["a", "b"]}).attributes == ("a", "b")
    schema = PromptSpec.model_json_schema()["properties"]["attributes"]
    assert schema["type"] == "array"  # what Gemini's response schema needs
    assert schema["items"] == {"type": "string"}
    prompt = EnhancedPrompt(original="a", text="a", usage={"prompt": 3})
    with pytest.raises(TypeError, match="immutable"):
        prompt.usage["prompt"] = 4  # type: ignore[index]
    output = GenerationOutput(warnings=["w"])
    assert output.warnings == ("w",)


def test_immutable_results_still_copy_pickle_and_round_trip() -> None:
    result = _result()
    assert pickle.loads(pickle.dumps(result)) == result
    assert copy.deepcopy(result) == result
    assert result.model_copy(deep=True) == result
    assert GenerationResult.model_validate_json(result.model_dump_json()) == result
    assert GenerationResult.model_validate(result.model_dump()) == result


def test_raise_for_error_returns_the_result_typed_for_success() -> None:
    result = _result()
    succeeded = result.raise_for_error()
    assert succeeded is result
    text: str = succeeded.prompt.text  # no Optional: mypy --strict accepts this line
    assert text
    assert succeeded.request.prompt == "a corgi"


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        (ContentBlockedError("no", reasons=["r"], stage="generate"), ContentBlockedError),
        (RateLimitedError("slow down", retry_after=2.0, stage="enhance"), RateLimitedError),
        (BackendError("bad gateway", status=502, retryable=True), BackendError),
        (InvalidRequestError("n: too many", field="n"), InvalidRequestError),
        (ZeroDivisionError("a bug"), PromptforgeError),
    ],
)
def test_raise_for_error_raises_the_recorded_error(
    error: BaseException, cls: type[PromptforgeError]
) -> None:
    failed = _result(error=ErrorInfo.from_exception(error))
    with pytest.raises(cls) as raised:
        failed.raise_for_error()
    assert type(raised.value) is cls
    assert failed.error is not None
    assert raised.value.stage == failed.error.stage
    if cls is PromptforgeError:
        assert str(raised.value) == "ZeroDivisionError: a bug"
    else:
        assert str(raised.value) == str(error)
    if isinstance(raised.value, BackendError):
        assert raised.value.status == failed.error.status
        assert raised.value.retryable == failed.error.retryable


def test_raise_for_error_refuses_a_result_without_a_prompt() -> None:
    with pytest.raises(ValueError, match="no prompt"):
        GenerationResult().raise_for_error()


def test_result_ids_are_safe_single_path_components() -> None:
    for good in ("20261125T141530-3f9a2c1d", "corgi-1", "a.b_c"):
        assert GenerationResult(id=good).id == good
    for bad in ("", ".", "..", "a/b", "a\\b", "/etc/x", ".hidden", "a\x00b", "x" * 200):
        with pytest.raises(ValidationError, match="id"):
            GenerationResult(id=bad)
    with pytest.raises(ValidationError, match="parent_id"):
        GenerationResult(parent_id="../x")


def test_options_and_images_json_round_trip_unchanged() -> None:
    image = GeneratedImage.from_bytes(image_bytes(8, 8), metadata={"k": "v"})
    assert GeneratedImage.model_validate_json(image.model_dump_json()) == image
    assert ImageOptions.model_validate_json(ImageOptions(n=2).model_dump_json()).n == 2


def test_every_bytes_field_is_standard_base64_in_json() -> None:
    from promptforge import Reference

    reference = Reference(AWKWARD, role="style")
    document = json.loads(reference.model_dump_json())
    assert document["data"] == base64.b64encode(AWKWARD).decode()
    assert Reference.model_validate_json(reference.model_dump_json()) == reference
