"""Scripted fake backends: deterministic, recorded, no network."""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias

from .._image import GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt, EnhanceRequest, PromptSpec
from .._reference import Reference
from ..enhancers import Enhancer
from ..generators import Generator, GeneratorCapabilities
from ._images import image_bytes, size_for

EnhanceStep: TypeAlias = "str | PromptSpec | EnhancedPrompt | BaseException"
GenerateStep: TypeAlias = "GenerationOutput | BaseException | None"
Respond: TypeAlias = Callable[
    [EnhancedPrompt, ImageOptions], "GenerationOutput | Awaitable[GenerationOutput | None] | None"
]


class _InFlight:
    """Counts concurrent calls and remembers the peak."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0

    def _enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        self.in_flight -= 1


class FakeEnhancer(Enhancer, _InFlight):
    """An enhancer that answers from a script, then deterministically.

    Args:
        script: answers for successive calls: a ``str`` or ``PromptSpec`` (finished with the
            request's style and negatives), an ``EnhancedPrompt`` (returned as is), or an
            exception (raised on that call). When it runs out, the request's words become
            the spec's subject.
        latency: seconds each call takes.

    ``calls`` records every ``EnhanceRequest``; ``refine_calls`` every ``(prompt, feedback)``.
    """

    __test__ = False

    def __init__(self, script: Iterable[EnhanceStep] = (), *, latency: float = 0.0) -> None:
        _InFlight.__init__(self)
        self.script: deque[EnhanceStep] = deque(script)
        self.latency = latency
        self.calls: list[EnhanceRequest] = []
        self.refine_calls: list[tuple[EnhancedPrompt, str]] = []
        self.model = "fake-enhancer"

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        self.calls.append(request)
        self._enter()
        try:
            await asyncio.sleep(self.latency)
            step = self.script.popleft() if self.script else PromptSpec(subject=request.prompt)
            if isinstance(step, BaseException):
                raise step
            if isinstance(step, EnhancedPrompt):
                return step
            if isinstance(step, PromptSpec):
                return EnhancedPrompt.from_spec(request, step)
            return EnhancedPrompt.from_text(request, step)
        finally:
            self._leave()

    async def refine(self, prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
        """Add ``feedback`` to the spec's attributes (or the text) and return the result."""
        self.refine_calls.append((prompt, feedback))
        spec = prompt.spec or PromptSpec(subject=prompt.text)
        spec = spec.model_copy(update={"attributes": [*spec.attributes, feedback]})
        return prompt.model_copy(update={"spec": spec, "text": spec.render()})


@dataclass(frozen=True)
class GenerateCall:
    """One recorded ``FakeGenerator.generate`` call (``options.references`` included)."""

    prompt: EnhancedPrompt
    options: ImageOptions

    @property
    def references(self) -> tuple[Reference, ...]:
        """The reference images the call carried."""
        return self.options.references


@dataclass(frozen=True)
class EditCall:
    """One recorded ``FakeGenerator.edit`` call."""

    image: GeneratedImage
    instruction: str
    options: ImageOptions


class FakeGenerator(Generator, _InFlight):
    """A generator that answers from a script, then with real small images.

    Args:
        script: answers for successive calls: a ``GenerationOutput`` (returned as is), an
            exception (raised on that call) or ``None`` (the default answer).
        respond: called when the script is exhausted, sync or async; returns an output or
            ``None`` for the default answer, or raises.
        latency: seconds each call takes.
        capabilities: what the fake claims to support (default: everything common).
        long_side: pixels on the longer edge of the default images.

    The default answer is ``options.n`` solid-colour images of the requested aspect ratio
    and ``output_mime_type``. ``calls`` records every call (with its references);
    ``max_in_flight`` the peak of concurrent calls.

    It can edit: ``edit`` takes the next script step too (``respond`` is for ``generate``
    only) and by default answers ``options.n`` images the size of the one edited, with
    ``metadata["edit"]`` the instruction; ``edit_calls`` records each call.
    """

    __test__ = False

    def __init__(
        self,
        script: Iterable[GenerateStep] = (),
        *,
        respond: Respond | None = None,
        latency: float = 0.0,
        capabilities: GeneratorCapabilities | None = None,
        long_side: int = 64,
    ) -> None:
        _InFlight.__init__(self)
        self.script: deque[GenerateStep] = deque(script)
        self.respond = respond
        self.latency = latency
        self._capabilities = capabilities or GeneratorCapabilities(
            output_mime_types=("image/png", "image/jpeg", "image/webp"),
            max_references=14,
            edit=True,
        )
        self.long_side = long_side
        self.calls: list[GenerateCall] = []
        self.edit_calls: list[EditCall] = []
        self.model = "fake-generator"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return self._capabilities

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        self.calls.append(GenerateCall(prompt, options))
        self._enter()
        try:
            await asyncio.sleep(self.latency)
            step: GenerateStep = self.script.popleft() if self.script else None
            if step is None and self.respond is not None:
                answer = self.respond(prompt, options)
                step = await answer if inspect.isawaitable(answer) else answer
            if isinstance(step, BaseException):
                raise step
            return step if step is not None else self.default_output(options)
        finally:
            self._leave()

    async def edit(
        self, image: GeneratedImage, instruction: str, options: ImageOptions
    ) -> GenerationOutput:
        self.edit_calls.append(EditCall(image, instruction, options))
        self._enter()
        try:
            await asyncio.sleep(self.latency)
            step: GenerateStep = self.script.popleft() if self.script else None
            if isinstance(step, BaseException):
                raise step
            if step is not None:
                return step
            mime = options.output_mime_type or image.mime_type
            size = (
                size_for(options.aspect_ratio, self.long_side)
                if "aspect_ratio" in options.model_fields_set
                else (image.width, image.height)
            )
            edited = GeneratedImage.from_bytes(
                image_bytes(*size, mime, len(self.edit_calls)), metadata={"edit": instruction}
            )
            return GenerationOutput(images=[edited] * options.n)
        finally:
            self._leave()

    def default_output(self, options: ImageOptions) -> GenerationOutput:
        """``options.n`` real images at the requested aspect ratio and encoding."""
        mime = options.output_mime_type or self._capabilities.output_mime_types[0]
        width, height = size_for(options.aspect_ratio, self.long_side)
        images = [
            GeneratedImage.from_bytes(image_bytes(width, height, mime, shade), seed=options.seed)
            for shade in range(options.n)
        ]
        return GenerationOutput(images=images)
