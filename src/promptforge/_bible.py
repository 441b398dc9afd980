"""The series bible: the levers every image of a series shares, written once.

An enhancer writes it (``Enhancer.bible``); ``Bible.apply`` then puts its levers verbatim
into each item's prompt, so only what the idea varies (subject's action, setting, framing)
changes from image to image.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._model import Model
from ._prompt import EnhancedPrompt, PromptSpec
from ._text import join_and, sentence, unique
from .styles import StylePreset

_WORD = re.compile(r"[a-z0-9]+")
_SMALL_WORDS = frozenset(["a", "an", "the", "of", "and", "with", "sir", "lady", "little"])


class Bible(Model):
    """What every image of a series shares: style, palette, lighting, lens, mood, and each
    recurring subject described once. Used as the response schema of LLM enhancers, so each
    field's docstring is the instruction the model reads.

    Example:
        >>> Bible(style="watercolor painting", palette="sky blue, sand and coral",
        ...       subjects=("Biscuit, a fluffy Pembroke corgi with a tiny gold crown",))
    """

    style: str | None = None
    """The medium and aesthetic every image shares (e.g. "watercolor painting, loose washes")."""
    palette: str | None = None
    """The colours every image keeps to, named (e.g. "palette of sky blue, sand and coral")."""
    lighting: str | None = None
    """The light every image shares (e.g. "soft morning light from the left")."""
    lens: str | None = None
    """Camera, lens and framing habits every image shares (e.g. "35mm lens, eye level")."""
    mood: str | None = None
    """The feeling every image carries (e.g. "warm and playful")."""
    subjects: tuple[str, ...] = ()
    """Each subject that recurs across the ideas, described once with the look it must keep:
    the name the ideas use for it, a comma, then the description (e.g. "Biscuit, a fluffy
    Pembroke corgi with a tiny gold crown"). Empty when nothing recurs."""
    negative: tuple[str, ...] = ()
    """Things no image of the series may show, as short terms (e.g. "photo", "text")."""

    @classmethod
    def from_prompt(cls, prompt: EnhancedPrompt) -> Bible:
        """The default bible: the levers of the first item's prompt, its subject recurring.

        ``Enhancer.bible`` uses it when an enhancer writes no bible of its own.
        """
        spec = prompt.spec or PromptSpec(subject=prompt.original)
        return cls(
            style=spec.style,
            lighting=spec.lighting,
            lens=spec.composition,
            mood=spec.mood,
            subjects=(describe(spec.subject, spec.attributes),),
            negative=tuple(spec.negative),
        )

    def with_preset(self, preset: StylePreset | None) -> Bible:
        """The bible with ``preset`` honoured as ``EnhancedPrompt.from_spec`` honours it:
        its phrases in ``style``, its negatives in ``negative``, its levers where empty."""
        if preset is None:
            return self
        missing = [p for p in preset.phrases if p.lower() not in (self.style or "").lower()]
        return self.model_copy(
            update={
                "style": ", ".join(filter(None, [*missing, self.style])),
                "lighting": self.lighting or preset.lighting,
                "lens": self.lens or preset.composition,
                "mood": self.mood or preset.mood,
                "negative": tuple(unique([*self.negative, *preset.negative])),
            }
        )

    @property
    def shared(self) -> tuple[str, ...]:
        """The phrases every item's prompt keeps verbatim: style, palette, lighting, lens, mood."""
        levers = (self.style, self.palette, self.lighting, self.lens, self.mood)
        return tuple(lever.strip() for lever in levers if lever and lever.strip())

    def mentioned(self, idea: str) -> tuple[str, ...]:
        """The recurring subjects ``idea`` names (by the last word of each subject's name)."""
        words = {_singular(word) for word in _WORD.findall(idea.lower())}
        return tuple(subject for subject in self.subjects if _head(subject) in words)

    def apply(self, prompt: EnhancedPrompt) -> EnhancedPrompt:
        """``prompt`` with the shared levers put in verbatim and recurring subjects described.

        The style (with the palette) replaces the item's own; the lens joins the item's
        framing; the lighting and mood replace the item's own unless the idea's words asked
        for those (then the shared one follows). A recurring subject the idea names takes its
        place in the item's subject (when it is that subject) or joins its attributes; the
        negatives join.
        """
        negative = unique([*prompt.negative_terms, *self.negative])
        if prompt.spec is None:
            extra = " ".join(sentence(phrase) for phrase in self.shared)
            text = f"{prompt.text.rstrip()} {extra}".strip()
            return prompt.model_copy(
                update={"text": text, "negative_prompt": ", ".join(negative) or None}
            )
        spec = prompt.spec
        subject, attributes = spec.subject, list(spec.attributes)
        for described in self.mentioned(prompt.original):
            placed = _placed_in(subject, described) if subject == spec.subject else None
            if placed is not None:
                subject = placed
            else:
                attributes.insert(0, described)
        said = subject.lower()
        attributes = [a for a in attributes if a.strip().lower() not in said]
        style = ", ".join(filter(None, (self.style, self.palette))) or spec.style
        spec = spec.model_copy(
            update={
                "subject": subject,
                "attributes": attributes,
                "style": style,
                "composition": _framing(spec.composition, self.lens),
                "lighting": _lever(spec.lighting, self.lighting, prompt.original),
                "mood": _lever(spec.mood, self.mood, prompt.original),
                "negative": unique([*spec.negative, *self.negative]),
            }
        )
        return prompt.model_copy(
            update={
                "spec": spec,
                "text": spec.render(),
                "negative_prompt": ", ".join(negative) or None,
            }
        )

    def levers(self) -> tuple[tuple[str, str], ...]:
        """``(label, text)`` rows for reports and the gallery page."""
        rows = [
            ("style", self.style),
            ("palette", self.palette),
            ("lighting", self.lighting),
            ("lens", self.lens),
            ("mood", self.mood),
            *(("subject", subject) for subject in self.subjects),
            ("avoid", ", ".join(self.negative)),
        ]
        return tuple((label, text) for label, text in rows if text)


def describe(subject: str, attributes: Sequence[str]) -> str:
    """A recurring subject described once: ``"fluffy corgi, with a tiny crown"``."""
    subject = subject.strip()
    return f"{subject}, with {join_and([a.strip() for a in attributes])}" if attributes else subject


def subject_name(described: str) -> str:
    """The name a description starts with: the text before its first comma."""
    return described.split(",", 1)[0].strip()


def _head(described: str) -> str:
    """The word that says an idea names this subject: the last word of its name."""
    return head_word(subject_name(described))


def head_word(name: str) -> str:
    """The last word of ``name`` that is not an article, singular (``"the corgis"``: corgi)."""
    words = [w for w in _WORD.findall(name.lower()) if w not in _SMALL_WORDS]
    return _singular(words[-1]) if words else ""


def _placed_in(subject: str, described: str) -> str | None:
    """``subject`` with its mention of the recurring subject replaced by the description;
    None when the subject is something else (the description then joins the attributes)."""
    name = subject_name(described)
    at = subject.lower().find(name.lower())
    if at >= 0:
        return subject[:at] + described + subject[at + len(name) :]
    words = {_singular(w) for w in _WORD.findall(subject.lower())} - _SMALL_WORDS
    named = {_singular(w) for w in _WORD.findall(name.lower())}
    return described if words and words <= named else None


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _lever(own: str | None, shared: str | None, idea: str) -> str | None:
    """The shared lever, after the item's own when the idea's words asked for it."""
    if not shared or not own:
        return shared or own
    if shared.lower() in own.lower():
        return own
    asked = {w for w in _WORD.findall(idea.lower()) if len(w) > 3}
    if asked & set(_WORD.findall(own.lower())):
        return f"{own}, {shared}"
    return shared


def _framing(own: str | None, lens: str | None) -> str | None:
    """The item's framing with the shared lens: the lens alone when they are the same."""
    if not lens:
        return own
    if not own or own.strip().lower() == lens.strip().lower():
        return lens
    return own if lens.lower() in own.lower() else f"{own}, {lens}"
