"""The enhancer interface, and ``FunctionEnhancer`` for a plain function."""

from __future__ import annotations

import asyncio
import inspect
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from .._errors import BackendError
from .._prompt import EnhancedPrompt, EnhanceRequest, PromptSpec
from ..styles import StylePreset

if TYPE_CHECKING:
    from .._bible import Bible


class Enhancer(ABC):
    """Turns a short idea into a detailed prompt. Implement ``enhance``; the rest is optional.

    Example:
        >>> class Shouty(Enhancer):
        ...     async def enhance(self, request):
        ...         return EnhancedPrompt.from_text(request, request.prompt.upper())
    """

    model: str | None = None
    """The model behind the enhancer, reported in ``StageReport.model``."""
    requires_network: ClassVar[bool] = False
    """True for backends that call a remote service; ``promptforge.testing`` can forbid them."""

    @abstractmethod
    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        """Return the prompt to render for ``request``.

        Finish with ``EnhancedPrompt.from_spec`` (or ``from_text``) so the request's style
        preset and negative prompt are applied like every other enhancer applies them.
        Raise ``ContentBlockedError`` for a refused prompt and ``BackendError`` (or its
        subclasses) for a failed call; the pipeline's retry policy decides what to retry.
        """

    async def refine(self, prompt: EnhancedPrompt, feedback: str) -> EnhancedPrompt:
        """Revise ``prompt`` according to ``feedback`` (optional).

        When an enhancer does not implement this, ``Pipeline.refine`` re-enhances the
        original words with the feedback appended.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement refine()")

    async def bible(self, ideas: Sequence[str], style: StylePreset | None) -> Bible:
        """The levers every image of a series shares, written once (optional).

        The default enhances the first idea and takes its levers (``Bible.from_prompt``):
        its style, lighting, framing and mood, and its subject as the recurring one. An
        enhancer that can read all the ideas (an LLM) should override it. The series applies
        ``style`` to the answer again (``Bible.with_preset``), so presets behave alike.
        """
        from .._bible import Bible  # only a series needs it

        return Bible.from_prompt(await self.enhance(EnhanceRequest(prompt=ideas[0], style=style)))

    @property
    def can_refine(self) -> bool:
        """Whether this enhancer implements ``refine``."""
        return type(self).refine is not Enhancer.refine

    async def aclose(self) -> None:  # noqa: B027 - optional, a no-op unless overridden
        """Release connections and other resources (optional; ``Pipeline.aclose`` calls it)."""


EnhanceFunction: TypeAlias = Callable[
    [EnhanceRequest],
    "str | PromptSpec | EnhancedPrompt | Awaitable[str | PromptSpec | EnhancedPrompt]",
]


class FunctionEnhancer(Enhancer):
    """An enhancer made from a plain function, ``def`` or ``async def``.

    The function receives the ``EnhanceRequest`` and returns the prompt text, a
    ``PromptSpec`` or a finished ``EnhancedPrompt``. A ``def`` runs in a worker thread so
    it never blocks the event loop.

    Example:
        >>> pipe = Pipeline(enhancer=FunctionEnhancer(lambda r: f"{r.prompt}, oil painting"),
        ...                 generator=...)
    """

    def __init__(self, fn: EnhanceFunction, *, name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)

    async def enhance(self, request: EnhanceRequest) -> EnhancedPrompt:
        if inspect.iscoroutinefunction(self.fn):
            answer = await self.fn(request)
        else:
            answer = await asyncio.to_thread(self.fn, request)
            if inspect.isawaitable(answer):
                answer = await answer
        if isinstance(answer, EnhancedPrompt):
            return answer
        if isinstance(answer, PromptSpec):
            return EnhancedPrompt.from_spec(request, answer)
        if isinstance(answer, str) and answer.strip():
            return EnhancedPrompt.from_text(request, answer)
        raise BackendError(
            f"{self.name} returned {answer!r}; expected a non-empty str, PromptSpec "
            "or EnhancedPrompt"
        )

    def __repr__(self) -> str:
        return f"FunctionEnhancer({self.name})"
