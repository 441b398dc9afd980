"""``Pipeline.edit``: change an image from an instruction, as a new result linked to its parent.

The target may be a result, an image, encoded bytes, or a path (a saved result folder, an
image file inside one, or any image file). An image a conversational model made carries
its ``conversation``, so the generator continues it; that survives ``save`` and ``load``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import ValidationError

from ._adapt import fold_negative, plan
from ._errors import InvalidRequestError
from ._image import GeneratedImage, GenerationOutput
from ._prompt import EnhancedPrompt
from ._request import Request, make_request
from ._result import RESULT_FILE, GenerationResult
from ._retry import RetryPolicy
from ._run import RunState, Tally
from .generators import Generator

EditTarget: TypeAlias = GenerationResult | GeneratedImage | bytes | str | Path
"""What ``Pipeline.edit`` takes: a result (its first image), an image, bytes or a path."""
Limited: TypeAlias = Callable[
    [Callable[[], Awaitable[GenerationOutput]]], Awaitable[GenerationOutput]
]


@dataclass(frozen=True)
class Target:
    """The image to edit, and the result it belongs to when known."""

    image: GeneratedImage
    parent: GenerationResult | None = None


def resolve_target(target: object) -> Target:
    """The image an edit changes.

    Raises:
        InvalidRequestError: the target is not an image, a result with one, or a readable
            path to either (names the path).
    """
    if isinstance(target, GenerationResult):
        if not target.images:
            raise InvalidRequestError(
                f"target: result {target.id} has no image to edit", field="target"
            )
        return Target(target.images[0], target)
    if isinstance(target, GeneratedImage):
        return Target(target)
    if isinstance(target, bytes):
        return Target(_image_of(target, "the bytes are"))
    if isinstance(target, str | Path):
        return _from_path(Path(target))
    raise InvalidRequestError(
        "target: expected a GenerationResult, GeneratedImage, bytes or a path, "
        f"got {type(target).__name__}",
        field="target",
    )


def _from_path(path: Path) -> Target:
    if path.is_dir():
        if not (path / RESULT_FILE).is_file():
            raise InvalidRequestError(
                f"target: {str(path)!r} is a folder without {RESULT_FILE} (not a saved result)",
                field="target",
            )
        return resolve_target(_materialised(_load(path)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRequestError(
            f"target: cannot read {str(path)!r} ({exc.strerror or exc})", field="target"
        ) from None
    if (path.parent / RESULT_FILE).is_file():  # inside a saved result: continue its conversation
        lazy = _load(path.parent)
        names = [Path(image.path).name for image in lazy.images if image.path is not None]
        if path.name in names:
            result = _materialised(lazy)
            return Target(result.images[names.index(path.name)], result)
    return Target(_image_of(data, f"{str(path)!r} is"))


def _materialised(result: GenerationResult) -> GenerationResult:
    """``result`` with its images' bytes read from disk (each checked again as it is read)."""
    images = tuple(
        image.model_copy(update={"data": image.read(), "path": None}) for image in result.images
    )
    return result.model_copy(update={"images": images})


def _load(folder: Path) -> GenerationResult:
    """The saved result in ``folder`` (image bytes left on disk), read as hostile input."""
    try:
        return GenerationResult.load(folder, lazy=True)
    except (ValueError, OSError) as exc:
        raise InvalidRequestError(
            f"target: {str(folder)!r} is not a readable saved result ({exc})", field="target"
        ) from None


def _image_of(data: bytes, what: str) -> GeneratedImage:
    try:
        return GeneratedImage.from_bytes(data)
    except ValidationError:
        raise InvalidRequestError(
            f"target: {what} not an image (PNG, JPEG, WebP or GIF)", field="target"
        ) from None


def edit_request(instruction: object, options: Mapping[str, Any]) -> Request:
    """The edit's request: the instruction as its words, and the options as given."""
    if not isinstance(instruction, str) or not instruction.strip():
        raise InvalidRequestError("instruction: must be a non-empty str", field="instruction")
    return make_request(instruction, None, options)


async def run_edit(
    generator: Generator,
    retry: RetryPolicy,
    limited: Limited,
    target: object,
    instruction: object,
    options: Mapping[str, Any],
    *,
    strict: bool,
    record: Callable[[GenerationResult], Awaitable[None]] | None = None,
) -> GenerationResult:
    """Edit ``target`` with ``generator`` under ``retry`` and the rate limit ``limited``;
    ``record`` receives the result, or the failed result before the error is re-raised.

    Raises:
        InvalidRequestError: the generator cannot edit, or the target or options are bad
            (all before any request).
    """
    if not generator.capabilities.edit:
        raise InvalidRequestError(
            f"edit: {type(generator).__name__} cannot edit images (capabilities.edit is "
            "False); use a generator that can (GeminiImageGenerator, PreviewGenerator)",
            field="edit",
        )
    request = edit_request(instruction, options)
    found = resolve_target(target)
    caps = generator.capabilities
    run_plan = plan(request.options, caps, strict=strict, inputs=1)
    state = RunState(request, parent_id=found.parent.id if found.parent else None)
    prompt = EnhancedPrompt(original=request.prompt, text=request.prompt.strip())
    prompt, edit_options, folded = fold_negative(prompt, run_plan.options, caps)
    state.prompt = prompt
    state.warnings.extend([*run_plan.warnings, *folded])

    async def one(count: int, tally: Tally) -> GenerationOutput:
        call_options = edit_options.model_copy(update={"n": count})

        def attempt() -> Awaitable[GenerationOutput]:
            return limited(lambda: generator.edit(found.image, prompt.text, call_options))

        return await retry.call(attempt, on_attempt=tally)

    try:
        await _edit(state, generator, run_plan.calls, one, edit_options.image_size)
    except Exception as exc:
        if record is not None:
            await record(_with(state.result(error=exc), request))
        raise
    result = _with(state.result(), request)
    if record is not None:
        await record(result)
    return result


def _with(result: GenerationResult, request: Request) -> GenerationResult:
    return result.model_copy(update={"instruction": request.prompt})


async def _edit(
    state: RunState,
    generator: Generator,
    calls: tuple[int, ...],
    one: Callable[[int, Tally], Awaitable[GenerationOutput]],
    image_size: str | None,
) -> None:
    """The edit stage: every call at once; the images of those that succeeded are kept."""
    with state.stage("edit", generator) as tally:
        outcomes = await asyncio.gather(
            *(one(count, tally) for count in calls), return_exceptions=True
        )
        state.keep(outcomes, tally, image_size, call="edit")
