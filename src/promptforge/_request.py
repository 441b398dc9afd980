"""A run's input, validated: the words, the style preset and the image options."""

from __future__ import annotations

import difflib
import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from ._errors import InvalidRequestError
from ._model import Model
from ._options import MAX_PROMPT_CHARS, ImageOptions
from .styles import StylePreset
from .styles._registry import resolve_style


class Request(Model):
    """What was asked of the pipeline, kept on the result so it can be re-run or refined."""

    prompt: str = Field(min_length=1)
    """The user's idea, as typed."""
    style: StylePreset | None = None
    """The style preset asked for, if any."""
    options: ImageOptions = Field(default_factory=ImageOptions)
    """The image options asked for (before any adaptation to the generator)."""

    @property
    def key(self) -> str:
        """A stable digest of prompt, style and options: equal requests, equal keys."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


RUN_KEYWORDS = ("style",)
"""The keywords ``run`` takes beside the image options."""
BATCH_KEYWORDS = ("style", "concurrency", "out_dir", "keep_images")
"""The keywords ``run_many`` and ``stream`` take beside the image options."""
ITEM_KEYWORDS = ("prompt", "style")
"""The keys a batch item (a mapping) takes beside the image options."""

# Characters that draw nothing: separators, controls, format characters (zero-width space,
# joiners, BOM), surrogates, private use, unassigned, and marks with no base to mark.
_INVISIBLE = frozenset(["Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Mc", "Me"])
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # letters and symbols drawn empty


def make_request(
    prompt: object,
    style: object,
    options: Mapping[str, Any],
    *,
    keywords: tuple[str, ...] = RUN_KEYWORDS,
) -> Request:
    """Validate a call's arguments into a ``Request``.

    ``keywords`` are the call's other keyword names, offered beside the option names when
    an unknown option looks like a misspelling.

    Raises:
        InvalidRequestError: naming the offending field and, where there are few, the
            values it accepts.
    """
    if not isinstance(prompt, str):
        raise InvalidRequestError(
            f"prompt: expected a str, got {type(prompt).__name__}", field="prompt"
        )
    check_text(prompt, "prompt")
    preset = resolve_style(style)  # type: ignore[arg-type]  # checked inside
    try:
        image_options = ImageOptions.model_validate(dict(options))
    except ValidationError as exc:
        raise _invalid(exc, keywords) from None
    return Request(prompt=prompt, style=preset, options=image_options)


def check_text(text: str, field: str) -> str:
    """``text`` if it is a usable prompt: at most ``MAX_PROMPT_CHARS`` characters, valid
    Unicode, and something visible in it (not only spaces, controls or zero-width
    characters). Linear in the length, and the length is checked first."""
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"{field}: {len(text):,} characters; the most is {MAX_PROMPT_CHARS:,} "
            "(an idea of a few sentences is what the enhancer needs)",
            field=field,
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"{field}: not valid Unicode text (a lone surrogate, "
            f"U+{ord(text[exc.start]):04X} at {exc.start})",
            field=field,
        ) from None
    if not any(c not in _BLANK and unicodedata.category(c) not in _INVISIBLE for c in text):
        raise InvalidRequestError(
            f"{field}: must not be empty: it has no visible characters (only spaces, "
            "control or zero-width characters)",
            field=field,
        )
    return text


def unknown_name(name: str, allowed: list[str], what: str) -> InvalidRequestError:
    """The error for an unknown keyword ``name``, suggesting the closest allowed one."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return InvalidRequestError(
        f"{_shown_name(name)}: unknown {what}; {hint}(allowed: {', '.join(allowed)})",
        field=name,
        allowed=allowed,
    )


_EXPECTED = {
    "int_type": "an int",
    "float_type": "a number",
    "bool_type": "a bool",
    "string_type": "a str",
    "dict_type": "a dict",
    "finite_number": "a finite number",
}


def _invalid(exc: ValidationError, keywords: tuple[str, ...]) -> InvalidRequestError:
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "options"
    name = str(error["loc"][0]) if error["loc"] else field
    kind = error["type"]
    if kind == "extra_forbidden":
        return unknown_name(name, [*keywords, *ImageOptions.model_fields], "option")
    ctx = error.get("ctx", {})
    got_value = shown(error["input"])
    if kind in _EXPECTED:
        got = type(error["input"]).__name__
        return InvalidRequestError(
            f"{field}: expected {_EXPECTED[kind]}, got {got} {got_value}", field=name
        )
    if kind == "literal_error":
        allowed = [
            part.strip(" '") for part in str(ctx["expected"]).replace(" or ", ",").split(",")
        ]
        return InvalidRequestError(
            f"{field}: {got_value} is not one of {', '.join(allowed)}",
            field=name,
            allowed=allowed,
        )
    if kind == "string_pattern_mismatch" and name == "aspect_ratio":
        return InvalidRequestError(
            f"aspect_ratio: expected width:height in digits, e.g. '16:9', got {got_value}",
            field=name,
        )
    if kind == "string_too_long":
        length = len(error["input"])
        return InvalidRequestError(
            f"{field}: {length:,} characters; the most is {ctx['max_length']:,}", field=name
        )
    if name == "n" and kind in ("greater_than_equal", "less_than_equal"):
        limits = ImageOptions.model_fields["n"].metadata
        low, high = (getattr(m, attr) for m, attr in zip(limits, ("ge", "le"), strict=True))
        return InvalidRequestError(
            f"n: must be between {low} and {high}, got {got_value}", field="n"
        )
    return InvalidRequestError(f"{field}: {error['msg']} (got {got_value})", field=name)


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut short: a huge bad value is named, not echoed whole."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _shown_name(name: str) -> str:
    return name if len(name) <= 60 else name[:60] + "..."
