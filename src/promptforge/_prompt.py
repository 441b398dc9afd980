"""What an enhancer reads and writes: the request, the structured spec, the final prompt."""

from __future__ import annotations

from pydantic import Field

from ._model import FrozenMap, Model
from ._text import join_and, sentence, split_terms, unique
from .styles import StylePreset


class PromptSpec(Model):
    """A prompt taken apart into the levers a prompt engineer pulls.

    This model doubles as the response schema of LLM enhancers, so each field's docstring
    is the instruction the model reads.
    """

    subject: str = Field(min_length=1)
    """The core subject in the user's own words, kept intact (e.g. "fluffy corgi")."""
    attributes: tuple[str, ...] = ()
    """Concrete visual details of the subject: breed, colour, texture, size, accessories."""
    action: str | None = None
    """What the subject is doing or how it is posed (e.g. "sitting regally")."""
    setting: str | None = None
    """Where it is: surface, place, background (e.g. "on a deep crimson velvet cushion")."""
    style: str | None = None
    """The medium and aesthetic (e.g. "photorealistic photograph, 85mm lens")."""
    composition: str | None = None
    """Framing and camera: shot size, angle, depth of field, placement in the frame."""
    lighting: str | None = None
    """Light source, direction, quality and colour (e.g. "soft window light from the left")."""
    mood: str | None = None
    """The feeling the image should carry (e.g. "regal and playful")."""
    negative: tuple[str, ...] = ()
    """Things that must not appear, as short terms (e.g. "large crown", "blurry")."""

    def render(self) -> str:
        """The spec as one fluent prompt: a sentence per lever, negatives left out.

        >>> PromptSpec(subject="fluffy corgi", attributes=["tiny golden crown"],
        ...            action="sitting regally", lighting="soft window light").render()
        'Fluffy corgi with tiny golden crown, sitting regally. Soft window light.'
        """
        lead = self.subject.strip()
        if self.attributes:
            lead += " with " + join_and([a.strip() for a in self.attributes])
        lead = _placed(_placed(lead, self.action), self.setting) or lead
        mood = self.mood
        if mood and not any(word in mood.lower() for word in ("mood", "atmosphere", "feel")):
            mood += " mood"
        parts = (lead, self.style, self.composition, self.lighting, mood)
        return " ".join(sentence(part) for part in parts if part and part.strip())


_PLACE_WORDS = frozenset(
    [
        "on",
        "in",
        "at",
        "under",
        "beneath",
        "below",
        "above",
        "over",
        "inside",
        "beside",
        "by",
        "near",
        "against",
        "atop",
        "among",
        "amid",
        "within",
        "behind",
        "before",
        "across",
        "along",
        "through",
        "around",
        "into",
        "onto",
    ]
)


def _placed(head: str | None, tail: str | None) -> str | None:
    """``"sitting"`` + ``"on a cushion"`` -> ``"sitting on a cushion"`` (a comma otherwise)."""
    if not (head and tail):
        return head or tail
    first = tail.split(maxsplit=1)[0].lower()
    return f"{head} {tail}" if first in _PLACE_WORDS else f"{head}, {tail}"


class EnhanceRequest(Model):
    """What an enhancer is asked to improve."""

    prompt: str
    """The user's idea, as typed."""
    style: StylePreset | None = None
    """The style preset to honour, if any."""
    negative_prompt: str | None = None
    """What the user asked to keep out, comma-separated."""


class EnhancedPrompt(Model):
    """The enhancer's answer: the prompt a generator renders."""

    original: str
    """The user's words this prompt was made from."""
    text: str = Field(min_length=1)
    """The prompt sent to the generator."""
    negative_prompt: str | None = None
    """Terms to keep out of the image, comma-separated."""
    spec: PromptSpec | None = None
    """The levers behind ``text``; None when the enhancer wrote plain text."""
    style: str | None = None
    """Name of the style preset applied, if any."""
    usage: FrozenMap[str, int] = Field(default_factory=dict)
    """Tokens the enhancer's model reported, e.g. ``{"prompt": 210, "output": 95}``."""

    @property
    def negative_terms(self) -> list[str]:
        """``negative_prompt`` split into its terms."""
        return split_terms(self.negative_prompt)

    @classmethod
    def from_spec(cls, request: EnhanceRequest, spec: PromptSpec) -> EnhancedPrompt:
        """Finish a spec for ``request``: apply its style preset and negative prompt.

        The preset's phrases join ``spec.style``; its composition, lighting and mood fill
        levers the spec left empty; the user's and the preset's negatives join
        ``spec.negative``. Every enhancer should end with this so presets behave alike.
        """
        preset = request.style
        update: dict[str, object] = {
            "negative": unique(
                [
                    *spec.negative,
                    *split_terms(request.negative_prompt),
                    *(preset.negative if preset else []),
                ]
            )
        }
        if preset:
            missing = [p for p in preset.phrases if p.lower() not in (spec.style or "").lower()]
            update["style"] = ", ".join(filter(None, [*missing, spec.style]))
            for lever in ("composition", "lighting", "mood"):
                if getattr(spec, lever) is None:
                    update[lever] = getattr(preset, lever)
        spec = spec.model_copy(update=update)
        return cls(
            original=request.prompt,
            text=spec.render(),
            negative_prompt=", ".join(spec.negative) or None,
            spec=spec,
            style=preset.name if preset else None,
        )

    @classmethod
    def from_text(cls, request: EnhanceRequest, text: str) -> EnhancedPrompt:
        """Finish a plain-text prompt for ``request``, as ``from_spec`` does for a spec."""
        preset = request.style
        text = text.strip()
        if preset:
            missing = [p for p in preset.phrases if p.lower() not in text.lower()]
            if missing:
                text = f"{text.rstrip('.')}. {sentence(', '.join(missing))}"
        negative = unique(
            split_terms(request.negative_prompt) + (preset.negative if preset else [])
        )
        return cls(
            original=request.prompt,
            text=text,
            negative_prompt=", ".join(negative) or None,
            style=preset.name if preset else None,
        )
