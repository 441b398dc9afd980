"""The conversation behind an image a conversational model made, kept so an edit continues it.

Gemini image models answer in turns and require the previous turns back, thought
signatures included, to continue (to edit what they drew). A generator that needs that puts
a ``Conversation`` on each ``GeneratedImage``; it is saved with the result so
``GenerationResult.load(...)`` then ``Pipeline.edit`` continues it too.

No image is held twice: the part that is the image its ``GeneratedImage`` holds says so
(``drawn``) instead of repeating the bytes, and a saved result keeps the other images as
files (``path``), each checked against its ``sha256`` when read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ._files import read_regular
from ._model import Base64Bytes, Model

SHA256 = r"^[0-9a-f]{64}$"


class TurnPart(Model):
    """One part of a turn: text, or an image, with the model's thought signature.

    An image part holds its bytes in ``data``, or names where they are: ``drawn`` (the
    image of the ``GeneratedImage`` this conversation belongs to, as the model sent it,
    before promptforge wrote provenance into it), ``path`` (a file of a saved result) or,
    in ``result.json`` only, ``reference`` (one of the request's references).
    """

    text: str | None = None
    """Text: the prompt, a reference's label, or what the model said."""
    data: Base64Bytes | None = Field(default=None, repr=False)
    """An inline image (a reference, or an image the model drew); base64 in JSON."""
    mime_type: str | None = None
    """The encoding of the image."""
    drawn: bool = False
    """True when the image is the one its ``GeneratedImage`` holds (bytes not repeated)."""
    path: str | None = None
    """The file holding the image when its bytes are not in ``data``: absolute once loaded
    (``GenerationResult.load(lazy=True)``), ``conversation/<sha256>.<ext>`` relative to
    the result folder in ``result.json``."""
    reference: int | None = Field(default=None, ge=0)
    """In ``result.json``: the image is ``request.options.references[reference]``'s
    (``GenerationResult.load`` puts those bytes back in ``data``)."""
    sha256: str | None = Field(default=None, pattern=SHA256)
    """The SHA-256 (hex) of the image bytes held elsewhere (``drawn``, ``path`` or
    ``reference``)."""
    thought: bool = False
    """True for the model's own reasoning, kept only when it carries a signature."""
    thought_signature: Base64Bytes | None = Field(default=None, repr=False)
    """The opaque signature the model put on this part; sent back unchanged."""

    @model_validator(mode="after")
    def _one_source(self) -> TurnPart:
        held = [
            name
            for name in ("data", "drawn", "path", "reference")
            if getattr(self, name) not in (None, False)
        ]
        if len(held) > 1:
            raise ValueError(f"an image part holds its bytes in one place, not {held}")
        if held and held != ["data"] and (self.sha256 is None or self.mime_type is None):
            raise ValueError(f"a part with {held[0]} needs its sha256 and mime_type")
        return self

    @property
    def held_elsewhere(self) -> bool:
        """True when the image's bytes are not in ``data`` but named (drawn, path, reference)."""
        return self.drawn or self.path is not None or self.reference is not None

    def bytes_of(self, drawn: Callable[[], bytes]) -> bytes | None:
        """The image bytes: ``data``, the file at ``path`` or ``drawn()``, each checked
        against ``sha256``; None for a part without an image.

        Raises:
            ValueError: the bytes are not the ones the conversation holds (names them), or
                ``path`` is relative or not a regular file.
            OSError: the file cannot be read.
        """
        if self.data is not None or not self.held_elsewhere:
            return self.data
        if self.reference is not None:
            raise ValueError(
                f"the conversation names reference {self.reference} of its result's request; "
                "read the result with GenerationResult.load(folder)"
            )
        if self.path is not None:
            if not Path(self.path).is_absolute():
                raise ValueError(
                    f"conversation image {self.path!r} is relative to its result folder; "
                    "read the result with GenerationResult.load(folder)"
                )
            data, what = read_regular(Path(self.path)), f"conversation image {self.path!r}"
        else:
            data, what = drawn(), "the image (as the model drew it)"
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError(f"{what} is not the image its conversation holds (sha256 differs)")
        return data


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

    def replay(self, drawn: Callable[[], bytes]) -> tuple[Turn, ...]:
        """The turns with every image's bytes in ``data`` (as they were sent or drawn):
        ``drawn()`` gives the bytes of the image this conversation belongs to.

        Raises:
            ValueError, OSError: as ``TurnPart.bytes_of``.
        """
        return tuple(
            turn.model_copy(update={"parts": tuple(_inline(part, drawn) for part in turn.parts)})
            for turn in self.turns
        )

    def __repr__(self) -> str:
        return f"Conversation({self.model}, {len(self.turns)} turns)"


def _inline(part: TurnPart, drawn: Callable[[], bytes]) -> TurnPart:
    if not part.held_elsewhere:
        return part
    data = part.bytes_of(drawn)
    update = {"data": data, "drawn": False, "path": None, "reference": None, "sha256": None}
    return part.model_copy(update=update)


def drawn_part(part: TurnPart) -> TurnPart:
    """``part`` (an image the model drew, in ``data``) as a ``drawn`` marker: its hash,
    not its bytes."""
    assert part.data is not None
    digest = hashlib.sha256(part.data).hexdigest()
    return part.model_copy(update={"data": None, "drawn": True, "sha256": digest})
