"""Draw the preview card: a labelled composition sketch, the prompt's levers, and its palette.

Pillow is imported inside ``draw_card`` only, so importing promptforge never loads it.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import random
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ._palette import RGB, mix

if TYPE_CHECKING:
    from PIL.Image import Image
    from PIL.ImageDraw import ImageDraw

LABEL = "PREVIEW"
NOTICE = "offline composition card, not a rendered image"
INK: RGB = (236, 236, 240)
MUTED: RGB = (170, 170, 182)
ALERT: RGB = (215, 38, 61)
_BIG = ("close-up", "closeup", "close up", "macro", "headshot", "portrait", "detail")
_SMALL = ("wide", "aerial", "panorama", "panoramic", "landscape", "establishing", "distant")
_THIRD = ("third", "off-center", "off-centre", "asymmetric")
_CENTRE = ("center", "centre", "centered", "centred", "symmetr")
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


@dataclass(frozen=True)
class Card:
    """What a card shows: the subject, labelled rows of text, and the palette."""

    subject: str
    rows: tuple[tuple[str, str], ...]
    palette: tuple[tuple[str, RGB], ...]
    composition: str
    footer: str
    seed: str
    thumbnails: tuple[tuple[str, bytes], ...] = ()
    """Input images shown small over the sketch, each with a caption (references, or the
    image an edit changes)."""
    caption: str = "promptforge PreviewGenerator"
    """The line under the notice in the header."""


def draw_card(
    card: Card,
    size: tuple[int, int],
    *,
    mime_type: str = "image/png",
    quality: int | None = None,
    text_chunks: dict[str, str] | None = None,
) -> bytes:
    """Encode ``card`` at ``size`` as PNG (with ``text_chunks`` as tEXt) or JPEG."""
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    width, height = size
    unit = min(width, height) / 1024
    base = card.palette[0][1]
    image = Image.new("RGB", size, mix(base, (16, 16, 22), 0.85))
    draw = ImageDraw.Draw(image)
    margin = round(40 * unit)
    draw.rectangle((0, 0, width - 1, height - 1), outline=ALERT, width=max(4, round(12 * unit)))
    top = _header(draw, margin, unit, card.caption)
    swatches = height - margin - round(84 * unit)  # palette and footer along the bottom
    body = (margin, top, width - margin, swatches - round(28 * unit))
    if width >= height * 1.3:  # landscape: text on the left, sketch on the right
        split = body[0] + round((body[2] - body[0]) * 0.47)
        sketch = (split + margin // 2, body[1], body[2], body[3])
        column = (body[0], body[1], split - margin // 2, body[3])
    else:
        share = 0.46 if height > width else 0.44
        split = body[1] + round((body[3] - body[1]) * share)
        sketch = (body[0], body[1], body[2], split - margin // 2)
        column = (body[0], split + margin // 2, body[2], body[3])
    _sketch(draw, card, sketch, unit)
    _thumbnails(image, draw, card.thumbnails, sketch, unit)
    _rows(draw, card, column, unit)
    _swatches(draw, card, (margin, swatches, width - margin, height - margin), unit)
    footer = _font(round(18 * unit))
    draw.text((width - margin, height - margin), card.footer, font=footer, fill=MUTED, anchor="rb")
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if mime_type == "image/png":
        info = PngInfo()
        for key, value in (text_chunks or {}).items():
            info.add_text(key, value)
        options = {"pnginfo": info, "compress_level": 6}
    else:
        options = {"quality": quality or 90, "comment": f"promptforge {LABEL}: {NOTICE}"}
    image.save(buffer, _FORMATS[mime_type], **options)
    return buffer.getvalue()


def _header(draw: ImageDraw, margin: int, unit: float, caption: str) -> int:
    """The red PREVIEW label and the notice; returns the y where the body starts."""
    big, small = _font(round(64 * unit)), _font(round(24 * unit))
    pad = round(14 * unit)
    _, _, right, bottom = draw.textbbox((margin + pad, margin + pad), LABEL, font=big)
    box = (margin, margin, round(right) + pad, round(bottom) + pad)
    draw.rounded_rectangle(box, radius=round(10 * unit), fill=ALERT)
    draw.text((margin + pad, margin + pad), LABEL, font=big, fill=(255, 255, 255))
    text_x = box[2] + round(24 * unit)
    draw.text((text_x, margin + pad), NOTICE, font=small, fill=INK)
    draw.text((text_x, box[3] - pad), caption, font=small, fill=MUTED, anchor="ld")
    return box[3] + round(32 * unit)


def _sketch(draw: ImageDraw, card: Card, box: tuple[int, int, int, int], unit: float) -> None:
    """A stand-in for the picture: sky and ground in the palette, a thirds grid, the subject."""
    left, top, right, bottom = box
    colours = [rgb for _, rgb in card.palette]
    sky, ground = colours[1 % len(colours)], colours[2 % len(colours)]
    horizon = top + round((bottom - top) * 0.64)
    steps = 24
    for step in range(steps):  # a banded gradient: cheap to draw and to compress
        y0 = top + (horizon - top) * step // steps
        y1 = top + (horizon - top) * (step + 1) // steps
        draw.rectangle((left, y0, right, y1), fill=mix(sky, (255, 255, 255), 0.35 * step / steps))
    draw.rectangle((left, horizon, right, bottom), fill=mix(ground, (0, 0, 0), 0.25))
    grid = mix(sky, (255, 255, 255), 0.55)
    for third in (1, 2):
        x = left + (right - left) * third // 3
        y = top + (bottom - top) * third // 3
        draw.line((x, top, x, bottom), fill=grid, width=max(1, round(2 * unit)))
        draw.line((left, y, right, y), fill=grid, width=max(1, round(2 * unit)))
    draw.rectangle(box, outline=INK, width=max(2, round(3 * unit)))
    rng = random.Random(hashlib.sha256(card.seed.encode()).digest())
    words = card.composition.lower()
    scale = 0.62 if _has(words, _BIG) else 0.24 if _has(words, _SMALL) else 0.42
    if _has(words, _THIRD):
        centre_x = 1 / 3 if rng.random() < 0.5 else 2 / 3
    elif _has(words, _CENTRE):
        centre_x = 0.5
    else:
        centre_x = 0.5 + rng.uniform(-0.1, 0.1)
    radius = round(min(right - left, bottom - top) * scale / 2)
    cx = left + round((right - left) * centre_x)
    cy = min(horizon, bottom - radius - round(8 * unit))
    subject = (cx - radius, cy - radius, cx + radius, cy + radius)
    draw.ellipse(subject, fill=colours[0], outline=INK, width=max(2, round(4 * unit)))
    font = _font(round(max(18, 30 * scale / 0.42) * unit))
    lines = _wrap(draw, card.subject, font, radius * 1.6)[:3]
    draw.multiline_text((cx, cy), "\n".join(lines), font=font, fill=_on(colours[0]),
                        anchor="mm", align="center")  # fmt: skip


def _thumbnails(
    image: Image,
    draw: ImageDraw,
    thumbnails: tuple[tuple[str, bytes], ...],
    box: tuple[int, int, int, int],
    unit: float,
) -> None:
    """Input images in a row along the top of the sketch, framed and captioned; what does
    not fit is counted ("+3")."""
    from PIL import Image

    left, top, right, bottom = box
    pad = round(12 * unit)
    font = _font(round(15 * unit))
    side = max(8, min(round(150 * unit), (bottom - top) // 2 - pad))
    x, y = left + pad, top + pad
    for number, (label, data) in enumerate(thumbnails):
        if x + side > right - pad:
            draw.text((x, y + side // 2), f"+{len(thumbnails) - number}", font=_font(round(
                28 * unit)), fill=INK, anchor="lm")  # fmt: skip
            break
        with Image.open(io.BytesIO(data)) as opened:
            small = opened.convert("RGB")
        small.thumbnail((side, side))
        cell = (x, y, x + side, y + side)
        draw.rectangle(cell, fill=(16, 16, 22))
        offset = (x + (side - small.width) // 2, y + (side - small.height) // 2)
        image.paste(small, offset)
        draw.rectangle(cell, outline=INK, width=max(1, round(2 * unit)))
        tag = label.upper()
        width = draw.textlength(tag, font=font) + 2 * round(6 * unit)
        tag_box = (x, y + side - round(24 * unit), x + min(side, round(width)), y + side)
        draw.rectangle(tag_box, fill=(16, 16, 22))
        draw.text((x + round(6 * unit), tag_box[3] - round(5 * unit)), tag, font=font,
                  fill=INK, anchor="ld")  # fmt: skip
        x += side + pad


def _rows(draw: ImageDraw, card: Card, box: tuple[int, int, int, int], unit: float) -> None:
    """The labelled levers, label beside value, wrapped to the column and cut to fit."""
    left, top, right, bottom = box
    label_font, value_font = _font(round(16 * unit)), _font(round(22 * unit))
    indent = round(148 * unit)
    line = round(29 * unit)
    y = top
    for label, value in card.rows:
        room = (bottom - y) // line
        if room < 1:
            break
        lines = _wrap(draw, value, value_font, right - left - indent)
        if len(lines) > room:
            lines = [*lines[: room - 1], lines[room - 1].rstrip(".,") + " …"]
        draw.text((left, y + round(4 * unit)), label.upper(), font=label_font,
                  fill=card.palette[0][1])  # fmt: skip
        for text in lines:
            draw.text((left + indent, y), text, font=value_font, fill=INK)
            y += line
        y += round(10 * unit)


def _swatches(draw: ImageDraw, card: Card, box: tuple[int, int, int, int], unit: float) -> None:
    """The palette as labelled squares along the bottom of ``box``."""
    left, top, right, _ = box
    side = round(44 * unit)
    font = _font(round(16 * unit))
    step = (right - left) // max(5, len(card.palette))
    for number, (name, rgb) in enumerate(card.palette):
        x = left + number * step
        draw.rounded_rectangle((x, top, x + side, top + side), radius=round(6 * unit), fill=rgb,
                               outline=INK, width=1)  # fmt: skip
        label = "\n".join(_wrap(draw, name, font, step - side - round(16 * unit))[:2])
        draw.multiline_text((x + side + round(8 * unit), top + side // 2), label, font=font,
                            fill=MUTED, anchor="lm", spacing=2)  # fmt: skip


def _wrap(draw: ImageDraw, text: str, font: Any, width: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels; a word longer than the line is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
        if len(current) > 1 and draw.textlength(current, font=font) > width:
            current = current[: max(1, _fitting(draw, current, font, width))]
    return [*lines, current] if current else lines or [""]


def _fitting(draw: ImageDraw, word: str, font: Any, width: float) -> int:
    """How many leading characters of ``word`` fit in ``width``: a bisection, so a long
    word costs log(n) measures, not n."""

    def too_wide(count: int) -> bool:
        return draw.textlength(word[:count], font=font) > width

    return bisect.bisect_left(range(1, len(word) + 1), True, key=too_wide)


def _on(rgb: RGB) -> RGB:
    """Black or white, whichever reads better on ``rgb``."""
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (20, 20, 24) if luma > 150 else (250, 250, 252)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


@cache
def _font(size: int) -> Any:
    """Pillow's built-in font at ``size`` px (the bitmap fallback when FreeType is missing)."""
    from PIL import ImageFont, features

    if features.check("freetype2"):
        return ImageFont.load_default(size=max(8, size))
    return ImageFont.load_default()  # pragma: no cover - Pillow built without FreeType
