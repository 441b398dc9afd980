"""Fit a request to a generator's capabilities before any money is spent."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import InvalidRequestError
from ._options import ImageOptions
from ._prompt import EnhancedPrompt
from ._reference import check_references
from ._text import split_terms, unique
from .generators import GeneratorCapabilities

# Options a generator may lack, with the capability that says it has them. Unsupported
# ones are dropped with a warning, or refused in strict mode.
_DROPPABLE = (
    ("seed", "seed"),
    ("enhance_prompt", "prompt_rewriter"),
    ("guidance_scale", "guidance_scale"),
    ("safety_filter_level", "safety_filter_level"),
    ("person_generation", "person_generation"),
    ("add_watermark", "watermark"),
    ("thinking", "thinking_levels"),
)


@dataclass(frozen=True)
class Plan:
    """The options a generator will get, how many images each call asks, and why."""

    options: ImageOptions
    calls: tuple[int, ...]
    warnings: tuple[str, ...]


def plan(
    options: ImageOptions, caps: GeneratorCapabilities, *, strict: bool, inputs: int = 0
) -> Plan:
    """Check ``options`` against ``caps``; adapt what can be adapted.

    ``inputs`` counts input images besides the references (1 for the image an edit changes).

    Raises:
        InvalidRequestError: a value the generator cannot take (aspect ratio, size, format,
            thinking level, references over its limits), or, with ``strict``, any option it
            would have to drop or fold.
    """
    _require_member("aspect_ratio", options.aspect_ratio, caps.aspect_ratios)
    _require_member("output_mime_type", options.output_mime_type, caps.output_mime_types)
    _require_member("image_size", options.image_size, caps.image_sizes)
    if caps.thinking_levels:
        _require_member("thinking", options.thinking, caps.thinking_levels)
    check_references(options.references, caps, extra=inputs)
    changes: dict[str, object] = {}
    warnings: list[str] = []
    for field, capability in _DROPPABLE:
        value = getattr(options, field)
        if value is not None and not getattr(caps, capability):
            if strict:
                raise InvalidRequestError(
                    f"{field}: not supported by this generator (strict mode)", field=field
                )
            changes[field] = None
            warnings.append(f"{field}={value!r} is not supported by this generator; ignored")
    if options.negative_prompt and not caps.negative_prompt and strict:
        raise InvalidRequestError(
            "negative_prompt: not supported by this generator (strict mode); "
            "without strict it is folded into the prompt",
            field="negative_prompt",
        )
    full, rest = divmod(options.n, caps.max_images)
    calls = (caps.max_images,) * full + ((rest,) if rest else ())
    if len(calls) > 1:
        warnings.append(
            f"n={options.n} exceeds {caps.max_images} images per call; "
            f"split into {len(calls)} calls"
        )
    return Plan(options.model_copy(update=changes), calls, tuple(warnings))


def _require_member(field: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        choices = ", ".join(allowed) if allowed else "none (the generator has a single one)"
        raise InvalidRequestError(
            f"{field}: {value!r} is not supported by this generator; allowed: {choices}",
            field=field,
            allowed=allowed,
        )


def fold_negative(
    prompt: EnhancedPrompt, options: ImageOptions, caps: GeneratorCapabilities
) -> tuple[EnhancedPrompt, ImageOptions, list[str]]:
    """Give the generator one negative prompt: as its own field, or folded into the text."""
    terms = unique(prompt.negative_terms + split_terms(options.negative_prompt))
    negative = ", ".join(terms) or None
    if caps.negative_prompt or negative is None:
        return prompt, options.model_copy(update={"negative_prompt": negative}), []
    text = f"{prompt.text.rstrip()} Avoid: {negative}."
    folded = prompt.model_copy(update={"text": text, "negative_prompt": None})
    warning = "this generator takes no negative prompt; folded into the prompt as 'Avoid: ...'"
    return folded, options.model_copy(update={"negative_prompt": None}), [warning]
