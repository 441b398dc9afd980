"""Looking up presets by name: the built-in catalogue plus what users register."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path

from .._errors import InvalidRequestError
from ._preset import StylePreset

_custom: dict[str, StylePreset] = {}


@cache
def _builtin() -> dict[str, StylePreset]:
    raw = json.loads(resources.files(__package__).joinpath("presets.json").read_text("utf-8"))
    presets = [StylePreset.model_validate(item) for item in raw]
    return {preset.name: preset for preset in presets}


def _all() -> dict[str, StylePreset]:
    return {**_builtin(), **_custom}


def list_styles() -> list[StylePreset]:
    """Every preset, built-in and registered, sorted by name."""
    return sorted(_all().values(), key=lambda preset: preset.name)


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
    """Register every preset in a JSON file holding a list of preset objects."""
    raw = json.loads(Path(path).read_text("utf-8"))
    return [register_style(StylePreset.model_validate(item), replace=replace) for item in raw]
