"""Contract checks: call them from your own tests to see that a custom backend behaves."""

from __future__ import annotations

from .._image import GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._portal import run_sync
from .._prompt import EnhancedPrompt, EnhanceRequest
from .._reference import Reference
from ..enhancers import Enhancer
from ..generators import Generator, GeneratorCapabilities
from ..styles import get_style, list_styles
from ._images import image_bytes


class ContractError(AssertionError):
    """A backend broke the interface's contract; the message lists every problem found."""

    __test__ = False


class _Problems(list[str]):
    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.append(problem)

    def raise_if_any(self, backend: object) -> None:
        if self:
            listed = "\n".join(f"- {p}" for p in self)
            raise ContractError(f"{type(backend).__name__} breaks the contract:\n{listed}")


async def acheck_enhancer(enhancer: Enhancer, *, style: str | None = None) -> None:
    """Check ``enhancer`` honours the ``Enhancer`` contract; raise ``ContractError`` if not.

    Checks: it returns an ``EnhancedPrompt`` keeping the user's words as ``original``;
    a style preset's phrases and negatives, and the user's negative prompt, reach the
    result; ``refine`` (when implemented) returns a prompt for the same words.
    """
    problems = _Problems()
    preset = get_style(style) if style else list_styles()[0]
    plain = EnhanceRequest(prompt="a red fox curled up in fresh snow")
    styled = EnhanceRequest(prompt=plain.prompt, style=preset, negative_prompt="blurry, text")
    answers: list[EnhancedPrompt] = []
    for request in (plain, styled):
        answer = await enhancer.enhance(request)
        if not isinstance(answer, EnhancedPrompt):
            problems.append(f"enhance() returned {type(answer).__name__}, not EnhancedPrompt")
            problems.raise_if_any(enhancer)
        problems.expect(answer.original == request.prompt, "original must be the user's words")
        problems.expect(bool(answer.text.strip()), "text must not be empty")
        answers.append(answer)
    answer = answers[1]
    styled_text = (answer.spec.style or "") if answer.spec else answer.text
    for phrase in preset.phrases:
        problems.expect(
            phrase.lower() in styled_text.lower(), f"style phrase {phrase!r} is missing"
        )
    negatives = {term.lower() for term in answer.negative_terms}
    for term in ["blurry", "text", *preset.negative]:
        problems.expect(term.lower() in negatives, f"negative term {term!r} is missing")
    problems.expect(answer.style == preset.name, "style must name the preset applied")
    if enhancer.can_refine:
        refined = await enhancer.refine(answer, "make the fox smaller in the frame")
        problems.expect(isinstance(refined, EnhancedPrompt), "refine() must return EnhancedPrompt")
        problems.expect(
            getattr(refined, "original", None) == answer.original,
            "refine() must keep the original words",
        )
    problems.raise_if_any(enhancer)


async def acheck_generator(generator: Generator, *, tolerance: float = 0.1) -> None:
    """Check ``generator`` honours the ``Generator`` contract; raise ``ContractError`` if not.

    Checks: ``capabilities`` is a ``GeneratorCapabilities``; each aspect ratio it declares
    gives images of that shape (within ``tolerance``); ``n`` up to ``max_images`` gives
    ``n`` images or filtered entries; each declared ``output_mime_type`` is honoured;
    with ``max_references``, a call with a reference answers; with ``capabilities.edit``,
    ``edit`` answers an image for an image and an instruction.
    """
    problems = _Problems()
    caps = generator.capabilities
    if not isinstance(caps, GeneratorCapabilities):
        problems.append("capabilities must be a GeneratorCapabilities")
        problems.raise_if_any(generator)
    prompt = EnhancedPrompt(original="a red fox", text="A red fox curled up in fresh snow.")

    async def call(label: str, options: ImageOptions) -> GenerationOutput | None:
        output = await generator.generate(prompt, options)
        if not isinstance(output, GenerationOutput):
            problems.append(f"{label}: generate() returned {type(output).__name__}")
            return None
        count = len(output.images) + len(output.filtered)
        problems.expect(count == options.n, f"{label}: asked {options.n}, accounted {count}")
        return output

    for ratio in caps.aspect_ratios:
        output = await call(f"aspect_ratio={ratio}", ImageOptions(aspect_ratio=ratio))
        want_w, want_h = (int(x) for x in ratio.split(":"))
        for image in output.images if output else []:
            error = abs(image.width / image.height / (want_w / want_h) - 1)
            problems.expect(
                error <= tolerance,
                f"aspect_ratio={ratio}: got {image.width}x{image.height}",
            )
    n = min(2, caps.max_images)
    await call(f"n={n}", ImageOptions(n=n, aspect_ratio=caps.aspect_ratios[0]))
    for mime in caps.output_mime_types:
        options = ImageOptions(aspect_ratio=caps.aspect_ratios[0], output_mime_type=mime)
        output = await call(f"output_mime_type={mime}", options)
        for image in output.images if output else []:
            problems.expect(image.mime_type == mime, f"asked {mime}, got {image.mime_type}")
    first = ImageOptions(aspect_ratio=caps.aspect_ratios[0])
    if caps.max_references:
        reference = Reference(image_bytes(64, 64), role="subject")
        await call("references=[1]", first.model_copy(update={"references": (reference,)}))
    if caps.edit:
        await _check_edit(generator, problems)
    problems.raise_if_any(generator)


async def _check_edit(generator: Generator, problems: _Problems) -> None:
    image = GeneratedImage.from_bytes(image_bytes(64, 48))
    try:
        output = await generator.edit(image, "make the fox smaller", ImageOptions())
    except NotImplementedError:
        problems.append("capabilities.edit is True but edit() is not implemented")
        return
    if not isinstance(output, GenerationOutput):
        problems.append(f"edit() returned {type(output).__name__}, not GenerationOutput")
        return
    count = len(output.images) + len(output.filtered)
    problems.expect(count == 1, f"edit: asked 1, accounted {count}")


def check_enhancer(enhancer: Enhancer, *, style: str | None = None) -> None:
    """Sync twin of ``acheck_enhancer``."""
    run_sync(acheck_enhancer(enhancer, style=style))


def check_generator(generator: Generator, *, tolerance: float = 0.1) -> None:
    """Sync twin of ``acheck_generator``."""
    run_sync(acheck_generator(generator, tolerance=tolerance))
