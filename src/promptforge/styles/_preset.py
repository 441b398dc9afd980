"""The style preset type."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from .._model import Model

Category: TypeAlias = Literal[
    "photography", "illustration", "painting", "digital", "design", "mood", "general"
]


class StylePreset(Model):
    """A named look: the words it adds to a prompt and the things it keeps out.

    Every enhancer honours a preset the same way (see ``EnhancedPrompt.from_spec``): its
    phrases join the spec's style, its composition, lighting and mood fill the levers the
    enhancer left empty, and its negatives join the negative prompt.
    """

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    """Lower-case identifier used as ``style=...`` (e.g. ``"watercolor"``)."""
    description: str
    """One line saying what the preset looks like."""
    category: Category = "general"
    """The family it belongs to, for listings."""
    phrases: list[str] = Field(min_length=1)
    """Style phrases added to the prompt, most important first."""
    composition: str | None = None
    """Suggested framing, used when the enhancer chose none."""
    lighting: str | None = None
    """Suggested lighting, used when the enhancer chose none."""
    mood: str | None = None
    """Suggested mood, used when the enhancer chose none."""
    negative: list[str] = Field(default_factory=list)
    """What this look should never show (e.g. ``"photo"`` for an illustration preset)."""
