"""``PreviewGenerator``: an offline, deterministic composition card in place of a render."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from .._image import GeneratedImage, GenerationOutput
from .._options import ImageOptions
from .._prompt import EnhancedPrompt
from .._reference import Reference, in_role_order
from .._text import join_and
from ._base import Generator, GeneratorCapabilities
from ._card import LABEL, NOTICE, Card, draw_card
from ._palette import RGB, hex_of, palette_from_text
from ._sizes import IMAGEN_SIZES, pixel_size


class PreviewGenerator(Generator):
    """Renders a labelled preview card instead of a picture; no model, no network.

    Each image is a card at the real output size for the aspect ratio (Imagen's sizes, e.g.
    1024x1024 for 1:1, 1408x768 for 16:9): a red "PREVIEW" label, a composition sketch (a
    thirds grid with the subject placed and sized from the spec's composition), the spec's
    levers (subject, details, style, composition, lighting, mood, what to avoid) as text,
    and a palette of the colours the prompt names (else one derived from its words).

    References appear as captioned thumbnails over the sketch. ``edit`` draws an edit
    card: the instruction, the edits before it, and the image before as a thumbnail (the
    edit is described, not applied), so the edit flow runs offline too.

    It is never mistaken for a render: besides the label, every image carries
    ``metadata={"preview": "true", ...}`` and PNG text chunks (``promptforge:preview``).
    The same prompt, options and seed always give the same bytes; ``n`` images differ in
    the sketch. Useful for trying the pipeline, the CLI and batch jobs without credentials,
    and for checking what a prompt asks for before paying for it.

    Example:
        >>> pipe = Pipeline(enhancer=RuleEnhancer(), generator=PreviewGenerator())
        >>> pipe.run("a red fox curled up in fresh snow", aspect_ratio="16:9").images[0]
        GeneratedImage(image/png, 1408x768, ... B)
    """

    model = "preview-card"

    @property
    def capabilities(self) -> GeneratorCapabilities:
        return GeneratorCapabilities(
            max_images=4,
            aspect_ratios=tuple(IMAGEN_SIZES),
            negative_prompt=True,  # shown on the card under "avoid"
            seed=True,  # varies the sketch; same seed, same card
            output_mime_types=("image/png", "image/jpeg"),
            max_references=14,  # shown as thumbnails, as many as Gemini image models take
            edit=True,  # an edit card: the instruction, the earlier edits, the image before
        )

    def __repr__(self) -> str:
        return "PreviewGenerator()"

    async def generate(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        return await asyncio.to_thread(self.render, prompt, options)

    async def edit(
        self, image: GeneratedImage, instruction: str, options: ImageOptions
    ) -> GenerationOutput:
        return await asyncio.to_thread(self.render_edit, image, instruction, options)

    def render(self, prompt: EnhancedPrompt, options: ImageOptions) -> GenerationOutput:
        """``generate`` without the event loop: ``options.n`` cards, synchronously."""
        size = pixel_size(options.aspect_ratio)
        palette = tuple(palette_from_text(_colour_text(prompt)))
        seed = "no seed" if options.seed is None else f"seed {options.seed}"
        subject = prompt.spec.subject if prompt.spec else prompt.original
        facts = {"subject": subject, "prompt": prompt.text}
        if prompt.spec and prompt.spec.composition:
            facts["composition"] = prompt.spec.composition
        images = []
        for number in range(options.n):
            variant = f"{number + 1}/{options.n}"
            card = Card(
                subject=subject,
                rows=_rows(prompt, options.negative_prompt) + _reference_rows(options.references),
                palette=palette,
                composition=(prompt.spec.composition or "") if prompt.spec else prompt.text,
                footer=f"{size[0]}x{size[1]}  {options.aspect_ratio}  {seed}  image {variant}",
                seed=f"{prompt.text}|{options.seed}|{number}",
                thumbnails=_thumbnails(options.references),
            )
            images.append(_image(card, size, options, prompt.text, variant, facts))
        return GenerationOutput(images=images)

    def render_edit(
        self, image: GeneratedImage, instruction: str, options: ImageOptions
    ) -> GenerationOutput:
        """``edit`` without the event loop: a card showing the instruction, the edits before
        it, and the image before (with any references) as thumbnails."""
        kept = ("subject", "prompt", "composition")
        facts: dict[str, str] = {k: image.metadata[k] for k in kept if k in image.metadata}
        earlier = [step for step in image.metadata.get("edits", "").split("\n") if step]
        edits = [*earlier, instruction]
        size = (
            pixel_size(options.aspect_ratio)
            if "aspect_ratio" in options.model_fields_set
            else (image.width, image.height)
        )
        palette = _palette_of(image.metadata) or tuple(palette_from_text(instruction))
        rows = [("Edit", instruction), ("Edits before", "; ".join(earlier))]
        rows += [("Prompt", facts.get("prompt", "")), ("Avoid", options.negative_prompt or "")]
        rows += _reference_rows(options.references)
        images = []
        for number in range(options.n):
            variant = f"{number + 1}/{options.n}"
            card = Card(
                subject=facts.get("subject", "the image"),
                rows=tuple((label, value) for label, value in rows if value),
                palette=palette,
                composition=facts.get("composition", ""),
                footer=f"{size[0]}x{size[1]}  edit {len(edits)}  image {variant}",
                seed=f"{facts.get('prompt', '')}|{'|'.join(edits)}|{number}",
                thumbnails=(("before", image.read()), *_thumbnails(options.references)),
                caption=f"promptforge PreviewGenerator: edit {len(edits)}, not applied",
            )
            text = f"edit: {instruction}"
            images.append(
                _image(card, size, options, text, variant, {**facts, "edits": "\n".join(edits)})
            )
        return GenerationOutput(images=images)


def _image(
    card: Card,
    size: tuple[int, int],
    options: ImageOptions,
    description: str,
    variant: str,
    facts: dict[str, str],
) -> GeneratedImage:
    """Draw ``card`` and wrap it, labelled as a preview in its metadata and text chunks."""
    chunks = {
        "promptforge:preview": "true",
        "Title": f"promptforge {LABEL.lower()}",
        "Description": description,
        "Comment": f"{NOTICE}; made by promptforge PreviewGenerator",
        "Software": "promptforge PreviewGenerator",
    }
    data = draw_card(
        card,
        size,
        mime_type=options.output_mime_type or "image/png",
        quality=options.output_compression_quality,
        text_chunks=chunks,
    )
    metadata = {
        "preview": "true",
        "generator": "PreviewGenerator",
        "variant": variant,
        "palette": ", ".join(_swatch(name, rgb) for name, rgb in card.palette),
        **facts,
    }
    return GeneratedImage.from_bytes(data, seed=options.seed, metadata=metadata)


def _palette_of(metadata: Mapping[str, str]) -> tuple[tuple[str, RGB], ...]:
    """The palette a preview card recorded (``"golden #daa520, #4b5673"``), so an edit card
    keeps the colours of the card before; empty for other images."""
    palette = []
    for entry in filter(None, (e.strip() for e in metadata.get("palette", "").split(","))):
        name, _, code = entry.rpartition(" ")
        rgb = (int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16))
        palette.append((name or code, rgb))
    return tuple(palette)


def _reference_rows(references: tuple[Reference, ...]) -> tuple[tuple[str, str], ...]:
    """One row naming each reference's role (and note), in the order they are shown."""
    said = [f"{r.role} ({r.note})" if r.note else r.role for r in in_role_order(references)]
    return (("References", "; ".join(said)),) if said else ()


def _thumbnails(references: tuple[Reference, ...]) -> tuple[tuple[str, bytes], ...]:
    return tuple((ref.role, ref.data) for ref in in_role_order(references))


def _rows(prompt: EnhancedPrompt, negative_prompt: str | None) -> tuple[tuple[str, str], ...]:
    spec = prompt.spec
    avoid = negative_prompt or prompt.negative_prompt
    if spec is None:
        rows = [("Prompt", prompt.text)]
    else:
        details = [join_and(spec.attributes), spec.action or "", spec.setting or ""]
        rows = [
            ("Subject", spec.subject),
            ("Details", "; ".join(d for d in details if d)),
            ("Style", spec.style or ""),
            ("Composition", spec.composition or ""),
            ("Lighting", spec.lighting or ""),
            ("Mood", spec.mood or ""),
        ]
    rows.append(("Avoid", avoid or ""))
    return tuple((label, value) for label, value in rows if value)


def _colour_text(prompt: EnhancedPrompt) -> str:
    """The words to draw colours from: the user's own first, then the spec's."""
    spec = prompt.spec
    parts = [prompt.original]
    if spec is not None:
        parts += [*spec.attributes, spec.setting or "", spec.lighting or "", spec.mood or ""]
        parts.append(spec.style or "")  # last: a series' palette, unless the words name colours
    else:
        parts.append(prompt.text)
    return " ".join(parts)


def _swatch(name: str, rgb: tuple[int, int, int]) -> str:
    code = hex_of(rgb)
    return code if name == code else f"{name} {code}"
