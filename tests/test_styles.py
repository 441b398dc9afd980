from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from promptforge import InvalidRequestError, Pipeline, StylePreset
from promptforge.styles import (
    CATEGORIES,
    _registry,
    get_style,
    list_styles,
    load_styles,
    register_style,
)
from promptforge.testing import FakeEnhancer, FakeGenerator


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    yield
    _registry._custom.clear()


def test_builtin_presets_are_valid_and_sorted() -> None:
    names = [preset.name for preset in list_styles()]
    assert names == sorted(names)
    assert {"photorealistic", "cinematic", "watercolor", "anime"} <= set(names)
    assert all(preset.phrases and preset.description for preset in list_styles())


def test_names_are_forgiving_about_case_and_separators() -> None:
    assert get_style("Pixel Art") is get_style("pixel_art") is get_style("pixel-art")


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'cinematic'") as raised:
        get_style("cinematc")
    assert raised.value.field == "style"
    with pytest.raises(InvalidRequestError, match="see list_styles"):
        get_style("zzzz")


MINE = StylePreset(
    name="risograph",
    description="Two-colour risograph print.",
    phrases=["risograph print", "grainy ink"],
    negative=["photo"],
)


def test_registered_presets_work_like_builtins() -> None:
    register_style(MINE)
    assert get_style("risograph") == MINE
    result = Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox", style="risograph")
    assert result.prompt is not None
    assert "risograph print" in result.prompt.text.lower()
    with pytest.raises(InvalidRequestError, match="replace=True"):
        register_style(MINE)
    register_style(MINE.model_copy(update={"description": "new"}), replace=True)
    assert get_style("risograph").description == "new"


def test_a_preset_object_can_be_passed_directly() -> None:
    result = Pipeline(FakeEnhancer(), FakeGenerator()).run("a fox", style=MINE)
    assert result.request is not None
    assert result.request.style == MINE


def test_load_styles_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps([MINE.model_dump()]))
    assert load_styles(path) == [MINE]
    assert get_style("risograph") == MINE


def test_preset_names_are_identifiers() -> None:
    with pytest.raises(ValidationError):
        StylePreset(name="Has Spaces", description="x", phrases=["y"])


def test_list_styles_by_category() -> None:
    photos = list_styles("photography")
    assert photos
    assert all(preset.category == "photography" for preset in photos)
    assert sum(len(list_styles(c)) for c in CATEGORIES) == len(list_styles())
    assert len(list_styles()) >= 40
    with pytest.raises(InvalidRequestError, match="category: 'sculpture' is not one of"):
        list_styles("sculpture")


def test_every_builtin_preset_is_complete() -> None:
    for preset in list_styles():
        assert preset.composition, preset.name
        assert preset.lighting, preset.name
        assert preset.negative, preset.name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        ("{not json", "Expecting property name"),
        ('{"name": "x"}', "expected a JSON list"),
        ('[{"name": "Bad Name", "description": "d", "phrases": ["p"]}]', "preset 0: name"),
        ('[{"name": "watercolor", "description": "d", "phrases": ["p"]}]', "already exist"),
    ],
)
def test_load_styles_names_the_file_and_the_problem(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "mine.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InvalidRequestError, match=message) as raised:
        load_styles(path)
    assert "mine.json" in str(raised.value)
    assert get_style("watercolor").description != "d"  # nothing registered on failure


def test_the_docs_list_every_builtin_preset() -> None:
    catalogue = (Path(__file__).parent.parent / "docs" / "styles.md").read_text("utf-8")
    missing = [
        p.name for p in list_styles() if f"| `{p.name}` | {p.description} |" not in catalogue
    ]
    assert not missing, f"docs/styles.md lacks {missing}; regenerate its catalogue"
