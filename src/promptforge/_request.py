"""A run's input, validated: the words, the style preset and the image options."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from ._errors import InvalidRequestError
from ._model import Model
from ._options import ImageOptions
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
        """A stable digest of what makes the image: prompt, style and options, billing
        ``labels`` left out. Equal requests, equal keys."""
        imageless = {"labels": None} if self.options.labels is not None else None
        same = self.model_copy(update={"options": self.options.model_copy(update=imageless)})
        return hashlib.sha256(same.model_dump_json().encode()).hexdigest()[:16]


def make_request(prompt: object, style: object, options: Mapping[str, Any]) -> Request:
    """Validate a call's arguments into a ``Request``.

    Raises:
        InvalidRequestError: naming the offending field and, where there are few, the
            values it accepts.
    """
    if not isinstance(prompt, str):
        raise InvalidRequestError(
            f"prompt: expected a str, got {type(prompt).__name__}", field="prompt"
        )
    if not prompt.strip():
        raise InvalidRequestError("prompt: must not be empty or only whitespace", field="prompt")
    preset = resolve_style(style)  # type: ignore[arg-type]  # checked inside
    try:
        image_options = ImageOptions.model_validate(dict(options))
    except ValidationError as exc:
        raise _invalid(exc) from None
    return Request(prompt=prompt, style=preset, options=image_options)


def _invalid(exc: ValidationError) -> InvalidRequestError:
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "options"
    name = str(error["loc"][0]) if error["loc"] else field
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = list(ImageOptions.model_fields)
        return InvalidRequestError(
            f"{field}: unknown option; allowed: {', '.join(allowed)}", field=name, allowed=allowed
        )
    ctx = error.get("ctx", {})
    if kind == "literal_error":
        allowed = [
            part.strip(" '") for part in str(ctx["expected"]).replace(" or ", ",").split(",")
        ]
        return InvalidRequestError(
            f"{field}: {error['input']!r} is not one of {', '.join(allowed)}",
            field=name,
            allowed=allowed,
        )
    if name == "n" and kind in ("greater_than_equal", "less_than_equal"):
        limits = ImageOptions.model_fields["n"].metadata
        low, high = (getattr(m, attr) for m, attr in zip(limits, ("ge", "le"), strict=True))
        return InvalidRequestError(
            f"n: must be between {low} and {high}, got {error['input']!r}", field="n"
        )
    return InvalidRequestError(f"{field}: {error['msg']} (got {error['input']!r})", field=name)
