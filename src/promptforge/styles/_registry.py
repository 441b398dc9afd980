"""Looking up presets by name: the built-in catalogue plus what users register."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import get_args

from pydantic import ValidationError

from .._errors import InvalidRequestError
from ._preset import Category, StylePreset

CATEGORIES: tuple[str, ...] = get_args(Category)

_custom: dict[str, StylePreset] = {}


@cache
def _builtin() -> dict[str, StylePreset]:
    raw = json.loads(resources.files(__package__).joinpath("presets.json").read_text("utf-8"))
    presets = [StylePreset.model_validate(item) for item in raw]
    return {preset.name: preset for preset in presets}


def _all() -> dict[str, StylePreset]:
    return {**_builtin(), **_custom}


def list_styles(category: str | None = None) -> list[StylePreset]:
    """Every preset, built-in and registered, sorted by name; only ``category``'s if given.

    Raises:
        InvalidRequestError: ``category`` is not one of ``CATEGORIES``.
    """
    if category is not None and category not in CATEGORIES:
        raise InvalidRequestError(
            f"category: {category!r} is not one of {', '.join(CATEGORIES)}",
            field="category",
            allowed=CATEGORIES,
        )
    presets = sorted(_all().values(), key=lambda preset: preset.name)
    return [p for p in presets if category is None or p.category == category]


def get_style(name: str) -> StylePreset:
    """The preset called ``name``.

    Raises:
        InvalidRequestError: no preset has that name; the message lists close matches.
    """
    presets = _all()
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in presets:
        return presets[key]
    close = difflib.get_close_matches(key, presets, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else "see list_styles()"
    raise InvalidRequestError(
        f"style: unknown preset {name!r}; {hint} (available: {', '.join(sorted(presets))})",
        field="style",
        allowed=sorted(presets),
    )


def resolve_style(style: str | StylePreset | None) -> StylePreset | None:
    """Accept a preset, a preset's name, or None (no preset)."""
    if style is None or isinstance(style, StylePreset):
        return style
    if not isinstance(style, str):
        raise InvalidRequestError(
            f"style: expected a preset name or StylePreset, got {type(style).__name__}",
            field="style",
        )
    return get_style(style)


def register_style(preset: StylePreset, *, replace: bool = False) -> StylePreset:
    """Make ``preset`` available as ``style=preset.name``.

    Raises:
        InvalidRequestError: the name is taken and ``replace`` is false.
    """
    if preset.name in _all() and not replace:
        raise InvalidRequestError(
            f"style: a preset named {preset.name!r} exists; pass replace=True to override it",
            field="style",
        )
    _custom[preset.name] = preset
    return preset


def load_styles(path: str | Path, *, replace: bool = False) -> list[StylePreset]:
    """Register every preset in a JSON file holding a list of preset objects.

    The file is checked whole before anything is registered.

    Raises:
        InvalidRequestError: the file is missing, is not a JSON list of presets, or holds an
            invalid preset or a taken name; the message names the file and the entry.
    """
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"styles file {str(path)!r}: {exc}", field="styles") from None
    if not isinstance(raw, list):
        raise InvalidRequestError(
            f"styles file {str(path)!r}: expected a JSON list of presets", field="styles"
        )
    presets = []
    for number, item in enumerate(raw):
        try:
            presets.append(StylePreset.model_validate(item))
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise InvalidRequestError(
                f"styles file {str(path)!r}, preset {number}: {where}: {problem['msg']}",
                field="styles",
            ) from None
    taken = [p.name for p in presets if p.name in _all()]
    if taken and not replace:
        raise InvalidRequestError(
            f"styles file {str(path)!r}: {', '.join(taken)} already exist; "
            "pass replace=True to override",
            field="styles",
        )
    return [register_style(preset, replace=replace) for preset in presets]
