"""Turns for Gemini image models: reference images as labelled inline parts, the earlier
turns of a conversation sent back (thought signatures included), and the model's answer
read back into a ``Conversation``.

Order, as Google's guides recommend: the images first, each after a short text naming
its role, then the instruction last. Images larger than the model's input are downscaled
here first (the model would scale them anyway; fewer bytes travel), and the result says so.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .._conversation import Conversation, Turn, TurnPart, drawn_part
from .._image import GeneratedImage
from .._reference import Reference, in_role_order

if TYPE_CHECKING:
    from google.genai import types

INPUT_LONG_SIDE = 3072
"""Gemini fits input images into 3072x3072 pixels; larger references are downscaled to it."""
INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp")
"""Inline image encodings Gemini takes; others (GIF) are sent as PNG."""
_PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_LABELS = {
    "character": "a character: keep their face, build, clothing and colours the same",
    "subject": "the subject to depict",
    "object": "an object to include as it looks here",
    "style": "the style to follow (medium, palette, light, texture), not its content",
}
EDIT_LABEL = "The image to edit:"


def user_turn(
    text: str,
    references: Sequence[Reference],
    *,
    image: GeneratedImage | None = None,
    long_side: int = INPUT_LONG_SIDE,
) -> tuple[Turn, list[str]]:
    """The user's turn: the image to edit (if any), the references labelled by role, then
    ``text``; and a warning for each image downscaled or converted on the way."""
    parts: list[TurnPart] = []
    warnings: list[str] = []
    if image is not None:
        data, mime, note = fit(image.read(), long_side)
        parts += [TurnPart(text=EDIT_LABEL), TurnPart(data=data, mime_type=mime)]
        warnings += [f"the image to edit {note}"] if note else []
    for number, ref in enumerate(in_role_order(references), start=1):
        data, mime, note = fit(ref.data, long_side)
        label = f"Reference image {number}, {_LABELS[ref.role]}"
        label += f" ({ref.note.strip()})." if ref.note and ref.note.strip() else "."
        parts += [TurnPart(text=label), TurnPart(data=data, mime_type=mime)]
        warnings += [f"reference {number} ({ref.role}) {note}"] if note else []
    parts.append(TurnPart(text=text))
    return Turn(role="user", parts=tuple(parts)), warnings


def fit(data: bytes, long_side: int) -> tuple[bytes, str, str | None]:
    """``data`` within ``long_side`` pixels in an encoding Gemini takes: ``(bytes, mime,
    what was done or None)``. Untouched when it already fits."""
    from PIL import Image

    from .._imageinfo import sniff

    mime, width, height = sniff(data)
    if max(width, height) <= long_side and mime in INPUT_MIME_TYPES:
        return data, mime, None
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGBA" if mime != "image/jpeg" else "RGB")
    picture.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    target = mime if mime in INPUT_MIME_TYPES else "image/png"
    buffer = io.BytesIO()
    picture.save(buffer, _PIL_FORMATS[target], **({"quality": 92} if target != "image/png" else {}))
    done = (
        [
            f"was {width}x{height}; downscaled to {picture.width}x{picture.height}, the "
            f"model's input limit ({long_side} px)"
        ]
        if max(width, height) > long_side
        else []
    )
    done += [f"was {mime}; sent as PNG"] if target != mime else []
    return buffer.getvalue(), target, "; ".join(done)


def to_contents(turns: Iterable[Turn]) -> list[types.Content]:
    """Turns as google-genai ``Content``, every part (and signature) exactly as kept; the
    turns' images are in ``data`` (``Conversation.replay``)."""
    from google.genai import types

    def part(kept: TurnPart) -> types.Part:
        blob = (
            types.Blob(data=kept.data, mime_type=kept.mime_type) if kept.data is not None else None
        )
        return types.Part(
            text=kept.text,
            inline_data=blob,
            thought=kept.thought or None,
            thought_signature=kept.thought_signature,
        )

    return [
        types.Content(role=turn.role, parts=[part(kept) for kept in turn.parts]) for turn in turns
    ]


def model_turn(parts: Iterable[types.Part]) -> tuple[Turn, str]:
    """The model's answer as a turn to send back, and its thought text.

    Kept: every answer part, and every thought part that carries a signature (Google needs
    them back); interim thought images without one are left out.
    """
    kept: list[TurnPart] = []
    thoughts: list[str] = []
    for part in parts:
        if part.thought and part.text and part.text.strip():
            thoughts.append(part.text.strip())
        if part.thought and not part.thought_signature:
            continue
        blob = part.inline_data
        kept.append(
            TurnPart(
                text=part.text,
                data=blob.data if blob else None,
                mime_type=blob.mime_type if blob else None,
                thought=bool(part.thought),
                thought_signature=part.thought_signature,
            )
        )
    return Turn(role="model", parts=tuple(kept)), "\n\n".join(thoughts)


def continues(image: GeneratedImage, backend: str, model: str) -> Conversation | None:
    """The conversation ``image`` came from, if this backend and model can continue it."""
    held = image.conversation
    if held is None or held.backend != backend or held.model != model:
        return None
    return held


def replay(conversation: Conversation, image: GeneratedImage) -> tuple[Turn, ...]:
    """The turns of ``image``'s ``conversation`` to send back, every image's bytes exactly
    as first sent or drawn (``image``'s own: its bytes without promptforge's provenance).

    Raises:
        ValueError, OSError: an image is not the one the conversation holds, or cannot be
            read (``Conversation.replay``).
    """
    from .._provenance import strip_provenance

    return conversation.replay(lambda: strip_provenance(image.read()))


def drawn(turn: Turn, data: bytes) -> Turn:
    """The model's ``turn`` with its image ``data`` (the image a ``GeneratedImage`` will
    hold) as a ``drawn`` marker, when those exact bytes can be had back from the image
    once provenance is written into it; else ``turn`` as it is."""
    from .._provenance import Provenance, embed, strip_provenance

    probe = Provenance(software="promptforge")
    if strip_provenance(data) != data or strip_provenance(embed(data, probe)) != data:
        return turn
    parts = list(turn.parts)
    for number, part in enumerate(parts):
        if part.data == data and not part.thought:
            parts[number] = drawn_part(part)
            return turn.model_copy(update={"parts": tuple(parts)})
    return turn
