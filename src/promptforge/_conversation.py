"""The conversation behind an image a conversational model made, kept so an edit continues it.

Gemini image models answer in turns and require the previous turns back, thought
signatures included, to continue (to edit what they drew). A generator that needs that puts
a ``Conversation`` on each ``GeneratedImage``; it is saved with the result (bytes as base64)
so ``GenerationResult.load(...)`` then ``Pipeline.edit`` continues it too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._model import Model


class TurnPart(Model):
    """One part of a turn: text, or an inline image, with the model's thought signature."""

    text: str | None = None
    """Text: the prompt, a reference's label, or what the model said."""
    data: bytes | None = Field(default=None, repr=False)
    """An inline image (a reference, or the image the model drew); base64 in JSON."""
    mime_type: str | None = None
    """The encoding of ``data``."""
    thought: bool = False
    """True for the model's own reasoning, kept only when it carries a signature."""
    thought_signature: bytes | None = Field(default=None, repr=False)
    """The opaque signature the model put on this part; sent back unchanged."""


class Turn(Model):
    """One message: what the user sent, or what the model answered."""

    role: Literal["user", "model"]
    """Who said it."""
    parts: tuple[TurnPart, ...] = ()
    """Its parts, in order."""


class Conversation(Model):
    """The turns that led to an image, the model's last answer included."""

    backend: str
    """The generator that holds the conversation, e.g. ``"GeminiImageGenerator"``."""
    model: str
    """The model that answered; its signatures are valid for that model only."""
    turns: tuple[Turn, ...] = ()
    """User and model turns, oldest first."""

    def __repr__(self) -> str:
        return f"Conversation({self.model}, {len(self.turns)} turns)"
