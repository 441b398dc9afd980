"""A colour palette from the words of a prompt: the colours it names, else one derived from it."""

from __future__ import annotations

import colorsys
import hashlib
import re

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "red": (200, 30, 45), "crimson": (165, 20, 50), "scarlet": (220, 36, 31),
    "ruby": (155, 17, 30), "burgundy": (110, 20, 40), "maroon": (128, 0, 0),
    "cherry": (190, 20, 50), "pink": (240, 150, 180), "rose": (225, 90, 120),
    "magenta": (210, 30, 160), "fuchsia": (220, 40, 170), "coral": (250, 128, 100),
    "salmon": (245, 140, 115), "peach": (255, 200, 160), "orange": (245, 130, 30),
    "amber": (255, 180, 30), "tangerine": (250, 140, 40), "rust": (180, 70, 30),
    "copper": (184, 115, 51), "bronze": (170, 120, 50), "gold": (218, 165, 32),
    "golden": (218, 165, 32), "yellow": (245, 210, 40), "lemon": (250, 235, 90),
    "mustard": (215, 170, 40), "cream": (250, 240, 210), "ivory": (255, 250, 235),
    "beige": (230, 215, 185), "tan": (210, 180, 140), "sand": (225, 200, 150),
    "brown": (120, 75, 40), "chocolate": (100, 55, 30), "coffee": (110, 75, 50),
    "caramel": (190, 120, 60), "olive": (128, 128, 0), "lime": (150, 210, 40),
    "green": (50, 140, 70), "emerald": (20, 150, 100), "jade": (0, 168, 107),
    "mint": (150, 230, 190), "sage": (160, 180, 140), "teal": (0, 128, 128),
    "turquoise": (50, 200, 200), "cyan": (0, 190, 220), "aqua": (60, 210, 220),
    "blue": (40, 90, 200), "azure": (40, 130, 230),
    "cobalt": (0, 70, 170), "sapphire": (15, 80, 170), "navy": (20, 30, 90),
    "indigo": (75, 30, 130), "violet": (140, 80, 200), "purple": (120, 50, 160),
    "lavender": (190, 170, 230), "lilac": (200, 160, 210), "plum": (130, 60, 110),
    "mauve": (190, 140, 170), "white": (245, 245, 245), "snow": (250, 250, 252),
    "silver": (190, 195, 200), "grey": (128, 128, 128), "gray": (128, 128, 128),
    "charcoal": (54, 60, 66), "black": (20, 20, 22), "ebony": (40, 35, 30),
    "neon": (255, 40, 200), "pastel": (240, 200, 220),
}  # fmt: skip
DARKER = frozenset(["dark", "deep", "rich", "midnight"])
LIGHTER = frozenset(["light", "pale", "soft", "pastel", "faded", "baby"])
_WORD = re.compile(r"[a-z]+")


def palette_from_text(text: str, *, count: int = 5) -> list[tuple[str, RGB]]:
    """Up to ``count`` ``(name, rgb)`` pairs: colours named in ``text``, in order, then fill.

    A modifier just before a colour shades it ("deep crimson", "pale blue"). When fewer than
    three colours are named, the rest is derived from a hash of ``text`` (named by hex), so
    the same words always give the same palette.
    """
    words = _WORD.findall(text.lower())
    found: list[tuple[str, RGB]] = []
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        if word not in COLOURS or (word in LIGHTER | {"neon"} and _next_is_colour(words, index)):
            continue  # "pastel pink", "neon green": the modifier is not a colour of its own
        if before in COLOURS and before not in LIGHTER | {"neon"}:
            continue  # "red rose", "white snow": a noun the colour before it describes
        rgb, name = COLOURS[word], word
        if before in DARKER:
            rgb, name = mix(rgb, (0, 0, 0), 0.45), f"{before} {word}"
        elif before in LIGHTER:
            rgb, name = mix(rgb, (255, 255, 255), 0.45), f"{before} {word}"
        if all(existing != name for existing, _ in found):
            found.append((name, rgb))
    if len(found) < 3:
        found += _derived(text, 3 - len(found), found[0][1] if found else None)
    return found[:count]


def hex_of(rgb: RGB) -> str:
    """``(255, 0, 16)`` -> ``"#ff0010"``."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def mix(first: RGB, second: RGB, amount: float) -> RGB:
    """``first`` moved ``amount`` (0 to 1) of the way towards ``second``."""
    r, g, b = (round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))
    return r, g, b


def _next_is_colour(words: list[str], index: int) -> bool:
    return index + 1 < len(words) and words[index + 1] in COLOURS


def _derived(text: str, count: int, anchor: RGB | None) -> list[tuple[str, RGB]]:
    """``count`` colours that go with ``anchor`` (else with a hue hashed from ``text``)."""
    if anchor is None:
        hue = hashlib.sha256(text.encode()).digest()[0] / 255
    else:
        hue = colorsys.rgb_to_hsv(*(channel / 255 for channel in anchor))[0]
    shades = ((0.5, 0.35, 0.45), (0.08, 0.40, 0.30), (0.0, 0.55, 0.80))
    if anchor is None:
        shades = (shades[2], *shades[:2])
    colours = []
    for shift, saturation, value in shades[:count]:
        r, g, b = colorsys.hsv_to_rgb((hue + shift) % 1.0, saturation, value)
        rgb = (round(r * 255), round(g * 255), round(b * 255))
        colours.append((hex_of(rgb), rgb))
    return colours
